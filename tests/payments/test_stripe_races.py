"""Races and retries in the Stripe money flow, found in review: each test is a scenario
that once lost, doubled or stranded money (transfers racing refunds, retried refusals
with lost answers, retried checkout sessions, the fee recharged to a refunded commission)."""

import datetime as dt

import pytest
import stripe
from django.urls import reverse
from django.utils import timezone

from commissions.models import Beneficiary
from marketplace.books.selectors import account_balance
from marketplace.models import Cart, Order
from payments.models import StripePayment, StripeReversal, StripeTransfer
from tests import factories
from tests.booking_helpers import shared_rules
from tests.conftest import make_provider
from tests.stripe_helpers import assert_balances_match, connected_account, deliver

# Transfer mechanics once the services are delivered (see the fixture).
pytestmark = pytest.mark.usefixtures("services_delivered")


@pytest.fixture
def world(territory, category, stripe_double, visitor):
    shared_rules(territory)
    camping = make_provider(territory, name="Camping des Pins", category=category)
    camping_acct = connected_account(stripe_double)
    camping.stripe_account_id, camping.payouts_enabled = camping_acct, True
    camping.save(update_fields=["stripe_account_id", "payouts_enabled"])
    fonds_acct = connected_account(stripe_double)
    Beneficiary.objects.filter(key="fonds").update(stripe_account=fonds_acct)
    pitch = factories.stay(camping, units=3, price_per_night=2000)
    pitch.cancellation_policy = "moderate"
    pitch.save_revision().publish()
    return {
        "site": territory,
        "camping": camping,
        "pitch": pitch,
        "accounts": [camping_acct, fonds_acct],
        "double": stripe_double,
    }


def _pay(client, world, visitor, capture, days_ahead=3):
    double = world["double"]
    client.force_login(visitor)
    start = timezone.localdate() + dt.timedelta(days=days_ahead)
    client.post(
        reverse("cart_add", args=[world["pitch"].pk]),
        {
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=2)).isoformat(),
            "units": "1",
        },
    )
    cart = Cart.objects.get(user=visitor)
    client.post(reverse("checkout"), {"checkout_key": str(cart.version)})
    order = Order.objects.get(user=visitor)
    client.get(reverse("stripe_pay", args=[order.reference]))
    double.pay_checkout(StripePayment.objects.get(order=order).session_id)
    return order


def test_a_transfer_made_after_the_refund_is_not_reversed_again(
    client, world, visitor, django_capture_on_commit_callbacks, monkeypatch
):
    """The transfer task runs after the cancellation committed but before the refund task
    (queue order, huey retry, or transfers_pending every 10 min): it sends what the ledger
    owes now, already net of the refund. The refund task then takes back only what was
    overpaid (nothing), not the refund's share a second time."""
    from marketplace.orders.transitions import booking_cancel
    from payments.models import StripeRefund
    from payments.stripe import checkout
    from payments.stripe.refunds import refund_execute
    from payments.stripe.transfers import transfers_pending

    double = world["double"]
    order = _pay(client, world, visitor, django_capture_on_commit_callbacks)
    from unittest import mock

    with mock.patch.object(checkout, "stripe_order_transfers", lambda pk: None):
        with django_capture_on_commit_callbacks(execute=True):  # transfer task not run yet
            deliver(double)
    payment = StripePayment.objects.get(order=order)
    assert payment.charge_id and not StripeTransfer.objects.exists()
    stay = order.bookings.get()
    # The visitor cancels 3 days ahead: moderate policy, half back. Refund task queued.
    with django_capture_on_commit_callbacks(execute=False):
        booking_cancel(booking_id=stay.pk, by_provider=False, reason="")
    # The transfer task (or the periodic transfers_pending) runs first ...
    transfers_pending()
    # ... then the refund task.
    refund_execute(refund_id=StripeRefund.objects.get().pk)
    for account in ("beneficiary:fonds", f"provider:{world['camping'].pk}"):
        assert account_balance(account=account) == 0, (
            account,
            account_balance(account=account),
            list(StripeTransfer.objects.values_list("account", "amount")),
            list(StripeReversal.objects.values_list("transfer__account", "amount")),
        )
    assert_balances_match(double, world["site"], world["accounts"])


def test_a_refused_transfer_retried_with_its_answer_lost_is_paid_once(
    client, world, visitor, django_capture_on_commit_callbacks
):
    """A refused transfer is retried under ``:retry1``, made at Stripe, its answer lost.
    The row stays in flight with its amount frozen: a refund in between does not change
    what is sent under that key, and no ``:retry2`` sends the money a second time."""
    from marketplace.orders.transitions import booking_cancel
    from payments.stripe.transfers import transfers_pending

    double = world["double"]
    ot_acct = double.handle("POST", "/v1/accounts", {}, "country=FR").body["id"]
    Beneficiary.objects.filter(key="ot").update(stripe_account=ot_acct)
    order = _pay(client, world, visitor, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    row = StripeTransfer.objects.get(account="beneficiary:ot")
    assert row.status == "failed"
    double.account_onboard(ot_acct)
    double.take_events()
    double.fail_next("/v1/transfers", method="POST", after_commit=True)  # done, answer lost
    transfers_pending()
    assert len([t for t in double.all("transfer") if t["destination"] == ot_acct]) == 1
    stay = order.bookings.get()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=stay.pk, by_provider=False, reason="")  # half back
        deliver(double)
    transfers_pending()
    sent = [t["amount"] for t in double.all("transfer") if t["destination"] == ot_acct]
    row.refresh_from_db()
    # Stripe paid the office its full share (answer lost); the ledger knows nothing of it,
    # the row is FAILED again, still "owes" the post-refund amount and will send it again
    # under :retry3 as soon as the source charge allows it.
    assert row.status == "done" and row.transfer_id, (sent, row.status, row.amount, row.error)


def test_checkout_session_retried_after_a_lost_answer_is_the_same_session(client, world, visitor):
    """A retry seconds later sends the same parameters under the same key (they do not
    depend on the time of the call): Stripe gives the same session back."""
    from payments.stripe.checkout import checkout_session_for

    client.force_login(visitor)
    start = timezone.localdate() + dt.timedelta(days=10)
    client.post(
        reverse("cart_add", args=[world["pitch"].pk]),
        {
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=2)).isoformat(),
            "units": "1",
        },
    )
    cart = Cart.objects.get(user=visitor)
    client.post(reverse("checkout"), {"checkout_key": str(cart.version)})
    order = Order.objects.get(user=visitor)
    double = world["double"]
    double.fail_next("/v1/checkout/sessions", method="POST", after_commit=True)
    with pytest.raises(stripe.APIError):
        checkout_session_for(order=order)
    # The visitor clicks "pay" again.
    payment = checkout_session_for(order=order)
    assert payment.session_url
    assert [s["id"] for s in double.all("checkout.session")] == [payment.session_id]


def test_the_fee_recharged_to_a_refunded_commission_goes_back_to_the_operator(
    client, world, visitor, django_capture_on_commit_callbacks
):
    """With stripe_fee_bearer=commission, a booking refunded in full gives every
    beneficiary's commission back and its share of Stripe's fee (which Stripe keeps)
    back to the operator: no beneficiary ends up owing the platform."""
    from marketplace.models import TerritorySettings
    from marketplace.orders.transitions import booking_cancel

    settings = TerritorySettings.for_site(world["site"])
    settings.stripe_fee_bearer = "commission"
    settings.save()
    double = world["double"]
    order = _pay(client, world, visitor, django_capture_on_commit_callbacks, days_ahead=30)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    stay = order.bookings.get()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=stay.pk, by_provider=True, reason="Fermeture")
        deliver(double)
    for account in ("beneficiary:fonds", "beneficiary:ot"):
        assert account_balance(account=account) == 0, (account, account_balance(account=account))
