"""The commission the ledger charged and gave back, booking by booking, split by side.

A booking's confirmation credits its whole commission (the provider's commission plus
the visitor's service fee) to the commission accounts: every beneficiary's and the
operator's. A refund (the reversal of that confirmation) takes part of it back. The
ledger keeps the sum, not the sides; the booking froze both sides, so each movement is
split between them by the largest remainder in proportion to the frozen amounts
(``Booking.provider_commission`` : ``Booking.visitor_fee``). The two parts always add
up to what the ledger moved, to the cent:

- the **provider's part** is what the operator invoices the provider (and credits back
  on a credit note), and the "fees withheld" of the DAC7 report;
- the **visitor's part** is the service fee on the visitor's receipt.

Only confirmations and their reversals count: the share of the payment fee charged to
the commission (``fee`` transactions and their reversals), transfers and payouts move
money already earned and are not commission. Everything here is read from the ledger,
never a second source of truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, Sum

from commissions.engine import split_largest_remainder
from marketplace.books.ledger import OPERATOR_ACCOUNT
from marketplace.books.models import LedgerEntry, TransactionKind
from marketplace.models import Booking

SALE = "sale"
REFUND = "refund"


def commission_accounts_q(prefix: str = "") -> Q:
    """The commission accounts: every beneficiary's and the operator's."""
    return Q(**{f"{prefix}account__startswith": "beneficiary:"}) | Q(
        **{f"{prefix}account": OPERATOR_ACCOUNT}
    )


def commission_sides(
    commission_cents: int, *, provider_commission: int, visitor_fee: int
) -> tuple[int, int]:
    """``commission_cents`` split into (provider's part, visitor's part), in proportion to
    the booking's frozen provider commission and service fee (largest remainder; a tie
    goes to the provider's side). Signed like the input."""
    if not commission_cents:
        return 0, 0
    if not (provider_commission or visitor_fee):
        raise ValueError("a booking without commission cannot have moved any")
    provider_part, visitor_part = split_largest_remainder(
        commission_cents, [provider_commission, visitor_fee]
    )
    return provider_part, visitor_part


@dataclass(frozen=True)
class CommissionMovement:
    transaction_id: int
    kind: str  # SALE (a confirmation) or REFUND (its reversal)
    occurred_at: dt.datetime
    booking_ref: str
    provider_id: int
    commission_cents: int  # positive when charged, negative when given back
    provider_part: int  # signed as commission_cents
    visitor_part: int


def commission_movements(
    *,
    site,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    provider_id: int | None = None,
    booking_refs=None,
) -> list[CommissionMovement]:
    """Every commission movement of a territory with ``start <= occurred_at < end``,
    oldest first, each split by side. Two queries, whatever the number of movements."""
    entries = LedgerEntry.objects.filter(
        commission_accounts_q(),
        Q(transaction__kind=TransactionKind.ORDER_CONFIRMED)
        | Q(
            transaction__kind=TransactionKind.REFUND,
            transaction__reverses__kind=TransactionKind.ORDER_CONFIRMED,
        ),
        transaction__site=site,
    )
    if start is not None:
        entries = entries.filter(transaction__occurred_at__gte=start)
    if end is not None:
        entries = entries.filter(transaction__occurred_at__lt=end)
    if booking_refs is not None:
        entries = entries.filter(transaction__booking_ref__in=list(booking_refs))
    rows = list(
        entries.values(
            "transaction_id",
            "transaction__kind",
            "transaction__occurred_at",
            "transaction__booking_ref",
        )
        .annotate(credited=Sum("amount"))
        .order_by("transaction__occurred_at", "transaction_id")
    )
    bookings = Booking.objects.filter(
        reference__in={row["transaction__booking_ref"] for row in rows}
    )
    if provider_id is not None:
        bookings = bookings.filter(provider_id=provider_id)
    weights = {
        ref: (provider, provider_commission, visitor_fee)
        for ref, provider, provider_commission, visitor_fee in bookings.values_list(
            "reference", "provider_id", "provider_commission", "visitor_fee"
        )
    }
    movements = []
    for row in rows:
        booking = weights.get(row["transaction__booking_ref"])
        if booking is None:  # another provider's (filtered out)
            continue
        provider, provider_commission, visitor_fee = booking
        commission = -row["credited"]  # credits are negative
        provider_part, visitor_part = commission_sides(
            commission, provider_commission=provider_commission, visitor_fee=visitor_fee
        )
        movements.append(
            CommissionMovement(
                transaction_id=row["transaction_id"],
                kind=SALE
                if row["transaction__kind"] == TransactionKind.ORDER_CONFIRMED
                else REFUND,
                occurred_at=row["transaction__occurred_at"],
                booking_ref=row["transaction__booking_ref"],
                provider_id=provider,
                commission_cents=commission,
                provider_part=provider_part,
                visitor_part=visitor_part,
            )
        )
    return movements
