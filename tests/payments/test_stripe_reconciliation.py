"""The daily reconciliation of the ledger with Stripe, and what finance sees in the admin.

A day's balance transactions at the local Stripe double are compared with the ledger: a
clean day (payment, transfers, a dispute won) has no difference; a transfer made at
Stripe directly, a fee changed in the ledger, a ledger row naming an unknown Stripe
object are each listed once, however often the day is run.
"""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, Site

from cms.models import HomePage
from marketplace.books.ledger import CLEARING_ACCOUNT, PSP_FEES_ACCOUNT, ledger_post
from marketplace.books.models import TransactionKind
from payments.models import (
    ReconciliationDifference,
    ReversalStatus,
    StripeCallStatus,
    StripePayment,
    StripeRefund,
    StripeReversal,
    StripeTransfer,
)
from payments.stripe.reconciliation import reconcile_day
from tests.conftest import make_provider, make_user
from tests.payments import test_stripe_disputes
from tests.stripe_helpers import deliver

# Transfer mechanics once the services are delivered (see the fixture).
pytestmark = pytest.mark.usefixtures("services_delivered")

# The paid order of the dispute tests, and its world.
world = test_stripe_disputes.world
paid = test_stripe_disputes.paid


def today() -> dt.date:
    return timezone.localdate()


def platform_movements(double) -> int:
    return len([t for t in double.all("balance_transaction") if not t.get("_account")])


def found() -> set[tuple[str, str]]:
    return set(ReconciliationDifference.objects.values_list("kind", "stripe_id"))


def test_a_clean_day_has_no_difference(world, paid, django_capture_on_commit_callbacks):
    double = world["double"]
    dispute = double.dispute_create(StripePayment.objects.get(order=paid).charge_id)
    double.dispute_close(dispute["id"], won=True)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)

    summary = reconcile_day(day=today())

    assert found() == set()
    assert summary.differences == 0 and summary.new == 0
    # The charge, a transfer to the camping and one to the fund, the dispute's two moves.
    assert summary.checked == platform_movements(double) == 5
    # Another day has nothing to compare.
    assert reconcile_day(day=today() - dt.timedelta(days=1)).checked == 0


def test_refunds_and_reversals_match_and_a_failed_refund_is_listed(
    world, paid, django_capture_on_commit_callbacks
):
    from marketplace.orders.transitions import booking_cancel

    double = world["double"]
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=paid.bookings.get().pk, by_provider=True, reason="Inondation")
    assert StripeReversal.objects.filter(status=ReversalStatus.DONE).count() == 2
    summary = reconcile_day(day=today())
    assert found() == set()
    # The charge, two transfers, the refund and the two reversals.
    assert summary.checked == platform_movements(double) == 6

    refund = StripeRefund.objects.get()
    double.refund_fail(refund.refund_id)
    summary = reconcile_day(day=today())
    assert found() == {("refund_failed", refund.refund_id)}
    row = ReconciliationDifference.objects.get()
    assert (row.reference, row.stripe_amount) == (paid.reference, refund.amount)


@pytest.fixture
def tampered(world, paid):
    """A day with three differences: a transfer made at Stripe directly, a fee changed in
    the ledger by a posted adjustment, a ledger row naming a transfer Stripe never made."""
    double, site = world["double"], world["site"]
    amount = double.balance(None) // 2
    assert amount > 0
    stray = double.handle(
        "POST",
        "/v1/transfers",
        {},
        f"amount={amount}&currency=eur&destination={world['accounts'][0]}",
    ).body
    charge = double.get("charge", StripePayment.objects.get(order=paid).charge_id)
    fee_txn = charge["balance_transaction"]
    ledger_post(
        site=site,
        kind=TransactionKind.ADJUSTMENT,
        idempotency_key="test:fee-changed",
        entries=[(PSP_FEES_ACCOUNT, 100), (CLEARING_ACCOUNT, -100)],
        order_ref=paid.reference,
        external_ref=fee_txn,
    )
    ledger_post(
        site=site,
        kind=TransactionKind.TRANSFER,
        idempotency_key="test:ghost-transfer",
        entries=[(f"provider:{world['camping'].pk}", 500), (CLEARING_ACCOUNT, -500)],
        order_ref=paid.reference,
        external_ref="tr_ghost",
    )
    return {"stray": stray, "fee_txn": fee_txn, "fee": double.stripe_fee(paid.total)}


def test_differences_are_listed_once_however_often_the_day_runs(world, paid, tampered):
    summary = reconcile_day(day=today())

    assert found() == {
        ("transfer_unknown", tampered["stray"]["id"]),
        ("fee", tampered["fee_txn"]),
        ("ledger_unknown", "tr_ghost"),
    }
    assert summary.differences == summary.new == 3
    fee = ReconciliationDifference.objects.get(kind="fee")
    assert (fee.ledger_amount, fee.stripe_amount) == (tampered["fee"] + 100, tampered["fee"])
    assert fee.reference == paid.reference and fee.site == world["site"]
    assert ReconciliationDifference.objects.get(kind="ledger_unknown").ledger_amount == -500

    again = reconcile_day(day=today())
    assert (again.differences, again.new, again.resolved) == (3, 0, 0)
    assert ReconciliationDifference.objects.count() == 3

    out = StringIO()
    call_command("stripe_reconcile", "--day", today().isoformat(), stdout=out)
    assert "3 differences" in out.getvalue()
    assert ReconciliationDifference.objects.count() == 3


def test_a_difference_corrected_in_the_ledger_is_no_longer_listed(world, paid, tampered):
    reconcile_day(day=today())
    ledger_post(
        site=world["site"],
        kind=TransactionKind.ADJUSTMENT,
        idempotency_key="test:fee-corrected",
        entries=[(PSP_FEES_ACCOUNT, -100), (CLEARING_ACCOUNT, 100)],
        order_ref=paid.reference,
        external_ref=tampered["fee_txn"],
    )
    summary = reconcile_day(day=today())
    assert summary.resolved == 1 and summary.differences == 2
    assert "fee" not in {kind for kind, _id in found()}


def test_the_command_refuses_a_day_that_is_not_one(db):
    with pytest.raises(CommandError, match="not a day"):
        call_command("stripe_reconcile", "--day", "yesterday")


# --- What finance sees in the admin -------------------------------------------------------


@pytest.fixture
def finance_rows(world, paid, tampered, django_capture_on_commit_callbacks):
    """One row in each of finance's lists."""
    double = world["double"]
    payment = StripePayment.objects.get(order=paid)
    double.dispute_create(payment.charge_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    reconcile_day(day=today())
    booking = paid.bookings.get()
    transfer = StripeTransfer.objects.get(booking=booking, account__startswith="provider:")
    refund = StripeRefund.objects.create(
        payment=payment,
        amount=1200,
        idempotency_key="test:refund",
        status=StripeCallStatus.FAILED,
        refund_id="re_failedtest",
        error="expired_or_canceled_card",
    )
    StripeReversal.objects.create(
        transfer=transfer,
        refund=refund,
        amount=900,
        idempotency_key="test:reversal",
        status=ReversalStatus.DEBT,
        error="balance_insufficient Insufficient funds",
    )
    StripeTransfer.objects.create(
        payment=payment,
        booking=booking,
        account="beneficiary:ot",
        destination="acct_refused",
        amount=42,
        idempotency_key="test:transfer",
        status=StripeCallStatus.FAILED,
        error="insufficient_capabilities_for_transfer",
    )
    return {
        "reconciliation": tampered["stray"]["id"],
        "disputes": paid.reference,
        "provider_debts": "Insufficient funds",
        "failed_refunds": "re_failedtest",
        "failed_transfers": "acct_refused",
    }


def refused(response) -> bool:
    """A 403, a 404, or Wagtail's redirect of someone without the right."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"].split("?")[0] in (
        "/admin/",
        "/admin/login/",
    )


def test_finance_reads_each_list_and_its_rows(client, world, finance_rows):
    client.force_login(world["finance"])
    menu = client.get("/admin/").content.decode()
    for name, shown in finance_rows.items():
        index = reverse(f"{name}:index")
        assert index in menu, name
        response = client.get(index)
        assert response.status_code == 200, name
        assert shown in response.content.decode(), name
        row = response.context["object_list"][0]
        inspect = client.get(reverse(f"{name}:inspect", args=[row.pk]))
        assert inspect.status_code == 200, name
        assert f"{index}edit/" not in inspect.content.decode()


def test_providers_and_editors_reach_none_of_the_lists(
    client, world, finance_rows, category, editor
):
    alice = make_user("alice@example.org")
    make_provider(world["site"], name="Ferme d'Alice", category=category, member=alice)
    rows = {
        "reconciliation": ReconciliationDifference.objects.first().pk,
        "disputes": StripePayment.objects.first().pk,
        "provider_debts": StripeReversal.objects.first().pk,
        "failed_refunds": StripeRefund.objects.first().pk,
        "failed_transfers": StripeTransfer.objects.filter(status="failed").first().pk,
    }
    for person in (alice, editor):
        client.force_login(person)
        menu = client.get("/admin/").content.decode()
        for name, pk in rows.items():
            assert reverse(f"{name}:index") not in menu
            assert refused(client.get(reverse(f"{name}:index"))), (person, name)
            assert refused(client.get(reverse(f"{name}:inspect", args=[pk]))), (person, name)


def test_finance_sees_only_its_territorys_differences(client, settings, world, finance_rows):
    home = Page.get_first_root_node().add_child(instance=HomePage(title="Autre", slug="autre"))
    other = Site.objects.create(hostname="autre.example", port=80, root_page=home)
    far = ReconciliationDifference.objects.create(
        site=other, day=today(), kind="stripe_unknown", stripe_id="txn_far"
    )
    settings.ALLOWED_HOSTS = ["testserver", "autre.example"]
    client.force_login(world["finance"])
    listed = client.get(reverse("reconciliation:index")).context["object_list"]
    assert far not in listed and len(listed) == 3
    assert client.get(reverse("reconciliation:inspect", args=[far.pk])).status_code == 404
    there = client.get(reverse("reconciliation:index"), HTTP_HOST="autre.example")
    assert list(there.context["object_list"]) == [far]


def test_a_disputed_order_is_flagged_in_the_orders_list(client, world, paid, finance_rows):
    client.force_login(world["finance"])
    response = client.get(reverse("orders:index"))
    assert response.status_code == 200
    rows = {order.reference: order.dispute_status for order in response.context["object_list"]}
    assert rows == {paid.reference: "needs_response"}


def test_the_nightly_task_reconciles_yesterday(world, paid, settings):
    from payments.tasks import stripe_reconcile_daily

    yesterday = today() - dt.timedelta(days=1)
    assert stripe_reconcile_daily.call_local().startswith(f"{yesterday.isoformat()}: 0 Stripe")
    settings.STRIPE_SECRET_KEY = ""
    assert stripe_reconcile_daily.call_local() == "Stripe is not configured"
