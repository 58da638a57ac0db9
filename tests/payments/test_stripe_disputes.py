"""Disputes through the webhook endpoints with the local Stripe double.

A cardholder disputes a paid order: Stripe takes the amount and its dispute fee from the
platform's balance, then gives the amount back (won) or not (lost). Each step flags the
order, tells finance once, and keeps the ledger's platform cash equal to the double's
platform balance, whatever the order and the number of the deliveries.
"""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from cms.services import FINANCE_GROUP
from commissions.models import Beneficiary
from marketplace.books.models import LedgerTransaction
from marketplace.books.selectors import account_balance
from marketplace.models import Cart, Order, OrderStatus
from payments.models import StripeEvent, StripePayment
from payments.stripe.disputes import DISPUTES_ACCOUNT, dispute_phase
from payments.stripe.transfers import platform_cash
from tests import factories
from tests.booking_helpers import shared_rules
from tests.conftest import make_provider, make_user
from tests.stripe_helpers import connected_account, deliver

# Transfer mechanics once the services are delivered (see the fixture).
pytestmark = pytest.mark.usefixtures("services_delivered")

DISPUTE_FEE = 1500  # what the double's dispute withdraws on top of the amount


@pytest.fixture
def world(territory, category, stripe_double, visitor):
    shared_rules(territory)
    camping = make_provider(territory, name="Camping des Pins", category=category)
    account = connected_account(stripe_double)
    camping.stripe_account_id, camping.payouts_enabled = account, True
    camping.save(update_fields=["stripe_account_id", "payouts_enabled"])
    fonds = connected_account(stripe_double)
    Beneficiary.objects.filter(key="fonds").update(stripe_account=fonds)
    return {
        "site": territory,
        "finance": make_user("finances@example.org", groups=(FINANCE_GROUP,)),
        "camping": camping,
        "pitch": factories.stay(camping, units=3, price_per_night=2000),
        "accounts": [account, fonds],
        "double": stripe_double,
    }


def paid_order(client, world, visitor, capture) -> Order:
    """A visitor books two nights and pays through the double; events delivered."""
    client.force_login(visitor)
    start = timezone.localdate() + dt.timedelta(days=10)
    client.post(
        reverse("cart_add", args=[world["pitch"].pk]),
        {"start": start.isoformat(), "end": (start + dt.timedelta(days=2)).isoformat()}
        | {"units": "1"},
    )
    cart = Cart.objects.get(user=visitor)
    client.post(reverse("checkout"), {"checkout_key": str(cart.version)})
    order = Order.objects.get(user=visitor)
    response = client.get(reverse("stripe_pay", args=[order.reference]))
    session_id = urlsplit(response["Location"]).path.rsplit("/", 1)[-1]
    world["double"].pay_checkout(session_id)
    with capture(execute=True):
        deliver(world["double"])
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    client.logout()
    return order


def cash_matches(world) -> bool:
    return world["double"].balance(None) == platform_cash(site=world["site"])


def dispute_mails(mailoutbox, order) -> list[str]:
    return [m.subject for m in mailoutbox if order.reference in m.subject]


@pytest.fixture
def paid(client, world, visitor, django_capture_on_commit_callbacks, mailoutbox):
    order = paid_order(client, world, visitor, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    assert cash_matches(world)
    return order


@pytest.mark.parametrize("won", [True, False])
def test_a_dispute_flags_the_order_tells_finance_and_keeps_the_cash_in_line(
    world, paid, mailoutbox, django_capture_on_commit_callbacks, won
):
    double = world["double"]
    payment = StripePayment.objects.get(order=paid)
    dispute = double.dispute_create(payment.charge_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert set(deliver(double)) == {200}

    payment.refresh_from_db()
    assert (payment.dispute_id, payment.dispute_status) == (dispute["id"], "needs_response")
    assert payment.dispute_amount == paid.total
    assert len(dispute_mails(mailoutbox, paid)) == 1
    assert account_balance(account=DISPUTES_ACCOUNT) == paid.total + DISPUTE_FEE
    assert cash_matches(world)

    double.dispute_close(dispute["id"], won=won)
    with django_capture_on_commit_callbacks(execute=True):
        assert set(deliver(double)) == {200}

    payment.refresh_from_db()
    assert payment.dispute_status == ("won" if won else "lost")
    assert len(dispute_mails(mailoutbox, paid)) == 2
    assert all(paid.reference in m.body for m in mailoutbox)
    # Won: the amount comes back, Stripe keeps its fee. Lost: nothing comes back.
    lost = DISPUTE_FEE if won else paid.total + DISPUTE_FEE
    assert account_balance(account=DISPUTES_ACCOUNT) == lost
    assert cash_matches(world)
    keys = LedgerTransaction.objects.filter(idempotency_key__startswith="stripe:dispute:")
    assert keys.count() == (2 if won else 1)
    assert {tx.external_ref for tx in keys} == {
        txn["id"] for txn in double.get("dispute", dispute["id"])["balance_transactions"]
    }


@pytest.mark.parametrize("options", [{"duplicate": 3}, {"reverse": True}, {"shuffle_seed": 7}])
def test_events_twice_or_out_of_order_end_in_the_same_state(
    world, paid, mailoutbox, django_capture_on_commit_callbacks, options
):
    double = world["double"]
    payment = StripePayment.objects.get(order=paid)
    dispute = double.dispute_create(payment.charge_id)
    double.dispute_close(dispute["id"], won=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert set(deliver(double, **options)) == {200}

    payment.refresh_from_db()
    assert payment.dispute_status == "won"
    assert account_balance(account=DISPUTES_ACCOUNT) == DISPUTE_FEE
    assert cash_matches(world)
    assert StripeEvent.objects.filter(type__startswith="charge.dispute.").count() == 2
    assert not StripeEvent.objects.filter(processed_at=None).exists()
    # Each state finance is told about, once: a dispute closed before it was seen open is
    # told closed only; seen open first, it is told both.
    subjects = dispute_mails(mailoutbox, paid)
    assert len(subjects) in (1, 2) and len(subjects) == len(set(subjects))


def test_a_dispute_on_a_charge_comptoir_did_not_make_is_noted_and_changes_nothing(
    world, stripe_double, django_capture_on_commit_callbacks
):
    from payments.stripe.disputes import dispute_sync

    charge = stripe_double.new("charge", "ch_", amount=1000, currency="eur", payment_intent=None)
    dispute = stripe_double.dispute_create(charge["id"])
    note = dispute_sync(dispute_id=dispute["id"])
    assert "not made through Comptoir" in note
    assert not LedgerTransaction.objects.filter(idempotency_key__contains="dispute").exists()


def test_dispute_phases():
    assert dispute_phase("") == ""
    assert dispute_phase("needs_response") == dispute_phase("under_review") == "opened"
    assert dispute_phase("warning_needs_response") == "opened"
    assert dispute_phase("won") == dispute_phase("lost") == "closed"


def test_funds_withdrawn_and_reinstated_events_write_each_movement_once(
    world, paid, mailoutbox, django_capture_on_commit_callbacks
):
    double = world["double"]
    dispute = double.dispute_create(StripePayment.objects.get(order=paid).charge_id)
    double.emit("charge.dispute.funds_withdrawn", double.get("dispute", dispute["id"]))
    double.dispute_close(dispute["id"], won=True)
    double.emit("charge.dispute.funds_reinstated", double.get("dispute", dispute["id"]))
    with django_capture_on_commit_callbacks(execute=True):
        assert set(deliver(double, duplicate=2)) == {200}
    assert StripeEvent.objects.filter(type__startswith="charge.dispute.").count() == 4
    assert (
        LedgerTransaction.objects.filter(idempotency_key__startswith="stripe:dispute:").count() == 2
    )
    assert account_balance(account=DISPUTES_ACCOUNT) == DISPUTE_FEE
    assert cash_matches(world)
    # Every event re-fetched the dispute already won: finance hears of it once, closed.
    assert len(dispute_mails(mailoutbox, paid)) == 1
