"""Disputes (chargebacks): flag the order, tell finance, write the money to the ledger.

A cardholder who disputes a charge takes the disputed amount back from the platform's
Stripe balance, plus Stripe's dispute fee; a dispute won gives the amount back. Stripe
lists these movements on the dispute (``balance_transactions``). Each becomes one ledger
transaction keyed by the balance transaction's id, debiting ``platform:disputes`` and
crediting ``platform:clearing`` by what left the balance (the reverse for money back), so
that :func:`payments.stripe.transfers.platform_cash` keeps matching Stripe's balance.

Every ``charge.dispute.*`` event re-fetches the dispute, so duplicates and events out of
order all end in the state Stripe has now. Finance is told once when a dispute opens and
once when it closes (only the closing, when Stripe closed it before we heard of it).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from commissions.money import format_cents
from marketplace.books.ledger import CLEARING_ACCOUNT, ledger_post
from marketplace.books.models import TransactionKind
from payments.models import StripeEvent, StripePayment
from payments.stripe.client import stripe_client, stripe_id
from payments.stripe.notify import finance_notify
from payments.stripe.webhooks import handles

DISPUTES_ACCOUNT = "platform:disputes"
# Stripe's dispute statuses that end it; the others (needs_response, under_review,
# warning_*) mean it is open.
CLOSED_STATUSES = frozenset({"won", "lost", "warning_closed", "prevented"})


def dispute_key(*, dispute_id: str, balance_transaction_id: str) -> str:
    """The ledger idempotency key of one money movement of a dispute."""
    return f"stripe:dispute:{dispute_id}:{balance_transaction_id}"


def dispute_phase(status: str) -> str:
    """``""`` (no dispute), ``opened`` or ``closed``: what finance is told about."""
    if not status:
        return ""
    return "closed" if status in CLOSED_STATUSES else "opened"


def _category(txn) -> str:
    return getattr(txn, "reporting_category", None) or getattr(txn, "type", "") or ""


def dispute_ledger_post(*, payment: StripePayment, dispute) -> list:
    """Post each of the dispute's balance transactions once (idempotent); returns them."""
    order = payment.order
    posted = []
    for txn in getattr(dispute, "balance_transactions", None) or []:
        net = int(txn.net)
        if not net:
            continue
        key = dispute_key(dispute_id=dispute.id, balance_transaction_id=txn.id)
        tx = ledger_post(
            site=order.site,
            kind=TransactionKind.ADJUSTMENT,
            idempotency_key=key,
            # Money leaving the balance (net < 0) is a cost of the dispute, fee included.
            entries=[(DISPUTES_ACCOUNT, -net), (CLEARING_ACCOUNT, net)],
            currency=str(txn.currency).upper(),
            memo=f"{order.reference} dispute {dispute.id} ({_category(txn)})",
            occurred_at=dt.datetime.fromtimestamp(txn.created, tz=dt.UTC),
            order_ref=order.reference,
            external_ref=txn.id,
        )
        posted.append(tx)
    return posted


def dispute_sync(*, dispute_id: str) -> str:
    """Bring the order's payment, the ledger and finance in line with the dispute as Stripe
    has it now; returns a note (``dp_... lost``, or why nothing was done)."""
    dispute = stripe_client().v1.disputes.retrieve(dispute_id)
    charge_id = stripe_id(dispute.charge)
    with transaction.atomic():
        payment = (
            StripePayment.objects.select_for_update()
            .select_related("order__site")
            .filter(charge_id=charge_id)
            .first()
        )
        if payment is None:
            return f"dispute {dispute.id} on charge {charge_id} not made through Comptoir"
        before = dispute_phase(payment.dispute_status) if payment.dispute_id == dispute.id else ""
        after = dispute_phase(dispute.status)
        changed = (payment.dispute_id, payment.dispute_status, payment.dispute_amount) != (
            dispute.id,
            dispute.status,
            dispute.amount,
        )
        if changed:
            payment.dispute_id = dispute.id
            payment.dispute_status = dispute.status
            payment.dispute_amount = dispute.amount
            payment.save(update_fields=["dispute_id", "dispute_status", "dispute_amount"])
        dispute_ledger_post(payment=payment, dispute=dispute)
        if after != before:
            _finance_tell(payment=payment, dispute=dispute, phase=after)
    return f"{dispute.id} {dispute.status}"


def _finance_tell(*, payment: StripePayment, dispute, phase: str) -> None:
    order = payment.order
    due_by = getattr(getattr(dispute, "evidence_details", None), "due_by", None)
    finance_notify(
        template=f"dispute_{phase}",
        context={
            "order_reference": order.reference,
            "dispute_id": dispute.id,
            "charge_id": payment.charge_id,
            "amount": format_cents(int(dispute.amount), currency=order.currency),
            "reason": dispute.reason or "",
            "status": dispute.status,
            "won": dispute.status == "won",
            "lost": dispute.status == "lost",
            "due_by": (
                dt.datetime.fromtimestamp(due_by, tz=dt.UTC).date().isoformat() if due_by else ""
            ),
        },
    )


@handles(
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)
def dispute_event(event: StripeEvent) -> None:
    event.note = dispute_sync(dispute_id=event.data_object["id"])[:255]
