"""The books' registrations in the admin: the ledger's permission policy, the "Ledger"
menu (with the tourist tax declarations) and a provider's statement. The views themselves
are in :mod:`marketplace.books.admin` and :mod:`marketplace.books.tax_declaration_admin`."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from marketplace.books.admin import LedgerGroup, ProviderStatementViewSet
from marketplace.books.fec_admin import fec_export_viewset
from marketplace.books.models import LedgerTransaction
from marketplace.books.permissions import LedgerPermissionPolicy
from marketplace.books.tax_declaration_admin import tax_declaration_viewset

# Registered before any view asks for a policy (see wagtail.permissions).
register_permission_policy(LedgerTransaction, LedgerPermissionPolicy(LedgerTransaction))


@hooks.register("register_admin_viewset")
def register_ledger_viewsets():
    # The tourist tax declarations close the "Ledger" menu, after the payments' lists.
    return [
        LedgerGroup(),
        ProviderStatementViewSet(),
        tax_declaration_viewset(order=20),
        fec_export_viewset(order=21),
    ]
