"""Opt-in: the project's own Stripe code against real Stripe, in test mode.

Skipped unless ``STRIPE_TEST_SECRET_KEY`` holds a test-mode key (``sk_test_...``)::

    STRIPE_TEST_SECRET_KEY=sk_test_... .venv/bin/pytest -rs tests/payments/test_stripe_real.py

It creates test-mode objects in that Stripe account (Checkout Sessions, expired at once;
PaymentIntents paid with the ``pm_card_visa`` test card, then refunded; an Express
connected account, deleted afterwards); nothing real is charged. Connect must be set up
on the account (README, "Going live in Stripe test mode"). These tests carry the
``real_stripe`` marker, the only ones the autouse guard of tests/conftest.py lets reach
Stripe; ``make test`` skips them when the key is not set.
"""

import datetime as dt
import os
import time
import uuid

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Booking, BookingStatus, Cart, Order, OrderStatus
from marketplace.orders.transitions import ConfirmOutcome, booking_cancel, order_pay
from payments.models import StripeCallStatus, StripePayment, StripeRefund
from payments.stripe import client as stripe_client
from payments.stripe.checkout import checkout_session_for, payment_sync
from tests.booking_helpers import activity_in, shared_rules
from tests.conftest import make_provider

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")

pytestmark = [
    pytest.mark.real_stripe,
    pytest.mark.skipif(
        not KEY.startswith("sk_test_"),
        reason="real Stripe test mode: set STRIPE_TEST_SECRET_KEY=sk_test_... to run",
    ),
]

# Stripe accepts http://localhost return URLs in test mode, not the test client's host.
HOST = "localhost:8000"
CHECKOUT_PAGES = "https://checkout.stripe.com/"
ONBOARDING_PAGES = "https://connect.stripe.com/"


def _ids_from(model, start: int) -> None:
    """New rows of ``model`` get ids from ``start`` on, so the idempotency keys the code
    derives from them (``order:<id>:checkout_session``...) are new at Stripe on each run:
    a key reused with other parameters within 24 hours is refused."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start]
            )
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, start])


@pytest.fixture
def real_stripe(db, settings, monkeypatch):
    """The project's Stripe client on real Stripe, test mode, with a fresh id range."""
    settings.STRIPE_SECRET_KEY = KEY
    settings.STRIPE_API_BASE = ""
    monkeypatch.setattr(stripe_client, "HTTP_CLIENT", None)
    start = int(time.time())
    for model in (Order, Booking):
        _ids_from(model, start)
    return stripe_client.stripe_client()


@pytest.fixture
def stripe_order(real_stripe, client, territory, category, visitor):
    """A pending order of one activity, checked out through the site with Stripe on."""
    shared_rules(territory)
    canoe = make_provider(territory, name="Canoë Vallon", category=category)
    offer = activity_in(canoe, ahead=dt.timedelta(days=20), policy="flexible", price=3500)
    client.force_login(visitor)
    slot = offer.slots.get()
    client.post(reverse("cart_add", args=[offer.pk]), {"slot": str(slot.pk), "persons": "2"})
    cart = Cart.objects.get(user=visitor)
    client.post(reverse("checkout"), {"checkout_key": str(cart.version)})
    order = Order.objects.get(user=visitor)
    assert order.gateway == "stripe" and order.status == OrderStatus.PENDING
    return order


def test_checkout_session_of_a_real_order(real_stripe, stripe_order, client):
    order = stripe_order
    response = client.get(reverse("stripe_pay", args=[order.reference]), headers={"host": HOST})
    assert response.status_code == 302
    assert response["Location"].startswith(CHECKOUT_PAGES)
    payment = StripePayment.objects.get(order=order)
    assert payment.session_url == response["Location"]
    # A second visit reuses the session (no new call).
    assert checkout_session_for(order=order).session_id == payment.session_id

    session = real_stripe.v1.checkout.sessions.retrieve(payment.session_id)
    total = sum(b.visitor_total for b in order.bookings.all())
    assert (session.amount_total, session.currency) == (total, order.currency.lower())
    assert session.metadata.order_reference == order.reference
    assert session.success_url.startswith(f"http://{HOST}/")
    lines = real_stripe.v1.checkout.sessions.line_items.list(payment.session_id)
    assert [line.amount_total for line in lines.data] == [
        b.visitor_total for b in order.bookings.order_by("pk")
    ]

    # The session expires unpaid: the re-fetch path releases the order's places.
    real_stripe.v1.checkout.sessions.expire(payment.session_id)
    assert payment_sync(session_id=payment.session_id) == "released"
    order.refresh_from_db()
    assert order.status != OrderStatus.PENDING


def test_paid_order_refunded_through_the_stripe_gateway(
    real_stripe, stripe_order, django_capture_on_commit_callbacks
):
    order = stripe_order
    request = RequestFactory().get("/", headers={"host": HOST})
    payment = checkout_session_for(order=order, request=request)
    real_stripe.v1.checkout.sessions.expire(payment.session_id)
    total = sum(b.visitor_total for b in order.bookings.all())
    # Checkout cannot be paid through the API: a PaymentIntent with Stripe's test card
    # stands for what the visitor paid there, recorded as payment_sync would.
    intent = real_stripe.v1.payment_intents.create(
        params={
            "amount": total,
            "currency": order.currency.lower(),
            "confirm": True,
            "payment_method": "pm_card_visa",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "transfer_group": order.reference,
            "metadata": {"order_id": str(order.pk), "order_reference": order.reference},
        },
        options={"idempotency_key": f"real-test:{uuid.uuid4()}"},
    )
    assert intent.status == "succeeded"
    charge = real_stripe.v1.charges.retrieve(
        intent.latest_charge, params={"expand": ["balance_transaction"]}
    )
    StripePayment.objects.filter(pk=payment.pk).update(
        payment_intent_id=intent.id,
        charge_id=charge.id,
        amount=charge.amount,
        fee=charge.balance_transaction.fee,
    )
    outcome = order_pay(order_id=order.pk, payment_ref=intent.id, notify=False)
    assert outcome == ConfirmOutcome.CONFIRMED
    booking = order.bookings.get()
    assert booking.status == BookingStatus.CONFIRMED

    # Cancelled by the provider: a full refund, made at Stripe after commit (huey inline).
    with django_capture_on_commit_callbacks(execute=True):
        refund = booking_cancel(
            booking_id=booking.pk, by_provider=True, reason="test", notify=False
        )
    assert refund.amount == total
    row = StripeRefund.objects.get(payment=payment)
    assert row.status == StripeCallStatus.DONE and row.refund_id.startswith("re_")
    at_stripe = real_stripe.v1.refunds.retrieve(row.refund_id)
    assert (at_stripe.amount, at_stripe.payment_intent) == (total, intent.id)
    assert at_stripe.status in ("succeeded", "pending")
    assert at_stripe.metadata.comptoir_refund == row.idempotency_key


def test_express_account_and_onboarding_link(real_stripe):
    account = real_stripe.v1.accounts.create(
        params={
            "controller": {
                "stripe_dashboard": {"type": "express"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
            },
            "capabilities": {"transfers": {"requested": True}},
            "country": "FR",
            "metadata": {"comptoir_test": "1"},
        }
    )
    try:
        assert account.id.startswith("acct_")
        assert not account.payouts_enabled
        link = real_stripe.v1.account_links.create(
            params={
                "account": account.id,
                "type": "account_onboarding",
                "refresh_url": f"http://{HOST}/admin/",
                "return_url": f"http://{HOST}/admin/",
            }
        )
        assert link.url.startswith(ONBOARDING_PAGES)
        assert link.expires_at > timezone.now().timestamp()
    finally:
        real_stripe.v1.accounts.delete(account.id)
