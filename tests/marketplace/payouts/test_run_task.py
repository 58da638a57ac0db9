"""The monthly payout run: prepared on the territory's day, once a month, finance told."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from wagtail.users.models import UserProfile

from marketplace.payouts.models import PayoutRun, PayoutSettings
from marketplace.payouts.runs import payout_run_cancel
from marketplace.payouts.tasks import payout_runs_monthly
from tests.marketplace.payouts.runs_helpers import runs_world_replay


@pytest.fixture
def runs(territory, category):
    return runs_world_replay(territory, category)


def run_day(site, day: int) -> None:
    settings = PayoutSettings.for_site(site)
    settings.run_day = day
    settings.save()


def test_on_its_day_a_run_is_prepared_once_and_finance_told(
    runs, django_capture_on_commit_callbacks
):
    run_day(runs["site"], timezone.localdate().day)
    profile = UserProfile.get_for_user(runs["finance2"])
    profile.preferred_language = "en"
    profile.save()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert payout_runs_monthly.call_local() == 1

    run = PayoutRun.objects.get()
    assert run.automatic and run.prepared_by is None and run.until == timezone.localdate()
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"finances@example.org", "finances2@example.org"}
    french, english = by_address["finances@example.org"], by_address["finances2@example.org"]
    assert french.subject == f"Remise de virements {run.reference} à vérifier"
    assert english.subject == f"Payout run {run.reference} to review"
    assert f"/admin/payout_runs/{run.pk}/" in french.body
    assert run.skips.count() == 1  # the tourism office, without bank details
    assert "1 destinataire n’a pas été payé" in french.body
    assert "1 recipient was not paid" in english.body
    html = french.alternatives[0][0]
    assert run.reference in html and "automatiquement" in html

    # The same day again, or after finance cancelled it: no second run this month.
    with django_capture_on_commit_callbacks(execute=True):
        assert payout_runs_monthly.call_local() == 0
    payout_run_cancel(run=run, by=runs["finance"])
    assert payout_runs_monthly.call_local() == 0
    assert PayoutRun.objects.count() == 1


def test_not_its_day_or_on_demand_only_no_run(runs):
    today = timezone.localdate()
    run_day(runs["site"], (today + dt.timedelta(days=1)).day)
    assert payout_runs_monthly.call_local() == 0
    run_day(runs["site"], 0)
    assert payout_runs_monthly.call_local() == 0
    assert not PayoutRun.objects.exists()


def test_without_a_debtor_account_the_day_passes_without_a_run(runs):
    run_day(runs["site"], timezone.localdate().day)
    settings = PayoutSettings.for_site(runs["site"])
    settings.debtor_iban = ""
    settings.save()
    mail.outbox.clear()

    assert payout_runs_monthly.call_local() == 0
    assert not PayoutRun.objects.exists() and not mail.outbox
