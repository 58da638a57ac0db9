"""Statements per recipient and period (issue 13 §3): they add up, show when each share
becomes payable, and come as CSV and PDF files.

Bookings are made and paid through the real checkout (``tests.booking_helpers.book``,
``tests.tax_helpers.taxed_stay_book``), cancelled through the real transitions; payouts
are posted as the payout runs post them (``payout:<run>:<account>`` against
``platform:bank``, the run's reference as external reference).
"""

import csv
import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import pytest

from marketplace.books.ledger import ledger_post
from marketplace.payouts.statements import (
    ADJUSTMENT,
    CREDIT,
    PAYOUT,
    REFUND,
    TRANSFER,
    UnknownRecipient,
    current_month,
    decimal_comma,
    recipient_statement,
    statement_csv,
    statement_pdf,
)
from tests.marketplace.payouts.statement_world import TAX_ACCOUNT, money_replay, paid_out


@pytest.fixture
def money(world, visitor):
    return money_replay(world, visitor)


def adds_up(result):
    kinds = {line.kind for line in result.lines}
    assert kinds <= {CREDIT, REFUND, PAYOUT, TRANSFER, ADJUSTMENT}
    assert result.closing == (
        result.opening + result.credited - result.refunded - result.paid_out + result.adjustments
    )
    assert result.closing == (result.lines[-1].balance if result.lines else result.opening)
    assert result.payable + result.due == result.closing
    assert result.credited == sum(line.amount for line in result.lines if line.kind == CREDIT)


def test_a_provider_s_statement_adds_up_and_says_when_each_share_is_payable(
    money, django_assert_max_num_queries
):
    site, account = money["site"], money["account"]
    before, during, cancelled = money["before"], money["during"], money["cancelled"]
    with django_assert_max_num_queries(7):  # the 7th: the payout runs' status
        result = recipient_statement(
            site=site, account=account, since=money["since"], until=money["today"]
        )
    adds_up(result)
    assert result.recipient.name == "Camping du Torrent"
    assert result.opening == before.provider_net
    assert result.credited == during.provider_net + cancelled.provider_net
    assert result.paid_out == 1000
    assert result.refunded == cancelled.provider_net  # flexible, a month ahead: all of it
    assert result.closing == before.provider_net + during.provider_net - 1000
    # Nothing is payable before the stays: what is owed is due, from the first stay's day.
    assert result.due == before.provider_net + during.provider_net
    assert result.payable == -1000
    assert result.next_due_on == before.payable_on
    credit = next(line for line in result.lines if line.booking_ref == during.reference)
    assert credit.kind == CREDIT and credit.offer_title == during.offer_title
    assert credit.payable_on == during.payable_on and credit.payable is False
    assert credit.due_text == f"exigible le {during.payable_on:%d/%m/%Y}"
    payout = next(line for line in result.lines if line.kind == PAYOUT)
    assert payout.reference == "VIR-2026-001" and payout.amount == -1000

    # On the day the first stay's share becomes payable, it says so.
    later = recipient_statement(
        site=site, account=account, since=money["since"], until=before.payable_on
    )
    adds_up(later)
    assert later.payable == before.provider_net - 1000
    assert later.due == during.provider_net and later.next_due_on == during.payable_on


def test_a_beneficiary_s_and_a_collector_s_statements_add_up(money):
    site, since, today = money["site"], money["since"], money["today"]
    before, during = money["before"], money["during"]
    fonds = recipient_statement(site=site, account="beneficiary:fonds", since=since, until=today)
    adds_up(fonds)
    assert fonds.opening == before.allocations["fonds"] > 0
    assert fonds.paid_out == 0 and fonds.credited > 0

    tax = recipient_statement(site=site, account=TAX_ACCOUNT, since=since, until=today)
    adds_up(tax)
    assert tax.recipient.name == "Trésorerie de Arvière-le-Bourg"
    assert tax.opening == before.tax > 0
    assert tax.paid_out == before.tax
    assert tax.credited == during.tax and tax.closing == during.tax
    # The tax was remitted before the stay's day: a debt until both stays' shares are due.
    assert tax.due == before.tax + during.tax and tax.payable == -before.tax


def test_transfers_and_their_reversals_are_paid_out_adjustments_are_apart(money):
    site, since, today = money["site"], money["since"], money["today"]
    from marketplace.books.ledger import ledger_reverse

    transfer = paid_out(site, "beneficiary:fonds", 30, run="tr_1", when=None, kind="transfer")
    ledger_reverse(transaction=transfer, idempotency_key="tr_1:reversal", fraction=(1, 3))
    ledger_post(
        site=site,
        kind="adjustment",
        idempotency_key="adjust:fonds",
        entries=[("beneficiary:fonds", -7), ("platform:operator", 7)],
    )
    result = recipient_statement(site=site, account="beneficiary:fonds", since=since, until=today)
    adds_up(result)
    assert result.paid_out == 20 and result.adjustments == 7
    assert [line.kind for line in result.lines][-3:] == [TRANSFER, TRANSFER, ADJUSTMENT]
    assert result.lines[-3].reference == "tr_1"


def test_an_account_of_nobody_in_the_territory_has_no_statement(money):
    with pytest.raises(UnknownRecipient):
        recipient_statement(
            site=money["site"],
            account="provider:999999",
            since=money["since"],
            until=money["today"],
        )


def test_the_default_period_is_the_current_month():
    assert current_month(dt.date(2028, 2, 14)) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert current_month(dt.date(2027, 12, 31)) == (dt.date(2027, 12, 1), dt.date(2027, 12, 31))


def _euros(text: str) -> int:
    return int(Decimal(text.replace(",", ".")) * 100)


def test_the_csv_opens_in_a_french_spreadsheet_and_its_totals_match(money):
    result = recipient_statement(
        site=money["site"], account=money["account"], since=money["since"], until=money["today"]
    )
    data = statement_csv(result)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Relevé", "Camping du Torrent"]
    assert rows[2] == ["Compte", money["account"]]
    header = rows.index(
        [
            "Date",
            "Opération",
            "Commande",
            "Réservation",
            "Offre",
            "Date de la prestation",
            "Exigible le",
            "Référence",
            "Montant",
            "Solde",
        ]
    )
    body = rows[header + 2 : header + 2 + len(result.lines)]
    assert sum(_euros(row[8]) for row in body) == result.closing - result.opening
    assert _euros(body[-1][9]) == result.closing
    summary = rows[header + 3 + len(result.lines) :]
    assert summary[-1] == ["Prochaine échéance", result.next_due_on.isoformat()]
    totals = {row[0]: _euros(row[1]) for row in summary[:-1]}
    assert totals["Solde d'ouverture"] == result.opening
    assert totals["Crédité"] == result.credited
    assert totals["Remboursé"] == result.refunded
    assert totals["Versé"] == result.paid_out
    assert totals["Solde de clôture"] == result.closing
    assert totals[f"Payable au {result.as_of.isoformat()}"] == result.payable
    assert totals["À échoir"] == result.due

    english = statement_csv(result, language="en").decode("utf-8-sig")
    assert english.startswith("Statement;Camping du Torrent") and "Paid out;10,00" in english


def _pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text is not read")
    done = subprocess.run(  # noqa: S603 - a fixed program on our own bytes
        ["pdftotext", "-layout", "-", "-"],  # noqa: S607
        input=data,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode()


def test_the_pdf_names_both_parties_and_holds_the_totals(money):
    result = recipient_statement(
        site=money["site"], account=money["account"], since=money["since"], until=money["today"]
    )
    data = statement_pdf(result)
    assert data.startswith(b"%PDF")
    text = " ".join(_pdf_text(data).split())
    assert "Camping du Torrent" in text and money["site"].site_name in text
    assert "Solde de clôture" in text and "Versé" in text
    assert "-10,00 €" in text.replace("\u202f", " ")
    english = " ".join(_pdf_text(statement_pdf(result, language="en")).split())
    assert "Closing balance" in english and "Paid out" in english


def test_text_a_spreadsheet_would_run_is_quoted_not_amounts(money):
    from marketplace.tourist_tax.models import TaxCollector

    TaxCollector.objects.filter(account=TAX_ACCOUNT).update(name='=HYPERLINK("http://x")')
    result = recipient_statement(
        site=money["site"], account=TAX_ACCOUNT, since=money["since"], until=money["today"]
    )
    rows = list(csv.reader(io.StringIO(statement_csv(result).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Relevé", '\'=HYPERLINK("http://x")']
    assert ["Versé", decimal_comma(result.paid_out)] in rows
    assert any(row[-2].startswith("-") for row in rows if len(row) == 10)


def test_a_line_is_never_payable_since_a_day_still_to_come(money):
    """The current month's statement splits its closing as of the month's last day, but a
    share that becomes payable later this month is still "due on" its day."""
    cancelled = money["cancelled"]
    result = recipient_statement(
        site=money["site"],
        account=money["account"],
        since=money["since"],
        until=cancelled.payable_on,
    )
    line = next(line for line in result.lines if line.booking_ref == cancelled.reference)
    assert line.payable_on > money["today"]
    assert line.payable is False
    assert line.due_text == f"exigible le {cancelled.payable_on:%d/%m/%Y}"
