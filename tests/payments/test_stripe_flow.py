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
from marketplace.books.models import LedgerEntry, LedgerTransaction
from marketplace.books.selectors import account_balance
from marketplace.models import Booking, BookingStatus, Cart, Order, OrderStatus
from payments.models import StripePayment, StripeTransfer
from payments.stripe.transfers import platform_cash
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


def _transfer_count(double, destination=None):
    return len([t for t in double.all("transfer") if destination in (None, t["destination"])])


@pytest.mark.parametrize("after_commit", [False, True], ids=["500", "answer-lost"])
def test_a_failing_transfer_is_retried_by_huey_and_made_once(
    client, world, visitor, django_capture_on_commit_callbacks, after_commit
):
    from huey.contrib.djhuey import HUEY

    from tests.stripe_helpers import run_huey_retries

    HUEY.storage.flush_schedule()
    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    double.pay_checkout(StripePayment.objects.get(order=order).session_id)
    # The first transfer fails: a 500, or done at Stripe with its answer lost on the way.
    double.fail_next("/v1/transfers", method="POST", after_commit=after_commit)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    payment = StripePayment.objects.get(order=order)
    assert not payment.transfers_done
    assert _transfer_count(double) == (1 if after_commit else 0)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_huey_retries() >= 1
    assert _transfer_count(double) == 3
    assert StripeTransfer.objects.filter(status="done").count() == 3
    assert_balances_match(double, world["site"], world["accounts"])


@pytest.mark.parametrize("order_of_events", ["reverse", "shuffle"])
def test_events_in_any_order_end_in_the_same_state(
    client, world, visitor, django_capture_on_commit_callbacks, order_of_events
):
    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    session_id = StripePayment.objects.get(order=order).session_id
    double.pay_checkout(session_id)
    options = {"reverse": True} if order_of_events == "reverse" else {"shuffle_seed": 7}
    with django_capture_on_commit_callbacks(execute=True):
        statuses = deliver(double, duplicate=2, **options)
    assert set(statuses) == {200}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert _transfer_count(double) == 3
    assert_balances_match(double, world["site"], world["accounts"])


def test_an_expired_session_releases_the_hold_and_a_late_completed_event_changes_nothing(
    client, world, visitor, django_capture_on_commit_callbacks
):
    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    session_id = StripePayment.objects.get(order=order).session_id
    double.handle("POST", f"/v1/checkout/sessions/{session_id}/expire", {}, "")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
        deliver(double)  # nothing left: no-op
    order.refresh_from_db()
    assert order.status == OrderStatus.ABANDONED
    assert not LedgerTransaction.objects.exists()
    # The lines are back in the visitor's cart.
    assert Cart.objects.get(user=visitor).lines.count() == 2


def test_async_payment_confirms_on_success_and_releases_on_failure(
    client, world, visitor, django_capture_on_commit_callbacks
):
    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    session_id = StripePayment.objects.get(order=order).session_id
    double.pay_checkout(session_id, async_payment=True)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING  # completed, but not paid yet
    # Back from Stripe the visitor is told the payment is being confirmed.
    page = client.get(reverse("order_detail", args=[order.reference]) + "?paiement=ok")
    assert "en cours de confirmation" in page.content.decode()
    double.settle_async_payment(session_id, succeeded=True)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert_balances_match(double, world["site"], world["accounts"])


def test_async_payment_failure_releases_the_hold(
    client, world, visitor, django_capture_on_commit_callbacks
):
    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    session_id = StripePayment.objects.get(order=order).session_id
    double.pay_checkout(session_id, async_payment=True)
    double.settle_async_payment(session_id, succeeded=False)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    order.refresh_from_db()
    assert order.status == OrderStatus.ABANDONED
    assert not double.all("transfer")


def test_forged_and_stale_deliveries_of_the_doubles_events_are_refused(
    client, world, visitor, django_capture_on_commit_callbacks
):
    from payments.models import StripeEvent

    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    double.pay_checkout(StripePayment.objects.get(order=order).session_id)
    events = double.take_events(connect=False)
    from tests.stripe_helpers import webhook_target

    post = webhook_target("stripe_webhook")
    for event in events:
        payload, forged = double.sign(event, "whsec_not_ours")
        assert post(payload.encode(), {"Stripe-Signature": forged}) == 400
        payload, stale = double.sign(event, "whsec_platform_test", timestamp=double.now() - 3600)
        assert post(payload.encode(), {"Stripe-Signature": stale}) == 400
    assert not StripeEvent.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_a_stripe_order_cannot_be_paid_on_the_dev_page_nor_by_someone_else(
    client, world, visitor, django_capture_on_commit_callbacks
):
    from tests.conftest import make_user

    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    assert (
        client.post(reverse("dev_pay", args=[order.reference]), {"action": "pay"}).status_code
        == 404
    )
    client.force_login(make_user("autre@example.org"))
    assert client.get(reverse("stripe_pay", args=[order.reference])).status_code == 404
    assert client.get(reverse("stripe_cancel", args=[order.reference])).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_back_from_stripe_without_paying_keeps_the_hold(
    client, world, visitor, django_capture_on_commit_callbacks
):
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    response = client.get(reverse("stripe_cancel", args=[order.reference]), follow=True)
    assert "Paiement non effectué" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


# --- Refunds and reversals -----------------------------------------------------------------


def _refund_rows(double):
    return double.all("refund")


@pytest.mark.parametrize(
    ("days_ahead", "policy", "fraction"), [(30, "moderate", 1), (3, "moderate", 0.5)]
)
def test_visitor_cancels_refund_and_reversals_in_the_ledgers_proportions(
    client, world, visitor, django_capture_on_commit_callbacks, days_ahead, policy, fraction
):
    from payments.models import StripeRefund, StripeReversal

    double = world["double"]
    world["pitch"].cancellation_policy = policy
    world["pitch"].save_revision().publish()
    client.force_login(visitor)
    client.post(reverse("cart_add", args=[world["pitch"].pk]), _stay_params(days_ahead=days_ahead))
    cart = Cart.objects.get(user=visitor)
    client.post(reverse("checkout"), {"checkout_key": str(cart.version)})
    order = Order.objects.get(user=visitor)
    client.get(reverse("stripe_pay", args=[order.reference]))
    double.pay_checkout(StripePayment.objects.get(order=order).session_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    booking = order.bookings.get()
    assert booking.status == BookingStatus.CONFIRMED
    sent_before = {t["destination"]: t["amount"] for t in double.all("transfer")}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("my_booking_cancel", args=[booking.reference]), {})
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    booking.refresh_from_db()
    refund = StripeRefund.objects.get()
    assert refund.status == "done" and refund.refund_id
    (stripe_refund,) = _refund_rows(double)
    assert stripe_refund["amount"] == booking.refunded == refund.amount
    assert booking.refunded == round(booking.visitor_total * fraction)
    reversals = StripeReversal.objects.filter(status="done")
    assert reversals.count() == 2  # the camping's net and the local fund's share
    for reversal in reversals:
        account = reversal.transfer.account
        # What the ledger reversal took from the account is what Stripe took back.
        assert account_balance(account=account) == 0
        expected = round(sent_before[reversal.transfer.destination] * fraction)
        assert abs(reversal.amount - expected) <= 1
    assert_balances_match(double, world["site"], world["accounts"])


def test_a_reversal_the_provider_cannot_cover_is_its_debt(
    client, world, visitor, django_capture_on_commit_callbacks
):
    from marketplace.orders.transitions import booking_cancel
    from payments.models import StripeReversal

    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    stay = order.bookings.get(offer=world["pitch"])
    camping_acct = world["accounts"][0]
    # The camping already paid its balance out to its bank.
    double.payout(camping_acct, double.balance(camping_acct))
    double.take_events()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=stay.pk, by_provider=True, reason="Inondation")
    stay.refresh_from_db()
    assert stay.refunded == stay.visitor_total
    debt = StripeReversal.objects.get(transfer__destination=camping_acct)
    assert debt.status == "debt" and "insufficient" in debt.error.lower()
    # The ledger keeps what the camping owes the platform: its whole net, a positive balance.
    assert account_balance(account=f"provider:{world['camping'].pk}") == stay.provider_net
    # The fund's share was taken back.
    assert StripeReversal.objects.get(transfer__account="beneficiary:fonds").status == "done"
    assert double.balance(None) == platform_cash(site=world["site"])


def test_late_payment_with_capacity_gone_is_refunded_in_full_without_transfers(
    client, world, visitor, django_capture_on_commit_callbacks
):
    from marketplace.models import ProductStock
    from marketplace.orders.transitions import holds_expire
    from payments.models import StripeRefund

    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    session_id = StripePayment.objects.get(order=order).session_id
    holds_expire(now=order.hold_expires_at + dt.timedelta(minutes=1))
    # Someone else takes the last product units meanwhile.
    ProductStock.objects.filter(offer=world["basket"]).update(taken=10)
    double.pay_checkout(session_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    refund = StripeRefund.objects.get()
    assert refund.amount == order.total and refund.status == "done"
    assert not double.all("transfer")
    assert (
        double.balance(None)
        == -double.stripe_fee(order.total)
        == -(account_balance(account="platform:psp_fees"))
    )


def test_when_the_hold_ends_the_payment_page_is_closed(
    client, world, visitor, django_capture_on_commit_callbacks
):
    from marketplace.orders.transitions import holds_expire
    from payments.stripe.checkout import sessions_expire

    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    payment = StripePayment.objects.get(order=order)
    assert sessions_expire() == 0  # still held: the page stays open
    holds_expire(now=order.hold_expires_at + dt.timedelta(minutes=1))
    assert sessions_expire() == 1
    assert double.get("checkout.session", payment.session_id)["status"] == "expired"
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    payment.refresh_from_db()
    assert not payment.session_open
    assert sessions_expire() == 0
    # The visitor can no longer reach it.
    response = client.get(reverse("stripe_pay", args=[order.reference]))
    assert response.status_code == 302 and "12111" not in response["Location"]


def test_fee_deducted_from_the_commission_is_shared_among_its_beneficiaries(
    client, world, visitor, django_capture_on_commit_callbacks
):
    from marketplace.models import TerritorySettings

    settings = TerritorySettings.for_site(world["site"])
    settings.stripe_fee_bearer = "commission"
    settings.save()
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    double = world["double"]
    fee = double.stripe_fee(order.total)
    # The expense is recharged in full to the commission's accounts.
    assert account_balance(account="platform:psp_fees") == 0
    recharged = LedgerEntry.objects.filter(
        transaction__idempotency_key__endswith=":psp_fee", transaction__kind="adjustment"
    ).exclude(account="platform:psp_fees")
    assert sum(e.amount for e in recharged) == fee
    assert {e.account for e in recharged} == {
        "beneficiary:fonds",
        "beneficiary:ot",
    }
    # The fund (60 %) received its share less its part of the fee.
    fund = sum(t.amount for t in StripeTransfer.objects.filter(account="beneficiary:fonds"))
    shares = sum(b.allocations.get("fonds", 0) for b in order.bookings.all())
    assert shares - fund == pytest.approx(fee * 0.6, abs=2)
    assert account_balance(account="beneficiary:fonds") == 0
    assert_balances_match(double, world["site"], world["accounts"])


def test_with_vat_the_fee_bears_on_the_commission_net_of_vat_and_transfers_net_it_too(
    client, world, visitor, django_capture_on_commit_callbacks
):
    from marketplace.books.ledger import VAT_ACCOUNT
    from marketplace.models import TerritorySettings
    from marketplace.orders.accounting import vat_key

    settings = TerritorySettings.for_site(world["site"])
    settings.stripe_fee_bearer = "commission"
    settings.subject_to_vat = True
    settings.save()
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    bookings = list(order.bookings.all())
    vat: dict[str, int] = {}
    for account, amount in LedgerEntry.objects.filter(
        transaction__idempotency_key__in=[vat_key(b) for b in bookings], amount__gt=0
    ).values_list("account", "amount"):
        vat[account] = vat.get(account, 0) + amount
    assert set(vat) == {"beneficiary:fonds", "beneficiary:ot"}
    assert -account_balance(account=VAT_ACCOUNT) == sum(vat.values()) > 0
    # The fund was sent its share less its part of the VAT and of the fee, and the fee
    # was shared in proportion to the commission net of VAT.
    fee = world["double"].stripe_fee(order.total)
    fund = sum(t.amount for t in StripeTransfer.objects.filter(account="beneficiary:fonds"))
    shares = sum(b.allocations.get("fonds", 0) for b in bookings)
    assert shares - vat["beneficiary:fonds"] - fund == pytest.approx(fee * 0.6, abs=2)
    assert account_balance(account="beneficiary:fonds") == 0
    assert_balances_match(world["double"], world["site"], world["accounts"])


def test_a_failed_refund_is_marked_and_finance_told(
    client, world, visitor, django_capture_on_commit_callbacks, editor
):
    from django.contrib.auth.models import Group
    from django.core import mail

    from marketplace.orders.transitions import booking_cancel
    from payments.models import StripeRefund

    finance = Group.objects.get(name="Finances du territoire")
    editor.groups.add(finance)
    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    stay = order.bookings.get(offer=world["pitch"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=stay.pk, by_provider=True, reason="Fermeture")
        deliver(double)
    refund = StripeRefund.objects.get()
    mail.outbox.clear()
    double.refund_fail(refund.refund_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double, duplicate=2)
    refund.refresh_from_db()
    assert refund.status == "failed" and "expired_or_canceled_card" in refund.error
    assert [m.to for m in mail.outbox] == [[editor.email]]
    assert order.reference in mail.outbox[0].body


def test_a_refused_transfer_is_retried_for_what_is_owed_once_the_account_can_receive(
    client, world, visitor, django_capture_on_commit_callbacks
):
    from marketplace.orders.transitions import booking_cancel
    from payments.stripe.transfers import transfers_pending

    double = world["double"]
    # The tourism office gave an account that cannot receive transfers yet.
    ot_acct = double.handle("POST", "/v1/accounts", {}, "country=FR").body["id"]
    Beneficiary.objects.filter(key="ot").update(stripe_account=ot_acct)
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    refused = StripeTransfer.objects.filter(account="beneficiary:ot")
    assert set(refused.values_list("status", flat=True)) == {"failed"}
    assert "capabilities" in refused.first().error
    assert not StripePayment.objects.get(order=order).transfers_done
    # The basket's booking is cancelled meanwhile: nothing is owed to the office for it.
    basket = order.bookings.get(offer=world["basket"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=basket.pk, by_provider=True, reason="Rupture")
        deliver(double)
    double.account_onboard(ot_acct)
    double.take_events()
    with django_capture_on_commit_callbacks(execute=True):
        assert transfers_pending() == 1
    stay = order.bookings.get(offer=world["pitch"])
    assert refused.get(booking=stay).status == "done"
    assert refused.get(booking=basket).status == "cancelled"
    sent = [t for t in double.all("transfer") if t["destination"] == ot_acct]
    assert [t["amount"] for t in sent] == [stay.allocations["ot"]]
    assert StripePayment.objects.get(order=order).transfers_done
    assert_balances_match(double, world["site"], [*world["accounts"], ot_acct])


def test_a_refund_stripe_refuses_is_failed_reverses_nothing_and_finance_is_told(
    client, world, visitor, django_capture_on_commit_callbacks, editor
):
    from django.contrib.auth.models import Group
    from django.core import mail

    from marketplace.orders.transitions import booking_cancel
    from payments.models import StripeRefund, StripeReversal

    editor.groups.add(Group.objects.get(name="Finances du territoire"))
    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    payment = StripePayment.objects.get(order=order)
    # Someone refunded the whole charge from Stripe's dashboard meanwhile.
    double.handle("POST", "/v1/refunds", {}, f"payment_intent={payment.payment_intent_id}")
    double.take_events()
    mail.outbox.clear()
    stay = order.bookings.get(offer=world["pitch"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=stay.pk, by_provider=True, reason="Fermeture")
    refund = StripeRefund.objects.get()
    assert refund.status == "failed" and "already been refunded" in refund.error
    assert not StripeReversal.objects.exists()
    assert len(double.all("refund")) == 1
    (told,) = [m for m in mail.outbox if m.to == [editor.email]]
    assert order.reference in told.body


def test_transfers_wait_while_the_charge_is_disputed(
    client, world, visitor, django_capture_on_commit_callbacks
):
    from payments.stripe.transfers import transfers_pending

    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    payment = StripePayment.objects.get(order=order)
    dispute = double.dispute_create(payment.charge_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    # The ferme connects its payout account while the dispute is open: nothing is paid.
    ferme_acct = connected_account(double)
    world["ferme"].stripe_account_id, world["ferme"].payouts_enabled = ferme_acct, True
    world["ferme"].save(update_fields=["stripe_account_id", "payouts_enabled"])
    with django_capture_on_commit_callbacks(execute=True):
        transfers_pending()
    assert _transfer_count(double, ferme_acct) == 0
    double.dispute_close(dispute["id"], won=True)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    with django_capture_on_commit_callbacks(execute=True):
        transfers_pending()
    assert _transfer_count(double, ferme_acct) == 1
    assert_balances_match(double, world["site"], [*world["accounts"], ferme_acct])


def test_a_paid_session_that_does_not_match_its_order_is_told_to_finance_not_confirmed(
    client, world, visitor, django_capture_on_commit_callbacks, editor
):
    from django.contrib.auth.models import Group
    from django.core import mail

    from payments.models import StripeEvent

    editor.groups.add(Group.objects.get(name="Finances du territoire"))
    double = world["double"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks, pay=False)
    session = double.get("checkout.session", StripePayment.objects.get(order=order).session_id)
    session["amount_total"] -= 100  # charged less than the order's total
    double.pay_checkout(session["id"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not double.all("transfer")
    event = StripeEvent.objects.get(type="checkout.session.completed")
    assert event.processed_at and not event.error and "charged" in event.note
    (told,) = [m for m in mail.outbox if m.to == [editor.email]]
    assert session["id"] in told.body
