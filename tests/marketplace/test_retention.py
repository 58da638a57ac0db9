"""The nightly retention task: unverified accounts, old anonymous carts, expired sessions
and old Stripe webhook payloads go; what is still needed stays (issue 10, sections 6, 7)."""

import datetime as dt
import json
from importlib import import_module

import pytest
import stripe
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

from cms.tasks import personal_data_purge
from marketplace.books.models import LedgerEntry
from marketplace.models import Cart, Order, OrderStatus, TerritorySettings
from marketplace.retention import anonymous_carts_purge, unverified_accounts_purge
from payments.models import StripeEvent, StripePayment
from payments.stripe.personal_data import payload_personal, stripe_event_payloads_expire
from payments.stripe.webhooks import stripe_event_dispatch, stripe_event_receive
from tests import factories
from tests.booking_helpers import book, shared_rules
from tests.conftest import STRIPE_PLATFORM_SECRET, make_provider, make_user
from tests.payments.test_stripe_flow import checkout_and_pay, world  # noqa: F401  (fixture)
from tests.stripe_helpers import deliver

DAY = dt.timedelta(days=1)
User = get_user_model()


def joined(user, days_ago: float, *, logged_in: bool = False):
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(
        date_joined=now - dt.timedelta(days=days_ago),
        last_login=now - dt.timedelta(days=days_ago) if logged_in else None,
    )
    return user


# --- Unverified accounts -------------------------------------------------------------------


def test_unverified_accounts_go_after_the_retention_period_and_nobody_else(
    territory, category, settings
):
    settings.UNVERIFIED_ACCOUNT_RETENTION_DAYS = 14
    stale = joined(make_user("jamais@example.org", verified=False), 15)
    recent = joined(make_user("hier@example.org", verified=False), 13)
    verified = joined(make_user("verifiee@example.org"), 400)
    logged_in = joined(make_user("connecte@example.org", verified=False), 400, logged_in=True)
    staff = joined(make_user("equipe@example.org", verified=False, is_staff=True), 400)
    editor = joined(
        make_user("editrice@example.org", verified=False, groups=("Éditeurs du territoire",)), 400
    )
    # Made by an administrator (no allauth address at all): not a sign-up, left alone.
    made = User.objects.create_user(username="fait-main", email="main@example.org")
    joined(made, 400)
    member = joined(make_user("membre@example.org", verified=False), 400)
    make_provider(territory, name="Ferme", category=category, member=member)
    # A second, verified address is enough to keep an account.
    other = joined(make_user("deux@example.org", verified=False), 400)
    EmailAddress.objects.create(user=other, email="deux@ailleurs.example", verified=True)

    assert unverified_accounts_purge() == 1
    assert not User.objects.filter(pk=stale.pk).exists()
    assert not EmailAddress.objects.filter(email="jamais@example.org").exists()
    kept = [recent, verified, logged_in, staff, editor, made, member, other]
    assert User.objects.filter(pk__in=[u.pk for u in kept]).count() == len(kept)
    assert unverified_accounts_purge() == 0


def test_an_account_with_an_order_is_never_purged(territory, category, settings):
    shared_rules(territory)
    club = make_provider(territory, name="Club", category=category)
    buyer = make_user("acheteur@example.org")
    book(buyer, factories.product(club, title="Miel", price_per_item=850), pay=False)
    EmailAddress.objects.filter(user=buyer).update(verified=False)
    joined(buyer, 400)
    assert unverified_accounts_purge() == 0
    assert User.objects.filter(pk=buyer.pk).exists()


# --- Anonymous carts and sessions ----------------------------------------------------------


def test_old_anonymous_carts_go_after_the_territorys_period(territory, visitor):
    def cart(days_ago, user=None):
        made = Cart.objects.create(site=territory, user=user)
        Cart.objects.filter(pk=made.pk).update(updated_at=timezone.now() - days_ago * DAY)
        return made

    cart(31)
    recent, theirs = cart(29), cart(400, user=visitor)
    assert TerritorySettings.for_site(territory).anonymous_cart_days == 30

    assert anonymous_carts_purge() == 1
    assert set(Cart.objects.values_list("pk", flat=True)) == {recent.pk, theirs.pk}

    territory_settings = TerritorySettings.for_site(territory)
    territory_settings.anonymous_cart_days = 7
    territory_settings.save()
    assert anonymous_carts_purge() == 1
    assert list(Cart.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_an_anonymous_visitor_whose_cart_went_finds_an_empty_cart(client, territory):
    response = client.get("/panier/")
    assert response.status_code == 200
    session = client.session
    stale = Cart.objects.create(site=territory)
    session[f"comptoir_cart:{territory.pk}"] = stale.pk
    session.save()
    Cart.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - 100 * DAY)
    assert anonymous_carts_purge() == 1
    assert client.get("/panier/").status_code == 200


def test_expired_sessions_go_and_live_ones_stay(db):
    store = import_module(django_settings.SESSION_ENGINE).SessionStore
    live, expired = store(), store()
    live["x"] = expired["x"] = 1
    live.create()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - DAY)
    personal_data_purge.call_local()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


# --- Stripe webhook payloads ---------------------------------------------------------------


def test_old_stripe_payloads_lose_personal_data_and_keep_what_finance_and_stripe_need(
    client,
    world,  # noqa: F811  (the fixture imported from test_stripe_flow)
    visitor,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.STRIPE_EVENT_PAYLOAD_RETENTION_DAYS = 60
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    assert order.status == OrderStatus.PAID
    events = list(StripeEvent.objects.order_by("received_at", "id"))
    assert any(payload_personal(e.payload) for e in events)  # the payer's e-mail, card
    old, recent = events[:-1], events[-1]
    StripeEvent.objects.filter(pk__in=[e.pk for e in old]).update(
        received_at=timezone.now() - 61 * DAY
    )
    before = {e.pk: e.payload for e in events}
    ledger = sorted(LedgerEntry.objects.values_list("transaction__idempotency_key", "amount"))

    assert stripe_event_payloads_expire() == len(old)

    for event in StripeEvent.objects.filter(pk__in=[e.pk for e in old]):
        assert payload_personal(event.payload) == {}
        assert "visitor@example.com" not in json.dumps(event.payload)
        assert event.payload_scrubbed_at is not None and event.processed_at is not None
        was = before[event.pk]
        assert event.payload["id"] == was["id"] and event.type == was["type"]
        assert event.data_object["id"] == was["data"]["object"]["id"]
        for key in ("amount", "amount_total", "currency", "metadata", "status"):
            assert event.data_object.get(key) == was["data"]["object"].get(key)
    recent.refresh_from_db()
    assert recent.payload == before[recent.pk] and recent.payload_scrubbed_at is None
    assert (
        sorted(LedgerEntry.objects.values_list("transaction__idempotency_key", "amount")) == ledger
    )
    assert stripe_event_payloads_expire() == 0  # done once

    # Stripe delivering an old event again is still a no-op: the row and its id stay.
    body = json.dumps(before[old[0].pk])
    header = stripe.WebhookSignature.generate_signature_header(body, STRIPE_PLATFORM_SECRET)
    _event, created = stripe_event_receive(
        payload=body.encode(),
        signature=header,
        secret=STRIPE_PLATFORM_SECRET,
        endpoint="platform",
    )
    assert created is False
    assert payload_personal(StripeEvent.objects.get(pk=old[0].pk).payload) == {}


def test_a_scrubbed_event_not_yet_processed_still_confirms_the_order(
    client,
    world,  # noqa: F811  (the fixture imported from test_stripe_flow)
    visitor,
    django_capture_on_commit_callbacks,
):
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    world["double"].pay_checkout(StripePayment.objects.get(order=order).session_id)
    with django_capture_on_commit_callbacks(execute=False):
        deliver(world["double"])  # stored, not processed yet
    assert StripeEvent.objects.filter(processed_at__isnull=True).exists()
    far = timezone.now() + 365 * DAY
    assert stripe_event_payloads_expire(now=far) == StripeEvent.objects.count()
    for event in StripeEvent.objects.order_by("received_at", "id"):
        assert payload_personal(event.payload) == {}
        stripe_event_dispatch(event_id=event.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert not StripeEvent.objects.exclude(error="").exists()


# --- The periodic task ---------------------------------------------------------------------


def test_the_nightly_task_runs_every_purge(territory, settings):
    stale = joined(make_user("jamais@example.org", verified=False), 400)
    cart = Cart.objects.create(site=territory)
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - 400 * DAY)
    StripeEvent.objects.create(
        id="evt_old",
        type="charge.refunded",
        endpoint="platform",
        payload={"id": "evt_old", "data": {"object": {"id": "ch_1", "receipt_email": "a@b.fr"}}},
        received_at=timezone.now() - 400 * DAY,
    )
    report = personal_data_purge.call_local()
    assert report == {
        "unverified_accounts": 1,
        "anonymous_carts": 1,
        "stripe_event_payloads": 1,
    }
    assert not User.objects.filter(pk=stale.pk).exists()
    assert StripeEvent.objects.get().data_object == {"id": "ch_1", "receipt_email": None}
    assert Order.objects.count() == 0


def test_finance_sees_when_an_events_personal_data_was_removed(client, territory):
    from django.urls import reverse

    from cms.services import FINANCE_GROUP
    from payments.stripe.personal_data import stripe_events_scrub

    StripeEvent.objects.create(
        id="evt_old",
        type="charge.refunded",
        endpoint="platform",
        payload={"id": "evt_old", "data": {"object": {"id": "ch_1", "receipt_email": "a@b.fr"}}},
    )
    stripe_events_scrub(StripeEvent.objects.all())
    client.force_login(make_user("finances@example.org", groups=(FINANCE_GROUP,)))
    page = client.get(reverse("stripe_events:inspect", args=["evt_old"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Données personnelles effacées" in html and "a@b.fr" not in html


@pytest.mark.parametrize("value", ["0", "-3", "deux", "1.5"])
def test_a_retention_duration_must_be_a_whole_number_of_days(value):
    import os
    import subprocess
    import sys

    env = {**os.environ, "UNVERIFIED_ACCOUNT_RETENTION_DAYS": value}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: UNVERIFIED_ACCOUNT_RETENTION_DAYS must be" in result.stderr
