"""The FEC (fichier des écritures comptables) of a territory for a calendar year.

The French tax administration asks any business keeping its books by computer for this
file (LPF art. L47 A and A47 A-1; BOI-CF-IOR-60-40-20). It is read from the ledger,
never a second source of truth:

- one **entry** (``EcritureNum``) per ledger transaction of the territory whose date
  (``occurred_at``, in the project's time zone, Europe/Paris) falls in the year, numbered
  1, 2, 3... without gaps in date order (then in the order recorded); a reversal so small
  that it moved nothing has no lines and no number;
- one **line** per ledger entry, on the PCG account :mod:`marketplace.books.chart` maps
  it to, debit or credit by the ledger's sign; a provider, a beneficiary and a commune
  are auxiliary accounts of their third-party account (``CompAuxNum`` = the ledger's
  account name, ``CompAuxLib`` its legal name);
- the VAT included in the commissions is the ledger's: a booking confirmed while the
  operator was subject to VAT had it set aside from its commission accounts to
  ``tax:vat`` (a ``vat`` transaction, reversed in proportion on a refund; see
  :mod:`marketplace.orders.accounting`), which maps to 44571 "TVA collectée" (the chart's
  ``vat`` key). So the commission lines (``beneficiary:*``, ``platform:operator``) already
  carry what is left once the VAT is set aside, and the rate is the one in force at each
  confirmation, whatever the settings say now;
- for a booking whose ledger has no such set-aside (confirmed before the ledger kept it)
  while the territory charges VAT, each commission line of its confirmation or refund is
  split into its amount excluding VAT and the VAT (:func:`vat_part`), the VAT on one line
  of 44571 per entry, as before. Every entry still balances.

Journals by kind of transaction (:data:`JOURNALS`): VT sales (confirmations, refunds,
the VAT set aside from them), ST the payment provider's balance (transfers to connected
accounts, its fees), BQ the bank (payout runs), OD other operations (adjustments); a
reversal goes to the journal of what it reverses.

The file: the 18 columns of A47 A-1 in their order (:data:`FEC_COLUMNS`), the header
first, separated by a tab, lines ending in CR LF, encoded in ISO-8859-15 (Latin-9, one
of the encodings A47 A-1 names; a character it lacks becomes ``?``), dates YYYYMMDD,
amounts with a comma and no thousands separator, both Debit and Credit filled (``0,00``
on the other side). Amounts are euros: the export refuses a year with transactions in
another currency (the ledger has no exchange rates to convert them).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from commissions.models import Beneficiary
from marketplace.books.chart import Chart, ChartError, PcgAccount, has_auxiliary
from marketplace.books.ledger import (
    OPERATOR_ACCOUNT,
    VAT_ACCOUNT,
    beneficiary_account,
    provider_account,
)
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.invoices.vat import vat_included
from marketplace.models import Provider, TerritorySettings
from marketplace.tourist_tax.models import TaxCollector

FEC_COLUMNS = (
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
)
ENCODING = "iso-8859-15"
SEPARATOR = "\t"
NEWLINE = "\r\n"
CURRENCY = "EUR"

JOURNALS = {
    "VT": "Ventes",
    "ST": "Prestataire de paiement (Stripe)",
    "BQ": "Banque",
    "OD": "Opérations diverses",
}
KIND_JOURNAL = {
    TransactionKind.ORDER_CONFIRMED: "VT",
    TransactionKind.REFUND: "VT",
    TransactionKind.VAT: "VT",
    TransactionKind.TRANSFER: "ST",
    TransactionKind.FEE: "ST",
    TransactionKind.PAYOUT: "BQ",
    TransactionKind.ADJUSTMENT: "OD",
    TransactionKind.REVERSAL: "OD",
}
# The entry's label when the transaction has no memo (French: the file is for the
# French tax office, whatever the interface's language).
KIND_LIB = {
    TransactionKind.ORDER_CONFIRMED: "Réservation confirmée",
    TransactionKind.REFUND: "Remboursement",
    TransactionKind.PAYOUT: "Versement",
    TransactionKind.TRANSFER: "Transfert",
    TransactionKind.FEE: "Frais du prestataire de paiement",
    TransactionKind.ADJUSTMENT: "Régularisation",
    TransactionKind.REVERSAL: "Annulation",
    TransactionKind.VAT: "TVA sur commission",
}


class FecError(ValueError):
    """A FEC that cannot be produced as asked (a malformed mapping, a foreign currency)."""


@dataclass(frozen=True)
class FecLine:
    account: PcgAccount
    aux_num: str
    aux_lib: str
    amount: int  # cents, debit positive
    ledger_account: str = ""  # what it was read from ("" for the VAT line)


@dataclass
class FecEntry:
    num: int
    journal: str
    date: dt.date
    piece_ref: str
    lib: str
    valid_date: dt.date
    transaction_id: int
    lines: list[FecLine] = field(default_factory=list)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The calendar year as [start, end) in the project's time zone (Europe/Paris)."""
    zone = timezone.get_default_timezone()
    start = dt.datetime(year, 1, 1, tzinfo=zone)
    end = dt.datetime(year + 1, 1, 1, tzinfo=zone)
    return start, end


def vat_part(amount: int, rate: Decimal) -> int:
    """The VAT included in ``amount`` cents at ``rate`` percent, signed as the amount:
    ``amount − round_half_up(amount / (1 + rate))``, the project's one rounding rule,
    applied to each commission line (the invoices apply it to their totals, so the two
    may differ by a cent per line): :func:`marketplace.invoices.vat.vat_included`."""
    return vat_included(amount, rate)


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _clean(text: str) -> str:
    """A field's text without the separators, line breaks or doubled spaces."""
    for char in "\t\r\n|":
        text = text.replace(char, " ")
    return " ".join(text.split())


def _auxiliary_names(site) -> dict[str, str]:
    """The ledger accounts of a sub-ledger with their legal names (three queries)."""
    names = {
        provider_account(pk): legal_name or name
        for pk, legal_name, name in Provider.objects.filter(site=site).values_list(
            "pk", "legal_name", "name"
        )
    }
    names.update(
        (beneficiary_account(key), name)
        for key, name in Beneficiary.objects.filter(site=site).values_list("key", "name")
    )
    names.update(TaxCollector.objects.filter(site=site).values_list("account", "name"))
    return names


# The memo ledger_reverse() writes when given none: "1/2 of booking:3:confirmed".
REVERSAL_MEMO_RE = re.compile(r"^(?P<share>[0-9]+(/[0-9]+)?) of ")


def _entry_lib(tx: LedgerTransaction) -> str:
    """The entry's label: the kind of operation in French, then the memo (a reversal's
    default memo read as its share and the references it concerns)."""
    memo = _clean(tx.memo)
    match = REVERSAL_MEMO_RE.match(memo) if tx.reverses_id else None
    if match:
        share = match["share"]
        refs = " ".join(ref for ref in (tx.order_ref, tx.booking_ref, tx.external_ref) if ref)
        memo = _clean(f"{'' if share == '1' else share + ' de '}{refs}")
    return f"{KIND_LIB[tx.kind]} {memo}".strip()


def _is_commission_movement(tx: LedgerTransaction) -> bool:
    """A confirmation or a refund of one: the lines where the commission, VAT included,
    is charged and given back."""
    if tx.kind == TransactionKind.ORDER_CONFIRMED:
        return True
    return (
        tx.kind == TransactionKind.REFUND
        and tx.reverses is not None
        and tx.reverses.kind == TransactionKind.ORDER_CONFIRMED
    )


def _is_commission_account(account: str) -> bool:
    return account.startswith("beneficiary:") or account == OPERATOR_ACCOUNT


def territory_chart(territory) -> Chart:
    """The territory's chart of accounts, or :class:`FecError` naming what is wrong."""
    try:
        return Chart.for_territory(territory.fec_accounts)
    except ChartError as error:
        raise FecError(
            f"the territory's FEC mapping (fec_accounts) is malformed: {error}"
        ) from None


def fec_entries(*, site, year: int) -> list[FecEntry]:
    """The year's entries of the territory, numbered, each balanced (see module doc).
    Seven queries (settings, transactions, entries, the bookings with VAT set aside,
    names), whatever their number."""
    territory = TerritorySettings.for_site(site)
    chart = territory_chart(territory)
    rate = Decimal(territory.vat_rate) if territory.subject_to_vat else Decimal(0)
    start, end = year_bounds(year)
    transactions = (
        LedgerTransaction.objects.filter(site=site, occurred_at__gte=start, occurred_at__lt=end)
        .select_related("reverses")
        .prefetch_related(Prefetch("entries", queryset=LedgerEntry.objects.order_by("id")))
        .order_by("occurred_at", "id")
    )
    # The bookings whose VAT the ledger set aside: nothing to split off their lines.
    vat_in_ledger = (
        set(
            LedgerEntry.objects.filter(transaction__site=site, account=VAT_ACCOUNT)
            .exclude(transaction__booking_ref="")
            .values_list("transaction__booking_ref", flat=True)
            .distinct()
        )
        if rate > 0
        else set()
    )
    names = _auxiliary_names(site)
    entries: list[FecEntry] = []
    for tx in transactions:
        if tx.currency != CURRENCY:
            raise FecError(
                f"transaction {tx.pk} is in {tx.currency}: the FEC is kept in euros and the "
                "ledger has no exchange rate to convert it"
            )
        ledger_entries = list(tx.entries.all())
        if not ledger_entries:
            continue
        journal = KIND_JOURNAL[tx.kind]
        if tx.kind == TransactionKind.REVERSAL and tx.reverses is not None:
            journal = KIND_JOURNAL[tx.reverses.kind]
        date = _local_date(tx.occurred_at)
        entry = FecEntry(
            num=len(entries) + 1,
            journal=journal,
            date=date,
            piece_ref=_clean(
                tx.booking_ref or tx.order_ref or tx.external_ref or tx.idempotency_key
            ),
            lib=_entry_lib(tx),
            valid_date=max(date, _local_date(tx.created_at)),
            transaction_id=tx.pk,
        )
        split_vat = rate > 0 and _is_commission_movement(tx) and tx.booking_ref not in vat_in_ledger
        vat_total = 0
        for ledger_entry in ledger_entries:
            account = ledger_entry.account
            amount = ledger_entry.amount
            if split_vat and _is_commission_account(account):
                vat = vat_part(amount, rate)
                vat_total += vat
                amount -= vat
            if not amount:
                continue
            pcg = chart.account(account)
            # Sub-ledgers are of third parties (class 4): a beneficiary mapped to revenue
            # (the operator's own) is no one's auxiliary account.
            aux = has_auxiliary(account) and pcg.num.startswith("4")
            entry.lines.append(
                FecLine(
                    account=pcg,
                    aux_num=account if aux else "",
                    aux_lib=_clean(names.get(account, account.rsplit(":", 1)[-1])) if aux else "",
                    amount=amount,
                    ledger_account=account,
                )
            )
        if vat_total:
            entry.lines.append(FecLine(account=chart.vat, aux_num="", aux_lib="", amount=vat_total))
        entries.append(entry)
    return entries


def format_amount(cents: int) -> str:
    """``123456`` → ``1234,56``: a comma, no thousands separator, never a sign."""
    cents = abs(cents)
    return f"{cents // 100},{cents % 100:02d}"


def format_date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def fec_rows(entries: list[FecEntry]) -> list[list[str]]:
    """The header and one row of the 18 columns per line, as text."""
    rows = [list(FEC_COLUMNS)]
    for entry in entries:
        for line in entry.lines:
            rows.append(
                [
                    entry.journal,
                    JOURNALS[entry.journal],
                    str(entry.num),
                    format_date(entry.date),
                    line.account.num,
                    _clean(line.account.lib),
                    line.aux_num,
                    line.aux_lib,
                    entry.piece_ref,
                    format_date(entry.date),
                    entry.lib,
                    format_amount(line.amount) if line.amount > 0 else "0,00",
                    format_amount(line.amount) if line.amount < 0 else "0,00",
                    "",  # EcritureLet: no lettering
                    "",  # DateLet
                    format_date(entry.valid_date),
                    "",  # Montantdevise: the ledger is in euros
                    "",  # Idevise
                ]
            )
    return rows


def fec_text(*, site, year: int) -> str:
    """The FEC as text (see :func:`fec_export` for the bytes the administration reads)."""
    rows = fec_rows(fec_entries(site=site, year=year))
    return "".join(SEPARATOR.join(row) + NEWLINE for row in rows)


def fec_export(*, site, year: int) -> bytes:
    """The FEC of ``site`` for ``year``, encoded as the file is delivered."""
    return fec_text(site=site, year=year).encode(ENCODING, errors="replace")


def fec_filename(*, site, year: int) -> str:
    """``<SIREN>FEC<closing date>.txt``, the name A47 A-1 gives the file; the SIREN is
    the first nine digits of the operator's SIRET (``000000000`` until it is filled in)."""
    siret = "".join(ch for ch in TerritorySettings.for_site(site).operator_siret if ch.isdigit())
    siren = siret[:9] if len(siret) >= 9 else "000000000"
    return f"{siren}FEC{year}1231.txt"
