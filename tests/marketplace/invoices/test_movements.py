"""The commission movements read from the ledger, split by side (marketplace/invoices/movements.py).

Honey at 10 € (provider 5 %, visitor 2 %): two jars put 140 cents of commission in the
ledger, 100 the provider's and 40 the visitor's.
"""

import datetime as dt

import pytest
from django.db.models import Sum

from marketplace.books.ledger import ledger_post
from marketplace.books.models import LedgerEntry
from marketplace.invoices.movements import (
    REFUND,
    SALE,
    commission_accounts_q,
    commission_movements,
    commission_sides,
)
from tests.marketplace.invoices.conftest import paris, refund, sell


def test_commission_sides_split_by_largest_remainder():
    assert commission_sides(140, provider_commission=100, visitor_fee=40) == (100, 40)
    assert commission_sides(-105, provider_commission=150, visitor_fee=60) == (-75, -30)
    assert commission_sides(1, provider_commission=1, visitor_fee=1) == (1, 0)  # tie: provider
    assert commission_sides(-1, provider_commission=1, visitor_fee=1) == (-1, 0)
    assert commission_sides(0, provider_commission=0, visitor_fee=0) == (0, 0)
    assert commission_sides(12, provider_commission=0, visitor_fee=12) == (0, 12)
    with pytest.raises(ValueError, match="without commission"):
        commission_sides(5, provider_commission=0, visitor_fee=0)


def test_a_sale_and_its_refund_split_by_side(world):
    honey = sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    back = refund(honey, fraction=(1, 2), at=paris(2026, 10, 12))

    movements = commission_movements(site=world["site"])

    assert [(m.kind, m.commission_cents, m.provider_part, m.visitor_part) for m in movements] == [
        (SALE, 140, 100, 40),
        (REFUND, -70, -50, -20),
    ]
    assert movements[1].transaction_id == back.pk
    assert {(m.booking_ref, m.provider_id) for m in movements} == {
        (honey.reference, world["canoes"].pk)
    }


def test_filters_by_instant_provider_and_booking(world):
    honey = sell(world, world["honey"], quantity=2, at=paris(2026, 10, 31, 23, 59))
    cheese = sell(world, world["cheese"], quantity=1, at=paris(2026, 11, 1, 0, 0))
    site = world["site"]
    november = paris(2026, 11, 1, 0, 0)

    assert [m.booking_ref for m in commission_movements(site=site, end=november)] == [
        honey.reference
    ]
    assert [m.booking_ref for m in commission_movements(site=site, start=november)] == [
        cheese.reference
    ]
    assert [
        m.booking_ref for m in commission_movements(site=site, provider_id=world["ferme"].pk)
    ] == [cheese.reference]
    assert [
        m.booking_ref for m in commission_movements(site=site, booking_refs=[honey.reference])
    ] == [honey.reference]


def test_fees_and_other_transactions_are_not_commission(world):
    honey = sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    # The payment fee charged to the commission: on the commission accounts, not commission.
    ledger_post(
        site=world["site"],
        kind="fee",
        idempotency_key="fee:test",
        entries=[("beneficiary:fonds", 6), ("platform:psp_fees", -6)],
        booking_ref=honey.reference,
    )

    assert [m.commission_cents for m in commission_movements(site=world["site"])] == [140]


def test_a_free_side_still_splits_and_the_sides_add_up_to_the_ledger(world):
    jam = sell(world, world["jam"], quantity=2, at=paris(2026, 10, 5))
    honey = sell(world, world["honey"], quantity=3, at=paris(2026, 10, 6))
    refund(honey, fraction=(1, 3), at=paris(2026, 10, 7))
    refund(jam, at=paris(2026, 10, 8))

    movements = commission_movements(site=world["site"])

    assert [(m.provider_part, m.visitor_part) for m in movements] == [
        (0, 24),
        (150, 60),
        (-50, -20),
        (0, -24),
    ]
    ledger = LedgerEntry.objects.filter(
        commission_accounts_q(), transaction__kind__in=("order_confirmed", "refund")
    ).aggregate(total=Sum("amount"))["total"]
    assert sum(m.provider_part + m.visitor_part for m in movements) == -ledger == 140
    assert all(isinstance(m.occurred_at, dt.datetime) for m in movements)
