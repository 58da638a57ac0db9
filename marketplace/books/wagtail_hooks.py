"""The books' registrations in the admin: the ledger's permission policy, the "Ledger"
menu and a provider's statement. The views themselves are in :mod:`marketplace.books.admin`."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from marketplace.books.admin import LedgerGroup, ProviderStatementViewSet
from marketplace.books.models import LedgerTransaction
from marketplace.books.permissions import LedgerPermissionPolicy

# Registered before any view asks for a policy (see wagtail.permissions).
register_permission_policy(LedgerTransaction, LedgerPermissionPolicy(LedgerTransaction))


@hooks.register("register_admin_viewset")
def register_ledger_viewsets():
    return [LedgerGroup(), ProviderStatementViewSet()]
