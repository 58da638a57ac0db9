"""Statements of recipients paid by a real payout run (issue 13 §3): the run's line is on
the statement with the run's reference, the e-mail goes for each line of the run, and a
cancelled run gives the money back to what is payable."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from commissions.models import Beneficiary
from marketplace.payouts.notify import run_statement_period, statement_send
from marketplace.payouts.runs import payout_run_cancel, payout_run_mark_sent, payout_run_prepare
from marketplace.payouts.statements import PAYOUT, recipient_statement
from marketplace.tourist_tax.models import TaxCollector
from tests.marketplace.payouts.runs_helpers import days_pass, runs_world_replay


@pytest.fixture
def runs(territory, category):
    return runs_world_replay(territory, category)


def test_a_run_s_lines_are_on_each_recipient_s_statement_and_e_mailed(runs):
    site, today = runs["site"], timezone.localdate()
    days_pass(runs["stay"])
    TaxCollector.objects.filter(pk=runs["collector"].pk).update(email="sgc@example.org")
    run = payout_run_prepare(site=site, until=today, by=runs["finance"])
    lines = list(run.lines.order_by("account"))
    assert lines
    since = today.replace(day=1) - dt.timedelta(days=1)
    mail.outbox.clear()
    sent = {}
    for line in lines:
        result = recipient_statement(site=site, account=line.account, since=since, until=today)
        (payout,) = [row for row in result.lines if row.kind == PAYOUT]
        assert payout.reference == run.reference and payout.amount == -line.amount
        assert result.paid_out == line.amount
        # Everything payable was paid: what is left is due later, or nothing.
        assert result.payable == 0 and result.closing == result.due
        sent[line.account] = statement_send(
            site=site, account=line.account, since=since, until=today
        )
    canoes = f"provider:{runs['canoes'].pk}"
    assert sent[canoes] and sent[runs["collector"].account]
    assert sent.get("beneficiary:fonds") is False  # no e-mail address for a beneficiary
    assert {m.to[0] for m in mail.outbox} == {"canoes@example.org", "sgc@example.org"}

    payout_run_cancel(run=run, by=runs["finance"])
    again = recipient_statement(site=site, account=canoes, since=since, until=today)
    assert again.paid_out == 0 and again.payable == again.closing > 0
    assert [row.kind for row in again.lines if row.reference == run.reference] == [PAYOUT, PAYOUT]


def test_marking_a_run_sent_e_mails_each_recipient_its_statement_once(
    runs, django_capture_on_commit_callbacks
):
    site, today = runs["site"], timezone.localdate()
    days_pass(runs["stay"])
    TaxCollector.objects.filter(pk=runs["collector"].pk).update(email="sgc@example.org")
    # The local fund's e-mail for statements (its live row holds the approved values).
    Beneficiary.objects.filter(site=site, key="fonds").update(email="fonds@example.org")
    run = payout_run_prepare(site=site, until=today, by=runs["finance"])
    assert {"beneficiary:fonds", f"provider:{runs['canoes'].pk}"} <= set(
        run.lines.values_list("account", flat=True)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payout_run_mark_sent(run=run, by=runs["finance2"])
    assert sorted(m.to[0] for m in mail.outbox) == [
        "canoes@example.org",
        "fonds@example.org",
        "sgc@example.org",
    ]
    for message in mail.outbox:
        (name, content, mimetype) = message.attachments[0]
        assert mimetype == "application/pdf" and content[:4] == b"%PDF"
        assert name.endswith(".pdf")
    assert run_statement_period(run) == (today.replace(day=1), today)
    # Marked sent again: nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        payout_run_mark_sent(run=run, by=runs["finance2"])
    assert len(mail.outbox) == 3


def test_a_payout_says_whether_its_run_was_sent_to_the_bank(runs):
    site, today = runs["site"], timezone.localdate()
    canoes = f"provider:{runs['canoes'].pk}"
    run = payout_run_prepare(site=site, until=today, by=runs["finance"])

    def payout_label():
        result = recipient_statement(site=site, account=canoes, since=today, until=today)
        (line,) = [row for row in result.lines if row.kind == PAYOUT]
        return line.kind_label

    assert payout_label() == "Versement (virement bancaire) préparé, pas encore envoyé à la banque"
    payout_run_mark_sent(run=run, by=runs["finance2"])
    assert payout_label() == "Versement (virement bancaire)"
