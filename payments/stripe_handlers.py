"""Handlers of the Stripe events about payments and refunds (registered with ``@handles``).

Each re-fetches from Stripe what it acts on, so a duplicate or a late event finds the
work done and changes nothing. Account, payout and dispute events have their own modules.
"""

from __future__ import annotations

from commissions.money import format_cents
from payments.models import StripeCallStatus, StripeEvent, StripeRefund
from payments.notify import finance_notify
from payments.stripe_client import stripe_client
from payments.stripe_connect import payment_sync, stripe_metadata
from payments.webhooks import handles


def _object(event: StripeEvent) -> dict:
    return (event.payload.get("data") or {}).get("object") or {}


@handles(
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)
def checkout_session_event(event: StripeEvent) -> None:
    event.note = payment_sync(session_id=_object(event)["id"])


def _refund_sync(refund) -> StripeRefund | None:
    key = stripe_metadata(refund).get("comptoir_refund", "")
    row = (
        StripeRefund.objects.filter(refund_id=refund.id).first()
        or StripeRefund.objects.filter(idempotency_key=key).first()
    )
    if row is None:
        return None
    status = {"succeeded": StripeCallStatus.DONE, "failed": StripeCallStatus.FAILED}.get(
        refund.status
    )
    changed = []
    if not row.refund_id:
        row.refund_id, changed = refund.id, ["refund_id"]
    if status and row.status != status:
        row.status = status
        changed.append("status")
        if status == StripeCallStatus.FAILED:
            row.error = refund.failure_reason or "failed"
            changed.append("error")
    if changed:
        row.save(update_fields=changed)
    return row


@handles("charge.refunded")
def charge_refunded(event: StripeEvent) -> None:
    """Record Stripe's refund ids and statuses on the refunds we asked for."""
    client = stripe_client()
    charge = client.v1.charges.retrieve(_object(event)["id"])
    unknown = []
    refunds = client.v1.refunds.list(params={"charge": charge.id, "limit": 100})
    for refund in refunds.auto_paging_iter():
        if _refund_sync(refund) is None:
            unknown.append(refund.id)
    if unknown:
        # Made outside Comptoir (Stripe's dashboard): the reconciliation lists them.
        event.note = "refunds not made by Comptoir: " + ", ".join(unknown)


@handles("refund.failed")
def refund_failed(event: StripeEvent) -> None:
    """A refund the visitor never received: marked failed and shown to finance."""
    refund = stripe_client().v1.refunds.retrieve(_object(event)["id"])
    row = _refund_sync(refund)
    if row is not None and row.status == StripeCallStatus.FAILED:
        finance_notify(
            template="refund_failed",
            context={
                "order_reference": row.payment.order.reference,
                "refund_id": refund.id,
                "amount": format_cents(row.amount, currency=row.payment.order.currency),
                "reason": row.error,
            },
        )
    elif row is None:
        event.note = f"refund {refund.id} not made by Comptoir"
