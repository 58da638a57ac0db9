"""The bank details in the admin: finance's list and decisions, the providers' page, the
audit-log actions and the permission policy; finance's statements in the "Ledger" menu.
The views are in :mod:`marketplace.payouts.viewsets` and
:mod:`marketplace.payouts.statement_views`."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from marketplace.payouts.audit import ACTIONS
from marketplace.payouts.models import BankAccount
from marketplace.payouts.statement_views import statements_viewset
from marketplace.payouts.viewsets import (
    BankAccountPermissionPolicy,
    BankAccountViewSet,
    ProviderBankDetailsViewSet,
)

# Registered before any view asks for a policy (see wagtail.permissions).
register_permission_policy(BankAccount, BankAccountPermissionPolicy(BankAccount))


@hooks.register("register_admin_viewset")
def register_bank_details_viewsets():
    return [BankAccountViewSet(), ProviderBankDetailsViewSet()]


@hooks.register("register_admin_viewset")
def register_statements_viewset():
    return statements_viewset()


@hooks.register("register_log_actions")
def register_bank_account_log_actions(actions):
    for action, (label, message) in ACTIONS.items():
        actions.register_action(action, label, message)
