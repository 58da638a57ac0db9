"""Paying with Stripe Connect, end to end through HTTP with the local double.

cart → checkout → Checkout Session → the visitor pays at the double → signed webhooks →
bookings confirmed → one transfer per booking and per beneficiary with an account → the
double's balances equal the ledger's, to the cent.
"""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from commissions.models import Beneficiary
from marketplace.models import Booking, BookingStatus, Cart, Order, OrderStatus
from payments.models import LedgerTransaction, StripePayment, StripeTransfer
from payments.selectors import account_balance
from tests import factories
from tests.booking_helpers import shared_rules
from tests.conftest import make_provider
from tests.stripe_helpers import assert_balances_match, connected_account, deliver


@pytest.fixture
def world(territory, category, stripe_double, visitor):
    shared_rules(territory)
    camping = make_provider(territory, name="Camping des Pins", category=category)
    ferme = make_provider(territory, name="Ferme du Coin", category=category)
    camping_acct = connected_account(stripe_double)
    camping.stripe_account_id, camping.payouts_enabled = camping_acct, True
    camping.save(update_fields=["stripe_account_id", "payouts_enabled"])
    fonds_acct = connected_account(stripe_double)
    Beneficiary.objects.filter(key="fonds").update(stripe_account=fonds_acct)
    return {
        "site": territory,
        "camping": camping,
        "ferme": ferme,
        "pitch": factories.stay(camping, units=3, price_per_night=2000),
        "basket": factories.product(ferme, price_per_item=1250, stock=10),
        "accounts": [camping_acct, fonds_acct],
        "double": stripe_double,
    }


def _stay_params(days_ahead=10, nights=2):
    start = timezone.localdate() + dt.timedelta(days=days_ahead)
    return {
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=nights)).isoformat(),
        "units": "1",
    }


def checkout_and_pay(client, world, visitor, capture, *, pay=True) -> Order:
    client.force_login(visitor)
    client.post(reverse("cart_add", args=[world["pitch"].pk]), _stay_params())
    client.post(reverse("cart_add", args=[world["basket"].pk]), {"quantity": "2"})
    cart = Cart.objects.get(user=visitor)
    client.post(reverse("checkout"), {"checkout_key": str(cart.version)})
    order = Order.objects.get(user=visitor)
    assert order.gateway == "stripe"
    page = client.get(reverse("order_detail", args=[order.reference]))
    pay_url = reverse("stripe_pay", args=[order.reference])
    assert pay_url in page.content.decode()
    response = client.get(pay_url)
    assert response.status_code == 302
    session_id = urlsplit(response["Location"]).path.rsplit("/", 1)[-1]
    assert StripePayment.objects.get(order=order).session_id == session_id
    if pay:
        world["double"].pay_checkout(session_id)
        with capture(execute=True):
            deliver(world["double"])
    order.refresh_from_db()
    return order


def test_paid_order_is_confirmed_transferred_and_balances_match(
    client, world, visitor, django_capture_on_commit_callbacks
):
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    assert order.status == OrderStatus.PAID
    assert set(order.bookings.values_list("status", flat=True)) == {BookingStatus.CONFIRMED}
    double = world["double"]
    session = double.all("checkout.session")[0]
    assert session["metadata"]["order_id"] == str(order.pk)
    assert len(session["_line_items"]) == 2
    intent = double.all("payment_intent")[0]
    assert intent["transfer_group"] == order.reference

    stay = order.bookings.get(offer=world["pitch"])
    transfers = {t["destination"]: t for t in double.all("transfer")}
    # The camping's net goes to its account; the ferme has none: its net stays payable.
    assert transfers[world["accounts"][0]]["amount"] == stay.provider_net
    assert all(t["source_transaction"] == double.all("charge")[0]["id"] for t in transfers.values())
    assert account_balance(account=f"provider:{world['camping'].pk}") == 0
    basket = order.bookings.get(offer=world["basket"])
    assert account_balance(account=f"provider:{world['ferme'].pk}") == -basket.provider_net
    # The local fund has an account: one transfer per booking of its share.
    fund_transfers = StripeTransfer.objects.filter(account="beneficiary:fonds")
    assert fund_transfers.count() == 2
    assert account_balance(account="beneficiary:fonds") == 0
    # The tourism office has none: its share stays with the operator as a balance.
    assert account_balance(account="beneficiary:ot") < 0
    # Stripe's fee is in the ledger.
    fee = double.all("balance_transaction")[0]
    assert account_balance(account="platform:psp_fees") == double.stripe_fee(order.total)
    assert fee
    assert_balances_match(double, world["site"], world["accounts"])
    payment = StripePayment.objects.get(order=order)
    assert payment.fee == double.stripe_fee(order.total) and not payment.transfers_done


def test_the_same_webhook_ten_times_is_processed_once(
    client, world, visitor, django_capture_on_commit_callbacks
):
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    double = world["double"]
    double.pay_checkout(StripePayment.objects.get(order=order).session_id)
    with django_capture_on_commit_callbacks(execute=True):
        statuses = deliver(double, duplicate=10)
    assert set(statuses) == {200}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert LedgerTransaction.objects.filter(kind="order_confirmed").count() == 2
    assert len(double.all("transfer")) == 3
    assert_balances_match(double, world["site"], world["accounts"])
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 2
