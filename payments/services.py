"""Writes of the payments app.

The ledger's writes live in :mod:`marketplace.books.ledger` (``ledger_post``,
``ledger_reverse``, ``quote_entries``), who may read it in
:mod:`marketplace.books.permissions`; this module holds the rest.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace import tasks
from marketplace.bookings import (
    ConfirmOutcome,
    cancellation_fraction,
    order_confirm,
    order_release,
)
from marketplace.bookings import booking_cancel as marketplace_booking_cancel
from marketplace.books.ledger import (
    VISITOR_ACCOUNT,
    ledger_post,
    ledger_reverse,
    provider_account,
    quote_entries,
    reversal_entries,
    tourist_tax_account,
)
from marketplace.books.models import LedgerTransaction, TransactionKind
from marketplace.cart import cart_restore, cart_unrestore
from marketplace.commission import booking_quote
from marketplace.models import Booking, BookingStatus, Order, OrderStatus, Refund
from payments.gateways import gateway_for

# --- Orders: payment, abandonment, cancellation -------------------------------------------


def confirmed_key(booking: Booking) -> str:
    return f"booking:{booking.pk}:confirmed"


def booking_ledger_post(*, booking: Booking, order: Order, occurred_at=None):
    """The booking's confirmation in the ledger: the visitor's payment, split.

    A free booking (a 0 € line) moves no money: nothing is recorded, ``None`` returned.
    """
    entries = quote_entries(
        quote=booking_quote(booking),
        provider_account=provider_account(booking.provider_id),
        # The tourist tax (never commissioned) goes to its commune's account, so the ledger
        # holds all the visitor paid (``Booking.visitor_total``) and refunds stay exact.
        tax_cents=booking.tax,
        tax_account=tourist_tax_account(booking.provider.commune) if booking.tax else None,
    )
    if not entries:
        return None
    return ledger_post(
        site=order.site,
        kind=TransactionKind.ORDER_CONFIRMED,
        idempotency_key=confirmed_key(booking),
        entries=entries,
        currency=order.currency,
        memo=f"{order.reference} {booking.reference}",
        occurred_at=occurred_at,
        order_ref=order.reference,
        booking_ref=booking.reference,
    )


def order_paid(*, order_id: int, payment_ref: str = "", now=None, notify: bool = True) -> str:
    """The payment of an order succeeded: confirm it, write the ledger, tell everyone.

    Idempotent. A payment that arrives after the hold expired is confirmed when the
    capacity is still free; otherwise it is refunded in full and the visitor told.
    ``notify=False`` sends no e-mail (the demo's past orders: nobody is told about history).
    """
    now = now or timezone.now()
    with transaction.atomic():
        abandoned = Order.objects.filter(pk=order_id, status=OrderStatus.ABANDONED).exists()
        order, outcome = order_confirm(order_id=order_id, payment_ref=payment_ref, now=now)
        if outcome == ConfirmOutcome.CONFIRMED:
            if abandoned:
                # Paid after all: the lines put back in the cart on abandon are booked now.
                cart_unrestore(order=order)
            for booking in order.bookings.all():
                booking_ledger_post(booking=booking, order=order, occurred_at=now)
            if notify:
                transaction.on_commit(lambda: tasks.order_confirmed_notify(order.pk))
        elif outcome == ConfirmOutcome.LATE_REFUSED:
            gateway = gateway_for(order)
            # What was charged: every booking's total, the tourist tax included.
            paid = sum(booking.visitor_total for booking in order.bookings.all())
            reference = gateway.refund(
                order=order, amount=paid, idempotency_key=f"order:{order.pk}:late"
            )
            for booking in order.bookings.all():
                Refund.objects.create(
                    booking=booking,
                    amount=booking.visitor_total,
                    fraction_numerator=1,
                    fraction_denominator=1,
                    reason="late payment, capacity gone",
                    gateway_ref=reference,
                )
                Booking.objects.filter(pk=booking.pk).update(refunded=booking.visitor_total)
            if notify:
                transaction.on_commit(lambda: tasks.order_late_refunded_notify(order.pk))
    return outcome


def order_abandon(*, order_id: int) -> bool:
    """The visitor gave up paying: release the capacity and put the lines back in their cart."""
    with transaction.atomic():
        released = order_release(order_id=order_id, status=OrderStatus.ABANDONED)
        if released:
            order = Order.objects.get(pk=order_id)
            cart_restore(order=order)
    return released


def _refund_key(booking: Booking) -> str:
    return f"booking:{booking.pk}:refund:cancel"


def fee_recharge_key(booking: Booking) -> str:
    """The booking's share of the payment fee charged to its commission (when the
    territory deducts the fee from the commission)."""
    return f"booking:{booking.pk}:psp_fee"


def refund_preview(*, booking: Booking, by_provider: bool = False, now=None) -> int:
    """What cancelling now would give back to the visitor, in cents (nothing changes)."""
    if booking.status != BookingStatus.CONFIRMED:
        return 0
    fraction = cancellation_fraction(booking=booking, by_provider=by_provider, now=now)
    if not fraction:
        return 0
    original = LedgerTransaction.objects.filter(idempotency_key=confirmed_key(booking)).first()
    if original is None:
        return 0
    entries = reversal_entries(
        transaction=original, fraction=(fraction.numerator, fraction.denominator)
    )
    return -sum(amount for account, amount in entries if account == VISITOR_ACCOUNT)


def booking_cancel(
    *,
    booking_id: int,
    by_provider: bool,
    reason: str = "",
    by=None,
    now=None,
    notify: bool = True,
) -> Refund | None:
    """Cancel a confirmed booking, refund the policy's share and reverse it in the ledger.

    The refund reverses the same fraction of the provider's net, of the service fee and
    of each beneficiary's share (:func:`marketplace.books.ledger.ledger_reverse`). Cancelling an
    already cancelled booking does nothing and returns ``None``. ``notify=False`` sends
    no e-mail.
    """
    now = now or timezone.now()
    with transaction.atomic():
        booking, fraction = marketplace_booking_cancel(
            booking_id=booking_id, by_provider=by_provider, reason=reason, now=now
        )
        if fraction is None:
            return None
        refund = None
        # A free booking has no confirmation in the ledger: nothing to give back.
        original = LedgerTransaction.objects.filter(idempotency_key=confirmed_key(booking)).first()
        if fraction and original is not None:
            reversal = ledger_reverse(
                transaction=original,
                idempotency_key=_refund_key(booking),
                fraction=(fraction.numerator, fraction.denominator),
                by=by,
                occurred_at=now,
            )
            amount = -sum(
                entry.amount for entry in reversal.entries.all() if entry.account == VISITOR_ACCOUNT
            )
            # The commission given back no longer bears its share of the payment fee
            # (Stripe keeps its fee on a refund): the operator does, in the same proportion.
            recharge = LedgerTransaction.objects.filter(
                idempotency_key=fee_recharge_key(booking)
            ).first()
            if recharge is not None:
                ledger_reverse(
                    transaction=recharge,
                    idempotency_key=f"{fee_recharge_key(booking)}:refund:cancel",
                    fraction=(fraction.numerator, fraction.denominator),
                    by=by,
                    occurred_at=now,
                )
            order = booking.order
            refund = Refund.objects.create(
                booking=booking,
                amount=amount,
                fraction_numerator=fraction.numerator,
                fraction_denominator=fraction.denominator,
                reason=reason[:300],
                gateway_ref=gateway_for(order).refund(
                    order=order, amount=amount, idempotency_key=_refund_key(booking)
                ),
            )
            Booking.objects.filter(pk=booking.pk).update(refunded=F("refunded") + amount)
        if notify:
            transaction.on_commit(lambda: tasks.booking_cancelled_notify(booking.pk))
    return refund
