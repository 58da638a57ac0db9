"""What the order life cycle writes in the ledger, and the keys it writes it under.

The transitions (:mod:`marketplace.orders.transitions`) call these inside their own
transaction: a booking's confirmation (:func:`booking_ledger_post`), the idempotency keys
the payment providers also read (:func:`confirmed_key`, :func:`fee_recharge_key`), and
what a cancellation would give back (:func:`refund_preview`, nothing written). No state
change of an order or a booking here, and nothing of a payment provider.

The ledger is imported from ``marketplace.books.ledger``/``payments.models`` until it moves to
``marketplace/books``.
"""

from __future__ import annotations

from django.db.models import Sum
from django.utils import timezone

from marketplace.books.ledger import (
    VISITOR_ACCOUNT,
    ledger_post,
    provider_account,
    quote_entries,
    reversal_entries,
    tourist_tax_account,
)
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.commission import booking_quote
from marketplace.models import Booking, BookingStatus, Order
from marketplace.orders.policies import cancellation_fraction


def confirmed_key(booking: Booking) -> str:
    return f"booking:{booking.pk}:confirmed"


def refund_key(booking: Booking) -> str:
    return f"booking:{booking.pk}:refund:cancel"


def tax_refund_key(booking: Booking) -> str:
    """The rest of a cancelled booking's tourist tax given back (beyond the policy's share)."""
    return f"{refund_key(booking)}:tourist_tax"


def booking_tax_account(booking: Booking) -> str:
    """The ``tax:tourist:<commune>`` account this booking's tax went to."""
    commune = (booking.tax_details or {}).get("commune") or booking.provider.commune
    return tourist_tax_account(commune)


def tax_standing(booking: Booking) -> int:
    """The tourist tax of ``booking`` still held for its commune in the ledger (cents)."""
    if not booking.tax:
        return 0
    total = LedgerEntry.objects.filter(
        transaction__booking_ref=booking.reference, account=booking_tax_account(booking)
    ).aggregate(total=Sum("amount"))["total"]
    return -(total or 0)


def fee_recharge_key(booking: Booking) -> str:
    """The booking's share of the payment fee charged to its commission (when the
    territory deducts the fee from the commission)."""
    return f"booking:{booking.pk}:psp_fee"


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
        tax_account=booking_tax_account(booking) if booking.tax else None,
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


def refund_preview(*, booking: Booking, by_provider: bool = False, now=None) -> int:
    """What cancelling now would give back to the visitor, in cents (nothing changes):
    the policy's share of the price and fee, and all the tourist tax (no stay, no tax)."""
    if booking.status != BookingStatus.CONFIRMED:
        return 0
    fraction = cancellation_fraction(
        booking=booking, by_provider=by_provider, now=now or timezone.now()
    )
    original = LedgerTransaction.objects.filter(idempotency_key=confirmed_key(booking)).first()
    if original is None:
        return 0
    tax = tax_standing(booking)
    if not fraction:
        return tax
    entries = dict(
        reversal_entries(transaction=original, fraction=(fraction.numerator, fraction.denominator))
    )
    tax_taken = entries.get(booking_tax_account(booking), 0) if tax else 0
    return -entries.get(VISITOR_ACCOUNT, 0) + tax - tax_taken


def tax_refund_post(*, booking: Booking, by=None, occurred_at=None):
    """Give the visitor back whatever of the booking's tourist tax the commune still holds
    (after the policy's share was reversed): a cancelled stay owes no tax. ``None`` when
    nothing is left; idempotent."""
    left = tax_standing(booking)
    if left <= 0:
        return None
    order = booking.order
    return ledger_post(
        site=order.site,
        kind=TransactionKind.REFUND,
        idempotency_key=tax_refund_key(booking),
        entries=[(booking_tax_account(booking), left), (VISITOR_ACCOUNT, -left)],
        currency=order.currency,
        memo=f"{order.reference} {booking.reference} tourist tax",
        by=by,
        occurred_at=occurred_at,
        order_ref=order.reference,
        booking_ref=booking.reference,
    )
