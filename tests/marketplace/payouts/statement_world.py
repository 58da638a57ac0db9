"""A statement's world (issue 13 §3), shared by the statements' tests: the bank world
of ``conftest.py`` plus a campsite in Arvière-le-Bourg with a tourist tax, stays paid
before and during a ten-day period, a payout run, a refunded activity and goods sold by
the canoes. A test module's ``money`` fixture returns ``money_replay(world, visitor)``.

Bookings are made and paid through the real checkout (``tests.booking_helpers.book``,
``tests.tax_helpers.taxed_stay_book``), cancelled through the real transitions; payouts
are posted as the payout runs post them (``payout:<run>:<account>`` against
``platform:bank``, the run's reference as external reference).
"""

import datetime as dt

from django.utils import timezone

from marketplace.books.ledger import ledger_post, provider_account
from marketplace.orders.transitions import booking_cancel
from marketplace.tourist_tax.models import TouristTaxRate
from tests import factories
from tests.booking_helpers import activity_in, book, shared_rules
from tests.factories import make_provider, make_user
from tests.snapshots import Replay
from tests.tax_helpers import taxed_stay_book

TAX_ACCOUNT = "tax:tourist:arviere-le-bourg"


def paid_out(site, account, cents, *, run, when, kind="payout"):
    """What a payout run (or a Stripe transfer) posts for one recipient."""
    return ledger_post(
        site=site,
        kind=kind,
        idempotency_key=f"{kind}:{run}:{account}",
        entries=[(account, cents), ("platform:bank", -cents)],
        external_ref=run,
        occurred_at=when,
    )


def build_money(world, visitor):
    """Ten days of a statement (``since``..``today``) with a stay paid before it (the
    opening), a payout, a stay and goods paid in it, and an activity refunded in it."""
    site = world["site"]
    shared_rules(site)
    TouristTaxRate.objects.create(
        site=site,
        commune="Arvière-le-Bourg",
        category="camping_3_5",
        valid_from=dt.date(2020, 1, 1),
        rate=55,
        departmental_percent=10,
    )
    carla = make_user("carla@example.org")
    camping = make_provider(
        site,
        name="Camping du Torrent",
        category=world["canoes"].category,
        member=carla,
        commune="Arvière-le-Bourg",
        email="torrent@example.org",
    )
    pitch = factories.stay(
        camping,
        tax_category="camping_3_5",
        registration_number="05006 000123 7K",
        host_is_professional=False,
        units=5,
        guests_per_unit=6,
        price_per_night=2400,
    )
    today = timezone.localdate()
    since = today - dt.timedelta(days=10)
    first_start = today + dt.timedelta(days=30)
    before = taxed_stay_book(
        visitor,
        pitch,
        start=first_start,
        end=first_start + dt.timedelta(days=2),
        adults=2,
        paid_at=timezone.now() - dt.timedelta(days=20),
    )
    account = provider_account(camping.pk)
    paid_out(site, account, 1000, run="VIR-2026-001", when=timezone.now() - dt.timedelta(days=5))
    paid_out(site, TAX_ACCOUNT, before.tax, run="VIR-2026-001", when=timezone.now())
    second_start = today + dt.timedelta(days=60)
    during = taxed_stay_book(
        visitor,
        pitch,
        start=second_start,
        end=second_start + dt.timedelta(days=1),
        adults=2,
        paid_at=timezone.now() - dt.timedelta(days=2),
    )
    outing = activity_in(camping, ahead=dt.timedelta(days=20), policy="flexible", price=3000)
    cancelled = book(visitor, outing).bookings.get()
    booking_cancel(booking_id=cancelled.pk, by_provider=False, by=visitor, notify=False)
    cancelled.refresh_from_db()
    assert cancelled.refunded
    goods = book(visitor, factories.product(world["canoes"], price_per_item=1500)).bookings.get()
    return {
        **world,
        "camping": camping,
        "carla": carla,
        "account": account,
        "before": before,
        "during": during,
        "cancelled": cancelled,
        "goods": goods,
        "since": since,
        "today": today,
    }


money_replay = Replay(build_money)
