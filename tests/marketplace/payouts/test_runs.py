"""Payout runs (issue 13 §3): who a run pays, how much, and that each euro is paid once.

The world (runs_helpers): bookings paid through the real checkout; a bank-paid provider
with details, a Stripe-paid provider, a bank-paid campsite without details, the
commission's two beneficiaries (one with details), a commune's collector with details.
"""

import datetime as dt

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from marketplace.books.ledger import BANK_ACCOUNT
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.orders.transitions import booking_cancel
from marketplace.payouts.models import (
    PayoutLine,
    PayoutRun,
    PayoutRunStatus,
    PayoutSettings,
    PayoutSkip,
)
from marketplace.payouts.payable import payable_balance
from marketplace.payouts.runs import (
    PayoutRunRefused,
    payout_run_cancel,
    payout_run_mark_sent,
    payout_run_plan,
    payout_run_prepare,
)
from tests.booking_helpers import book
from tests.marketplace.payouts.runs_helpers import approve_details, days_pass, runs_world_replay


@pytest.fixture
def runs(territory, category):
    return runs_world_replay(territory, category)


def accounts(rows) -> dict[str, int]:
    return {row.account: row.amount for row in rows}


def reasons(rows) -> dict[str, str]:
    return {row.account: row.reason for row in rows}


def owed_now(site, account) -> int:
    return payable_balance(site=site, account=account, on=timezone.localdate()).payable


def test_a_run_pays_what_is_payable_to_bank_paid_recipients_only(runs):
    site, today = runs["site"], timezone.localdate()
    canoes, ferme = f"provider:{runs['canoes'].pk}", f"provider:{runs['ferme'].pk}"
    camping, collector = f"provider:{runs['camping'].pk}", runs["collector"].account
    honey = runs["honey"]
    net = honey.subtotal - honey.provider_commission
    # The stay is not payable yet: only the goods (and their commission) are.
    plan = payout_run_plan(site=site, until=today)
    assert accounts(plan.payouts) == {
        canoes: net,
        "beneficiary:fonds": owed_now(site, "beneficiary:fonds"),
    }
    assert reasons(plan.skipped) == {"beneficiary:ot": "no_bank_details"}
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).exists()

    days_pass(runs["stay"])
    run = payout_run_prepare(site=site, until=today, by=runs["finance"])

    paid = accounts(run.lines.all())
    assert paid[canoes] == net
    assert paid[collector] == runs["stay"].tax > 0
    assert ferme not in paid and ferme not in reasons(run.skips.all())  # Stripe pays it
    assert reasons(run.skips.all()) == {
        camping: "no_bank_details",
        "beneficiary:ot": "no_bank_details",
    }
    skipped_camping = run.skips.get(account=camping)
    assert skipped_camping.amount == owed_now(site, camping) > 0
    # Each line is a payout in the ledger, from the operator's bank account.
    for line in run.lines.select_related("transaction"):
        assert line.transaction.kind == TransactionKind.PAYOUT
        assert line.transaction.idempotency_key == f"payout:{run.reference}:{line.account}"
        assert line.transaction.external_ref == run.reference
        assert sorted(line.transaction.entries.values_list("account", "amount")) == sorted(
            [(line.account, line.amount), (BANK_ACCOUNT, -line.amount)]
        )
        assert owed_now(site, line.account) == 0
    line = run.lines.get(account=canoes)
    assert (line.holder_name, line.iban, line.name) == (
        "Canoës Alice SARL",
        "FR7630006000011234567890189",
        "Canoës Alice",
    )
    assert run.reference == f"VIR-{today:%Y-%m-%d}-1" and run.status == PayoutRunStatus.PREPARED
    assert run.debtor_iban == "FR1420041010050500013M02606"
    entry = ModelLogEntry.objects.get(action="comptoir.payout_run.prepared")
    assert entry.user_id == runs["finance"].pk
    assert entry.data["total"] == sum(paid.values()) and entry.data["payouts"] == len(paid)


def test_a_booking_not_yet_payable_is_paid_by_a_later_run_after_its_day(runs):
    site, today = runs["site"], timezone.localdate()
    camping_collector = runs["collector"].account
    first = payout_run_prepare(site=site, until=today)
    assert camping_collector not in accounts(first.lines.all())

    days_pass(runs["stay"])
    second = payout_run_prepare(site=site, until=today)

    # The stay's tax and the local fund's share of its commission, nothing paid twice.
    assert accounts(second.lines.all()) == {
        camping_collector: runs["stay"].tax,
        "beneficiary:fonds": second.lines.get(account="beneficiary:fonds").amount,
    }
    assert owed_now(site, "beneficiary:fonds") == 0
    assert second.reference == f"VIR-{today:%Y-%m-%d}-2"


def test_two_runs_pay_each_euro_once_and_a_third_finds_nothing(runs):
    site, today = runs["site"], timezone.localdate()
    first = payout_run_prepare(site=site, until=today)
    assert first.lines.exists()

    with pytest.raises(PayoutRunRefused) as refused:
        payout_run_prepare(site=site, until=today)

    assert refused.value.code == "nothing_to_pay"
    assert PayoutRun.objects.count() == 1
    # New credits: the next run pays only them.
    booking = book(runs["visitor"], runs["honey_offer"], quantity=1).bookings.get()
    net = booking.subtotal - booking.provider_commission
    second = payout_run_prepare(site=site, until=today)
    assert accounts(second.lines.all())[f"provider:{runs['canoes'].pk}"] == net
    total_paid = sum(
        LedgerEntry.objects.filter(
            transaction__kind=TransactionKind.PAYOUT, account=f"provider:{runs['canoes'].pk}"
        ).values_list("amount", flat=True)
    )
    honey = runs["honey"]
    assert total_paid == net + honey.subtotal - honey.provider_commission


def test_cancel_before_sending_makes_the_money_payable_again(runs):
    site, today = runs["site"], timezone.localdate()
    canoes = f"provider:{runs['canoes'].pk}"
    before = owed_now(site, canoes)
    run = payout_run_prepare(site=site, until=today)
    assert owed_now(site, canoes) == 0

    run, changed = payout_run_cancel(run=run, by=runs["finance"])

    assert changed and run.status == PayoutRunStatus.CANCELLED
    assert run.cancelled_by == runs["finance"]
    assert owed_now(site, canoes) == before
    assert payout_run_cancel(run=run, by=runs["finance"]) == (run, False)
    with pytest.raises(PayoutRunRefused):
        payout_run_mark_sent(run=run, by=runs["finance"])
    again = payout_run_prepare(site=site, until=today)
    assert accounts(again.lines.all())[canoes] == before


def test_mark_sent_is_idempotent_and_a_sent_run_cannot_be_cancelled(runs):
    site = runs["site"]
    run = payout_run_prepare(site=site, until=timezone.localdate())

    run, changed = payout_run_mark_sent(run=run, by=runs["finance2"])
    assert changed and run.status == PayoutRunStatus.SENT and run.sent_by == runs["finance2"]
    sent_at = run.sent_at
    run, changed = payout_run_mark_sent(run=run, by=runs["finance"])
    assert not changed and run.sent_at == sent_at and run.sent_by == runs["finance2"]
    with pytest.raises(PayoutRunRefused) as refused:
        payout_run_cancel(run=run, by=runs["finance"])
    assert refused.value.code == "sent"
    assert ModelLogEntry.objects.filter(action="comptoir.payout_run.sent").count() == 1


def test_a_refund_after_a_payout_is_a_debt_netted_from_the_next_run(runs):
    site, today = runs["site"], timezone.localdate()
    canoes = f"provider:{runs['canoes'].pk}"
    honey = runs["honey"]
    net = honey.subtotal - honey.provider_commission
    payout_run_prepare(site=site, until=today)

    booking_cancel(booking_id=honey.pk, by_provider=True, by=runs["alice"], notify=False)
    honey.refresh_from_db()
    assert honey.refunded
    plan = payout_run_plan(site=site, until=today)
    owes = {s.account: s for s in plan.skipped}[canoes]
    assert (owes.reason, owes.amount) == ("owes", net)
    assert canoes not in accounts(plan.payouts)

    # A later sale is netted against the debt: the run pays only the difference.
    later = book(runs["visitor"], runs["honey_offer"], quantity=3).bookings.get()
    later_net = later.subtotal - later.provider_commission
    run = payout_run_prepare(site=site, until=today)
    assert accounts(run.lines.all())[canoes] == later_net - net
    assert PayoutSkip.objects.filter(run=run, account=canoes).count() == 0


def test_no_debtor_account_no_run(runs):
    site = runs["site"]
    settings = PayoutSettings.for_site(site)
    settings.debtor_iban = ""
    settings.save()

    with pytest.raises(PayoutRunRefused) as refused:
        payout_run_prepare(site=site, until=timezone.localdate())

    assert refused.value.code == "no_debtor_account"
    assert "IBAN" in str(refused.value.message)
    assert not PayoutRun.objects.exists() and not PayoutLine.objects.exists()


def test_a_run_until_a_future_day_is_refused(runs):
    with pytest.raises(PayoutRunRefused) as refused:
        payout_run_plan(site=runs["site"], until=timezone.localdate() + dt.timedelta(days=1))
    assert refused.value.code == "until"


def test_details_are_read_at_the_run_s_date(runs):
    """Details approved after the run was prepared do not change where it pays."""
    site = runs["site"]
    canoes = f"provider:{runs['canoes'].pk}"
    run = payout_run_prepare(site=site, until=timezone.localdate())
    approve_details(runs, canoes, "DE89370400440532013000", "Alice")
    line = run.lines.get(account=canoes)
    line.refresh_from_db()
    assert line.iban == "FR7630006000011234567890189"
    assert line.bank_account.status == "superseded"


def test_the_plan_runs_a_constant_number_of_queries(runs, django_assert_max_num_queries):
    site, today = runs["site"], timezone.localdate()
    days_pass(runs["stay"])
    with django_assert_max_num_queries(10):
        plan = payout_run_plan(site=site, until=today)
    assert len(plan.payouts) == 3 and len(plan.skipped) == 2


def test_a_beneficiary_with_an_approved_stripe_account_is_left_to_stripe(runs):
    from commissions.models import Beneficiary

    site = runs["site"]
    before = payout_run_plan(site=site, until=timezone.localdate())
    assert "beneficiary:fonds" in accounts(before.payouts)
    Beneficiary.objects.filter(site=site, key="fonds").update(stripe_account="acct_fonds")

    plan = payout_run_plan(site=site, until=timezone.localdate())

    assert "beneficiary:fonds" not in accounts(plan.payouts)
    assert "beneficiary:fonds" not in reasons(plan.skipped)
    assert f"provider:{runs['canoes'].pk}" in accounts(plan.payouts)
