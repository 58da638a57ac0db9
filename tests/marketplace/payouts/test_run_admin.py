"""Finance's payout runs through their real URLs: the list, the plan then the run, a run's
page and file, mark as sent, cancel; nobody else reaches them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.payouts.models import PayoutRun, PayoutRunStatus, PayoutSettings
from marketplace.payouts.payable import payable_balance
from marketplace.payouts.runs import payout_run_prepare
from tests.booking_helpers import book
from tests.marketplace.payouts.runs_helpers import runs_world_replay

INDEX = "/admin/payout_runs/"
PREPARE = "/admin/payout_runs/prepare/"


@pytest.fixture
def runs(territory, category):
    return runs_world_replay(territory, category)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_finance_sees_the_plan_then_prepares_the_run(client, runs):
    client.force_login(runs["finance"])

    page = client.get(PREPARE)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Canoës Alice" in html and "FR76 3000 6000 0112 3456 7890 189" in html
    assert "Office de tourisme" in html and "Pas de coordonnées bancaires approuvées" in html
    assert "Ferme Bob" not in html  # paid by Stripe
    assert not PayoutRun.objects.exists()

    today = timezone.localdate().isoformat()
    total = page.context["plan"].total
    assert f'name="total" value="{total}"' in html
    response = client.post(PREPARE, {"until": today, "total": total}, follow=True)

    run = PayoutRun.objects.get()
    assert response.redirect_chain[-1][0] == reverse("payout_runs:detail", args=[run.pk])
    (message,) = messages_of(response)
    assert run.reference in message and "préparé" in message
    assert run.prepared_by == runs["finance"]
    html = response.content.decode()
    assert reverse("payout_runs:sepa", args=[run.pk]) in html
    assert reverse("payout_runs:mark_sent", args=[run.pk]) in html


def test_a_future_day_is_refused_on_the_form(client, runs):
    client.force_login(runs["finance"])
    future = (timezone.localdate() + timezone.timedelta(days=2)).isoformat()

    page = client.post(PREPARE, {"until": future})

    assert page.status_code == 200
    assert "dans le futur" in page.content.decode()
    assert not PayoutRun.objects.exists()


def test_without_a_debtor_account_the_plan_says_so_and_no_run_is_prepared(client, runs):
    settings = PayoutSettings.for_site(runs["site"])
    settings.debtor_iban = ""
    settings.save()
    client.force_login(runs["finance"])

    page = client.get(PREPARE)
    html = page.content.decode()
    assert "Canoës Alice" in html
    assert (
        reverse("wagtailsettings:edit", args=["payouts", "payoutsettings", runs["site"].pk]) in html
    )
    response = client.post(PREPARE, {"until": timezone.localdate().isoformat(), "total": "1"})

    assert response.status_code == 200
    assert any("IBAN" in m for m in messages_of(response))
    assert not PayoutRun.objects.exists()


def test_the_run_s_file_then_mark_as_sent_confirmed_first(client, runs):
    run = payout_run_prepare(site=runs["site"], until=timezone.localdate())
    client.force_login(runs["finance2"])

    download = client.get(reverse("payout_runs:sepa", args=[run.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{run.reference}.xml"'
    assert b"<CtrlSum>" in download.content

    url = reverse("payout_runs:mark_sent", args=[run.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and run.reference in confirm.content.decode()
    run.refresh_from_db()
    assert run.status == PayoutRunStatus.PREPARED

    first = client.post(url, follow=True)
    again = client.post(url, follow=True)

    run.refresh_from_db()
    assert run.status == PayoutRunStatus.SENT and run.sent_by == runs["finance2"]
    assert "envoyé" in messages_of(first)[0]
    assert "déjà" in messages_of(again)[0]
    # Sent: no cancel any more, the file is still there.
    refused = client.post(reverse("payout_runs:cancel", args=[run.pk]), follow=True)
    assert "ne peut plus être annulé" in messages_of(refused)[0]
    assert client.get(reverse("payout_runs:sepa", args=[run.pk])).status_code == 200


def test_cancel_reverses_the_payouts(client, runs):
    site = runs["site"]
    canoes = f"provider:{runs['canoes'].pk}"
    today = timezone.localdate()
    owed = payable_balance(site=site, account=canoes, on=today).payable
    run = payout_run_prepare(site=site, until=today)
    client.force_login(runs["finance"])

    response = client.post(reverse("payout_runs:cancel", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert run.status == PayoutRunStatus.CANCELLED
    assert "annulé" in messages_of(response)[0]
    assert payable_balance(site=site, account=canoes, on=today).payable == owed
    assert client.get(reverse("payout_runs:sepa", args=[run.pk])).status_code == 404


@pytest.mark.parametrize("who", ["alice", "visitor"])
def test_providers_and_visitors_never_reach_runs(client, runs, who):
    run = payout_run_prepare(site=runs["site"], until=timezone.localdate())
    client.force_login(runs[who])
    for url in (
        INDEX,
        PREPARE,
        reverse("payout_runs:detail", args=[run.pk]),
        reverse("payout_runs:sepa", args=[run.pk]),
        reverse("payout_runs:mark_sent", args=[run.pk]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
    client.post(reverse("payout_runs:cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == PayoutRunStatus.PREPARED


def test_anonymous_is_sent_to_the_login_page(client, runs):
    response = client.get(INDEX)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_list_runs_a_constant_number_of_queries(client, runs, django_assert_max_num_queries):
    site, today = runs["site"], timezone.localdate()
    payout_run_prepare(site=site, until=today)
    client.force_login(runs["finance"])
    client.get(INDEX)  # warm the per-process caches

    with django_assert_max_num_queries(30) as few:
        response = client.get(INDEX)
    assert response.status_code == 200
    for _ in range(4):
        book(runs["visitor"], runs["honey_offer"], quantity=1)
        payout_run_prepare(site=site, until=today, by=runs["finance2"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(INDEX)
    html = response.content.decode()
    assert html.count("VIR-") == 5


def test_another_territory_s_run_is_a_404(client, runs):
    from wagtail.models import Site

    other = Site.objects.create(
        hostname="autre.example", port=80, root_page=runs["site"].root_page, site_name="Autre"
    )
    run = payout_run_prepare(site=runs["site"], until=timezone.localdate())
    PayoutRun.objects.filter(pk=run.pk).update(site=other)
    client.force_login(runs["finance"])

    assert client.get(reverse("payout_runs:detail", args=[run.pk])).status_code == 404
    assert client.get(reverse("payout_runs:sepa", args=[run.pk])).status_code == 404
    assert client.post(reverse("payout_runs:cancel", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == PayoutRunStatus.PREPARED


def test_a_plan_that_changed_since_it_was_shown_is_not_prepared(client, runs):
    client.force_login(runs["finance"])
    shown = client.get(PREPARE).context["plan"].total
    book(runs["visitor"], runs["honey_offer"], quantity=1)  # a new sale meanwhile
    today = timezone.localdate().isoformat()

    changed = client.post(PREPARE, {"until": today, "total": shown})
    missing = client.post(PREPARE, {"until": today})

    assert changed.status_code == 200
    (message,) = messages_of(changed)
    assert "a changé" in message and "aucune remise" in message
    assert changed.context["plan"].total > shown  # the new plan, to check again
    assert missing.status_code == 200 and not PayoutRun.objects.exists()
    response = client.post(
        PREPARE, {"until": today, "total": changed.context["plan"].total}, follow=True
    )
    assert PayoutRun.objects.count() == 1 and response.status_code == 200


@pytest.mark.parametrize(
    ("automatic", "said"),
    [(True, "automatiquement"), (False, "par la commande payout_run")],
)
def test_a_run_prepared_by_nobody_says_how_it_was(client, runs, automatic, said):
    """The monthly task and the command both prepare without a person: the pages say
    which (the command's run was once called automatic)."""
    run = payout_run_prepare(site=runs["site"], until=timezone.localdate(), automatic=automatic)
    client.force_login(runs["finance"])
    detail = client.get(reverse("payout_runs:detail", args=[run.pk])).content.decode()
    index = client.get(reverse("payout_runs:index")).content.decode()
    assert said in detail and said in index
