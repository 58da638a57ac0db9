"""Booking rules and bad input: a clear message, nothing changed, never a 500."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.books.models import LedgerTransaction
from marketplace.models import (
    ActivitySlot,
    Booking,
    BookingStatus,
    Cart,
    CartLine,
    Order,
    OrderStatus,
    ProductStock,
    StayNight,
)
from marketplace.orders.cart import cart_for, cart_lines_priced
from marketplace.orders.transitions import BookingError, checkout, holds_expire, order_pay
from tests import factories
from tests.conftest import make_provider, make_user
from tests.snapshots import Replay

TODAY = dt.date.today


def build_camping(territory, category):
    return make_provider(territory, name="Camping des Pins", category=category)


camping_replay = Replay(build_camping)


@pytest.fixture
def camping(territory, category):
    """``build_camping``, built once and then replayed (tests/snapshots.py)."""
    return camping_replay(territory, category)


def build_pitch(camping):
    return factories.stay(camping, units=3, guests_per_unit=4, min_nights=2, price_per_night=2000)


pitch_replay = Replay(build_pitch)


@pytest.fixture
def pitch(camping):
    """``build_pitch``, built once and then replayed (tests/snapshots.py)."""
    return pitch_replay(camping)


@pytest.fixture
def signed_in(client, visitor):
    client.force_login(visitor)
    return client


def _day(n):
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def _add(client, offer, **params):
    """Add to the cart in English (the French messages have their own test)."""
    return client.post(_url("cart_add", offer.pk, language="en"), params, follow=True)


def _url(name, *args, language="en"):
    with translation.override(language):
        return reverse(name, args=args)


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"start": "-5", "end": "-3"}, "in the past"),
        ({"start": "12", "end": "10"}, "after the arrival"),
        ({"start": "10", "end": "11"}, "at least 2 nights"),
        ({"start": "10", "end": "12", "units": "0"}, "at least one"),
        ({"start": "10", "end": "12", "units": "-2"}, "at least one"),
        ({"start": "10", "end": "12", "units": "99999999999999"}, "only 3"),
        ({"start": "10", "end": "12", "units": "deux"}, "whole number"),
        ({"start": "10", "end": "12", "units": "1", "adults": "5"}, "At most 4 guests"),
        ({"start": "10", "end": "12", "units": "1", "adults": "3", "minors": "2"}, "At most 4"),
        ({"start": "demain", "end": "12"}, "Enter a date"),
        ({}, "Choose dates"),
    ],
)
def test_bad_stay_choices_are_refused_with_a_message(signed_in, pitch, params, message):
    data = {
        key: _day(int(value)) if key in ("start", "end") and value.lstrip("-").isdigit() else value
        for key, value in params.items()
    }
    response = _add(signed_in, pitch, **data)
    assert response.status_code == 200
    assert message.lower() in _messages(response).lower()
    assert not CartLine.objects.exists()


def test_english_visitors_get_english_and_french_ones_french(client, pitch, visitor):
    client.force_login(visitor)
    data = {"start": _day(12), "end": _day(10)}
    french = client.post(_url("cart_add", pitch.pk, language="fr"), data, follow=True)
    assert "Le départ doit être postérieur à l'arrivée." in _messages(french)
    english = client.post(_url("cart_add", pitch.pk), data, follow=True)
    assert "after the arrival" in _messages(english)


def test_unknown_or_unpublished_offer_is_a_404(signed_in, pitch):
    assert signed_in.post(_url("cart_add", 999999), {}).status_code == 404
    pitch.unpublish()
    response = signed_in.post(_url("cart_add", pitch.pk), {"start": _day(10), "end": _day(12)})
    assert response.status_code == 404
    assert not CartLine.objects.exists()


def test_a_full_offer_is_refused_saying_it_is_full_and_when_room_comes_back(signed_in, pitch):
    factories.take_nights(pitch, timezone.localdate() + dt.timedelta(days=10), 2, 3)
    response = _add(signed_in, pitch, start=_day(10), end=_day(13))
    again = (timezone.localdate() + dt.timedelta(days=12)).strftime("%m/%d/%Y")
    said = _messages(response)
    assert "Full on the night of" in said and "only 0" not in said.lower()
    assert f"room again from the night of {again}" in said
    assert not CartLine.objects.exists()


@pytest.mark.parametrize(
    ("language", "free", "said"),
    [
        ("fr", 1, "Plus qu'une unité libre la nuit du"),
        ("fr", 2, "Plus que 2 unités libres la nuit du"),
        ("en", 1, "Only 1 unit left on the night of"),
        ("en", 2, "Only 2 units left on the night of"),
    ],
)
def test_what_is_left_is_said_in_plural_forms(client, visitor, pitch, language, free, said):
    factories.take_nights(pitch, timezone.localdate() + dt.timedelta(days=10), 2, 3 - free)
    client.force_login(visitor)
    response = client.post(
        _url("cart_add", pitch.pk, language=language),
        {"start": _day(10), "end": _day(12), "units": "3"},
        follow=True,
    )
    assert said in _messages(response)
    assert "(s)" not in _messages(response)


@pytest.mark.parametrize(
    ("language", "said"),
    [("fr", "Il n'y a que 3 unités (emplacement)."), ("en", "There are only 3 units")],
)
def test_more_units_than_the_offer_has_is_said_in_plural_forms(
    client, visitor, pitch, language, said
):
    client.force_login(visitor)
    response = client.post(
        _url("cart_add", pitch.pk, language=language),
        {"start": _day(10), "end": _day(12), "units": "4"},
        follow=True,
    )
    assert said in _messages(response)


def test_someone_elses_cart_line_cannot_be_removed(client, signed_in, pitch, territory):
    other = make_user("autre@example.org")
    other_cart = Cart.objects.create(site=territory, user=other)
    line = CartLine.objects.create(
        cart=other_cart,
        offer=pitch,
        start=timezone.localdate() + dt.timedelta(days=10),
        end=timezone.localdate() + dt.timedelta(days=12),
        quantity=1,
    )
    response = signed_in.post(_url("cart_remove", line.pk), follow=True)
    assert "not in your cart" in _messages(response)
    assert CartLine.objects.filter(pk=line.pk).exists()


def test_someone_elses_order_is_a_404(client, signed_in, pitch, visitor):
    _add(signed_in, pitch, start=_day(10), end=_day(12))
    signed_in.post(_url("checkout"), {"checkout_key": str(Cart.objects.get().version)})
    order = Order.objects.get()
    intruder = make_user("intrus@example.org")
    client.force_login(intruder)
    assert client.get(_url("order_detail", order.reference)).status_code == 404
    response = client.post(_url("dev_pay", order.reference), {"action": "pay"})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_forged_or_stale_checkout_keys_change_nothing(signed_in, pitch):
    _add(signed_in, pitch, start=_day(10), end=_day(12))
    stale = str(Cart.objects.get().version)
    _add(signed_in, pitch, start=_day(20), end=_day(22))
    for key in ("", "not-a-uuid", stale):
        response = signed_in.post(_url("checkout"), {"checkout_key": key}, follow=True)
        assert response.status_code == 200
        assert _messages(response)
    assert not Order.objects.exists()
    assert not StayNight.objects.filter(units_taken__gt=0).exists()


def test_a_line_that_no_longer_fits_holds_nothing(signed_in, pitch, camping, visitor):
    honey = factories.product(camping, stock=5)
    _add(signed_in, honey, quantity="2")
    _add(signed_in, pitch, start=_day(10), end=_day(12), units="2")
    cart = cart_for(request=type("R", (), {"user": visitor})(), site=pitch.get_site())
    priced = cart_lines_priced(cart=cart)
    # Someone else takes the stay's units after the cart was checked.
    factories.take_nights(pitch, timezone.localdate() + dt.timedelta(days=11), 1, 2)
    with pytest.raises(BookingError) as error:
        checkout(cart=cart, user=visitor, checkout_key=cart.version, priced_lines=priced)
    assert "only 1 unit left on the night of" in error.value.message
    assert not Order.objects.exists()
    assert not ProductStock.objects.filter(taken__gt=0).exists()
    first_night = timezone.localdate() + dt.timedelta(days=10)
    assert not StayNight.objects.filter(date=first_night, units_taken__gt=0).exists()


def test_hold_expiry_releases_and_a_late_payment_is_confirmed_if_still_free(signed_in, pitch):
    _add(signed_in, pitch, start=_day(10), end=_day(12), units="2")
    signed_in.post(_url("checkout"), {"checkout_key": str(Cart.objects.get().version)})
    order = Order.objects.get()
    assert holds_expire(now=timezone.now()) == 0
    later = order.hold_expires_at + dt.timedelta(seconds=1)
    assert holds_expire(now=later) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert not StayNight.objects.filter(units_taken__gt=0).exists()
    assert order_pay(order_id=order.pk, payment_ref="late") == "confirmed"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert set(StayNight.objects.values_list("units_taken", flat=True)) == {2}
    assert LedgerTransaction.objects.filter(order_ref=order.reference).count() == 1


def test_a_late_payment_for_taken_capacity_is_refunded(signed_in, pitch):
    _add(signed_in, pitch, start=_day(10), end=_day(12), units="2")
    signed_in.post(_url("checkout"), {"checkout_key": str(Cart.objects.get().version)})
    order = Order.objects.get()
    holds_expire(now=order.hold_expires_at + dt.timedelta(seconds=1))
    factories.take_nights(pitch, timezone.localdate() + dt.timedelta(days=10), 2, 2)
    assert order_pay(order_id=order.pk, payment_ref="late") == "late_refused"
    order.refresh_from_db()
    booking = Booking.objects.get()
    assert order.status == OrderStatus.REFUNDED
    assert booking.status == BookingStatus.EXPIRED and booking.refunded == booking.visitor_total
    assert not LedgerTransaction.objects.exists()
    # The same payment notice again changes nothing.
    assert order_pay(order_id=order.pk, payment_ref="late") == "already"
    assert booking.refunds.count() == 1


def test_activity_places_and_product_stock_are_held(signed_in, camping):
    canoe = factories.activity(camping, slots=[(factories.in_days(5), 4, 1)])
    slot = ActivitySlot.objects.get()
    honey = factories.product(camping, stock=3)
    response = _add(signed_in, canoe, slot=str(slot.pk), persons="4")
    assert "only 3 places" in _messages(response).lower()
    _add(signed_in, canoe, slot=str(slot.pk), persons="3")
    _add(signed_in, honey, quantity="3")
    signed_in.post(_url("checkout"), {"checkout_key": str(Cart.objects.get().version)})
    slot.refresh_from_db()
    assert slot.places_taken == 4
    assert ProductStock.objects.get(offer=honey).taken == 3
    response = _add(signed_in, honey, quantity="1")
    assert "out of stock" in _messages(response).lower()


@pytest.mark.parametrize(
    ("taken", "said"),
    [
        (5, "Miel de châtaignier is out of stock."),
        (4, "Miel de châtaignier: only 1 left in stock."),
    ],
)
def test_goods_gone_since_the_cart_was_checked_are_said_so(
    signed_in, camping, visitor, taken, said
):
    honey = factories.product(camping, stock=5)
    _add(signed_in, honey, quantity="2")
    cart = cart_for(request=type("R", (), {"user": visitor})(), site=honey.get_site())
    priced = cart_lines_priced(cart=cart)
    ProductStock.objects.update_or_create(offer_id=honey.pk, defaults={"taken": taken})
    with pytest.raises(BookingError) as error:
        checkout(cart=cart, user=visitor, checkout_key=cart.version, priced_lines=priced)
    assert error.value.message == said
    assert not Order.objects.exists()
