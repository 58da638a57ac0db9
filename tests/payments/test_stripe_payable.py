"""Providers are paid after the service (issue 13 §2), through Stripe Connect.

The order of ``test_stripe_flow`` (a pitch 10 days ahead at the camping, a basket of the
farm, the local fund connected): the visitor pays, and nothing leaves for a booking until
its ``payable_on`` (check-in + 1 day; the payment day + 1 for goods). The periodic
``transfers_pending`` makes each transfer on its day, once. A cancellation before that
day takes nothing back from anybody; a debt left by a refund Stripe could not take back is
netted from the next booking, with its trail in the ledger; what a bank payout run paid is
never paid again through Stripe.
"""

import datetime as dt

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from marketplace.books.ledger import ledger_post, provider_account
from marketplace.books.models import LedgerTransaction
from marketplace.books.selectors import account_balance, booking_account_total
from marketplace.models import Cart, Order
from marketplace.orders.transitions import booking_cancel
from payments.models import StripePayment, StripeReversal, StripeTransfer
from payments.stripe.transfers import NETTING_ACCOUNT, transfers_pending
from tests.payments import test_stripe_flow as flow
from tests.stripe_helpers import assert_balances_match, deliver

# The world and the checkout of the Stripe flow's tests.
world = flow.world
checkout_and_pay = flow.checkout_and_pay


def _stay_paid(client, world, capture, *, nights):
    """The logged-in visitor books and pays the pitch for ``nights`` nights, 20 days ahead."""
    start = timezone.localdate() + dt.timedelta(days=20)
    end = start + dt.timedelta(days=nights)
    client.post(
        reverse("cart_add", args=[world["pitch"].pk]),
        {"start": start.isoformat(), "end": end.isoformat(), "units": "1"},
    )
    client.post(reverse("checkout"), {"checkout_key": str(Cart.objects.get().version)})
    order = Order.objects.latest("pk")
    client.get(reverse("stripe_pay", args=[order.reference]))
    world["double"].pay_checkout(StripePayment.objects.get(order=order).session_id)
    with capture(execute=True):
        deliver(world["double"])
    return order.bookings.get()


def _sent(double, destination):
    return [t["amount"] for t in double.all("transfer") if t["destination"] == destination]


def test_the_camping_is_paid_the_day_after_check_in_and_the_farm_the_day_after_payment(
    client, world, visitor, django_capture_on_commit_callbacks
):
    double = world["double"]
    camping_acct, fonds_acct = world["accounts"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    stay = order.bookings.get(offer=world["pitch"])
    basket = order.bookings.get(offer=world["basket"])
    assert stay.payable_on == stay.start + dt.timedelta(days=1)
    assert basket.payable_on == order.paid_at.date() + dt.timedelta(days=1)
    # Paid, confirmed, and nothing transferred yet: not the camping, not the fund.
    assert order.status == "paid" and not double.all("transfer")
    assert not StripePayment.objects.get(order=order).transfers_done

    with django_capture_on_commit_callbacks(execute=True):
        transfers_pending(today=basket.payable_on)
    # The basket's day: the fund gets its share of the basket (the farm has no account).
    assert _sent(double, fonds_acct) == [basket.allocations["fonds"]]
    assert _sent(double, camping_acct) == []

    with django_capture_on_commit_callbacks(execute=True):
        transfers_pending(today=stay.payable_on - dt.timedelta(days=1))
    assert _sent(double, camping_acct) == []

    with django_capture_on_commit_callbacks(execute=True):
        assert transfers_pending(today=stay.payable_on) == 0  # the farm still waits
        transfers_pending(today=stay.payable_on)  # made once, whatever the runs
    assert _sent(double, camping_acct) == [stay.provider_net]
    assert sorted(_sent(double, fonds_acct)) == sorted(
        [basket.allocations["fonds"], stay.allocations["fonds"]]
    )
    assert_balances_match(double, world["site"], world["accounts"])


def test_a_cancellation_before_the_day_takes_nothing_back_and_the_rest_is_paid_on_the_day(
    client, world, visitor, django_capture_on_commit_callbacks
):
    double = world["double"]
    camping_acct = world["accounts"][0]
    world["pitch"].cancellation_policy = "strict"
    world["pitch"].save_revision().publish()
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    stay = order.bookings.get(offer=world["pitch"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/mes-reservations/{stay.reference}/annuler/", {})
        deliver(double)
    stay.refresh_from_db()
    assert response.status_code == 302 and stay.status == "cancelled_by_visitor"
    assert 0 < stay.refunded < stay.visitor_total  # strict: part of the price is kept
    # Nothing had left: no reversal, nobody owes anything.
    assert not StripeReversal.objects.exists()
    kept = -booking_account_total(
        booking_ref=stay.reference, account=provider_account(world["camping"].pk)
    )
    assert 0 < kept < stay.provider_net

    with django_capture_on_commit_callbacks(execute=True):
        transfers_pending(today=stay.payable_on)
    assert _sent(double, camping_acct) == [kept]
    assert account_balance(account=provider_account(world["camping"].pk)) == 0
    assert_balances_match(double, world["site"], world["accounts"])


def test_a_debt_is_netted_from_the_next_booking_with_its_trail_in_the_ledger(
    client, world, visitor, django_capture_on_commit_callbacks
):
    double = world["double"]
    camping = world["camping"]
    camping_acct = world["accounts"][0]
    account = provider_account(camping.pk)
    first = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    stay = first.bookings.get(offer=world["pitch"])
    with django_capture_on_commit_callbacks(execute=True):
        transfers_pending(today=stay.payable_on)
    assert _sent(double, camping_acct) == [stay.provider_net]
    # The camping pays its balance out, then cancels: Stripe cannot take its net back.
    double.payout(camping_acct, double.balance(camping_acct))
    double.take_events()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=stay.pk, by_provider=True, reason="Inondation")
    debt = StripeReversal.objects.get(transfer__destination=camping_acct)
    assert debt.status == "debt"
    assert account_balance(account=account) == stay.provider_net  # the camping owes it

    again = _stay_paid(client, world, django_capture_on_commit_callbacks, nights=4)
    assert again.provider_net > stay.provider_net
    with django_capture_on_commit_callbacks(execute=True):
        transfers_pending(today=again.payable_on)
    # The second booking pays the first one's debt first, then the rest goes to Stripe.
    assert _sent(double, camping_acct) == [
        stay.provider_net,
        again.provider_net - stay.provider_net,
    ]
    debt.refresh_from_db()
    assert debt.status == "settled"
    trail = LedgerTransaction.objects.filter(kind="adjustment").order_by("idempotency_key")
    assert [(t.booking_ref, t.idempotency_key.rsplit(":", 1)[1]) for t in trail] == [
        (again.reference, "give"),
        (stay.reference, "receive"),
    ]
    assert account_balance(account=NETTING_ACCOUNT) == 0
    assert booking_account_total(booking_ref=stay.reference, account=account) == 0
    assert account_balance(account=account) == 0
    assert_balances_match(double, world["site"], world["accounts"])


def test_what_a_bank_payout_paid_is_not_paid_again_through_stripe(
    client, world, visitor, django_capture_on_commit_callbacks
):
    double = world["double"]
    camping = world["camping"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    stay = order.bookings.get(offer=world["pitch"])
    # Before it connected Stripe, the camping was paid by bank transfer for this booking.
    ledger_post(
        site=world["site"],
        kind="payout",
        idempotency_key="payout:VIR-TEST:camping",
        entries=[
            (provider_account(camping.pk), stay.provider_net),
            ("platform:bank", -stay.provider_net),
        ],
    )
    last_day = order.bookings.aggregate(day=Max("payable_on"))["day"]
    with django_capture_on_commit_callbacks(execute=True):
        transfers_pending(today=last_day)
    assert _sent(double, world["accounts"][0]) == []
    assert not StripeTransfer.objects.filter(account=provider_account(camping.pk)).exists()
    assert StripePayment.objects.get(order=order).transfers_done is False  # the farm waits
    assert account_balance(account=provider_account(camping.pk)) == 0
