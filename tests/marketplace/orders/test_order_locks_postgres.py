"""A transition that waits too long for a locked row answers "busy, try again" (PostgreSQL).

A second connection (another request, here a thread) holds the row lock; the transition
gives up after ``COMPTOIR_LOCK_TIMEOUT`` with a :class:`BusyError` (a ``BookingError``)
instead of waiting for ever or failing with a database error, nothing is changed, and the
checkout page shows the answer as a message.
"""

import datetime as dt
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import close_old_connections, connection, transaction
from django.urls import reverse

from marketplace.models import Booking, BookingStatus, Cart, Order, OrderStatus, Refund
from marketplace.orders import transitions
from tests.booking_helpers import activity_in, book
from tests.conftest import make_provider, make_user
from tests.marketplace.orders.test_booking_concurrency import territory  # noqa: F401  (a fixture)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="lock_timeout needs PostgreSQL (DATABASE_URL)"
    ),
]


@pytest.fixture
def short_timeout(settings):
    settings.COMPTOIR_LOCK_TIMEOUT = "300ms"


def hold_lock(queryset):
    """Lock the rows of ``queryset`` from another connection until the event is set."""
    locked, release = threading.Event(), threading.Event()

    def run():
        try:
            with transaction.atomic():
                list(queryset.select_for_update())
                locked.set()
                release.wait(timeout=30)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert locked.wait(timeout=10)
    return release, thread


@pytest.fixture
def pending(territory, category, visitor):  # noqa: F811
    club = make_provider(territory, name="Club Nautique", category=category)
    offer = activity_in(club, ahead=dt.timedelta(days=20), policy="flexible")
    return book(visitor, offer, pay=False)


def test_a_locked_order_makes_expiry_answer_busy_within_the_timeout(pending, short_timeout):
    release, thread = hold_lock(Order.objects.filter(pk=pending.pk))
    try:
        started = time.monotonic()
        with pytest.raises(transitions.BusyError) as caught:
            transitions.order_expire(order_id=pending.pk)
        assert time.monotonic() - started < 3
    finally:
        release.set()
        thread.join(timeout=30)
    assert caught.value.message
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING  # nothing changed
    # Once the other request is done, the same transition goes through.
    assert transitions.order_expire(order_id=pending.pk) is True


def test_checkout_shows_busy_as_a_message(client, territory, category, short_timeout):  # noqa: F811
    club = make_provider(territory, name="Club Nautique", category=category)
    offer = activity_in(club, ahead=dt.timedelta(days=20), policy="flexible")
    person = make_user("presse@example.org")
    client.force_login(person)
    slot = offer.slots.get()
    client.post(reverse("cart_add", args=[offer.pk]), {"slot": str(slot.pk), "persons": "1"})
    cart = Cart.objects.get(user=person)
    release, thread = hold_lock(get_user_model().objects.filter(pk=person.pk))
    try:
        response = client.post(reverse("checkout"), {"checkout_key": str(cart.version)})
    finally:
        release.set()
        thread.join(timeout=30)
    assert response.status_code == 302 and response["Location"].endswith(reverse("cart"))
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert transitions.BusyError().message in texts
    assert not Order.objects.filter(user=person).exists()


def test_cancel_shows_busy_as_a_message(client, territory, category, visitor, short_timeout):  # noqa: F811
    """The visitor's cancel view: a booking locked by another request is "busy, try again"
    (the transition's BusyError), and nothing is cancelled or refunded."""
    club = make_provider(territory, name="Club Nautique", category=category)
    offer = activity_in(club, ahead=dt.timedelta(days=20), policy="flexible")
    book(visitor, offer)
    booking = Booking.objects.get()
    client.force_login(visitor)
    release, thread = hold_lock(Booking.objects.filter(pk=booking.pk))
    try:
        response = client.post(reverse("my_booking_cancel", args=[booking.reference]))
    finally:
        release.set()
        thread.join(timeout=30)
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == [transitions.BusyError().message]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and not Refund.objects.exists()
