"""The payouts in the admin: finance's bank details (list and decisions), the providers'
page, the payout runs and the recipients' statements in the "Ledger" menu, the audit-log
actions and the permission policy. The views are in :mod:`marketplace.payouts.viewsets`,
:mod:`marketplace.payouts.run_views` and :mod:`marketplace.payouts.statement_views`."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from marketplace.books.admin import in_ledger_menu
from marketplace.payouts.audit import ACTIONS
from marketplace.payouts.models import BankAccount
from marketplace.payouts.run_views import PayoutRunViewSet
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
    # The payout runs then the statements in the "Ledger" menu, just before the tourist
    # tax declarations (20): both at 19, in this order (the menu keeps it for equal orders).
    return [
        BankAccountViewSet(),
        ProviderBankDetailsViewSet(),
        in_ledger_menu(PayoutRunViewSet(), order=19),
        statements_viewset(),
    ]


@hooks.register("register_log_actions")
def register_bank_account_log_actions(actions):
    for action, (label, message) in ACTIONS.items():
        actions.register_action(action, label, message)
