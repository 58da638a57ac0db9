"""What the order life cycle writes in the ledger, and the keys it writes it under.

The transitions (:mod:`marketplace.orders.transitions`) call these inside their own
transaction: a booking's confirmation (:func:`booking_ledger_post`) with the VAT of its
commission set aside (:func:`vat_set_aside_post`), the idempotency keys the payment
providers also read (:func:`confirmed_key`, :func:`fee_recharge_key`, :func:`vat_key`),
and what a cancellation would give back (:func:`refund_preview`, nothing written). No
state change of an order or a booking here, and nothing of a payment provider.

**VAT on the commission.** When the territory's operator is subject to VAT
(``TerritorySettings.subject_to_vat``), the commission a booking pays (the provider's
commission and the visitor's service fee, credited to the commission accounts
``beneficiary:<key>`` and ``platform:operator``) includes VAT, owed by the operator to
the State. At confirmation, in the same database transaction, that VAT
``V = C − round_half_up(C / (1 + rate/100))`` of the commission ``C`` is moved from the
commission accounts (each its part, by the largest remainder in proportion to its
credit) to ``tax:vat`` (a ``vat`` transaction, key ``booking:<pk>:vat``): the
beneficiaries are owed, and paid out, their share net of VAT. The rate used is the one
in force at confirmation, and the transaction records the amounts (its memo the rate):
a later change of the settings never touches a confirmed booking. A refund gives back
the same fraction of the set-aside as of the confirmation (:func:`vat_refund_post`,
called by :mod:`~marketplace.orders.transitions`), split so that no commission account
is ever owed less than nothing.

The ledger is imported from ``marketplace.books.ledger``/``payments.models`` until it moves to
``marketplace/books``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from marketplace.books.ledger import (
    OPERATOR_ACCOUNT,
    VISITOR_ACCOUNT,
    ledger_post,
    provider_account,
    quote_entries,
    reversal_entries,
    tourist_tax_account,
    vat_refund_entries,
    vat_set_aside_entries,
)
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.commission import booking_quote, vat_key
from marketplace.invoices.vat import vat_included
from marketplace.models import Booking, BookingStatus, Order, TerritorySettings
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


def is_commission_account(account: str) -> bool:
    """A commission account: a beneficiary's or the operator's."""
    return account.startswith("beneficiary:") or account == OPERATOR_ACCOUNT


def commission_credits(confirmation: LedgerTransaction) -> list[tuple[str, int]]:
    """What a confirmation credited each commission account, positive cents, by account."""
    return [
        (entry.account, -entry.amount)
        for entry in confirmation.entries.order_by("account")
        if entry.amount < 0 and is_commission_account(entry.account)
    ]


def vat_set_aside_post(
    *, booking: Booking, order: Order, confirmation: LedgerTransaction, occurred_at=None
):
    """Set aside the VAT included in the commission ``confirmation`` credited (see the
    module's docstring), when the territory is subject to VAT now. ``None`` when there is
    no VAT (not subject to it, a zero rate, no commission, or a commission too small to
    hold a cent of VAT). Idempotent: once posted, the set-aside stands as recorded."""
    existing = LedgerTransaction.objects.filter(idempotency_key=vat_key(booking)).first()
    if existing is not None:
        return existing
    territory = TerritorySettings.for_site(order.site)
    rate = Decimal(territory.vat_rate)
    if not territory.subject_to_vat or rate <= 0:
        return None
    commission = commission_credits(confirmation)
    vat = vat_included(sum(amount for _, amount in commission), rate)
    entries = vat_set_aside_entries(commission=commission, vat_cents=vat)
    if not entries:
        return None
    return ledger_post(
        site=order.site,
        kind=TransactionKind.VAT,
        idempotency_key=vat_key(booking),
        entries=entries,
        currency=order.currency,
        memo=f"{order.reference} {booking.reference} TVA {rate.normalize():f} %",
        occurred_at=occurred_at,
        order_ref=order.reference,
        booking_ref=booking.reference,
    )


def vat_refund_post(*, booking: Booking, idempotency_key: str, by=None, occurred_at=None):
    """After a refund of the booking's confirmation: give back to the commission accounts
    the same fraction of the VAT set aside from them (a ``vat`` transaction, see
    :func:`marketplace.books.ledger.vat_refund_entries`). ``None`` when no VAT was set
    aside or nothing needs to move; idempotent on ``idempotency_key``."""
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    set_aside = LedgerTransaction.objects.filter(idempotency_key=vat_key(booking)).first()
    confirmation = LedgerTransaction.objects.filter(idempotency_key=confirmed_key(booking)).first()
    if set_aside is None or confirmation is None:
        return None
    entries = vat_refund_entries(confirmation=confirmation, set_aside=set_aside)
    if not entries:
        return None
    order = booking.order
    return ledger_post(
        site=order.site,
        kind=TransactionKind.VAT,
        idempotency_key=idempotency_key,
        entries=entries,
        currency=order.currency,
        memo=f"{order.reference} {booking.reference} TVA sur commission remboursée",
        by=by,
        occurred_at=occurred_at,
        order_ref=order.reference,
        booking_ref=booking.reference,
    )


def booking_ledger_post(*, booking: Booking, order: Order, occurred_at=None):
    """The booking's confirmation in the ledger: the visitor's payment, split, then the
    VAT of its commission set aside (:func:`vat_set_aside_post`), in the caller's
    transaction.

    A free booking (a 0 € line) moves no money: nothing is recorded, ``None`` returned.
    Returns the confirmation.
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
    confirmation = ledger_post(
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
    vat_set_aside_post(
        booking=booking, order=order, confirmation=confirmation, occurred_at=occurred_at
    )
    return confirmation


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
