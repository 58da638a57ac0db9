"""Each euro is paid once, whatever happens (issue 13 §4), a property test (hypothesis).

Random sequences, in the payout runs' world (runs_helpers: Canoës Alice and the local fund
paid by bank with approved details, the campsite and the tourism office without details,
Ferme Bob paid by Stripe, the commune's collector with details): honey sold by Canoës
Alice (payable the day it is paid), stays at the campsite with the commune's tourist tax
(payable on their first night, which comes at random), cancellations by visitors and
providers, payout runs, runs cancelled and runs sent. After every step, for every
recipient:

- **paid + payable + due = credited**, to the cent: paid is read from the runs' lines (not
  the ledger), payable and due from :mod:`marketplace.payouts.payable`, credited from the
  bookings' transactions in the ledger (confirmations and refunds);
- a negative payable (a debt: a refund after a payout) is carried, never paid out, and a
  run lists it as owed;
- right after a run, whoever it paid has nothing payable left: a second run pays nothing
  twice;
- no line is zero or negative; Stripe's provider and recipients without bank details are
  never paid by a run.

Every example runs in a savepoint rolled back.
"""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.books.models import LedgerEntry
from marketplace.models import Booking, BookingStatus, TerritorySettings
from marketplace.orders.transitions import booking_cancel
from marketplace.payouts.models import PayoutLine, PayoutRun, PayoutRunStatus
from marketplace.payouts.payable import payable_balance
from marketplace.payouts.runs import (
    PayoutRunRefused,
    payout_run_cancel,
    payout_run_mark_sent,
    payout_run_prepare,
)
from tests.booking_helpers import book
from tests.marketplace.payouts.runs_helpers import days_pass, runs_world_replay
from tests.tax_helpers import taxed_stay_book


@pytest.fixture
def runs(territory, category):
    world = runs_world_replay(territory, category)
    limits = TerritorySettings.for_site(territory)
    limits.max_unpaid_orders, limits.max_held_per_offer, limits.max_held_nights = 100, 1000, 365
    limits.save()
    return world


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def credited(site, account) -> int:
    """What the bookings' transactions (confirmations, refunds) put on ``account``."""
    total = (
        LedgerEntry.objects.filter(transaction__site=site, account=account)
        .exclude(transaction__booking_ref="")
        .aggregate(total=Sum("amount"))["total"]
    )
    return -(total or 0)


def refunded(site, account) -> int:
    """What refunds took back from ``account`` (positive)."""
    total = LedgerEntry.objects.filter(
        transaction__site=site, account=account, transaction__kind="refund"
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0


def paid(account) -> int:
    total = (
        PayoutLine.objects.filter(account=account)
        .exclude(run__status=PayoutRunStatus.CANCELLED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or 0


class Story:
    def __init__(self, world):
        self.world = world
        self.site = world["site"]
        self.today = timezone.localdate()
        self.accounts = {
            "canoes": f"provider:{world['canoes'].pk}",
            "ferme": f"provider:{world['ferme'].pk}",
            "camping": f"provider:{world['camping'].pk}",
            "fonds": "beneficiary:fonds",
            "ot": "beneficiary:ot",
            "collector": world["collector"].account,
        }
        self.stays = 0

    def honey(self, quantity: int):
        book(self.world["visitor"], self.world["honey_offer"], quantity=quantity)

    def stay(self, nights: int):
        self.stays += 1
        start = self.today + dt.timedelta(days=30 + 3 * self.stays)
        taxed_stay_book(
            self.world["visitor"],
            self.world["stay"].offer.specific,
            start=start,
            end=start + dt.timedelta(days=nights),
            adults=2,
            paid_at=timezone.now(),
        )

    def day_comes(self, index: int):
        waiting = list(
            Booking.objects.filter(payable_on__gt=self.today, status=BookingStatus.CONFIRMED)
        )
        if waiting:
            days_pass(waiting[index % len(waiting)])

    def cancel(self, index: int, by_provider: bool):
        standing = list(Booking.objects.filter(status=BookingStatus.CONFIRMED).order_by("pk"))
        if standing:
            booking = standing[index % len(standing)]
            booking_cancel(
                booking_id=booking.pk, by_provider=by_provider, reason="Test", notify=False
            )

    def run(self):
        try:
            run = payout_run_prepare(site=self.site, until=self.today, by=self.world["finance"])
        except PayoutRunRefused as refused:
            assert refused.code == "nothing_to_pay"
            return
        for line in run.lines.all():
            assert line.amount > 0
            left = payable_balance(site=self.site, account=line.account, on=self.today)
            assert left.payable == 0, (line.account, left)
        for skip in run.skips.all():
            if skip.reason == "owes":
                owes = payable_balance(site=self.site, account=skip.account, on=self.today)
                assert skip.amount == -owes.payable > 0

    def _run(self, index: int, status: str):
        runs = list(PayoutRun.objects.filter(status=status).order_by("pk"))
        return runs[index % len(runs)] if runs else None

    def cancel_run(self, index: int):
        run = self._run(index, PayoutRunStatus.PREPARED)
        if run is not None:
            payout_run_cancel(run=run, by=self.world["finance"])

    def send(self, index: int):
        run = self._run(index, PayoutRunStatus.PREPARED)
        if run is not None:
            payout_run_mark_sent(run=run, by=self.world["finance2"])

    def step(self, operation):
        name, *args = operation
        getattr(self, name)(*args)

    def check(self):
        for name, account in self.accounts.items():
            balance = payable_balance(site=self.site, account=account, on=self.today)
            assert paid(account) + balance.payable + balance.due == credited(self.site, account), (
                name,
                paid(account),
                balance,
            )
            assert balance.due >= 0, (name, balance)
            # A debt only comes from a refund: a run never pays what is not payable yet.
            assert balance.payable >= -refunded(self.site, account), (name, balance)
        for name in ("ferme", "camping", "ot"):
            assert paid(self.accounts[name]) == 0, name
        assert not PayoutLine.objects.filter(amount__lte=0).exists()


operations = st.lists(
    st.one_of(
        st.tuples(st.just("honey"), st.integers(1, 3)),
        st.tuples(st.just("stay"), st.integers(1, 3)),
        st.tuples(st.just("day_comes"), st.integers(0, 5)),
        st.tuples(st.just("cancel"), st.integers(0, 9), st.booleans()),
        st.tuples(st.just("run")),
        st.tuples(st.just("cancel_run"), st.integers(0, 3)),
        st.tuples(st.just("send"), st.integers(0, 3)),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=operations)
def test_every_euro_is_paid_once_through_any_sequence(runs, sequence):
    with rolled_back():
        story = Story(runs)
        story.check()
        for operation in sequence:
            story.step(operation)
            story.check()


def test_a_refund_after_a_payout_is_a_debt_carried_then_netted(runs):
    """The sequence hypothesis must be able to find, spelled out: paid, refunded, owed,
    then netted from the next sale."""
    with rolled_back():
        story = Story(runs)
        canoes = story.accounts["canoes"]
        story.honey(2)
        story.run()
        assert paid(canoes) > 0
        story.cancel(0, by_provider=True)  # the honey paid by the run, refunded in full
        story.check()
        owes = payable_balance(site=story.site, account=canoes, on=story.today)
        assert owes.payable < 0
        story.honey(3)
        story.run()
        story.check()
        after = payable_balance(site=story.site, account=canoes, on=story.today)
        assert after.payable == 0
