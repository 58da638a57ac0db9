"""The local Stripe double, driven through stripe-python's StripeClient."""

import http.client
import json
import time

import pytest
import stripe
from stripe import StripeClient

from tests.stripe_double import DECLINED, DoubleHTTPClient, StripeDouble
from tests.stripe_double.forms import decode_form, fixture_keys
from tests.stripe_double.guard import RealStripeCallError, block_real_stripe
from tests.stripe_double.server import serve_in_thread

SECRET = "whsec_test_platform"


@pytest.fixture
def double():
    return StripeDouble()


@pytest.fixture
def client(double):
    return StripeClient(
        "sk_test_double", http_client=DoubleHTTPClient(double), max_network_retries=0
    )


def keys(obj):
    return set(obj.to_dict())


def onboarded(client, double):
    account = client.v1.accounts.create(
        params={
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "stripe_dashboard": {"type": "express"},
            },
            "country": "FR",
            "email": "provider@example.com",
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    double.account_onboard(account.id)
    return account


def paid_session(client, double, amount=10000):
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://comptoir.test/ok?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://comptoir.test/cancel",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": amount,
                        "product_data": {"name": "Nuit au gîte"},
                    },
                }
            ],
            "metadata": {"order": "42"},
            "payment_intent_data": {"transfer_group": "order-42", "metadata": {"order": "42"}},
        }
    )
    double.pay_checkout(session.id)
    session = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    return session, session.payment_intent.latest_charge


def test_form_decoding_nested_and_arrays():
    body = "a[b][c]=1&items[0][x]=y&items[1][x]=z&expand[0]=p&m[k]=&plain=v"
    assert decode_form(body) == {
        "a": {"b": {"c": "1"}},
        "items": [{"x": "y"}, {"x": "z"}],
        "expand": ["p"],
        "m": {"k": ""},
        "plain": "v",
    }


def test_accounts_and_links_have_fixture_shapes(client, double):
    account = client.v1.accounts.create(
        params={"controller": {"stripe_dashboard": {"type": "express"}}, "country": "FR"}
    )
    assert account.id.startswith("acct_")
    assert keys(account) == fixture_keys("account")
    assert account.controller.stripe_dashboard.type == "express" and account.type == "express"
    assert account.payouts_enabled is False
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": "https://comptoir.test/r",
            "return_url": "https://comptoir.test/back",
            "type": "account_onboarding",
        }
    )
    assert keys(link) == fixture_keys("account_link")
    double.account_onboard(account.id)
    account = client.v1.accounts.retrieve(account.id)
    assert account.payouts_enabled is True and account.capabilities.transfers == "active"
    event = double.events_of("account.updated")[-1]
    assert event["account"] == account.id
    assert event["data"]["previous_attributes"]["payouts_enabled"] is False
    updated = client.v1.accounts.update(account.id, params={"metadata": {"provider": "7"}})
    assert updated.metadata["provider"] == "7"


def test_checkout_payment_produces_charge_with_eu_fee(client, double):
    session, charge = paid_session(client, double, amount=10000)
    assert session.id.startswith("cs_test_") and keys(session) == fixture_keys("checkout.session")
    assert session.status == "complete" and session.payment_status == "paid"
    intent = client.v1.payment_intents.retrieve(session.payment_intent.id)
    assert intent.id.startswith("pi_") and keys(intent) == fixture_keys("payment_intent")
    assert intent.status == "succeeded" and intent.transfer_group == "order-42"
    assert charge.id.startswith("ch_") and keys(charge) == fixture_keys("charge")
    txn = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert txn.id.startswith("txn_") and keys(txn) == fixture_keys("balance_transaction")
    assert txn.fee == 150 + 25 and txn.net == 10000 - 175
    assert double.balance() == 9825
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [
        ("Nuit au gîte", 1, 10000)
    ]
    assert keys(items.data[0]) == fixture_keys("item")
    completed = double.events_of("checkout.session.completed")
    assert len(completed) == 1 and completed[0]["data"]["object"]["id"] == session.id
    event = client.v1.events.retrieve(completed[0]["id"])
    assert event.id.startswith("evt_") and fixture_keys("event") <= keys(event)


def test_declined_card_leaves_session_open(client, double):
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://comptoir.test/ok",
            "line_items": [{"quantity": 2, "price_data": {"currency": "eur", "unit_amount": 500}}],
        }
    )
    assert session.amount_total == 1000
    double.pay_checkout(session.id, card=DECLINED)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert double.events_of("payment_intent.payment_failed")
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired" and double.events_of("checkout.session.expired")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_transfers_limited_by_source_charge(client, double):
    account = onboarded(client, double)
    _, charge = paid_session(client, double, amount=10000)
    params = {
        "amount": 7000,
        "currency": "eur",
        "destination": account.id,
        "source_transaction": charge.id,
        "transfer_group": "order-42",
    }
    transfer = client.v1.transfers.create(params=params)
    assert transfer.id.startswith("tr_") and keys(transfer) == fixture_keys("transfer")
    assert transfer.source_transaction == charge.id
    assert double.balance(account.id) == 7000
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(params={**params, "amount": 3001})
    assert refused.value.http_status == 400
    error = refused.value.json_body["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "amount" and error["code"] and error["message"]
    client.v1.transfers.create(params={**params, "amount": 3000})
    listed = client.v1.transfers.list(params={"transfer_group": "order-42"})
    assert len(listed.data) == 2


def test_reversal_cannot_exceed_transfer(client, double):
    account = onboarded(client, double)
    _, charge = paid_session(client, double)
    transfer = client.v1.transfers.create(
        params={
            "amount": 5000,
            "currency": "eur",
            "destination": account.id,
            "source_transaction": charge.id,
        }
    )
    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 2000})
    assert reversal.id.startswith("trr_") and keys(reversal) == fixture_keys("transfer_reversal")
    assert double.balance(account.id) == 3000
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 3001})
    assert refused.value.json_body["error"]["param"] == "amount"
    client.v1.transfers.reversals.create(transfer.id)  # the rest
    transfer = client.v1.transfers.retrieve(transfer.id)
    assert transfer.reversed is True and transfer.amount_reversed == 5000


def test_reversal_refused_when_connected_balance_paid_out(client, double):
    account = onboarded(client, double)
    _, charge = paid_session(client, double)
    transfer = client.v1.transfers.create(
        params={
            "amount": 5000,
            "currency": "eur",
            "destination": account.id,
            "source_transaction": charge.id,
        }  # fmt: skip
    )
    double.payout(account.id, 4500)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 1000})
    assert refused.value.code == "balance_insufficient"


def test_refunds_partial_then_full(client, double):
    _, charge = paid_session(client, double, amount=10000)
    refund = client.v1.refunds.create(params={"charge": charge.id, "amount": 4000})
    assert refund.id.startswith("re_") and keys(refund) == fixture_keys("refund")
    client.v1.refunds.create(params={"payment_intent": charge.payment_intent})
    charge = client.v1.charges.retrieve(charge.id)
    assert charge.refunded is True and charge.amount_refunded == 10000
    assert len(double.events_of("charge.refunded")) == 2
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"charge": charge.id})
    assert refused.value.code == "charge_already_refunded"


def test_idempotency_replay_and_conflict(client, double):
    account = onboarded(client, double)
    _, charge = paid_session(client, double)
    params = {"amount": 1000, "currency": "eur", "destination": account.id,
              "source_transaction": charge.id}  # fmt: skip
    options = {"idempotency_key": "booking:1:provider"}
    first = client.v1.transfers.create(params=params, options=options)
    again = client.v1.transfers.create(params=params, options=options)
    assert again.id == first.id
    assert len(double.all("transfer")) == 1
    with pytest.raises(stripe.IdempotencyError) as refused:
        client.v1.transfers.create(params={**params, "amount": 1001}, options=options)
    assert refused.value.http_status == 400
    assert refused.value.json_body["error"]["type"] == "idempotency_error"


def test_unknown_parameter_refused(client):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.accounts.create(params={"controller": {}, "colour": "blue"})
    assert refused.value.http_status == 400
    assert refused.value.code == "parameter_unknown" and refused.value.param == "colour"


def test_missing_object_is_404(client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.transfers.retrieve("tr_nope")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"


def test_500_after_commit_then_retry_with_same_key_gives_one_transfer(client, double):
    account = onboarded(client, double)
    _, charge = paid_session(client, double)
    params = {"amount": 1000, "currency": "eur", "destination": account.id,
              "source_transaction": charge.id}  # fmt: skip
    options = {"idempotency_key": "k1"}
    double.fail_next("/v1/transfers", after_commit=True)
    with pytest.raises(stripe.APIError):
        client.v1.transfers.create(params=params, options=options)
    transfer = client.v1.transfers.create(params=params, options=options)
    assert [t["id"] for t in double.all("transfer")] == [transfer.id]


def test_timeout_fault_and_builtin_retries(double):
    retrying = StripeClient(
        "sk_test_double", http_client=DoubleHTTPClient(double), max_network_retries=1
    )
    double.timeout_next("/v1/accounts", method="POST")
    account = retrying.v1.accounts.create(params={"controller": {}})
    assert len(double.all("account")) == 1 and account.id.startswith("acct_")
    double.timeout_next("/v1/accounts", times=2)
    with pytest.raises(stripe.APIConnectionError):
        retrying.v1.accounts.retrieve(account.id)


def test_signed_webhooks_verify_and_faults(client, double):
    paid_session(client, double)
    batch = double.take_events(types={"checkout.session.completed"}, duplicate=3)
    assert len(batch) == 3 and len({e["id"] for e in batch}) == 1
    payload, header = double.sign(batch[0], SECRET)
    event = stripe.Webhook.construct_event(payload, header, SECRET)
    assert event.type == "checkout.session.completed"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")
    _, stale = double.sign(batch[0], SECRET, timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stale, SECRET)
    received = []
    statuses = double.deliver(
        lambda body, headers: received.append(json.loads(body)["type"]) or 200,
        SECRET,
        reverse=True,
    )
    assert statuses and set(statuses) == {200}
    assert received[-1] == "payment_intent.succeeded"  # oldest last
    assert double.take_events() == []


def test_http_server_mode_answers_stripe_client(double):
    server = serve_in_thread(0, double)
    try:
        client = StripeClient(
            "sk_test_double",
            base_addresses={"api": server.url},
            http_client=stripe.UrllibClient(),
            max_network_retries=0,
        )
        account = client.v1.accounts.create(params={"controller": {}, "metadata": {"a": "b"}})
        assert account.id.startswith("acct_") and account.metadata["a"] == "b"
        assert client.v1.accounts.retrieve(account.id).id == account.id
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.accounts.create(params={"nope": "1"})
    finally:
        server.shutdown()
        server.server_close()


def test_guard_refuses_real_calls(monkeypatch):
    block_real_stripe(monkeypatch)
    client = StripeClient("sk_test_real", max_network_retries=0)
    with pytest.raises(RealStripeCallError):
        client.v1.accounts.retrieve("acct_123")


def test_disputes_refund_failure_and_payouts(client, double):
    account = onboarded(client, double)
    _, charge = paid_session(client, double, amount=10000)
    dispute = double.dispute_create(charge.id)
    assert dispute["id"].startswith("dp_") and set(dispute) >= fixture_keys("dispute")
    assert client.v1.charges.retrieve(charge.id).disputed is True
    double.dispute_close(dispute["id"], won=False)
    closed = double.events_of("charge.dispute.closed")[0]
    assert closed["data"]["object"]["status"] == "lost"
    _, other = paid_session(client, double, amount=5000)
    refund = client.v1.refunds.create(params={"charge": other.id, "amount": 1000})
    double.refund_fail(refund.id)
    assert double.events_of("refund.failed")[0]["data"]["object"]["id"] == refund.id
    assert client.v1.charges.retrieve(other.id).amount_refunded == 0
    double.payout(account.id, 100, fail=True)
    failed = double.events_of("payout.failed")[0]
    assert failed["account"] == account.id and failed["data"]["object"]["id"].startswith("po_")


def test_async_payment_then_settled(client, double):
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://comptoir.test/ok",
            "line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 800}}],
        }
    )
    double.pay_checkout(session.id, async_payment=True)
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "unpaid"
    double.settle_async_payment(session.id, succeeded=True)
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert double.events_of("checkout.session.async_payment_succeeded")


def test_http_server_checkout_page_pays_and_delivers_webhooks(double):
    received = []

    def receiver(body, headers):
        event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET)
        received.append(event.type)
        return 200

    server = serve_in_thread(0, double, webhooks={"platform": (receiver, SECRET)})
    try:
        client = StripeClient(
            "sk_test_double",
            base_addresses={"api": server.url},
            http_client=stripe.UrllibClient(),
            max_network_retries=0,
        )
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "http://comptoir.test/ok/{CHECKOUT_SESSION_ID}",
                "line_items": [
                    {"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 1200}}
                ],
            }
        )
        assert session.url.startswith(server.url + "/pay/")
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
        conn.request("GET", f"/pay/{session.id}")
        page = conn.getresponse()
        assert page.status == 200 and b"Pay" in page.read()
        conn.request(
            "POST",
            f"/pay/{session.id}",
            body="card=4242424242424242",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        answer = conn.getresponse()
        answer.read()
        conn.close()
        assert answer.status == 303
        assert answer.getheader("Location") == f"http://comptoir.test/ok/{session.id}"
        assert "checkout.session.completed" in received
        assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    finally:
        server.shutdown()
        server.server_close()


def test_every_test_is_guarded_without_asking():
    """tests/conftest.py wires the guard for the whole suite (autouse)."""
    client = StripeClient("sk_test_unguarded", max_network_retries=0)
    with pytest.raises(RealStripeCallError):
        client.v1.accounts.retrieve("acct_123")
