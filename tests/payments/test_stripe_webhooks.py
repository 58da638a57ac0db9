"""Stripe's webhook endpoints: signed deliveries stored once, processed once after commit.

Payloads are signed here with stripe-python's own helper
(``stripe.WebhookSignature.generate_signature_header``), the way Stripe signs them.
"""

import json
import time

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from payments.models import StripeEndpoint, StripeEvent
from payments.stripe import webhooks

PLATFORM_SECRET = "whsec_platform_test"
CONNECT_SECRET = "whsec_connect_test"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.STRIPE_WEBHOOK_SECRET = PLATFORM_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_SECRET


@pytest.fixture
def client():
    # Stripe sends no CSRF token: prove the endpoints do not need one.
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def calls(monkeypatch):
    """A handler for ``test.event`` that records the ids it processed."""
    seen = []
    monkeypatch.setitem(webhooks.HANDLERS, "test.event", lambda event: seen.append(event.id))
    return seen


def event_body(event_id="evt_test_1", event_type="test.event", **extra) -> str:
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": {"id": "cs_test_1", "object": "checkout.session"}},
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
    }
    event.update(extra)
    return json.dumps(event)


def post(
    client, body, *, secret=PLATFORM_SECRET, url_name="stripe_webhook", timestamp=None, header=None
):
    if header is None:
        header = stripe.WebhookSignature.generate_signature_header(
            body, secret, timestamp=timestamp
        )
    headers = {"Stripe-Signature": header} if header else {}
    return client.post(
        reverse(url_name), data=body, content_type="application/json", headers=headers
    )


def test_urls_have_no_language_prefix():
    assert reverse("stripe_webhook") == "/webhooks/stripe/"
    assert reverse("stripe_connect_webhook") == "/webhooks/stripe/connect/"


def test_signed_event_is_stored_and_processed_once(
    db, client, calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, event_body())
    assert response.status_code == 200
    assert len(callbacks) == 1
    event = StripeEvent.objects.get()
    assert event.id == "evt_test_1"
    assert event.type == "test.event"
    assert event.endpoint == StripeEndpoint.PLATFORM
    assert event.account == ""
    assert event.livemode is False
    assert event.payload["data"]["object"]["id"] == "cs_test_1"
    assert event.processed_at is not None
    assert event.attempts == 1
    assert event.error == "" and event.note == ""
    assert calls == ["evt_test_1"]


def test_same_event_delivered_ten_times_is_processed_once(
    db, client, calls, django_capture_on_commit_callbacks
):
    body = event_body()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        responses = [post(client, body) for _ in range(10)]
    assert [r.status_code for r in responses] == [200] * 10
    assert len(callbacks) == 1
    assert StripeEvent.objects.count() == 1
    assert StripeEvent.objects.get().attempts == 1
    assert calls == ["evt_test_1"]


def test_processing_again_an_event_already_processed_does_nothing(
    db, client, calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, event_body())
    webhooks.stripe_event_dispatch(event_id="evt_test_1")
    assert calls == ["evt_test_1"]
    assert StripeEvent.objects.get().attempts == 1


def test_nothing_runs_before_commit(db, client, calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert post(client, event_body()).status_code == 200
    assert len(callbacks) == 1
    assert calls == []
    assert StripeEvent.objects.get().processed_at is None


def test_event_type_without_handler_is_stored_and_marked_processed(
    db, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, event_body(event_type="customer.created"))
    assert response.status_code == 200
    event = StripeEvent.objects.get()
    assert event.processed_at is not None
    assert event.note == webhooks.NO_HANDLER
    assert event.error == ""


@pytest.mark.parametrize(
    "case",
    ["forged", "wrong_secret", "stale", "missing_header", "garbage_header", "no_v1"],
)
def test_unverified_delivery_is_refused_and_not_stored(
    db, client, calls, case, django_capture_on_commit_callbacks
):
    body = event_body()
    kwargs = {}
    if case == "forged":
        # Signed, then changed: the signature no longer matches the body.
        header = stripe.WebhookSignature.generate_signature_header(body, PLATFORM_SECRET)
        body = body.replace("test.event", "charge.refunded")
        kwargs["header"] = header
    elif case == "wrong_secret":
        kwargs["secret"] = "whsec_somebody_else"
    elif case == "stale":
        kwargs["timestamp"] = int(time.time()) - stripe.Webhook.DEFAULT_TOLERANCE - 60
    elif case == "missing_header":
        kwargs["header"] = ""
    elif case == "garbage_header":
        kwargs["header"] = "not a signature"
    elif case == "no_v1":
        kwargs["header"] = f"t={int(time.time())},v0=abc"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, body, **kwargs)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert callbacks == []
    assert calls == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2, 3]",
        json.dumps({"object": "event", "type": "test.event"}),
        json.dumps({"id": "evt_1", "object": "event"}),
        json.dumps({"id": 12, "object": "event", "type": "test.event"}),
    ],
)
def test_signed_body_that_is_not_an_event_is_refused(db, client, body):
    response = post(client, body)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_body_not_utf8_is_refused(db, client):
    response = client.post(
        reverse("stripe_webhook"),
        data=b"\xff\xfe\x00",
        content_type="application/json",
        headers={"Stripe-Signature": f"t={int(time.time())},v1=00"},
    )
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize("url_name", ["stripe_webhook", "stripe_connect_webhook"])
def test_missing_secret_refuses_everything(db, client, settings, url_name):
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = ""
    response = post(client, event_body(), secret="", url_name=url_name, header="t=1,v1=00")
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_connect_endpoint_has_its_own_secret(db, client, calls, django_capture_on_commit_callbacks):
    body = event_body(event_id="evt_connect_1", account="acct_1Provider")
    refused = post(client, body, url_name="stripe_connect_webhook", secret=PLATFORM_SECRET)
    assert refused.status_code == 400
    assert not StripeEvent.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        accepted = post(client, body, url_name="stripe_connect_webhook", secret=CONNECT_SECRET)
    assert accepted.status_code == 200
    event = StripeEvent.objects.get()
    assert event.endpoint == StripeEndpoint.CONNECT
    assert event.account == "acct_1Provider"
    assert calls == ["evt_connect_1"]


def test_platform_endpoint_refuses_the_connect_secret(db, client):
    response = post(client, event_body(), secret=CONNECT_SECRET)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize("url_name", ["stripe_webhook", "stripe_connect_webhook"])
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_allowed(db, client, url_name, method):
    response = getattr(client, method)(reverse(url_name))
    assert response.status_code == 405
    assert not StripeEvent.objects.exists()


def test_failing_handler_records_the_error_and_counts_attempts(
    db, client, monkeypatch, django_capture_on_commit_callbacks
):
    outcomes = [RuntimeError("Stripe is down"), RuntimeError("still down"), None]
    done = []

    def flaky(event):
        # What a handler wrote before failing is rolled back with it.
        StripeEvent.objects.create(
            id=f"evt_side_{len(outcomes)}", type="side", endpoint="platform", payload={}
        )
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        done.append(event.id)

    monkeypatch.setitem(webhooks.HANDLERS, "test.event", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, event_body()).status_code == 200
    event = StripeEvent.objects.get()
    assert event.processed_at is None
    assert event.attempts == 1
    assert event.error == "RuntimeError: Stripe is down"
    assert StripeEvent.objects.count() == 1

    # huey's retries call the same dispatch again.
    with pytest.raises(webhooks.StripeEventFailed):
        webhooks.stripe_event_dispatch(event_id=event.pk)
    event.refresh_from_db()
    assert event.attempts == 2
    assert event.error == "RuntimeError: still down"
    assert event.processed_at is None

    webhooks.stripe_event_dispatch(event_id=event.pk)
    event.refresh_from_db()
    assert event.attempts == 3
    assert event.error == ""
    assert event.processed_at is not None
    assert sorted(StripeEvent.objects.values_list("id", flat=True)) == [
        "evt_side_1",
        "evt_test_1",
    ]
    assert done == ["evt_test_1"]


def test_process_task_is_retried_with_backoff():
    from payments.tasks import stripe_event_process

    task = stripe_event_process.s("evt_x")
    assert task.retries > 0
    assert task.retry_delay > 0
    assert stripe_event_process.task_class.default_retry_backoff > 1


def test_payments_tasks_keep_the_names_they_are_queued_under():
    """Huey finds a queued message's task by "<module>.<function>": moving a task to
    another module must not change it, or messages queued before a deploy (retries run for
    up to 2 h) are dropped."""
    from huey.contrib.djhuey import HUEY

    import payments.tasks  # noqa: F401  (what huey's consumer imports)

    registered = {name for name in HUEY._registry._registry if name.startswith("payments.")}
    assert registered == {
        "payments.notify._finance_send",
        "payments.stripe_accounts.provider_payout_failed_send",
        "payments.tasks.stripe_event_process",
        "payments.tasks.stripe_order_transfers",
        "payments.tasks.stripe_reconcile_daily",
        "payments.tasks.stripe_refund_execute",
        "payments.tasks.stripe_sessions_expire",
        "payments.tasks.stripe_transfers_pending",
    }


def test_handles_registers_and_refuses_a_second_handler(monkeypatch):
    monkeypatch.setattr(webhooks, "HANDLERS", {})

    @webhooks.handles("a.one", "a.two")
    def first(event):
        pass

    assert webhooks.HANDLERS == {"a.one": first, "a.two": first}
    with pytest.raises(ValueError):

        @webhooks.handles("a.two")
        def second(event):
            pass


def test_webhooks_are_never_served_from_the_page_cache():
    from cms.middleware import EXCLUDED_PREFIXES

    assert any(reverse("stripe_webhook").startswith(p) for p in EXCLUDED_PREFIXES)


# --- The finance admin's read-only list -----------------------------------------------------

EVENTS_URL = "/admin/stripe_events/"


@pytest.fixture
def stored_events(db):
    return [
        StripeEvent.objects.create(
            id="evt_done", type="checkout.session.completed", endpoint="platform", payload={}
        ),
        StripeEvent.objects.create(
            id="evt_failing",
            type="account.updated",
            endpoint="connect",
            account="acct_1Provider",
            payload={"id": "evt_failing"},
            attempts=2,
            error="RuntimeError: Stripe is down",
        ),
    ]


def test_finance_lists_filters_and_inspects_stripe_events(territory, stored_events):
    from django.contrib.auth.models import Group

    from cms.services import FINANCE_GROUP
    from marketplace.books.permissions import ledger_permissions_ensure
    from tests.conftest import make_user

    ledger_permissions_ensure(finance=Group.objects.get(name=FINANCE_GROUP))
    browser = Client()
    browser.force_login(make_user("finances@example.org", groups=(FINANCE_GROUP,)))
    response = browser.get(EVENTS_URL)
    assert response.status_code == 200
    assert {e.id for e in response.context["object_list"]} == {"evt_done", "evt_failing"}

    def ids(**params):
        return {e.id for e in browser.get(EVENTS_URL, params).context["object_list"]}

    assert ids(endpoint="connect") == {"evt_failing"}
    assert ids(type="checkout.") == {"evt_done"}
    assert ids(failing="true") == {"evt_failing"}

    inspect = browser.get(f"{EVENTS_URL}inspect/evt_failing/")
    assert inspect.status_code == 200
    body = inspect.content.decode()
    assert "acct_1Provider" in body and "Stripe is down" in body
    assert f"{EVENTS_URL}edit/" not in body and f"{EVENTS_URL}delete/" not in body
    assert browser.get(f"{EVENTS_URL}inspect/evt_nope/").status_code == 404


def test_stripe_events_are_hidden_from_editors(territory, stored_events):
    from cms.services import EDITORS_GROUP
    from tests.conftest import make_user

    browser = Client()
    browser.force_login(make_user("editor@example.org", groups=(EDITORS_GROUP,)))
    response = browser.get(EVENTS_URL)
    assert response.status_code in (302, 403)
    assert browser.get(f"{EVENTS_URL}inspect/evt_done/").status_code in (302, 403)
