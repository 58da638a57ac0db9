"""Handlers of the Stripe events about payments and refunds (registered with ``@handles``).

Each re-fetches from Stripe what it acts on, so a duplicate or a late event finds the
work done and changes nothing. Account, payout and dispute events have their own modules.
"""

from __future__ import annotations

from payments.models import StripeCallStatus, StripeEvent, StripeRefund
from payments.stripe.checkout import StripeMismatch, payment_sync
from payments.stripe.client import stripe_client, stripe_metadata
from payments.stripe.notify import finance_notify
from payments.stripe.refunds import refund_failed_notify
from payments.stripe.webhooks import handles


@handles(
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)
def checkout_session_event(event: StripeEvent) -> None:
    session_id = event.data_object["id"]
    try:
        event.note = payment_sync(session_id=session_id)
    except StripeMismatch as mismatch:
        # Trying again will not help: money Stripe took that Comptoir cannot book.
        # Finance decides (refund from Stripe's dashboard, or confirm by hand).
        event.note = str(mismatch)[:255]
        finance_notify(
            template="payment_mismatch",
            context={"session_id": session_id, "event_id": event.id, "problem": str(mismatch)},
        )


def _refund_sync(refund) -> tuple[StripeRefund | None, bool]:
    """The refund row Comptoir asked for, updated from Stripe; and whether it just failed."""
    key = stripe_metadata(refund).get("comptoir_refund", "")
    row = (
        StripeRefund.objects.filter(refund_id=refund.id).first()
        or StripeRefund.objects.filter(idempotency_key=key).first()
    )
    if row is None:
        return None, False
    status = {"succeeded": StripeCallStatus.DONE, "failed": StripeCallStatus.FAILED}.get(
        refund.status
    )
    changed = []
    if not row.refund_id:
        row.refund_id, changed = refund.id, ["refund_id"]
    failed_now = status == StripeCallStatus.FAILED and row.status != status
    if status and row.status != status:
        row.status = status
        changed.append("status")
        if failed_now:
            row.error = refund.failure_reason or "failed"
            changed.append("error")
    if changed:
        row.save(update_fields=changed)
    return row, failed_now


@handles("charge.refunded")
def charge_refunded(event: StripeEvent) -> None:
    """Record Stripe's refund ids and statuses on the refunds we asked for."""
    client = stripe_client()
    charge = client.v1.charges.retrieve(event.data_object["id"])
    unknown = []
    refunds = client.v1.refunds.list(params={"charge": charge.id, "limit": 100})
    for refund in refunds.auto_paging_iter():
        row, failed_now = _refund_sync(refund)
        if row is None:
            unknown.append(refund.id)
        elif failed_now:
            refund_failed_notify(row)
    if unknown:
        # Made outside Comptoir (Stripe's dashboard): the reconciliation lists them.
        event.note = "refunds not made by Comptoir: " + ", ".join(unknown)


@handles("refund.failed")
def refund_failed(event: StripeEvent) -> None:
    """A refund the visitor never received: marked failed and told to finance, once."""
    refund = stripe_client().v1.refunds.retrieve(event.data_object["id"])
    row, failed_now = _refund_sync(refund)
    if row is None:
        event.note = f"refund {refund.id} not made by Comptoir"
    elif failed_now:
        refund_failed_notify(row)
