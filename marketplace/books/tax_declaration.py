"""The tourist tax declaration: what the platform sends each commune with the tax it pays.

A read of the ledger (DESIGN.md §4: documents are derived from the ledger, never a second
source of truth). For one territory (a Wagtail site), one commune and one period, the
lines are the movements of the commune's account ``tax:tourist:<commune slug>``
(:func:`marketplace.books.ledger.tourist_tax_account`) made by bookings: a confirmation
credits it (the tax is **collected**: a positive line), a cancellation's refund debits
it back (a **negative line on the refund's date**). Each line carries what the booking
froze at checkout in ``Booking.tax_details``. So the declaration's total is, to the cent,
the movement of that account over the period (remittances to the commune's collector,
``payout`` transactions, are not declarations and are left out).

**What the law asks** (read 2026-12-05, from stored copies; check the current texts
before relying on them):

- CGCT L. 2333-34 I and II (version of the 2020 finance law, art. 114): a platform that
  takes payment for non-professional hosts (and, when mandated, for professionals) pays
  the tax **and the additional departmental tax** to the commune's public accountant twice
  a year, by **30 June and 31 December**; the 30 June payment carries any balance of the
  year before. The declaration follows the payment: hence the half-year periods (``S1``,
  ``S2``) beside months, quarters, years and two dates.
- CGCT R. 2333-51 and the wording proposed for an L. 2333-35-1 (amendment 2186 to the 2019
  finance bill, citing the decree of 31 July 2015): the tax is written on a statement
  (état) **"à la date et dans l'ordre des perceptions effectuées"**, for each accommodation:
  the dates of the stay, the registration number (or else the address), the number of
  persons who stayed, the nights, the classification, the rate applied, the price of the
  night, the tax collected, and the exempt persons (number and ground); the host's
  professional status.
- The 2024 finance law, art. 129 (the experimental single declaration of platforms to the
  tax administration) lists, for each collection: the dates the stay starts and ends, the
  **date of the collection**, the address, the persons who stayed, the nights, the **price
  of each night when the accommodation is unclassified**, the amount of tax collected,
  the nature and category of the accommodation, and the registration number.

Every line here has those items (the two SIREN numbers of that single declaration
belong to the administration's own format, not to the statement sent to one commune).
The additional taxes are shown apart from the commune's tax because the commune remits
them on (L. 3333-1: the departmental tax goes to the department).

**Cancellations.** The texts we could read do not say how a platform declares a stay
cancelled after the tax was collected. We follow the état's rule (by date of collection,
in order): a refund is its own **negative line on the date it was made**, never a change
of the line already declared, so a statement sent for an earlier period stays true and
the sum over periods is what the platform pays. A partial refund's tax is what the
ledger gave back; its base and additional taxes are split in proportion (largest
remainder, :func:`commissions.engine.split_largest_remainder`).

**Dates.** A line's date is its ledger transaction's ``occurred_at`` (the payment's
confirmation, the refund), read in the territory's time zone; a period runs from the
first day at 00:00 to the day after its last at 00:00.

Only bookings the ledger recorded appear: a stay whose tax the platform did not collect
(a professional host without a mandate) has no entry on the commune's account. Queries:
the communes' summary is one grouped query plus two for the names; a commune's lines are
one query for the entries and one for their bookings, whatever their number.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from commissions.engine import split_largest_remainder
from marketplace.books.ledger import tourist_tax_account
from marketplace.books.models import LedgerEntry, TransactionKind
from marketplace.models import Booking, Provider
from marketplace.tourist_tax.categories import TaxCategory
from marketplace.tourist_tax.engine import DEPARTMENTAL, REGIONAL
from marketplace.tourist_tax.models import TouristTaxRate

TAX_PREFIX = "tax:tourist:"
# The transactions of bookings: a payment's confirmation, a refund (and a reversal).
DECLARED_KINDS = (TransactionKind.ORDER_CONFIRMED, TransactionKind.REFUND, TransactionKind.REVERSAL)
SURCHARGES = (DEPARTMENTAL, REGIONAL)
COLLECTION, REFUND = "collection", "refund"
FIRST_YEAR, LAST_YEAR = 2000, 2999


# --- Periods -------------------------------------------------------------------------------


class PeriodError(ValueError):
    """A period that cannot be read; ``str()`` says why, in the active language."""


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end``, both included; ``code`` is how the URL names it."""

    start: dt.date
    end: dt.date
    code: str

    @property
    def label(self) -> str:
        kind, _sep, rest = self.code.partition(":")
        if kind == "month":
            return date_format(self.start, "F Y")
        if kind == "quarter":
            return _("quarter %(n)s of %(year)s") % {"n": rest[-1], "year": self.start.year}
        if kind == "half":
            return _("half-year %(n)s of %(year)s") % {"n": rest[-1], "year": self.start.year}
        if kind == "year":
            return str(self.start.year)
        return _("from %(start)s to %(end)s") % {
            "start": date_format(self.start, "SHORT_DATE_FORMAT"),
            "end": date_format(self.end, "SHORT_DATE_FORMAT"),
        }

    @property
    def query(self) -> dict[str, str]:
        """The GET parameters that give this period back (for links)."""
        kind, _sep, rest = self.code.partition(":")
        if kind == "dates":
            return {"since": self.start.isoformat(), "until": self.end.isoformat()}
        return {"period": rest}

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """``[start at 00:00, the day after end at 00:00)`` in the territory's time zone."""
        return _day_start(self.start), _day_start(self.end + dt.timedelta(days=1))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


PERIOD_HELP = gettext_lazy(
    "A month (2026-07), a quarter (2026-T3), a half-year (2026-S1) or a year (2026); "
    "or two dates below."
)
_PERIOD_RE = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|([TQ])([1-4])|([SH])([12])))?$", re.IGNORECASE)


def period_parse(text: str) -> Period:
    """A period from ``2026-07`` (month), ``2026-T3`` or ``2026-Q3`` (quarter), ``2026-S1``
    or ``2026-H1`` (half-year) or ``2026`` (year). Raises :class:`PeriodError`."""
    value = (text or "").strip()
    match = _PERIOD_RE.match(value)
    if not match:
        raise PeriodError(
            _("“%(value)s” is not a period. %(help)s") % {"value": value[:40], "help": PERIOD_HELP}
        )
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(
            _("The year must be between %(first)s and %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    month, quarter, half = match.group(2), match.group(4), match.group(6)
    if month is not None:
        number = int(month)
        if not 1 <= number <= 12:
            raise PeriodError(_("A month is numbered 1 to 12."))
        last = calendar.monthrange(year, number)[1]
        return Period(
            dt.date(year, number, 1), dt.date(year, number, last), f"month:{year}-{number:02d}"
        )
    if quarter is not None:
        first = (int(quarter) - 1) * 3 + 1
        end = dt.date(year, first + 2, calendar.monthrange(year, first + 2)[1])
        return Period(dt.date(year, first, 1), end, f"quarter:{year}-T{quarter}")
    if half is not None:
        if half == "1":
            return Period(dt.date(year, 1, 1), dt.date(year, 6, 30), f"half:{year}-S1")
        return Period(dt.date(year, 7, 1), dt.date(year, 12, 31), f"half:{year}-S2")
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), f"year:{year}")


def period_between(*, since: dt.date, until: dt.date) -> Period:
    """The days from ``since`` to ``until``, both included. Raises :class:`PeriodError`."""
    for day in (since, until):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise PeriodError(
                _("Dates must be between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
    if until < since:
        raise PeriodError(_("The end of the period is before its start."))
    return Period(since, until, f"dates:{since.isoformat()}..{until.isoformat()}")


def period_default(today: dt.date | None = None) -> Period:
    """The current half-year: platforms pay by 30 June and 31 December (L. 2333-34)."""
    today = today or timezone.localdate()
    return period_parse(f"{today.year}-S{1 if today.month <= 6 else 2}")


# --- Communes --------------------------------------------------------------------------------


def commune_slug(account: str) -> str:
    return account[len(TAX_PREFIX) :] if account.startswith(TAX_PREFIX) else ""


def commune_names(*, site) -> dict[str, str]:
    """``{slug: name}`` of the communes a territory knows: its rates' and its providers'
    (two queries). The slug is the one of the commune's tax account."""
    names: dict[str, str] = {}
    for rows in (
        Provider.objects.filter(site=site).values_list("commune", flat=True).distinct(),
        TouristTaxRate.objects.filter(site=site).values_list("commune", flat=True).distinct(),
    ):
        for name in rows:
            slug = slugify(name or "")
            if slug:
                names.setdefault(slug, name.strip())
    return names


@dataclass(frozen=True)
class CommuneSummary:
    """What a commune's account moved over a period: collected, refunded, net (cents)."""

    slug: str
    name: str
    collected: int
    refunded: int
    lines: int

    @property
    def net(self) -> int:
        return self.collected - self.refunded


def _declared_entries(*, site, period: Period):
    start, end = period.bounds()
    return LedgerEntry.objects.filter(
        transaction__site=site,
        account__startswith=TAX_PREFIX,
        transaction__kind__in=DECLARED_KINDS,
        transaction__occurred_at__gte=start,
        transaction__occurred_at__lt=end,
    )


def declaration_communes(*, site, period: Period) -> list[CommuneSummary]:
    """Every commune of ``site`` with what was collected, refunded and the net over
    ``period``, by name: the communes whose account moved, and the others the territory
    knows (rates, providers) at zero, so finance sees there is nothing to declare."""
    rows = (
        _declared_entries(site=site, period=period)
        .values("account")
        .annotate(
            credits=Coalesce(Sum("amount", filter=Q(amount__lt=0)), 0),
            debits=Coalesce(Sum("amount", filter=Q(amount__gt=0)), 0),
            count=Count("id"),
        )
        .values_list("account", "credits", "debits", "count")
    )
    names = commune_names(site=site)
    summaries = {
        slug: CommuneSummary(slug=slug, name=name, collected=0, refunded=0, lines=0)
        for slug, name in names.items()
    }
    for account, credits, debits, count in rows:
        slug = commune_slug(account)
        summaries[slug] = CommuneSummary(
            slug=slug, name=names.get(slug, slug), collected=-credits, refunded=debits, lines=count
        )
    return sorted(summaries.values(), key=lambda s: (slugify(s.name), s.slug))


# --- A commune's declaration ------------------------------------------------------------------


@dataclass
class DeclarationLine:
    """One collection (positive) or refund (negative) of a stay's tax, in cents."""

    kind: str
    collected_at: dt.datetime
    booking_ref: str
    order_ref: str
    stay_start: dt.date | None
    stay_end: dt.date | None
    address: str
    registration_number: str
    category: str
    nights: int | None
    persons: int | None
    persons_taxed: int | None
    rate_per_person_night: int | None
    proportional: bool
    price_per_night: int | None
    host_is_professional: bool | None
    base: int
    surcharges: dict[str, int]

    @property
    def collection_date(self) -> dt.date:
        return timezone.localdate(self.collected_at)

    @property
    def exempt_persons(self) -> int | None:
        if self.persons is None or self.persons_taxed is None:
            return None
        return max(self.persons - self.persons_taxed, 0)

    @property
    def amount(self) -> int:
        return self.base + sum(self.surcharges.values())

    @property
    def is_refund(self) -> bool:
        return self.kind == REFUND

    @property
    def kind_label(self) -> str:
        if self.is_refund:
            return _("Refund (cancellation)")
        return pgettext("tourist tax", "Collection")

    @property
    def category_label(self) -> str:
        try:
            return str(TaxCategory(self.category).label)
        except ValueError:
            return self.category

    @property
    def departmental(self) -> int:
        return self.surcharges.get(DEPARTMENTAL, 0)

    @property
    def regional(self) -> int:
        return self.surcharges.get(REGIONAL, 0)


@dataclass
class Declaration:
    """A commune's declaration for one territory and period, with its totals (cents)."""

    site: object
    slug: str
    commune: str
    period: Period
    lines: list[DeclarationLine] = field(default_factory=list)

    @property
    def account(self) -> str:
        return TAX_PREFIX + self.slug

    @property
    def base(self) -> int:
        return sum(line.base for line in self.lines)

    @property
    def surcharges(self) -> dict[str, int]:
        return {
            name: sum(line.surcharges.get(name, 0) for line in self.lines) for name in SURCHARGES
        }

    @property
    def departmental(self) -> int:
        return self.surcharges[DEPARTMENTAL]

    @property
    def regional(self) -> int:
        return self.surcharges[REGIONAL]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def collected(self) -> int:
        return sum(line.amount for line in self.lines if not line.is_refund)

    @property
    def refunded(self) -> int:
        return -sum(line.amount for line in self.lines if line.is_refund)


def _split(amount: int, details: dict) -> tuple[int, dict[str, int]]:
    """``amount`` (signed cents) as base and additional taxes, in the booking's proportions."""
    frozen = details.get("surcharges") or {}
    names = [name for name in SURCHARGES if frozen.get(name)]
    weights = [int(details.get("base") or 0)] + [int(frozen[name]) for name in names]
    if sum(weights) <= 0:
        return amount, {}
    if amount == sum(weights):
        parts = weights
    elif amount == -sum(weights):
        parts = [-w for w in weights]
    else:
        parts = split_largest_remainder(amount, weights)
    return parts[0], dict(zip(names, parts[1:], strict=True))


def _nights(booking) -> int | None:
    if booking.start and booking.end:
        return (booking.end - booking.start).days
    return None


def _line(entry, booking, amount: int) -> DeclarationLine:
    """``amount``: the signed tax of the line (the account's credits are the tax collected)."""
    tx = entry.transaction
    details = dict(getattr(booking, "tax_details", None) or {})
    base, surcharges = _split(amount, details)
    persons = None
    if booking is not None and booking.adults is not None:
        persons = booking.adults + (booking.minors or 0)
    elif booking is not None:
        persons = booking.guests
    address = details.get("address") or ""
    if not address and booking is not None:
        provider = booking.provider
        address = ", ".join(
            part for part in (provider.address, f"{provider.postcode} {provider.commune}") if part
        ).strip(", ")
    return DeclarationLine(
        kind=COLLECTION if tx.kind == TransactionKind.ORDER_CONFIRMED else REFUND,
        collected_at=tx.occurred_at,
        booking_ref=tx.booking_ref,
        order_ref=tx.order_ref,
        stay_start=booking.start if booking is not None else None,
        stay_end=booking.end if booking is not None else None,
        address=address,
        registration_number=details.get("registration_number") or "",
        category=details.get("category") or "",
        nights=details.get("nights", _nights(booking) if booking is not None else None),
        persons=persons,
        persons_taxed=details.get("persons_taxed"),
        rate_per_person_night=details.get("rate_per_person_night"),
        proportional=bool(details.get("proportional")),
        price_per_night=details.get("price_per_night") if details.get("proportional") else None,
        host_is_professional=details.get("host_is_professional"),
        base=base,
        surcharges=surcharges,
    )


def _one_per_movement(entries) -> list[tuple]:
    """Entries with the tax each line declares: a cancellation's entries on the same stay and
    day (the policy's share of the price and fee, then the rest of the tax: two ledger
    transactions) are one refund line, as the visitor got one refund."""
    grouped: dict[tuple, list] = {}
    for entry in entries:
        tx = entry.transaction
        key = (tx.pk,)
        if tx.kind != TransactionKind.ORDER_CONFIRMED and tx.booking_ref:
            key = ("refund", tx.booking_ref, timezone.localdate(tx.occurred_at))
        grouped.setdefault(key, [entry, 0])[1] -= entry.amount
    return [tuple(pair) for pair in grouped.values()]


def declaration_for(*, site, commune: str, period: Period) -> Declaration | None:
    """The declaration of ``commune`` (its name or its account's slug) of ``site`` over
    ``period``, lines in the order of collection; ``None`` for a commune the territory does
    not know (no rate, no provider, nothing ever on its account)."""
    slug = slugify(commune or "")
    if not slug:
        return None
    account = tourist_tax_account(slug)
    names = commune_names(site=site)
    entries = list(
        _declared_entries(site=site, period=period)
        .filter(account=account)
        .select_related("transaction")
        .order_by("transaction__occurred_at", "transaction_id", "id")
    )
    if not entries and slug not in names:
        if not LedgerEntry.objects.filter(transaction__site=site, account=account).exists():
            return None
    refs = {entry.transaction.booking_ref for entry in entries if entry.transaction.booking_ref}
    bookings = {
        booking.reference: booking
        for booking in Booking.objects.filter(reference__in=refs).select_related("provider")
    }
    lines = [
        _line(entry, bookings.get(entry.transaction.booking_ref), amount)
        for entry, amount in _one_per_movement(entries)
    ]
    name = names.get(slug)
    for line_booking in bookings.values():
        frozen = (line_booking.tax_details or {}).get("commune")
        if frozen:
            name = frozen
            break
    return Declaration(site=site, slug=slug, commune=name or slug, period=period, lines=lines)


# --- CSV -------------------------------------------------------------------------------------

# The CSV's columns, in this order, under these headings (in the reader's language). Their
# keys never change; add a column at the end if one is ever needed.
CSV_COLUMNS = (
    ("collection_date", gettext_lazy("Collection date")),
    ("type", gettext_lazy("Type")),
    ("booking", gettext_lazy("Booking")),
    ("stay_start", gettext_lazy("Stay start")),
    ("stay_end", gettext_lazy("Stay end")),
    ("address", gettext_lazy("Address of the accommodation")),
    ("registration_number", gettext_lazy("Registration number")),
    ("category", gettext_lazy("Category")),
    ("professional_host", gettext_lazy("Professional host")),
    ("nights", gettext_lazy("Nights")),
    ("persons", gettext_lazy("Persons")),
    ("exempt_persons", gettext_lazy("Exempt persons")),
    ("persons_taxed", gettext_lazy("Persons taxed")),
    ("rate", gettext_lazy("Rate per person per night (€)")),
    ("price_per_night", gettext_lazy("Price per night, unclassified (€)")),
    ("base", gettext_lazy("Tourist tax (€)")),
    ("departmental", gettext_lazy("Departmental additional tax (€)")),
    ("regional", gettext_lazy("Regional additional tax (€)")),
    ("total", gettext_lazy("Total (€)")),
)
CSV_DELIMITER = ";"


def csv_amount(cents: int | None) -> str:
    """Cents as euros with a decimal comma (``-12,30``), as French spreadsheets read them."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units},{rest:02d}"


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


def declaration_csv(declaration: Declaration) -> str:
    """The declaration as CSV text: a byte-order mark, ``;``-separated, headings in the
    active language, dates ``YYYY-MM-DD``, amounts in euros with a decimal comma, a last
    row of totals. Encode it in UTF-8 (the mark makes spreadsheets read it so)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([str(label) for _key, label in CSV_COLUMNS])
    for line in declaration.lines:
        writer.writerow(
            [
                line.collection_date.isoformat(),
                line.kind_label,
                line.booking_ref,
                line.stay_start.isoformat() if line.stay_start else "",
                line.stay_end.isoformat() if line.stay_end else "",
                line.address,
                line.registration_number,
                line.category_label,
                _yes_no(line.host_is_professional),
                _count(line.nights),
                _count(line.persons),
                _count(line.exempt_persons),
                _count(line.persons_taxed),
                csv_amount(line.rate_per_person_night),
                csv_amount(line.price_per_night),
                csv_amount(line.base),
                csv_amount(line.departmental),
                csv_amount(line.regional),
                csv_amount(line.amount),
            ]
        )
    totals = [""] * len(CSV_COLUMNS)
    totals[0] = _("Total")
    totals[-4:] = [
        csv_amount(declaration.base),
        csv_amount(declaration.departmental),
        csv_amount(declaration.regional),
        csv_amount(declaration.total),
    ]
    writer.writerow(totals)
    return out.getvalue()
