"""The FEC export (issue 15 §3): the file's structure, formats and encoding, entries that
balance and are numbered without gaps, the year's bounds in Paris, the territory's
chart of accounts and its VAT, and the command.

The money is the statements' world (``tests.marketplace.payouts.statement_world``):
stays with a tourist tax, an activity cancelled and refunded, goods, a payout run, made
through the real checkout and transitions; plus what a payment provider posts (its
fee, the share of it charged to the commission, a transfer, a reversed payout).
"""

import datetime as dt
import io
import re
from collections import defaultdict
from decimal import Decimal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Sum
from hypothesis import given
from hypothesis import strategies as st
from wagtail.models import Site

from marketplace.books.chart import (
    DEFAULT_CHART,
    Chart,
    ChartError,
    chart_overrides_parse,
    has_auxiliary,
)
from marketplace.books.fec import (
    ENCODING,
    FEC_COLUMNS,
    FecError,
    fec_entries,
    fec_export,
    fec_filename,
    vat_part,
)
from marketplace.books.ledger import (
    CLEARING_ACCOUNT,
    OPERATOR_ACCOUNT,
    PSP_FEES_ACCOUNT,
    ledger_post,
    ledger_reverse,
)
from marketplace.books.models import LedgerEntry, LedgerTransaction
from marketplace.models import TerritorySettings
from tests.marketplace.payouts.conftest import bank_world_replay
from tests.marketplace.payouts.statement_world import money_replay, paid_out

PARIS = ZoneInfo("Europe/Paris")
AMOUNT_RE = re.compile(r"^(0|[1-9][0-9]*),[0-9]{2}$")
DATE_RE = re.compile(r"^[0-9]{8}$")


@pytest.fixture
def money(territory, category, visitor):
    world = bank_world_replay(territory, category)
    money = money_replay(world, visitor)
    site = money["site"]
    confirmed = LedgerTransaction.objects.filter(
        site=site, booking_ref=money["during"].reference, kind="order_confirmed"
    ).get()
    when = confirmed.occurred_at
    # What a payment provider posts: its fee, the part charged to the commission, a
    # transfer to a connected account, a payout run's transfer that bounced.
    ledger_post(
        site=site,
        kind="fee",
        idempotency_key="test:psp_fee",
        entries=[(PSP_FEES_ACCOUNT, 87), (CLEARING_ACCOUNT, -87)],
        memo="ORD-X Stripe",
        external_ref="txn_123",
        occurred_at=when,
    )
    ledger_post(
        site=site,
        kind="adjustment",
        idempotency_key="test:psp_fee:recharge",
        entries=[("beneficiary:fonds", 20), (OPERATOR_ACCOUNT, 10), (PSP_FEES_ACCOUNT, -30)],
        memo="Stripe fee\tfrom\ncommission",
        occurred_at=when,
    )
    ledger_post(
        site=site,
        kind="transfer",
        idempotency_key="test:transfer",
        entries=[(money["account"], 500), (CLEARING_ACCOUNT, -500)],
        external_ref="tr_1",
        occurred_at=when,
    )
    bounced = paid_out(site, "beneficiary:fonds", 40, run="VIR-2026-002", when=when)
    ledger_reverse(transaction=bounced, idempotency_key="test:bounced", occurred_at=when)
    money["year"] = timezone_year(when)
    return money


def timezone_year(moment) -> int:
    return moment.astimezone(PARIS).year


def territory_set(site, **values):
    territory = TerritorySettings.for_site(site)
    for name, value in values.items():
        setattr(territory, name, value)
    territory.save()


def parse(data: bytes) -> list[list[str]]:
    text = data.decode(ENCODING)
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert all("\n" not in line and "\r" not in line for line in lines)
    return [line.split("\t") for line in lines]


def cents(text: str) -> int:
    assert AMOUNT_RE.match(text), text
    euros, hundredths = text.split(",")
    return int(euros) * 100 + int(hundredths)


def by_entry(rows) -> dict[int, list[dict]]:
    entries = defaultdict(list)
    for row in rows[1:]:
        line = dict(zip(FEC_COLUMNS, row, strict=True))
        entries[int(line["EcritureNum"])].append(line)
    return entries


def ledger_debits(site, year) -> int:
    start = dt.datetime(year, 1, 1, tzinfo=PARIS)
    end = dt.datetime(year + 1, 1, 1, tzinfo=PARIS)
    return LedgerEntry.objects.filter(
        transaction__site=site,
        transaction__occurred_at__gte=start,
        transaction__occurred_at__lt=end,
        amount__gt=0,
    ).aggregate(total=Sum("amount"))["total"]


def test_the_file_has_the_published_columns_formats_and_encoding(money):
    site, year = money["site"], money["year"]
    territory_set(site, subject_to_vat=False)
    data = fec_export(site=site, year=year)
    rows = parse(data)
    assert rows[0] == [
        "JournalCode",
        "JournalLib",
        "EcritureNum",
        "EcritureDate",
        "CompteNum",
        "CompteLib",
        "CompAuxNum",
        "CompAuxLib",
        "PieceRef",
        "PieceDate",
        "EcritureLib",
        "Debit",
        "Credit",
        "EcritureLet",
        "DateLet",
        "ValidDate",
        "Montantdevise",
        "Idevise",
    ]
    assert len(rows) > 20
    for row in rows[1:]:
        assert len(row) == 18, row
        line = dict(zip(FEC_COLUMNS, row, strict=True))
        for name in ("EcritureDate", "PieceDate", "ValidDate"):
            assert DATE_RE.match(line[name]) and line[name][:4] >= str(year), line
            dt.datetime.strptime(line[name], "%Y%m%d")
        assert line["EcritureDate"][:4] == str(year)
        assert line["ValidDate"] >= line["EcritureDate"]
        debit, credit = cents(line["Debit"]), cents(line["Credit"])
        assert (debit > 0) != (credit > 0), line  # one side per line, never zero
        for name in ("JournalCode", "JournalLib", "CompteNum", "CompteLib", "PieceRef"):
            assert line[name], (name, line)
        assert line["EcritureLib"].strip()
        assert re.match(r"^[1-8][0-9]{2,}$", line["CompteNum"])
    # Latin-9, not UTF-8: "Opérations"/"Prestataires, sommes encaissées" in one byte each.
    assert "é".encode(ENCODING) in data and "é".encode() not in data
    # The memo's tab and line break never break the file.
    assert any(row[10] == "Régularisation Stripe fee from commission" for row in rows[1:])
    refund = money["cancelled"]
    assert any(
        row[10] == f"Remboursement {refund.order.reference} {refund.reference}" for row in rows[1:]
    )
    # Every journal is used.
    assert {row[0] for row in rows[1:]} == {"VT", "ST", "BQ", "OD"}


def test_every_entry_balances_and_entries_are_numbered_without_gaps_in_date_order(money):
    site, year = money["site"], money["year"]
    for subject_to_vat in (False, True):
        territory_set(site, subject_to_vat=subject_to_vat)
        entries = by_entry(parse(fec_export(site=site, year=year)))
        assert sorted(entries) == list(range(1, len(entries) + 1))
        dates = [entries[num][0]["EcritureDate"] for num in sorted(entries)]
        assert dates == sorted(dates)
        for num, lines in entries.items():
            assert len({line["EcritureDate"] for line in lines}) == 1
            assert len({line["JournalCode"] for line in lines}) == 1
            debit = sum(cents(line["Debit"]) for line in lines)
            credit = sum(cents(line["Credit"]) for line in lines)
            assert debit == credit > 0, (num, lines)


def test_the_file_moves_what_the_ledger_moved_in_the_year(money):
    site, year = money["site"], money["year"]
    territory_set(site, subject_to_vat=False)
    rows = parse(fec_export(site=site, year=year))
    start = dt.datetime(year, 1, 1, tzinfo=PARIS)
    end = dt.datetime(year + 1, 1, 1, tzinfo=PARIS)
    standing = (
        LedgerTransaction.objects.filter(site=site, occurred_at__gte=start, occurred_at__lt=end)
        .filter(entries__isnull=False)
        .distinct()
    )
    assert len(by_entry(rows)) == standing.count()
    assert sum(cents(row[11]) for row in rows[1:]) == ledger_debits(site, year)
    assert sum(cents(row[12]) for row in rows[1:]) == ledger_debits(site, year)
    # Per auxiliary account (a provider, a beneficiary, a commune): the ledger's balance.
    balances = defaultdict(int)
    for row in rows[1:]:
        if row[6]:
            balances[row[6]] += cents(row[11]) - cents(row[12])
    for account in (money["account"], "beneficiary:fonds", "tax:tourist:arviere-le-bourg"):
        ledger = LedgerEntry.objects.filter(
            transaction__site=site,
            transaction__occurred_at__gte=start,
            transaction__occurred_at__lt=end,
            account=account,
        ).aggregate(total=Sum("amount"))["total"]
        assert balances[account] == ledger, account
    # The provider's legal name names its auxiliary account.
    camping = money["camping"]
    assert {row[7] for row in rows[1:] if row[6] == money["account"]} == {camping.legal_name}


def test_transactions_outside_the_year_are_left_out_by_the_paris_calendar(money):
    site, year = money["site"], money["year"]
    territory_set(site, subject_to_vat=False)
    inside = fec_entries(site=site, year=year)

    def post(key, moment):
        return ledger_post(
            site=site,
            kind="adjustment",
            idempotency_key=key,
            entries=[("platform:bank", 100), (OPERATOR_ACCOUNT, -100)],
            occurred_at=moment,
        )

    # 23:30 in Paris on New Year's Eve is the old year; 00:30 on New Year's Day, the new.
    before = post("test:before", dt.datetime(year - 1, 12, 31, 23, 30, tzinfo=PARIS))
    after = post("test:after", dt.datetime(year + 1, 1, 1, 0, 30, tzinfo=PARIS))
    first = post("test:first", dt.datetime(year, 1, 1, 0, 30, tzinfo=PARIS))
    last = post("test:last", dt.datetime(year, 12, 31, 23, 30, tzinfo=PARIS))
    assert before.occurred_at.astimezone(dt.UTC).year == year - 1
    assert after.occurred_at.astimezone(dt.UTC).year == year  # still the year in UTC
    entries = fec_entries(site=site, year=year)
    ids = [entry.transaction_id for entry in entries]
    assert ids[0] == first.pk and ids[-1] == last.pk
    assert before.pk not in ids and after.pk not in ids
    assert len(entries) == len(inside) + 2
    assert [entry.num for entry in entries] == list(range(1, len(entries) + 1))
    assert [e.transaction_id for e in fec_entries(site=site, year=year + 1)] == [after.pk]


def test_the_default_chart_and_a_territory_s_overrides(money):
    site, year = money["site"], money["year"]
    territory_set(site, subject_to_vat=False)
    rows = parse(fec_export(site=site, year=year))
    accounts = {(row[4], row[6]) for row in rows[1:]}
    assert ("4671", money["account"]) in accounts
    assert ("4472", "") not in accounts
    assert ("4471", "tax:tourist:arviere-le-bourg") in accounts
    assert ("4672", "beneficiary:fonds") in accounts
    assert {"5171", "512", "627", "706"} <= {num for num, _aux in accounts}
    territory_set(
        site,
        fec_accounts={
            "provider": {"num": "401", "lib": "Fournisseurs"},
            "tax:tourist": "44781",
            "platform:operator": "7082",
        },
    )
    rows = parse(fec_export(site=site, year=year))
    lines = {(row[4], row[5], row[6]) for row in rows[1:]}
    assert ("401", "Fournisseurs", money["account"]) in lines
    # A bare number keeps the default label of its family.
    assert ("44781", "Taxe de séjour collectée", "tax:tourist:arviere-le-bourg") in lines
    assert {row[4] for row in rows[1:]} >= {"401", "44781", "7082", "4672", "5171"}
    assert not {"4671", "4471", "706"} & {row[4] for row in rows[1:]}
    # A beneficiary that is the operator itself, mapped to revenue: no auxiliary there.
    territory_set(
        site,
        fec_accounts={
            "beneficiary:fonds": {"num": "706", "lib": "Prestations de services (commissions)"}
        },
    )
    rows = parse(fec_export(site=site, year=year))
    assert {(row[6], row[7]) for row in rows[1:] if row[4] == "706"} == {("", "")}
    assert "beneficiary:fonds" not in {row[6] for row in rows[1:]}
    assert "beneficiary:ot" in {row[6] for row in rows[1:] if row[4] == "4672"}


def test_the_default_chart_names_each_number_once():
    labels = defaultdict(set)
    for account in DEFAULT_CHART.values():
        labels[account.num].add(account.lib)
    assert all(len(libs) == 1 for libs in labels.values()), labels
    assert chart_overrides_parse({}) == {}
    same = {"num": "467", "lib": "Tiers"}
    assert chart_overrides_parse({"provider": same, "beneficiary": same})


def test_the_most_specific_key_wins():
    chart = Chart(chart_overrides_parse({"platform": "4718", "beneficiary:ot": "4673"}))
    assert chart.account("platform:bank").num == "512"  # the default's exact key
    assert chart.account("platform:somewhere").num == "4718"
    assert chart.account("beneficiary:ot").num == "4673"
    assert chart.account("beneficiary:fonds").num == "4672"
    assert chart.vat.num == "44571"


def test_the_ledgers_vat_maps_to_the_vat_account_without_auxiliary():
    assert Chart().account("tax:vat") == DEFAULT_CHART["vat"]
    assert Chart().account("tax:vat").num == "44571"
    assert Chart(chart_overrides_parse({"vat": "445711"})).account("tax:vat").num == "445711"
    own = Chart(chart_overrides_parse({"tax:vat": "445712"})).account("tax:vat")
    assert (own.num, own.lib) == ("445712", "TVA collectée")
    assert Chart().account("tax:other").num == "447"
    assert not has_auxiliary("tax:vat") and has_auxiliary("tax:tourist:arviere")


@pytest.mark.parametrize(
    "overrides",
    [
        ["provider", "401"],
        {"provider": 401},
        {"provider": "41"},
        {"provider": "9999"},
        {"provider": "401A"},
        {"providers": "401"},
        {"provider:": "401"},
        {"provider": {"number": "401"}},
        {"provider": {"num": "401", "lib": "two\nlines"}},
        {"provider": {"num": "401", "lib": ""}},
        # One number, two labels: the providers' account given to the operator's share.
        {"platform:operator": "4671"},
        {"provider": "467", "beneficiary": "467"},
    ],
)
def test_a_malformed_mapping_is_refused_clearly(overrides, territory):
    with pytest.raises(ChartError) as refused:
        chart_overrides_parse(overrides)
    assert refused.value.errors
    territory_set(territory, fec_accounts=overrides)
    with pytest.raises(FecError, match="fec_accounts"):
        fec_export(site=territory, year=2026)
    with pytest.raises(CommandError, match="fec_accounts"):
        call_command("fec_export", "--year", "2026", stdout=io.StringIO())
    settings = TerritorySettings.for_site(territory)
    with pytest.raises(ValidationError) as invalid:
        settings.full_clean()
    assert "fec_accounts" in invalid.value.message_dict


def test_vat_on_the_commission_is_split_from_confirmations_and_refunds(money):
    """Bookings whose ledger has no VAT set aside (confirmed while the territory was not
    subject to VAT, or before the ledger kept it): the FEC splits their commission lines
    itself at the current rate. (Where the ledger has ``tax:vat``, it reads that:
    tests/marketplace/orders/test_commission_vat.py.)"""
    site, year = money["site"], money["year"]
    territory_set(site, subject_to_vat=False)
    without = fec_entries(site=site, year=year)
    territory_set(site, subject_to_vat=True, vat_rate=Decimal("20.00"))
    with_vat = fec_entries(site=site, year=year)
    assert [e.transaction_id for e in with_vat] == [e.transaction_id for e in without]
    confirmed = LedgerTransaction.objects.get(
        site=site, kind="order_confirmed", booking_ref=money["during"].reference
    )
    refunded = LedgerTransaction.objects.get(
        site=site, kind="refund", reverses__isnull=False, booking_ref=money["cancelled"].reference
    )
    split = 0
    for before, after in zip(without, with_vat, strict=True):
        assert sum(line.amount for line in after.lines) == 0
        vat_lines = [line for line in after.lines if line.account.num == "44571"]
        tx_id = after.transaction_id
        if tx_id not in (confirmed.pk, refunded.pk):
            kind = LedgerTransaction.objects.get(pk=tx_id).kind
            if kind not in ("order_confirmed", "refund"):
                assert after.lines == before.lines  # fees, transfers, payouts: no VAT
            continue
        split += 1
        ledger = dict(
            LedgerTransaction.objects.get(pk=tx_id).entries.values_list("account", "amount")
        )
        commission = {
            a: c for a, c in ledger.items() if a.startswith("beneficiary:") or a == OPERATOR_ACCOUNT
        }
        expected_vat = sum(vat_part(c, Decimal(20)) for c in commission.values())
        assert len(vat_lines) == 1 and vat_lines[0].amount == expected_vat != 0
        # Credited on a confirmation, debited back on a refund.
        assert (expected_vat < 0) == (tx_id == confirmed.pk)
        for line in after.lines:
            if line.ledger_account in commission:
                amount = commission[line.ledger_account]
                assert line.amount == amount - vat_part(amount, Decimal(20))
        # Everything but the commission is untouched.
        assert [line for line in after.lines if line.ledger_account not in commission][:-1] == [
            line for line in before.lines if line.ledger_account not in commission
        ]
    assert split == 2


def test_vat_part_rounds_half_up_on_the_amount_excluding_vat():
    assert vat_part(120, Decimal(20)) == 20
    assert vat_part(-120, Decimal(20)) == -20
    assert vat_part(1, Decimal(20)) == 0  # 0.833 → 1 cent excl. VAT
    assert vat_part(3, Decimal(20)) == 0  # 2.5 → 3 excl. VAT (half up)
    assert vat_part(1000, Decimal("5.5")) == 52  # 947.87 → 948
    assert vat_part(999, Decimal(0)) == 0


def test_a_territory_exports_only_its_own_books(money):
    site, year = money["site"], money["year"]
    other = Site.objects.create(hostname="autre.example.org", port=80, root_page=site.root_page)
    when = dt.datetime(year, 6, 1, 12, tzinfo=PARIS)
    theirs = ledger_post(
        site=other,
        kind="adjustment",
        idempotency_key="test:other",
        entries=[("platform:bank", 100), (OPERATOR_ACCOUNT, -100)],
        occurred_at=when,
    )
    ours = [e.transaction_id for e in fec_entries(site=site, year=year)]
    assert theirs.pk not in ours
    out = io.StringIO()
    call_command("fec_export", "--year", str(year), "--site", "autre.example.org", stdout=out)
    rows = [line.split("\t") for line in out.getvalue().split("\r\n")[:-1]]
    assert len(rows) == 3 and rows[1][2] == rows[2][2] == "1"
    assert {row[4] for row in rows[1:]} == {"512", "706"}
    with pytest.raises(CommandError, match="No site"):
        call_command("fec_export", "--year", str(year), "--site", "nowhere.example.org")


def test_the_command_writes_the_file_under_the_expected_name(money, tmp_path):
    site, year = money["site"], money["year"]
    territory_set(site, operator_siret="73282932000074")
    assert fec_filename(site=site, year=year) == f"732829320FEC{year}1231.txt"
    call_command("fec_export", "--year", str(year), "--output", str(tmp_path), stderr=io.StringIO())
    written = tmp_path / f"732829320FEC{year}1231.txt"
    assert written.read_bytes() == fec_export(site=site, year=year)
    out = io.StringIO()
    call_command("fec_export", "--year", str(year), stdout=out)
    assert out.getvalue().encode(ENCODING) == written.read_bytes()
    named = tmp_path / "books.txt"
    call_command("fec_export", "--year", str(year), "--output", str(named), stderr=io.StringIO())
    assert named.read_bytes() == written.read_bytes()
    with pytest.raises(CommandError, match="--output"):
        call_command(
            "fec_export", "--year", str(year), "--output", str(tmp_path / "no" / "such.txt")
        )
    with pytest.raises(CommandError, match="--year"):
        call_command("fec_export", "--year", "26", stdout=io.StringIO())


def test_a_year_in_another_currency_is_refused(territory):
    ledger_post(
        site=territory,
        kind="adjustment",
        idempotency_key="test:chf",
        currency="CHF",
        entries=[("platform:bank", 100), (OPERATOR_ACCOUNT, -100)],
        occurred_at=dt.datetime(2026, 3, 1, tzinfo=PARIS),
    )
    with pytest.raises(CommandError, match="CHF"):
        call_command("fec_export", "--year", "2026", stdout=io.StringIO())


# --- The admin ---------------------------------------------------------------------------

FEC_URL = "/admin/fec_export/"


def test_finance_downloads_the_year_s_fec_from_the_ledger_menu(money, client):
    site, year = money["site"], money["year"]
    client.force_login(money["finance"])
    page = client.get(FEC_URL)
    assert page.status_code == 200
    assert 'name="year"' in page.content.decode()
    assert FEC_URL in client.get("/admin/").content.decode()  # in the "Ledger" menu
    response = client.get(FEC_URL, {"year": year})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=iso-8859-15"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{fec_filename(site=site, year=year)}"'
    )
    assert response.content == fec_export(site=site, year=year)


def refused(response) -> bool:
    if response.status_code == 403:
        return True
    # Wagtail sends someone without access to the dashboard, or to the login page.
    return response.status_code == 302 and "fec" not in urlparse(response["Location"]).path


def test_nobody_but_finance_downloads_the_fec(money, client):
    from cms.services import EDITORS_GROUP
    from tests.factories import make_user

    editor = make_user("editrice2@example.org", groups=(EDITORS_GROUP,))
    for user in (money["carla"], money["alice"], editor):
        client.force_login(user)
        assert FEC_URL not in client.get("/admin/").content.decode()
        for params in ({}, {"year": money["year"]}):
            response = client.get(FEC_URL, params)
            assert refused(response), (user, response.status_code)
            assert "attachment" not in response.get("Content-Disposition", "")
    client.logout()
    response = client.get(FEC_URL, {"year": money["year"]})
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_malformed_mapping_is_a_message_on_the_page(money, client):
    territory_set(money["site"], fec_accounts={"provider": "41"})
    client.force_login(money["finance"])
    response = client.get(FEC_URL, {"year": money["year"]})
    assert response.status_code == 200
    assert "text/html" in response["Content-Type"]
    assert "PCG" in response.content.decode()


def test_the_settings_form_refuses_a_malformed_mapping(territory):
    from wagtail.admin.panels import get_edit_handler

    from tests.factories import make_user

    admin = make_user("root@example.org", is_superuser=True)
    form_class = get_edit_handler(TerritorySettings).get_form_class()
    instance = TerritorySettings.for_site(territory)
    initial = form_class(instance=instance, for_user=admin)
    data = {name: initial[name].value() for name in initial.fields}
    data = {name: value for name, value in data.items() if value is not None}
    data["fec_accounts"] = '{"provider": "41"}'
    form = form_class(data, instance=instance, for_user=admin)
    assert not form.is_valid()
    assert "PCG" in " ".join(form.errors["fec_accounts"])
    data["fec_accounts"] = '{"provider": {"num": "401", "lib": "Fournisseurs"}}'
    form = form_class(data, instance=instance, for_user=admin)
    assert form.is_valid(), form.errors


def test_the_export_reads_the_year_in_a_constant_number_of_queries(
    money, django_assert_max_num_queries
):
    site, year = money["site"], money["year"]
    TerritorySettings.for_site(site)  # as a request would have it already
    # Settings, transactions, their entries, providers, beneficiaries, collectors (and,
    # when the territory charges VAT, the bookings whose VAT the ledger set aside).
    with django_assert_max_num_queries(6):
        entries = fec_entries(site=site, year=year)
    assert len(entries) > 8


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12).filter(bool),
    rate=st.decimals(min_value=0, max_value=100, places=2),
)
def test_vat_is_never_more_than_the_amount_and_keeps_its_sign(amount, rate):
    vat = vat_part(amount, rate)
    assert abs(vat) <= abs(amount)
    assert vat == 0 or (vat > 0) == (amount > 0)
    assert vat_part(-amount, rate) == -vat
