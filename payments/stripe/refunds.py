"""Refunds through Stripe, and the transfer reversals that follow them (DESIGN §6).

A refund is recorded inside the transaction that cancels (:func:`refund_request`, called
by :class:`payments.providers.stripe.StripeGateway`) and asked of Stripe after commit by huey
(:func:`stripe_refund_execute`). Each transfer of the booking then gives back what it overpaid
according to the ledger (:func:`reversals_make`); a connected account that cannot cover
it keeps a debt, shown to finance. A refund Stripe refuses reverses nothing and is told
to finance.
"""

from __future__ import annotations

import stripe
from django.db import transaction
from django.db.models import F
from huey.contrib.djhuey import db_task

from commissions.money import format_cents
from marketplace.books.ledger import CLEARING_ACCOUNT, ledger_post
from marketplace.books.models import LedgerTransaction, TransactionKind
from marketplace.models import Order
from payments.models import (
    ReversalStatus,
    StripeCallStatus,
    StripePayment,
    StripeRefund,
    StripeReversal,
    StripeTransfer,
)
from payments.stripe.client import (
    RETRIED_AS_STRIPE_TASK,
    is_transient,
    refusal_message,
    stripe_client,
    stripe_key,
)
from payments.stripe.notify import finance_notify
from payments.stripe.transfers import order_transfers, owed


def refund_request(*, order: Order, amount: int, idempotency_key: str) -> StripeRefund:
    """Record a refund to make once the current transaction commits (huey)."""
    payment = StripePayment.objects.get(order=order)
    refund, _ = StripeRefund.objects.get_or_create(
        idempotency_key=idempotency_key, defaults={"payment": payment, "amount": amount}
    )
    refund_pk = refund.pk
    transaction.on_commit(lambda: stripe_refund_execute(refund_pk))
    return refund


def refund_execute(*, refund_id: int) -> StripeRefund:
    """Refund the visitor at Stripe, then take back what the transfers overpaid.

    A refusal (a disputed charge, a refund made meanwhile in Stripe's dashboard) marks
    the refund failed and tells finance; a transient failure raises for huey to retry.
    """
    refund = StripeRefund.objects.select_related("payment__order").get(pk=refund_id)
    payment = refund.payment
    if refund.status == StripeCallStatus.PENDING:
        try:
            result = stripe_client().v1.refunds.create(
                params={
                    "payment_intent": payment.payment_intent_id,
                    "amount": refund.amount,
                    "metadata": {
                        "order_reference": payment.order.reference,
                        "comptoir_refund": refund.idempotency_key,
                    },
                },
                options=stripe_key(refund.idempotency_key),
            )
        except stripe.StripeError as error:
            if is_transient(error):
                raise
            refund.status = StripeCallStatus.FAILED
            refund.error = refusal_message(error)
            refund.save(update_fields=["status", "error"])
            refund_failed_notify(refund)
            return refund
        refund.refund_id = result.id
        refund.status = (
            StripeCallStatus.FAILED if result.status == "failed" else StripeCallStatus.DONE
        )
        refund.save(update_fields=["refund_id", "status"])
    reversals_make(refund=refund)
    return refund


@db_task(**RETRIED_AS_STRIPE_TASK)
def stripe_refund_execute(refund_id: int) -> None:
    """Refund the visitor at Stripe and reverse the transfers in proportion."""
    refund_execute(refund_id=refund_id)


def refund_failed_notify(refund: StripeRefund) -> None:
    """Tell finance the visitor did not get this money back."""
    order = refund.payment.order
    finance_notify(
        template="refund_failed",
        context={
            "order_reference": order.reference,
            "refund_id": refund.refund_id or refund.idempotency_key,
            "amount": format_cents(refund.amount, currency=order.currency),
            "reason": refund.error,
        },
    )


def reversals_make(*, refund: StripeRefund) -> None:
    """After a refund, take back from the booking's transfers what they overpaid.

    A transfer overpaid its account by what the ledger now says the account owes the
    platform (the refund's reversal took it back from what the booking owed). Reading it
    from the ledger, not from the refund, keeps a transfer made after the refund (for
    what was owed then) from being reversed twice. Amounts are fixed under the payment's
    lock, committed, then asked of Stripe.
    """
    if refund.status != StripeCallStatus.DONE:
        return  # the visitor got nothing back: nobody gives anything back either
    reversal_tx = LedgerTransaction.objects.filter(
        idempotency_key=refund.idempotency_key, kind=TransactionKind.REFUND
    ).first()
    if reversal_tx is None:
        return  # a late payment's refund: nothing was confirmed, nothing transferred
    transfers = StripeTransfer.objects.filter(
        payment=refund.payment, booking__reference=reversal_tx.booking_ref
    )
    if transfers.exclude(status__in=(StripeCallStatus.DONE, StripeCallStatus.CANCELLED)).exists():
        order_transfers(payment_id=refund.payment_id)  # land what is in flight first
    with transaction.atomic():
        StripePayment.objects.select_for_update().get(pk=refund.payment_id)
        for transfer in transfers.filter(status=StripeCallStatus.DONE).select_related("booking"):
            in_flight = sum(
                transfer.reversals.filter(status=ReversalStatus.PENDING).values_list(
                    "amount", flat=True
                )
            )
            overpaid = -owed(booking=transfer.booking, account=transfer.account) - in_flight
            left = transfer.amount - transfer.amount_reversed - in_flight
            amount = min(overpaid, left)
            if amount > 0:
                StripeReversal.objects.get_or_create(
                    idempotency_key=f"{refund.idempotency_key}:reversal:{transfer.pk}",
                    defaults={"transfer": transfer, "refund": refund, "amount": amount},
                )
    for row in StripeReversal.objects.filter(
        refund=refund, status=ReversalStatus.PENDING
    ).select_related("transfer__payment__order__site", "transfer__booking", "refund"):
        _reversal_execute(row)


def _reversal_execute(row: StripeReversal) -> None:
    transfer = row.transfer
    order = transfer.payment.order
    try:
        reversal = stripe_client().v1.transfers.reversals.create(
            transfer.transfer_id,
            params={
                "amount": row.amount,
                "metadata": {"comptoir_refund": row.refund.idempotency_key},
            },
            options=stripe_key(row.idempotency_key),
        )
    except stripe.StripeError as error:
        if is_transient(error):
            raise
        # The connected account cannot give it back: its holder owes it to the platform.
        row.status = ReversalStatus.DEBT
        row.error = refusal_message(error)
        row.save(update_fields=["status", "error"])
        return
    with transaction.atomic():
        row.status = ReversalStatus.DONE
        row.reversal_id = reversal.id
        row.save(update_fields=["status", "reversal_id"])
        StripeTransfer.objects.filter(pk=transfer.pk).update(
            amount_reversed=F("amount_reversed") + row.amount
        )
        ledger_post(
            site=order.site,
            kind=TransactionKind.TRANSFER,
            idempotency_key=f"stripe:reversal:{row.pk}",
            entries=[(transfer.account, -row.amount), (CLEARING_ACCOUNT, row.amount)],
            currency=order.currency,
            memo=f"{order.reference} {transfer.booking.reference} <- {transfer.destination}",
            order_ref=order.reference,
            booking_ref=transfer.booking.reference,
            external_ref=reversal.id,
        )
