"""The preview of a draft commission rule simulates over the territory's real bookings.

Bookings are made through the booking services (checkout, payment, cancellation,
expiry) at dates in the past, with the demo's helper for past cart lines; the
marketplace's line source (``marketplace.simulation.booking_lines``) gives them to
``commissions.simulation``.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from cms.demo.orders import past_line_priced
from cms.services import FINANCE_GROUP
from commissions.models import CommissionRule
from commissions.rules_io import rules_import
from commissions.selectors import live_rule_specs
from commissions.simulation import lines_for, rule_simulate
from marketplace.models import Booking, BookingStatus, Cart
from marketplace.orders.transitions import booking_cancel, checkout, order_expire, order_pay
from marketplace.simulation import booking_lines
from tests import factories
from tests.conftest import make_user
from tests.snapshots import Replay

RULES = {
    "beneficiaries": [
        {"key": "fonds", "name": "Fonds local", "kind": "local_fund", "stripe_account": ""},
        {"key": "ot", "name": "Office de tourisme", "kind": "tourism_office", "stripe_account": ""},
    ],
    "distribution_keys": [
        {"key": "moitie", "name": "Moitié-moitié", "shares": {"fonds": "50.00", "ot": "50.00"}}
    ],
    "rules": [
        {
            "key": "base",
            "name": "Règle de base",
            "explanation": "",
            "scope": {"categories": [], "kinds": [], "providers": [], "communes": [], "labels": []},
            "valid_from": None,
            "valid_until": None,
            "provider": {"rate": "5.00", "fixed": 0, "min": None, "max": None},
            "visitor": {"rate": "2.00", "fixed": 0, "min": None, "max": None},
            "distribution": "moitie",
        }
    ],
}


def build_shop(territory):
    rules_import(site=territory, data=RULES, publish=True)
    camping = factories.provider(territory, name="Camping des Saules")
    bakery = factories.provider(
        territory, name="Boulangerie du Pont", category_obj=factories.category("commerce")
    )
    return {
        "site": territory,
        "visitor": make_user("simulation@example.org"),
        "stay": factories.stay(camping, units=5, price_per_night=3000),
        "bread": factories.product(bakery, price_per_item=500, stock=50),
        "camping": camping,
        "bakery": bakery,
    }


shop_replay = Replay(build_shop)


@pytest.fixture
def shop(territory):
    """``build_shop``, built once and then replayed (tests/snapshots.py)."""
    return shop_replay(territory)


def _order(shop, *, days_ago: int, offer, **choice):
    """An order placed ``days_ago`` days ago through checkout, with one priced line."""
    placed = timezone.now() - dt.timedelta(days=days_ago)
    booked_on = timezone.localdate(placed)
    if offer.kind == "stay":
        choice.setdefault("start", booked_on + dt.timedelta(days=3))
        choice.setdefault("end", choice["start"] + dt.timedelta(days=2))
    line = past_line_priced(offer=offer, booked_on=booked_on, **choice)
    cart = Cart.objects.create(site=shop["site"])
    order = checkout(
        cart=cart,
        user=shop["visitor"],
        checkout_key=cart.version,
        priced_lines=[line],
        now=placed,
    )
    Booking.objects.filter(order=order).update(created_at=placed)
    return order, placed


def _paid(shop, **kwargs):
    order, placed = _order(shop, **kwargs)
    order_pay(order_id=order.pk, now=placed + dt.timedelta(minutes=3), notify=False)
    return order.bookings.get()


def build_bookings(shop):
    """Two sold bookings in the last 90 days, and others that must not count."""
    sold = [
        _paid(shop, days_ago=10, offer=shop["stay"], quantity=2),
        _paid(shop, days_ago=40, offer=shop["bread"], quantity=4),
    ]
    _paid(shop, days_ago=200, offer=shop["bread"], quantity=1)  # too old
    cancelled = _paid(shop, days_ago=5, offer=shop["stay"])
    booking_cancel(
        booking_id=cancelled.pk,
        by_provider=False,
        now=timezone.now() - dt.timedelta(days=4),
        notify=False,
    )
    expired, placed = _order(shop, days_ago=3, offer=shop["bread"], quantity=2)
    order_expire(order_id=expired.pk, now=placed)
    return sold


bookings_replay = Replay(build_bookings)


@pytest.fixture
def bookings(shop):
    """``build_bookings``, built once and then replayed (tests/snapshots.py)."""
    return bookings_replay(shop)


def _raised_draft():
    """The base rule with a higher provider rate, unsaved: what the preview receives."""
    draft = CommissionRule.objects.get(key="base")
    draft.provider_rate = Decimal("8.00")
    return draft


def test_past_lines_are_priced_and_quoted_as_on_the_day(shop):
    booking = _paid(shop, days_ago=20, offer=shop["stay"], quantity=2)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.subtotal == 2 * 2 * 3000
    assert booking.provider_commission == 600 and booking.visitor_fee == 240
    assert booking.allocations == {"fonds": 420, "ot": 420}
    assert timezone.localdate(booking.created_at) == timezone.localdate() - dt.timedelta(days=20)


def test_line_source_yields_sold_bookings_of_the_period(shop, bookings):
    since = timezone.localdate() - dt.timedelta(days=90)
    lines = list(booking_lines(site=shop["site"], since=since, until=timezone.localdate()))
    assert [line.subtotal for line in lines] == [b.subtotal for b in reversed(bookings)]
    assert [line.provider for line in lines] == [shop["bakery"].slug, shop["camping"].slug]
    assert lines[0].booked_on == timezone.localdate() - dt.timedelta(days=40)
    assert lines[1].kind == "stay" and lines[1].categories == ("camping",)
    # Quoted with the live rules, each line gives back the commission frozen on its booking.
    from commissions.engine import quote

    specs = live_rule_specs(site_id=shop["site"].pk, use_cache=False)
    frozen = {b.subtotal: b.commission for b in bookings}
    assert all(quote(line, specs).commission == frozen[line.subtotal] for line in lines)
    # The registered source is the one the simulation reads.
    assert len(lines_for(site=shop["site"], since=since, until=timezone.localdate())) == 2


def test_line_source_runs_a_fixed_number_of_queries(shop, bookings, django_assert_num_queries):
    since = timezone.localdate() - dt.timedelta(days=400)
    with django_assert_num_queries(3):
        few = list(booking_lines(site=shop["site"], since=since, until=timezone.localdate()))
    for days_ago in (12, 13, 14, 15):
        _paid(shop, days_ago=days_ago, offer=shop["bread"], quantity=1)
    with django_assert_num_queries(3):
        more = list(booking_lines(site=shop["site"], since=since, until=timezone.localdate()))
    assert len(more) == len(few) + 4


def test_line_source_keeps_to_its_territory(shop, bookings):
    from wagtail.models import Site

    other = Site.objects.create(
        hostname="autre.localhost", port=80, root_page=shop["site"].root_page
    )
    since = timezone.localdate() - dt.timedelta(days=90)
    assert list(booking_lines(site=other, since=since, until=timezone.localdate())) == []


def test_a_draft_raising_the_rate_shows_the_difference_over_real_bookings(shop, bookings):
    simulation = rule_simulate(draft=_raised_draft(), site=shop["site"])
    assert simulation.bookings == 2
    assert simulation.live_commission == sum(b.commission for b in bookings)
    # 3 points more of the provider side on 120 € + 20 €.
    assert simulation.difference == 360 + 60
    assert simulation.beneficiaries["fonds"].difference == 210
    assert {slug: sides.commission.difference for slug, sides in simulation.providers.items()} == {
        shop["camping"].slug: 360,
        shop["bakery"].slug: 60,
    }


def test_the_preview_page_compares_over_real_bookings(shop, bookings, rf):
    request = rf.get("/")
    request.user = make_user("finances@example.org", groups=(FINANCE_GROUP,))
    with translation.override("fr"):
        html = _raised_draft().serve_preview(request, "").rendered_content
    assert "2 réservations chiffrées" in html
    assert "Aucune réservation" not in html and "no bookings" not in html


def test_no_booking_no_simulation(shop):
    simulation = rule_simulate(draft=_raised_draft(), site=shop["site"])
    assert simulation.bookings == 0 and simulation.difference == 0
