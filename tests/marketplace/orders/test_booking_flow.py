"""The booking journey through real URLs: cart → checkout → test payment → ledger → cancel."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from marketplace.books.selectors import account_balance
from marketplace.models import Booking, BookingStatus, Cart, Order, OrderStatus, StayNight
from tests import factories
from tests.conftest import make_provider, make_user


@pytest.fixture
def camping(territory, category):
    return make_provider(territory, name="Camping des Pins", category=category)


@pytest.fixture
def pitch(camping):
    return factories.stay(camping, units=3, price_per_night=2000)


def _stay_params(days_ahead=10, nights=2, units=1):
    start = timezone.localdate() + dt.timedelta(days=days_ahead)
    return {
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=nights)).isoformat(),
        "units": str(units),
    }


def _checkout(client):
    cart = Cart.objects.get()
    return client.post(reverse("checkout"), {"checkout_key": str(cart.version)})


def test_anonymous_cart_follows_login_and_books(
    client, pitch, visitor, django_capture_on_commit_callbacks
):
    response = client.post(reverse("cart_add", args=[pitch.pk]), _stay_params())
    assert response.status_code == 302
    assert Cart.objects.get().user is None
    response = client.post(
        reverse("account_login"), {"login": visitor.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    cart = Cart.objects.get()
    assert cart.user == visitor and cart.lines.count() == 1

    page = client.get(reverse("cart"))
    assert page.status_code == 200
    assert "Emplacement tente" in page.content.decode()

    response = _checkout(client)
    order = Order.objects.get()
    assert response.status_code == 302 and order.reference in response["Location"]
    assert order.status == OrderStatus.PENDING and order.total == 4000
    assert StayNight.objects.filter(offer=pitch, units_taken=1).count() == 2
    # The same checkout again: still one order.
    client.post(reverse("checkout"), {"checkout_key": str(order.checkout_key)})
    assert Order.objects.count() == 1

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dev_pay", args=[order.reference]), {"action": "pay"})
    order.refresh_from_db()
    booking = Booking.objects.get()
    assert order.status == OrderStatus.PAID and booking.status == BookingStatus.CONFIRMED
    assert account_balance(account=f"provider:{booking.provider_id}") == -booking.provider_net
    assert len(mail.outbox) >= 2


def test_checkout_needs_a_verified_email(client, pitch, territory):
    person = make_user("nonverifie@example.org", verified=False)
    client.force_login(person)
    client.post(reverse("cart_add", args=[pitch.pk]), _stay_params())
    response = _checkout(client)
    assert response.status_code == 302 and Order.objects.count() == 0


def test_abandon_releases_and_restores_the_cart(client, pitch, visitor):
    client.force_login(visitor)
    client.post(reverse("cart_add", args=[pitch.pk]), _stay_params(units=3))
    _checkout(client)
    order = Order.objects.get()
    client.post(reverse("dev_pay", args=[order.reference]), {"action": "abandon"})
    order.refresh_from_db()
    assert order.status == OrderStatus.ABANDONED
    assert not StayNight.objects.filter(units_taken__gt=0).exists()
    assert Cart.objects.get(user=visitor).lines.count() == 1


def test_a_tourist_tax_is_in_the_ledger_with_what_the_visitor_paid(
    client, pitch, visitor, territory
):
    """Tax is never commissioned, but the ledger holds it, so refunds match what was paid."""
    from marketplace.orders.transitions import booking_cancel, order_pay

    client.force_login(visitor)
    client.post(reverse("cart_add", args=[pitch.pk]), _stay_params(days_ahead=30))
    _checkout(client)
    booking = Booking.objects.get()
    Booking.objects.filter(pk=booking.pk).update(tax=330)
    order_pay(order_id=booking.order_id, payment_ref="test")
    booking.refresh_from_db()
    assert account_balance(account="tax:tourist:saint-martin") == -330
    assert account_balance(account="visitor") == booking.visitor_total
    refund = booking_cancel(booking_id=booking.pk, by_provider=True, reason="Fermeture")
    assert refund.amount == booking.visitor_total
    assert account_balance(account="tax:tourist:saint-martin") == 0


def test_beneficiary_shares_do_not_depend_on_the_stored_key_order():
    """A booking's allocations come back from a JSON column (jsonb reorders keys)."""
    from marketplace.commission import beneficiary_shares

    names = {"fonds": "Fonds local", "ot": "Office de tourisme", "frais": "Frais"}
    for allocations in (
        {"ot": 186, "fonds": 280, "frais": 186},
        {"fonds": 280, "frais": 186, "ot": 186},
    ):
        assert beneficiary_shares(allocations=allocations, site_id=None, names=names) == (
            ("Fonds local", 280),
            ("Frais", 186),
            ("Office de tourisme", 186),
        )


def test_a_payment_after_abandoning_takes_the_lines_back_out_of_the_cart(client, pitch, visitor):
    """Otherwise the visitor would be offered to book the same nights a second time."""
    from marketplace.orders.transitions import order_pay

    client.force_login(visitor)
    client.post(reverse("cart_add", args=[pitch.pk]), _stay_params())
    _checkout(client)
    order = Order.objects.get()
    client.post(reverse("dev_pay", args=[order.reference]), {"action": "abandon"})
    assert Cart.objects.get(user=visitor).lines.count() == 1
    assert order_pay(order_id=order.pk, payment_ref="late") == "confirmed"
    assert Cart.objects.get(user=visitor).lines.count() == 0
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
