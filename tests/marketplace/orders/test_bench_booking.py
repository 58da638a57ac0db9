"""The booking benchmark's pieces, fast and in-process: the write floor, the visitor's
HTTP conversation (through Django's test client instead of a socket), the offers it
picks, the overbooking audit, and the skip when PostgreSQL is out of reach."""

import datetime as dt
import importlib

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import clear_url_caches
from django.utils import timezone

from marketplace.models import ActivitySlot, Cart, CartLine, Order, OrderStatus, StayNight
from tests import factories
from tests.bench import booking as bench
from tests.conftest import make_provider


@pytest.fixture
def routed_for_benchmark():
    import config.urls

    with override_settings(BENCHMARK=True):
        clear_url_caches()
        importlib.reload(config.urls)
        yield
    clear_url_caches()
    importlib.reload(config.urls)
    clear_url_caches()


def test_write_floor_commits_one_expired_session_row(client, db, routed_for_benchmark):
    before = Session.objects.count()
    response = Client(enforce_csrf_checks=True).post("/__bench__/write/")
    assert response.status_code == 200
    assert Session.objects.count() == before + 1
    row = Session.objects.latest("expire_date")
    assert row.session_key.startswith("bench") and row.expire_date <= timezone.now()


def test_write_floor_is_routed_only_for_the_benchmark(client, db):
    assert client.post("/__bench__/write/").status_code == 404


@pytest.fixture
def little_catalogue(territory, category):
    provider = make_provider(territory, name="Camping du Banc", category=category)
    stay = factories.stay(provider, units=1, price_per_night=3000)
    activity = factories.activity(provider, slots=[(factories.in_days(5), 6, 0)])
    product = factories.product(provider, stock=3)
    return territory, stay, activity, product


def visitors(count):
    paths = bench.Paths.build()
    return [
        bench.Visitor(
            send=bench.django_transport(Client(enforce_csrf_checks=True)),
            paths=paths,
            session_key=key,
            csrf_secret=csrf,
        )
        for key, csrf in bench.visitors_prepare(count=count)
    ]


def stay_choice(stay, days=20):
    start = timezone.localdate() + dt.timedelta(days=days)
    end = start + dt.timedelta(days=2)
    return bench.Choice(stay.pk, {"start": start.isoformat(), "end": end.isoformat(), "units": "1"})


def test_a_visitor_books_and_pays_over_the_real_views(little_catalogue):
    _site, stay, _activity, _product = little_catalogue
    (alice,) = visitors(1)
    attempt = alice.book(stay_choice(stay))
    assert attempt.booked, attempt
    assert set(attempt.steps) == {"add", "cart", "checkout", "pay"} and not attempt.errors
    order = Order.objects.get(reference=attempt.reference)
    assert order.status == OrderStatus.PAID and order.user.email == "banc000@example.org"
    assert list(StayNight.objects.filter(offer=stay).values_list("units_taken", flat=True)) == [
        1,
        1,
    ]


def test_a_refused_line_is_taken_out_of_the_cart(little_catalogue):
    _site, stay, _activity, product = little_catalogue
    alice, bruno = visitors(2)
    choice = stay_choice(stay)
    status, location, _ = alice.request(
        "POST", alice.paths.cart_add.format(offer_id=stay.pk), choice.params
    )
    assert (status, location) == (302, alice.paths.cart)
    assert bruno.book(choice).booked  # Bruno takes the last unit while Alice hesitates
    attempt = alice.book(bench.Choice(product.pk, {"quantity": "1"}))
    # Her cart now holds a stay that is gone: no checkout form; she empties the cart.
    assert attempt.stage == "cart" and not attempt.booked
    assert not CartLine.objects.filter(cart__user__email="banc000@example.org").exists()
    # Adding the full stay again is refused at once, and nothing is left behind.
    assert alice.book(choice).stage == "cart"
    assert not CartLine.objects.exists()


def test_the_offers_picked_can_be_added_to_a_cart(little_catalogue):
    from random import Random

    from marketplace.orders.cart import cart_line_add

    site, stay, activity, product = little_catalogue
    choices = bench.choices_build(site=site, rng=Random(1), today=timezone.localdate(), limit=10)
    assert {c.offer_id for c in choices} == {stay.pk, activity.pk, product.pk}
    slot = ActivitySlot.objects.get(offer=activity)
    assert {"slot": str(slot.pk), "persons": "1"} in [c.params for c in choices]
    cart = Cart.objects.create(site=site)
    for choice in choices:
        offer = next(o for o in (stay, activity, product) if o.pk == choice.offer_id)
        cart_line_add(cart=cart, offer=offer, params=choice.params)
    assert cart.lines.count() == 3
    others = bench.choices_build(
        site=site, rng=Random(1), today=timezone.localdate(), limit=10, exclude=stay.pk
    )
    assert stay.pk not in {c.offer_id for c in others} and len(others) == 2


def test_the_audit_counts_units_sold_beyond_capacity():
    night = ("night", 1, dt.date(2026, 8, 1))
    before = bench.Capacity(size={night: 2}, counter={night: 1})  # one taken by hand
    sold = bench.Capacity(size={night: 2}, counter={night: 2}, claims={night: 2})
    assert bench.audit(before=before, after=sold) == {
        "overbooked": 1,  # 1 by hand + 2 booked on 2 units
        "counters_mismatched": 1,  # and the counter lost one of them
        "worst": [[1, "night", "1", "2026-08-01"]],
    }
    fine = bench.Capacity(size={night: 2}, counter={night: 2}, claims={night: 1})
    assert bench.audit(before=before, after=fine)["overbooked"] == 0


def test_the_audit_reads_bookings_and_counters_from_the_database(little_catalogue):
    _site, stay, _activity, product = little_catalogue
    before = bench.capacity_read()
    (alice,) = visitors(1)
    assert alice.book(stay_choice(stay)).booked
    assert alice.book(bench.Choice(product.pk, {"quantity": "2"})).booked
    assert bench.audit(before=before, after=bench.capacity_read()) == {
        "overbooked": 0,
        "counters_mismatched": 0,
        "worst": [],
    }


def test_without_postgresql_the_benchmark_is_skipped(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nowhere")
    assert bench.main(["--duration", "1"]) == 0
    assert "SKIPPED" in capsys.readouterr().out


def test_queries_are_counted_per_step(little_catalogue):
    _site, stay, _activity, _product = little_catalogue
    (handed,) = bench.visitors_prepare(count=1)
    full = bench.Choice(stay.pk, {"start": "2000-01-01", "end": "2000-01-03", "units": "1"})
    queries = bench.queries_per_step(
        paths=bench.Paths.build(), choices=[full, stay_choice(stay)], handed=handed
    )
    assert list(queries) == ["add", "cart", "checkout", "pay"]
    assert all(isinstance(n, int) and n > 0 for n in queries.values())
