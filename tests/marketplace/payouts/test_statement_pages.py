"""The statement pages (issue 13 §3): finance reads any recipient's, a provider's members
their own provider's ("Mon relevé"), each with CSV and PDF; nobody else reads any."""

import csv
import io
from urllib.parse import urlparse

import pytest

from marketplace.books.ledger import provider_account
from tests.marketplace.payouts.statement_world import TAX_ACCOUNT, money_replay

FINANCE_URL = "/admin/statements/"
MINE_URL = "/admin/provider_statement/"


@pytest.fixture
def money(world, visitor):
    return money_replay(world, visitor)


def refused(response) -> bool:
    """A 403, or Wagtail's redirect of someone without the right (dashboard or login)."""
    if response.status_code == 403:
        return True
    if response.status_code != 302:
        return False
    where = urlparse(response["Location"]).path
    return where == "/admin/" or where.endswith("/login/")


def _period(money) -> dict:
    return {"since": money["since"].isoformat(), "until": money["today"].isoformat()}


def _csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_finance_picks_any_recipient_and_downloads_its_statement(client, money):
    client.force_login(money["finance"])
    page = client.get(FINANCE_URL)
    assert page.status_code == 200 and page.context["statement"] is None
    html = page.content.decode()
    for name in ("Camping du Torrent", "Canoës Alice", "Fonds local", "Trésorerie de Arvière"):
        assert name in html
    # The current month by default.
    assert page.context["form"].initial["since"].day == 1

    for account in (money["account"], "beneficiary:fonds", TAX_ACCOUNT):
        response = client.get(FINANCE_URL, {"account": account, **_period(money)})
        assert response.status_code == 200
        result = response.context["statement"]
        assert result.account == account
        assert result.payable + result.due == result.closing
        html = response.content.decode()
        assert "Solde de clôture" in html and "Téléchargement (CSV)" in html

    camping = client.get(FINANCE_URL, {"account": money["account"], **_period(money)})
    assert f"exigible le {money['during'].payable_on:%d/%m/%Y}" in camping.content.decode()
    rows = _csv_rows(
        client.get(FINANCE_URL + "csv/", {"account": money["account"], **_period(money)})
    )
    assert rows[0] == ["Relevé", "Camping du Torrent"]
    pdf = client.get(FINANCE_URL + "pdf/", {"account": TAX_ACCOUNT, **_period(money)})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "no-store" in pdf["Cache-Control"]


def test_finance_cannot_read_an_account_of_nobody(client, money):
    client.force_login(money["finance"])
    response = client.get(FINANCE_URL, {"account": "provider:999999", **_period(money)})
    assert response.status_code == 200 and response.context["statement"] is None
    assert response.context["form"].errors["account"]
    assert client.get(FINANCE_URL + "csv/", {"account": "provider:999999"}).status_code == 404


def test_a_member_reads_only_its_own_provider_s_statement(client, money):
    client.force_login(money["carla"])
    response = client.get(MINE_URL, _period(money))
    assert response.status_code == 200
    result = response.context["statement"]
    assert result.account == provider_account(money["camping"].pk)
    html = response.content.decode()
    assert f"exigible le {money['during'].payable_on:%d/%m/%Y}" in html
    assert "Payable au" in html and "À échoir" in html
    assert response.context["csv_url"].startswith(MINE_URL + "csv/?provider=")
    rows = _csv_rows(client.get(response.context["csv_url"]))
    assert rows[0] == ["Relevé", "Camping du Torrent"]
    pdf = client.get(response.context["pdf_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # Another provider's statement, on the page or as files: not found, nothing leaked.
    other = {"provider": money["canoes"].pk, **_period(money)}
    for url in (MINE_URL, MINE_URL + "csv/", MINE_URL + "pdf/"):
        answer = client.get(url, other)
        assert answer.status_code == 404
        assert b"Cano" not in answer.content
    # And finance's page is not theirs.
    assert refused(client.get(FINANCE_URL))
    assert refused(client.get(FINANCE_URL + "csv/", {"account": money["account"]}))


def test_finance_reads_a_provider_s_own_page_too_and_a_visitor_nothing(client, money, visitor):
    client.force_login(money["finance"])
    response = client.get(MINE_URL, {"provider": money["camping"].pk, **_period(money)})
    assert response.status_code == 200
    assert response.context["statement"].recipient.name == "Camping du Torrent"
    client.force_login(visitor)
    for url in (FINANCE_URL, FINANCE_URL + "pdf/", MINE_URL, MINE_URL + "csv/"):
        assert refused(client.get(url, {"account": money["account"]}))


def test_the_pages_speak_english_too(client, money):
    client.force_login(money["finance"])
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(money["finance"])
    profile.preferred_language = "en"
    profile.save()
    response = client.get(FINANCE_URL, {"account": money["account"], **_period(money)})
    html = response.content.decode()
    assert "Closing balance" in html and "Download (CSV)" in html
    rows = _csv_rows(
        client.get(FINANCE_URL + "csv/", {"account": money["account"], **_period(money)})
    )
    assert rows[0] == ["Statement", "Camping du Torrent"]


@pytest.mark.parametrize(
    "period",
    [{"until": "2020-01-31"}, {"since": "2990-01-01"}, {"since": "2030-02-01", "until": "x"}],
)
def test_one_end_of_the_period_is_enough(client, money, period):
    client.force_login(money["carla"])
    response = client.get(MINE_URL, period)
    assert response.status_code == 200
    result = response.context["statement"]
    assert result.since <= result.until
    if "until" in period and period["until"] != "x":
        assert result.until.isoformat() == period["until"]
    client.force_login(money["finance"])
    answer = client.get(FINANCE_URL + "csv/", {"account": money["account"], **period})
    assert answer.status_code in (200, 404)


def test_the_pages_take_as_many_queries_for_many_lines_as_for_few(client, money):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.marketplace.payouts.statement_world import paid_out

    def count(url, params):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        return len(queries)

    finance_params = {"account": money["account"], **_period(money)}
    mine_params = {"provider": money["camping"].pk, **_period(money)}
    client.force_login(money["finance"])
    client.get(FINANCE_URL, finance_params)  # sessions, settings and menus warmed up
    before = (count(FINANCE_URL, finance_params), count(MINE_URL, mine_params))
    for n in range(8):
        paid_out(money["site"], money["account"], 10 + n, run=f"VIR-{n}", when=None)
    after = (count(FINANCE_URL, finance_params), count(MINE_URL, mine_params))
    assert after == before


def test_the_reader_s_time_zone_does_not_move_the_period(client, money):
    """Wagtail's admin runs in each reader's time zone; the statement keeps the
    territory's days: a payout the evening before the period (in Paris) is in the
    opening balance, even for a reader in Auckland, where it was already the next day."""
    import datetime as dt

    from wagtail.users.models import UserProfile

    from commissions.dates import territory_day_start
    from tests.marketplace.payouts.statement_world import paid_out

    evening = territory_day_start(money["since"]) - dt.timedelta(hours=1)
    paid_out(money["site"], money["account"], 77, run="VIR-EVENING", when=evening)
    profile = UserProfile.get_for_user(money["finance"])
    profile.current_time_zone = "Pacific/Auckland"
    profile.save()
    client.force_login(money["finance"])
    response = client.get(FINANCE_URL, {"account": money["account"], **_period(money)})
    result = response.context["statement"]
    assert "VIR-EVENING" not in [line.reference for line in result.lines]
    assert result.opening == money["before"].provider_net - 77
