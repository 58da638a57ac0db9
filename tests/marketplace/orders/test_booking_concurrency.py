"""Many checkouts for the last units at once, on PostgreSQL with real threads.

Each thread is a different visitor whose cart holds one line on the same stay (or slot,
or product); a barrier lets them all check out at the same moment. With the row locks
(:data:`marketplace.orders.locks.LOCK_ROWS`), exactly as many orders as there are free units
are held and the others are refused with a :class:`BookingError`; the counters never go
above the capacity nor below zero. Without them the same run overbooks: the threads all
read the same free units, then each writes back its own count (lost updates).
"""

import contextlib
import datetime as dt
import fcntl
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from marketplace.models import (
    ActivitySlot,
    Booking,
    BookingStatus,
    Cart,
    Order,
    ProductStock,
    StayNight,
)
from marketplace.orders import capacity, locks, transitions
from marketplace.orders.cart import cart_line_add, cart_lines_priced
from marketplace.orders.transitions import BookingError
from tests import factories
from tests.conftest import make_provider, make_user

pytestmark = [
    pytest.mark.postgres,
    # The threads must see committed rows; the serialized database is restored after each
    # test, so that later transactional tests (live server) find the migrated data.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]

VISITORS = 50
FREE = 5
NIGHTS = 3


@pytest.fixture
def territory(transactional_db):
    """The territory, after putting back what the flush between tests removed.

    Transactional tests empty every table, Wagtail's root page, collection and locale
    included.
    """
    from wagtail.models import Collection, Locale, Page

    from cms.services import territory_setup

    Locale.objects.get_or_create(language_code="fr")
    if Page.get_first_root_node() is None:
        Page.add_root(title="Root", slug="root")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    return territory_setup(hostname="localhost", port=80, site_name="Comptoir test")


@pytest.fixture
def camping(territory, category):
    return make_provider(territory, name="Camping du Lac", category=category)


@pytest.fixture
def visitors(db):
    # No password: hashing fifty of them would take longer than the race.
    return [make_user(f"visiteur{i}@example.org", password=None) for i in range(VISITORS)]


@pytest.fixture
def slow_write(monkeypatch):
    """Every checkout pauses between reading the capacity rows and writing them back.

    With the locks, the pause only lengthens the queue; without them, every thread
    reads before any writes, so the race shows on every run, not only on lucky ones.
    """
    monkeypatch.setattr(capacity, "_between_read_and_write", lambda: time.sleep(0.3))


def carts_with(site, people, offer, params) -> list[tuple]:
    """One cart per visitor with one line on ``offer``, priced now (before the race)."""
    prepared = []
    for person in people:
        cart = Cart.objects.create(site=site, user=person)
        cart_line_add(cart=cart, offer=offer, params=params)
        cart.refresh_from_db()
        priced = cart_lines_priced(cart=cart)
        assert all(item.ok for item in priced), [item.error for item in priced]
        prepared.append((cart, person, priced))
    return prepared


# One file for every test run on this machine: max_connections is the server's, so two
# bursts at once (the two xdist workers, or two runs) must take turns.
MANY_CONNECTIONS_LOCK = Path(tempfile.gettempdir()) / "comptoir-tests-many-connections.lock"


@contextlib.contextmanager
def room_for_connections(needed: int, timeout: float = 120):
    """Hold the machine-wide turn for a burst of ``needed`` connections, once PostgreSQL
    can take them.

    Each thread below opens its own connection. The server counts a closed connection
    until its backend has exited, and the other xdist worker may be serving a live
    server's requests: starting 50 threads at once could meet "too many clients" for
    reasons that have nothing to do with the code under test. (These modules are not an
    xdist group: pytest-xdist schedules groups before single tests, and transactional
    tests must run after the others on their worker.)"""
    deadline = time.monotonic() + timeout
    with MANY_CONNECTIONS_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW max_connections")
                limit = int(cursor.fetchone()[0]) - 5  # a margin for other clients
                while True:
                    cursor.execute(
                        "SELECT COUNT(*) FROM pg_stat_activity"
                        " WHERE backend_type = 'client backend'"
                    )
                    in_use = cursor.fetchone()[0]
                    if in_use + needed <= limit:
                        break
                    assert time.monotonic() < deadline, f"{in_use} connections still open"
                    time.sleep(0.2)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def checkouts_at_once(prepared) -> list:
    """Every visitor checks out at the same moment; returns an Order or the exception."""
    with room_for_connections(len(prepared)):
        return _all_at_once(prepared)


def _all_at_once(prepared) -> list:
    barrier = threading.Barrier(len(prepared))
    results: list = [None] * len(prepared)

    def checkout(index: int, cart, person, priced):
        try:
            barrier.wait(timeout=30)
            results[index] = transitions.checkout(
                cart=cart, user=person, checkout_key=cart.version, priced_lines=priced
            )
        except Exception as exc:  # the test inspects what each thread got
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=checkout, args=(i, *item)) for i, item in enumerate(prepared)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a checkout never finished"
    return results


def outcome(results) -> tuple[int, int, list]:
    held = sum(isinstance(r, Order) for r in results)
    refused = sum(isinstance(r, BookingError) for r in results)
    other = [r for r in results if not isinstance(r, Order | BookingError)]
    return held, refused, other


# --- Stays: the last 5 units of the same nights ------------------------------------------


@pytest.fixture
def last_units(territory, camping, visitors):
    """A stay of 8 units with 3 taken on each night: 5 left, 50 visitors want one each."""
    offer = factories.stay(camping, units=FREE + 3, price_per_night=2500)
    start = timezone.localdate() + dt.timedelta(days=20)
    factories.take_nights(offer, start, NIGHTS, 3)
    params = {
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=NIGHTS)).isoformat(),
        "units": "1",
    }
    return offer, carts_with(territory, visitors, offer, params)


def test_fifty_checkouts_for_the_last_five_units_hold_exactly_five(last_units, slow_write):
    offer, prepared = last_units
    held, refused, other = outcome(checkouts_at_once(prepared))
    assert other == []
    assert (held, refused) == (FREE, VISITORS - FREE)
    nights = list(StayNight.objects.filter(offer=offer).values_list("units_taken", flat=True))
    assert nights == [offer.units] * NIGHTS  # full, never more, never negative
    assert Booking.objects.filter(offer=offer, status=BookingStatus.HELD).count() == FREE
    # The refused visitors keep their carts, untouched.
    assert Cart.objects.filter(lines__offer=offer).count() == VISITORS - FREE


def test_without_the_row_locks_the_same_checkouts_overbook(last_units, slow_write, monkeypatch):
    monkeypatch.setattr(locks, "LOCK_ROWS", False)
    offer, prepared = last_units
    held, _refused, other = outcome(checkouts_at_once(prepared))
    assert other == []
    held_units = Booking.objects.filter(offer=offer, status=BookingStatus.HELD).count()
    assert held == held_units > FREE  # more bookings than free units: the race is real
    # Each writer overwrote the others' count: the nights record far fewer than were sold.
    taken = set(StayNight.objects.filter(offer=offer).values_list("units_taken", flat=True))
    assert max(taken) < 3 + held_units


# --- Activity places and product stock: the same race, smaller ------------------------------


@pytest.fixture
def last_places(territory, camping, visitors):
    """A slot of 8 places with 5 taken: 3 left for 20 visitors."""
    offer = factories.activity(camping, slots=[(factories.in_days(15), 8, 5)])
    slot = ActivitySlot.objects.get(offer=offer)
    params = {"slot": str(slot.pk), "persons": "1"}
    return slot, carts_with(territory, visitors[:20], offer, params)


@pytest.fixture
def last_items(territory, camping, visitors):
    """A product with 4 items in stock for 20 visitors."""
    offer = factories.product(camping, stock=4)
    # The row exists already, as after a first sale: inserting it would queue the threads.
    ProductStock.objects.create(offer=offer, taken=0)
    return offer, carts_with(territory, visitors[:20], offer, {"quantity": "1"})


@pytest.mark.parametrize("locked", [True, False], ids=["locked", "unlocked"])
def test_slot_places_under_load(last_places, slow_write, monkeypatch, locked):
    monkeypatch.setattr(locks, "LOCK_ROWS", locked)
    slot, prepared = last_places
    held, refused, other = outcome(checkouts_at_once(prepared))
    assert other == []
    slot.refresh_from_db()
    if locked:
        assert (held, refused) == (3, 17)
        assert slot.places_taken == slot.places
    else:
        assert held > 3  # overbooked, and the counter does not even know
        assert slot.places_taken < 5 + held


@pytest.mark.parametrize("locked", [True, False], ids=["locked", "unlocked"])
def test_product_stock_under_load(last_items, slow_write, monkeypatch, locked):
    monkeypatch.setattr(locks, "LOCK_ROWS", locked)
    offer, prepared = last_items
    held, refused, other = outcome(checkouts_at_once(prepared))
    assert other == []
    taken = ProductStock.objects.get(offer=offer).taken
    if locked:
        assert (held, refused) == (4, 16)
        assert taken == 4
    else:
        assert held > 4
        assert taken < held
