"""Providers are paid after the service (issue 13 §2): each booking's ``payable_on`` and
what the ledger holds as payable or due on a given day."""

import datetime as dt

from django.utils import timezone

from marketplace.books.ledger import CLEARING_ACCOUNT, ledger_post, provider_account
from marketplace.models import Booking, TerritorySettings
from marketplace.orders.transitions import booking_cancel, payable_on_for
from marketplace.payouts.payable import Payable, payable_balance, payable_balances
from tests import factories
from tests.booking_helpers import book, shared_rules
from tests.factories import make_provider


def test_payable_on_is_the_service_start_plus_the_delay_or_the_payment_day_for_goods():
    paid = dt.date(2027, 3, 1)
    assert payable_on_for(start=dt.date(2027, 7, 5), paid_on=paid, delay_days=1) == dt.date(
        2027, 7, 6
    )
    assert payable_on_for(start=dt.date(2027, 7, 5), paid_on=paid, delay_days=0) == dt.date(
        2027, 7, 5
    )
    assert payable_on_for(start=None, paid_on=paid, delay_days=3) == dt.date(2027, 3, 4)


def _world(territory, category, *, delay=1):
    shared_rules(territory)
    settings = TerritorySettings.for_site(territory)
    settings.payout_delay_days = delay
    settings.save()
    provider = make_provider(territory, name="Camping du Lac", category=category)
    return provider


def test_a_paid_booking_is_payable_the_territory_s_delay_after_its_start(
    territory, category, visitor
):
    provider = _world(territory, category, delay=2)
    offer = factories.stay(provider, price_per_night=4000)
    start = timezone.localdate() + dt.timedelta(days=40)
    order = book(
        visitor,
        offer,
        start=start.isoformat(),
        end=(start + dt.timedelta(days=2)).isoformat(),
        guests=2,
    )
    booking = order.bookings.get()
    assert booking.payable_on == start + dt.timedelta(days=2)

    honey = factories.product(provider)
    goods = book(visitor, honey, quantity=1).bookings.get()
    assert goods.payable_on == timezone.localdate() + dt.timedelta(days=2)


def test_an_unpaid_booking_has_no_payable_day(territory, category, visitor):
    provider = _world(territory, category)
    order = book(visitor, factories.product(provider), pay=False, quantity=1)
    assert order.bookings.get().payable_on is None


def test_the_provider_s_net_is_due_until_its_day_then_payable(territory, category, visitor):
    provider = _world(territory, category)
    offer = factories.stay(provider, price_per_night=4000)
    start = timezone.localdate() + dt.timedelta(days=40)
    booking = book(
        visitor,
        offer,
        start=start.isoformat(),
        end=(start + dt.timedelta(days=2)).isoformat(),
        guests=2,
    ).bookings.get()
    account = provider_account(provider.pk)
    net = booking.subtotal - booking.provider_commission
    assert net > 0

    before = payable_balance(
        site=territory, account=account, on=booking.payable_on - dt.timedelta(1)
    )
    assert before == Payable(account, payable=0, due=net, next_due_on=booking.payable_on)
    on_the_day = payable_balance(site=territory, account=account, on=booking.payable_on)
    assert on_the_day == Payable(account, payable=net, due=0, next_due_on=None)
    assert on_the_day.credited == before.credited == net

    # The beneficiaries' shares wait for the same day.
    shares = payable_balances(site=territory, on=timezone.localdate(), prefixes=["beneficiary"])
    assert shares and all(p.payable == 0 and p.due > 0 for p in shares.values())


def test_a_payout_counts_at_once_and_a_refund_before_the_day_leaves_nothing(
    territory, category, visitor
):
    provider = _world(territory, category)
    account = provider_account(provider.pk)
    honey = factories.product(provider, price_per_item=1000)
    paid_now = book(visitor, honey, quantity=2).bookings.get()
    today = timezone.localdate()
    on = paid_now.payable_on
    net = paid_now.subtotal - paid_now.provider_commission
    ledger_post(
        site=territory,
        kind="payout",
        idempotency_key="test:payout:1",
        entries=[(account, 500), (CLEARING_ACCOUNT, -500)],
    )
    assert payable_balance(site=territory, account=account, on=on).payable == net - 500
    # Before the day, the payout made is a debt against what is due.
    early = payable_balance(site=territory, account=account, on=today)
    assert (early.payable, early.due) == (-500, net)

    later = factories.activity(
        provider,
        slots=[(timezone.now() + dt.timedelta(days=30), 8, 0)],
        cancellation_policy="flexible",
    )
    cancelled = book(visitor, later).bookings.get()
    booking_cancel(booking_id=cancelled.pk, by_provider=False, by=visitor, notify=False)
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled_by_visitor" and cancelled.refunded
    balance = payable_balance(site=territory, account=account, on=cancelled.payable_on)
    assert balance.credited == net - 500
    assert Booking.objects.filter(payable_on__isnull=False).count() == 2


def test_the_day_of_a_booking_refunded_in_full_is_not_the_next_due_day(
    territory, category, visitor
):
    provider = _world(territory, category)
    account = provider_account(provider.pk)
    soon = factories.activity(
        provider,
        slots=[(timezone.now() + dt.timedelta(days=30), 8, 0)],
        cancellation_policy="flexible",
    )
    cancelled = book(visitor, soon).bookings.get()
    booking_cancel(booking_id=cancelled.pk, by_provider=False, by=visitor, notify=False)
    later = factories.activity(provider, slots=[(timezone.now() + dt.timedelta(days=50), 8, 0)])
    kept = book(visitor, later).bookings.get()
    assert cancelled.payable_on < kept.payable_on

    balance = payable_balance(site=territory, account=account, on=timezone.localdate())
    assert balance.due == kept.subtotal - kept.provider_commission
    assert balance.next_due_on == kept.payable_on
