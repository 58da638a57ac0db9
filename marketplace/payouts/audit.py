"""The bank details' and payout runs' trail in Wagtail's audit log: who submitted,
approved, rejected bank details; who prepared, sent, cancelled a payout run.

Each entry is a ``ModelLogEntry`` on the :class:`~marketplace.payouts.models.BankAccount`
row, with the ledger account, the details in force before and the new ones, **masked**
(``FR76 **** … 0189``): the log is read by more people than the details themselves. The
actions are registered by :mod:`marketplace.payouts.wagtail_hooks`. A payout run's entries
(:func:`record_run`) carry its reference, the number of transfers and their total.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

SUBMITTED = "comptoir.bank_account.submitted"
APPROVED = "comptoir.bank_account.approved"
REJECTED = "comptoir.bank_account.rejected"
SUPERSEDED = "comptoir.bank_account.superseded"
RUN_PREPARED = "comptoir.payout_run.prepared"
RUN_SENT = "comptoir.payout_run.sent"
RUN_CANCELLED = "comptoir.payout_run.cancelled"

ACTIONS = {
    SUBMITTED: (_("Bank details submitted"), _("Bank details submitted for approval")),
    APPROVED: (_("Bank details approved"), _("Bank details approved: now in force")),
    REJECTED: (_("Bank details rejected"), _("Bank details rejected")),
    SUPERSEDED: (
        _("Bank details superseded"),
        _("Bank details superseded by newer ones"),
    ),
    RUN_PREPARED: (
        _("Payout run prepared"),
        _("Payout run prepared: its payouts are recorded in the ledger"),
    ),
    RUN_SENT: (_("Payout run sent"), _("Payout run marked as sent to the bank")),
    RUN_CANCELLED: (
        _("Payout run cancelled"),
        _("Payout run cancelled: its payouts are reversed, payable again"),
    ),
}


def masked(bank_account) -> dict | None:
    if bank_account is None:
        return None
    return {
        "holder": bank_account.holder_name,
        "iban": bank_account.iban_masked,
        "bic": bank_account.bic,
    }


def record(bank_account, action: str, *, user=None, old=None, data=None):
    """One entry for ``bank_account``: old → new (masked), and ``data``."""
    return log(
        instance=bank_account,
        action=action,
        user=user if getattr(user, "pk", None) else None,
        data={
            "account": bank_account.account,
            "old": masked(old),
            "new": masked(bank_account),
            **(data or {}),
        },
    )


def record_run(run, action: str, *, user=None, data=None):
    """One entry for a payout run: its reference, transfers and total (cents)."""
    lines = list(run.lines.values_list("amount", flat=True))
    return log(
        instance=run,
        action=action,
        user=user if getattr(user, "pk", None) else None,
        data={
            "reference": run.reference,
            "until": run.until.isoformat(),
            "payouts": len(lines),
            "total": sum(lines),
            **(data or {}),
        },
    )
