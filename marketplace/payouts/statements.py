"""Statements per recipient and period (issue 13 §3): what the ledger says a provider, a
commission beneficiary or a commune's tax collector was credited, refunded and paid, and
what it is owed at the end, payable now or due later.

Pure reads over the ledger, in a fixed number of queries (seven at most, whatever the
number of lines): the recipient, the territory's settings, the opening balance, the
period's entries, the bookings and payout runs they name, and the payable split of
:mod:`marketplace.payouts.payable`. Days are the territory's (``settings.TIME_ZONE``,
:mod:`commissions.dates`), whoever reads: Wagtail's admin runs each view in its
reader's time zone, and a statement must not change with it.

**Signs.** Everything here is seen from the recipient's side: positive is owed **to**
it (the opposite of the ledger's sign for credits, see :mod:`marketplace.books.models`).
A line's ``amount`` raises or lowers what is owed; the totals are positive numbers:

    opening + credited − refunded − paid_out + adjustments = closing

and ``closing = payable + due``: ``payable`` as of the period's last day (``as_of``,
even when that day is still to come: the statement says so), ``due`` later, from
``next_due_on``. Each line tied to a booking says "payable since <day>" or "due on
<day>", of the period's last day or today, whichever comes first (never "since" a day
still to come).

**Kinds of line**: ``credit`` (a booking's confirmation), ``refund`` (a refund, or the
reversal of a confirmation or refund), ``payout`` (a bank payout run: its reference is
the run's), ``transfer`` (a Stripe transfer or its reversal), ``vat`` (the VAT set aside
from a beneficiary's share of a booking's commission when the operator is subject to
VAT, "TVA sur commission", and its reversal on a refund; counted in the adjustments),
``adjustment`` (anything else: disputes, fees, manual corrections).

**Files**: :func:`statement_csv` (UTF-8 with a BOM, ``;``-separated, amounts in decimal
units with a **decimal comma** and no thousands separator, ``1234,56``, dates ISO
``2027-07-05``: what French spreadsheets open as numbers and dates) and
:func:`statement_pdf` (WeasyPrint, A4), each in the language asked for. The e-mail that
sends them is :func:`marketplace.payouts.notify.statement_send`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commissions.dates import territory_date, territory_day_start, territory_today
from marketplace.books.models import LedgerEntry, TransactionKind
from marketplace.models import Booking, TerritorySettings
from marketplace.payouts.models import PayoutRun, PayoutRunStatus
from marketplace.payouts.payable import payable_balance
from marketplace.payouts.recipients import Recipient, recipient_for

CREDIT, REFUND, PAYOUT, TRANSFER, VAT, ADJUSTMENT = (
    "credit",
    "refund",
    "payout",
    "transfer",
    "vat",
    "adjustment",
)
LINE_KINDS = {
    CREDIT: gettext_lazy("Booking confirmed"),
    REFUND: gettext_lazy("Refund"),
    PAYOUT: gettext_lazy("Payout (bank transfer)"),
    TRANSFER: gettext_lazy("Payout (Stripe transfer)"),
    VAT: gettext_lazy("VAT on commission"),
    ADJUSTMENT: gettext_lazy("Adjustment"),
}
# A bank payout whose run finance has not sent to the bank yet.
PAYOUT_PREPARED = gettext_lazy("Payout (bank transfer) prepared, not yet sent to the bank")
_BY_TRANSACTION_KIND = {
    TransactionKind.ORDER_CONFIRMED: CREDIT,
    TransactionKind.REFUND: REFUND,
    TransactionKind.PAYOUT: PAYOUT,
    TransactionKind.TRANSFER: TRANSFER,
    TransactionKind.VAT: VAT,
}
# A reversal counts with what it reverses: a confirmation undone is a refund.
_REVERSED = {
    TransactionKind.ORDER_CONFIRMED: REFUND,
    TransactionKind.REFUND: REFUND,
    TransactionKind.PAYOUT: PAYOUT,
    TransactionKind.TRANSFER: TRANSFER,
    TransactionKind.VAT: VAT,
}


class UnknownRecipient(LookupError):
    """The account names no provider, beneficiary or tax collector of the territory."""


def line_kind(kind: str, reversed_kind: str | None) -> str:
    if kind == TransactionKind.REVERSAL:
        return _REVERSED.get(reversed_kind, ADJUSTMENT)
    return _BY_TRANSACTION_KIND.get(kind, ADJUSTMENT)


@dataclass(frozen=True)
class StatementLine:
    occurred_at: dt.datetime
    kind: str
    amount: int  # raises (positive) or lowers what is owed to the recipient
    balance: int  # owed after this line
    order_ref: str = ""
    booking_ref: str = ""
    reference: str = ""  # the payout run's reference, the transfer's id
    memo: str = ""
    offer_title: str = ""
    service_date: dt.date | None = None
    payable_on: dt.date | None = None
    # payable_on reached by the period's last day, or today when that day is to come
    payable: bool | None = None
    # For a bank payout: whether its run was sent to the bank (None for other lines).
    sent: bool | None = None

    @property
    def date(self) -> dt.date:
        return territory_date(self.occurred_at)

    @property
    def kind_label(self) -> str:
        if self.kind == PAYOUT and self.sent is False:
            return str(PAYOUT_PREPARED)
        return str(LINE_KINDS[self.kind])

    @property
    def due_text(self) -> str:
        """``payable since <day>`` or ``due on <day>``, in the active language."""
        if self.payable_on is None:
            return ""
        day = date_format(self.payable_on, "SHORT_DATE_FORMAT")
        if self.payable:
            return _("payable since %(day)s") % {"day": day}
        return _("due on %(day)s") % {"day": day}


@dataclass
class RecipientStatement:
    site: object
    recipient: Recipient
    territory_name: str
    currency: str
    since: dt.date
    until: dt.date
    as_of: dt.date
    opening: int
    lines: list[StatementLine] = field(default_factory=list)
    credited: int = 0
    refunded: int = 0
    paid_out: int = 0
    adjustments: int = 0
    payable: int = 0
    due: int = 0
    next_due_on: dt.date | None = None

    @property
    def account(self) -> str:
        return self.recipient.account

    @property
    def closing(self) -> int:
        return self.opening + self.credited - self.refunded - self.paid_out + self.adjustments


def current_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last days of ``today``'s month (the territory's): a statement's
    default period."""
    today = today or territory_today()
    first = today.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def recipient_statement(
    *, site, account: str, since: dt.date, until: dt.date
) -> RecipientStatement:
    """The statement of ``account`` of ``site`` for the days ``since`` to ``until``
    (both included). Raises :class:`UnknownRecipient` when the account names nobody of
    the territory."""
    if until < since:
        raise ValueError("the period ends before it starts")
    recipient = recipient_for(site=site, account=account)
    if recipient is None:
        raise UnknownRecipient(account)
    territory = TerritorySettings.for_site(site)
    start = territory_day_start(since)
    end = territory_day_start(until + dt.timedelta(days=1))
    as_of = until
    # A line says "payable since" only of a day that has come.
    reached = min(until, territory_today())

    entries = LedgerEntry.objects.filter(account=account, transaction__site=site)
    opening = -entries.filter(transaction__occurred_at__lt=start).aggregate(
        total=Coalesce(Sum("amount"), 0)
    )["total"]
    rows = list(
        entries.filter(transaction__occurred_at__gte=start, transaction__occurred_at__lt=end)
        .order_by("transaction__occurred_at", "transaction_id", "id")
        .values(
            "amount",
            occurred_at=F("transaction__occurred_at"),
            kind=F("transaction__kind"),
            reversed_kind=F("transaction__reverses__kind"),
            order_ref=F("transaction__order_ref"),
            booking_ref=F("transaction__booking_ref"),
            external_ref=F("transaction__external_ref"),
            memo=F("transaction__memo"),
        )
    )
    refs = {row["booking_ref"] for row in rows if row["booking_ref"]}
    bookings = (
        {
            b["reference"]: b
            for b in Booking.objects.filter(reference__in=refs).values(
                "reference", "offer_title", "start", "payable_on"
            )
        }
        if refs
        else {}
    )

    run_refs = {r["external_ref"] for r in rows if r["kind"] == TransactionKind.PAYOUT}
    runs_sent = (
        dict(
            PayoutRun.objects.filter(site=site, reference__in=run_refs).values_list(
                "reference", "status"
            )
        )
        if run_refs
        else {}
    )

    result = RecipientStatement(
        site=site,
        recipient=recipient,
        territory_name=territory.operator_legal_name or site.site_name,
        currency=territory.currency,
        since=since,
        until=until,
        as_of=as_of,
        opening=opening,
    )
    balance = opening
    for row in rows:
        kind = line_kind(row["kind"], row["reversed_kind"])
        amount = -row["amount"]
        balance += amount
        booking = bookings.get(row["booking_ref"]) or {}
        payable_on = booking.get("payable_on")
        result.lines.append(
            StatementLine(
                occurred_at=row["occurred_at"],
                kind=kind,
                amount=amount,
                balance=balance,
                order_ref=row["order_ref"],
                booking_ref=row["booking_ref"],
                reference=row["external_ref"] if kind in (PAYOUT, TRANSFER) else "",
                memo=row["memo"],
                offer_title=booking.get("offer_title", ""),
                service_date=booking.get("start"),
                payable_on=payable_on,
                payable=(payable_on <= reached) if payable_on else None,
                sent=(
                    runs_sent.get(row["external_ref"]) == PayoutRunStatus.SENT
                    if row["kind"] == TransactionKind.PAYOUT
                    else None
                ),
            )
        )
        if kind == CREDIT:
            result.credited += amount
        elif kind == REFUND:
            result.refunded -= amount
        elif kind in (PAYOUT, TRANSFER):
            result.paid_out -= amount
        else:
            result.adjustments += amount

    split = payable_balance(site=site, account=account, on=as_of, before=end)
    result.payable, result.due, result.next_due_on = split.payable, split.due, split.next_due_on
    return result


# --- Files ---------------------------------------------------------------------------------


def _language(language: str | None) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    return language if language in available else settings.LANGUAGE_CODE


# What a spreadsheet would run as a formula (OWASP's list, as the bookings' CSV export
# of marketplace.orders.admin): such text gets a quote first. Amounts are not text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def decimal_comma(cents: int) -> str:
    """``-1234,56``: cents as decimal units with a comma, no thousands separator."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units},{rest:02d}"


def statement_totals(result: RecipientStatement, *, iso: bool = False) -> list[tuple[str, int]]:
    """The summary, labelled in the active language: what the pages, files and e-mails
    show (``iso``: the day in ``payable on`` written ISO, as in the CSV)."""
    as_of = result.as_of.isoformat() if iso else date_format(result.as_of, "SHORT_DATE_FORMAT")
    return [
        (_("Opening balance"), result.opening),
        (_("Credited"), result.credited),
        (_("Refunded"), result.refunded),
        (_("Paid out"), result.paid_out),
        (_("Adjustments"), result.adjustments),
        (_("Closing balance"), result.closing),
        (_("Payable on %(day)s") % {"day": as_of}, result.payable),
        (_("Due later"), result.due),
    ]


def statement_csv(result: RecipientStatement, *, language: str | None = None) -> bytes:
    """The statement as a CSV file for spreadsheets (see the module's docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    with translation.override(_language(language)):
        writer.writerow([_("Statement"), _text(result.recipient.name)])
        writer.writerow([_("Territory"), _text(result.territory_name)])
        writer.writerow([_("Account"), result.account])
        writer.writerow([_("Period"), result.since.isoformat(), result.until.isoformat()])
        writer.writerow([_("Currency"), result.currency])
        writer.writerow([])
        writer.writerow(
            [
                _("Date"),
                _("Operation"),
                _("Order"),
                _("Booking"),
                _("Offer"),
                _("Service date"),
                _("Payable on"),
                _("Reference"),
                _("Amount"),
                _("Balance"),
            ]
        )
        writer.writerow(
            ["", _("Opening balance"), "", "", "", "", "", "", "", decimal_comma(result.opening)]
        )
        for line in result.lines:
            writer.writerow(
                [
                    line.date.isoformat(),
                    line.kind_label,
                    _text(line.order_ref),
                    _text(line.booking_ref),
                    _text(line.offer_title),
                    line.service_date.isoformat() if line.service_date else "",
                    line.payable_on.isoformat() if line.payable_on else "",
                    _text(line.reference),
                    decimal_comma(line.amount),
                    decimal_comma(line.balance),
                ]
            )
        writer.writerow([])
        for label, cents in statement_totals(result, iso=True):
            writer.writerow([label, decimal_comma(cents)])
        if result.next_due_on:
            writer.writerow([_("Next due on"), result.next_due_on.isoformat()])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def statement_html(result: RecipientStatement, *, language: str | None = None) -> str:
    """The printable statement (the PDF's source), in ``language``."""
    language = _language(language)
    with translation.override(language):
        return render_to_string(
            "payouts/statements/statement_pdf.html",
            {
                "statement": result,
                "totals": statement_totals(result),
                "language": language,
                "generated_on": territory_today(),
            },
        )


def statement_pdf(result: RecipientStatement, *, language: str | None = None) -> bytes:
    """The statement as an A4 PDF (WeasyPrint), in ``language``."""
    from weasyprint import HTML  # heavy: loaded only when a PDF is made

    return HTML(string=statement_html(result, language=language)).write_pdf()


def statement_filename(result: RecipientStatement, extension: str) -> str:
    safe = result.account.replace(":", "-")
    return f"releve-{safe}-{result.since.isoformat()}-{result.until.isoformat()}.{extension}"
