"""A payout run as a SEPA credit transfer file (ISO 20022 ``pain.001.001.03``), the file
the operator uploads to its bank.

Made with sepaxml's ``SepaTransfer``: one batch (one debit on the operator's account, the
debtor frozen on the run), one transaction per line of the run, in euros. Each
transaction's end-to-end id and remittance information name the run's reference and the
recipient, so the recipient's bank statement says what the money is. The message id is
the run's reference: a bank refuses a second upload of the same file. sepaxml checks the
file against the XSD it ships (``validate=True``) before it is returned.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from sepaxml import SepaTransfer

from marketplace.payouts.models import PayoutRun, PayoutRunStatus

SCHEMA = "pain.001.001.03"
END_TO_END_MAX = 35  # ISO 20022 Max35Text
REMITTANCE_MAX = 140  # SEPA unstructured remittance


class SepaRefused(ValueError):
    """No file for this run (cancelled, or nothing in it)."""


def end_to_end_id(run: PayoutRun, line) -> str:
    """``VIR-2026-12-05-1-3``: the run's reference and the line's number, at most 35."""
    return f"{run.reference}-{line.pk}"[:END_TO_END_MAX]


def remittance(run: PayoutRun, line) -> str:
    return f"{run.reference} {line.name}"[:REMITTANCE_MAX]


def filename(run: PayoutRun) -> str:
    return f"{run.reference}.xml"


def run_pain001(run: PayoutRun, *, execution_date: dt.date | None = None) -> bytes:
    """The run's pain.001 file (UTF-8 XML bytes), checked against the schema."""
    # The status as it is now, not as the caller's copy of the run says.
    status = PayoutRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
    if status == PayoutRunStatus.CANCELLED:
        raise SepaRefused(f"payout run {run.reference} was cancelled")
    lines = list(run.lines.order_by("name", "account", "pk"))
    if not lines:
        raise SepaRefused(f"payout run {run.reference} has no payouts")
    config = {
        "name": run.debtor_name,
        "IBAN": run.debtor_iban,
        "BIC": run.debtor_bic,
        "batch": True,
        "currency": run.currency,
    }
    sepa = SepaTransfer(config, schema=SCHEMA, clean=True)
    # The message id is the run's reference (sepaxml draws a random one).
    sepa.msg_id = run.reference
    sepa._xml.find("CstmrCdtTrfInitn/GrpHdr/MsgId").text = run.reference
    day = max(execution_date or timezone.localdate(), timezone.localdate())
    for line in lines:
        payment = {
            "name": line.holder_name,
            "IBAN": line.iban,
            "amount": int(line.amount),
            "execution_date": day,
            "description": remittance(run, line),
            "endtoend_id": end_to_end_id(run, line),
        }
        if line.bic:
            payment["BIC"] = line.bic
        sepa.add_payment(payment)
    return sepa.export(validate=True)
