"""The DAC7 report: what a platform owes the tax office each year about its sellers.

Council Directive (EU) 2021/514 ("DAC7", Annex V; in France article 1649 ter A of the
code général des impôts) asks a platform operator, by 31 January, for every **reportable
seller** of the past calendar year: who they are, where, their tax identifiers and
financial account, and per quarter the consideration paid or credited to them, the
number of relevant activities it was paid for, and the fees and taxes the platform
withheld. Everything here is read from the ledger (never a second source of truth) and
from the provider's own details; :mod:`marketplace.books.dac7_files` writes the CSV and
the XML, ``manage.py dac7_report`` prints them.

**Relevant activities** (the directive's categories, by the booking's kind): a ``stay``
is the *rental of immovable property*, reported per property (the offer: its address,
type and the nights rented); an ``activity`` is a *personal service*; a ``product`` is
a *sale of goods*. Comptoir rents no means of transport.

**Quarters** are those of the ledger transaction's date in the territory's time zone
(``settings.TIME_ZONE``, Europe/Paris): Q1 is January to March, and so on.

**Consideration** is what the ledger credited the seller: the entries on
``provider:<id>`` of the year's confirmations (``order_confirmed``) minus what the
year's refunds (their reversals, ``refund``) took back, each in its own quarter. It is
already net of the platform's commission (the directive's "net of any fees, commissions
or taxes withheld"), and the tourist tax the visitor paid goes to the commune's account,
never the seller's. Payouts and transfers pay out what was credited and are not
consideration; manual adjustments of a provider's account are not either (correct a
figure with a refund, not an adjustment).

**Fees withheld** are the provider's side of the commission the ledger charged on those
confirmations and gave back on those refunds
(:func:`marketplace.invoices.movements.commission_movements`: the same figure as the
commission invoices), by quarter. The visitor's service fee is the visitor's, not the
seller's. **Taxes withheld** are always 0: the platform withholds no tax from sellers
(the tourist tax is the visitor's, collected for the commune).

**Number of activities**: a booking counts once, in the quarter of its confirmation,
when that confirmation credited the seller something; a booking whose credit the year's
refunds took back entirely (cancelled with a full refund by 31 December) does not count:
nothing was paid for it. A partial refund keeps the booking counted. Refunds of
bookings confirmed in an earlier year lower the consideration of their quarter and count
no activity.

**Nights rented** (per property): the nights of the property's stays that fall in each
quarter, times the units booked (three pitches for two nights are six), for stays not
cancelled. They follow the calendar of the stay, not the payment.

**Reportable sellers**: every provider of the territory with a figure in the year
(activities, consideration or fees; nights alone, of a stay paid in an earlier year, do
not make one), whatever its status today (a provider suspended
in November still sold in March). DAC7's exclusion of small sellers of goods applies: a
seller whose only activity is the sale of goods, with fewer than 30 sales and at most
2,000 € of consideration in the year, is excluded (and listed as such). The
directive's other exclusions (governmental entities, listed companies) are not
modelled: such a seller is reported, and the operator removes it from the filing.

**Mandatory data** (:func:`seller_missing`): for an entity, its legal name, address,
tax identification number (TIN: the SIREN in France) and the country issuing it, and its
business registration number (the SIRET); for an individual, first names, last name,
date of birth, address and TIN, and the place of birth when it has no TIN. The VAT number
and the financial account (the IBAN of the approved payout bank details) are reported
where available. A provider missing some is reported as it is and listed with what is
missing; its members see it on their dashboard and are told by e-mail once a year
(:mod:`marketplace.books.dac7_notify`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from commissions.dates import territory_date, territory_day_start
from marketplace.books.ledger import provider_account
from marketplace.books.models import LedgerEntry, TransactionKind
from marketplace.invoices.movements import commission_movements
from marketplace.models import Booking, LegalForm, Provider, StayOfferPage, TerritorySettings
from marketplace.models.orders import CANCELLED_STATUSES
from marketplace.payouts.selectors import approved_bank_accounts

IMMOVABLE_PROPERTY = "immovable_property"
PERSONAL_SERVICES = "personal_services"
SALE_OF_GOODS = "sale_of_goods"
CATEGORY_OF_KIND = {
    "stay": IMMOVABLE_PROPERTY,
    "activity": PERSONAL_SERVICES,
    "product": SALE_OF_GOODS,
}
CATEGORIES = (IMMOVABLE_PROPERTY, PERSONAL_SERVICES, SALE_OF_GOODS)
QUARTERS = (1, 2, 3, 4)
# The figures that make a seller reportable: something was paid or credited in the year.
MONEY_FIGURES = ("activities", "consideration", "fees")

# Annex V, section I.B.2(d): the small sellers of goods the report leaves out.
GOODS_EXCLUSION_MAX_ACTIVITIES = 30  # fewer than
GOODS_EXCLUSION_MAX_CONSIDERATION = 200_000  # cents, at most

# The fields a seller must have given, by legal form, and how the report names them.
MISSING_LABELS = {
    "legal_name": _("legal name"),
    "address": _("address"),
    "postcode": _("postcode"),
    "commune": _("commune"),
    "siret": _("SIRET"),
    "tax_identifier": _("tax identification number"),
    "tax_country": _("country issuing the tax number"),
    "first_names": _("first names"),
    "last_name": _("last name"),
    "birth_date": _("date of birth"),
    "birth_place": _("place of birth (without a tax number)"),
}
ADDRESS_FIELDS = ("address", "postcode", "commune")
ENTITY_FIELDS = ("legal_name", *ADDRESS_FIELDS, "siret", "tax_identifier", "tax_country")
INDIVIDUAL_FIELDS = (
    "first_names",
    "last_name",
    "birth_date",
    *ADDRESS_FIELDS,
    "tax_identifier",
    "tax_country",
)


def seller_missing(provider: Provider) -> list[str]:
    """The mandatory DAC7 fields ``provider`` has not given (model field names)."""
    if provider.legal_form == LegalForm.INDIVIDUAL:
        names = INDIVIDUAL_FIELDS
    else:
        names = ENTITY_FIELDS
    missing = [name for name in names if not getattr(provider, name)]
    # An individual without a TIN is identified by their place of birth too.
    if (
        provider.legal_form == LegalForm.INDIVIDUAL
        and not provider.tax_identifier
        and not provider.birth_place
    ):
        missing.append("birth_place")
    return missing


def missing_labels(names: list[str]) -> list[str]:
    """The missing fields, named in the active language."""
    return [str(MISSING_LABELS[name]) for name in names]


def providers_missing(*, site=None, provider_ids=None) -> list[tuple[Provider, list[str]]]:
    """The approved providers (of ``site``, or among ``provider_ids``) with mandatory DAC7
    data missing, each with what is missing: one query."""
    providers = Provider.objects.approved().order_by("name", "pk")
    if site is not None:
        providers = providers.filter(site=site)
    if provider_ids is not None:
        providers = providers.filter(pk__in=list(provider_ids))
    return [(p, missing) for p in providers if (missing := seller_missing(p))]


@dataclass
class QuarterFigures:
    activities: int = 0
    consideration: int = 0  # cents
    fees: int = 0  # cents
    taxes: int = 0  # cents (always 0: see the module's docstring)
    nights: int = 0  # immovable property only

    def is_empty(self) -> bool:
        return not (self.activities or self.consideration or self.fees or self.nights)


@dataclass
class ActivityLine:
    """A seller's figures for one category, or one property for immovable property."""

    category: str
    offer_id: int | None = None
    property_title: str = ""
    property_type: str = ""
    registration_number: str = ""
    quarters: dict[int, QuarterFigures] = field(
        default_factory=lambda: {q: QuarterFigures() for q in QUARTERS}
    )

    def total(self, name: str) -> int:
        return sum(getattr(figures, name) for figures in self.quarters.values())


@dataclass
class Seller:
    provider: Provider
    lines: list[ActivityLine]
    missing: list[str]
    iban: str = ""
    account_holder: str = ""

    @property
    def is_individual(self) -> bool:
        return self.provider.legal_form == LegalForm.INDIVIDUAL

    @property
    def categories(self) -> set[str]:
        return {line.category for line in self.lines}

    def total(self, name: str) -> int:
        return sum(line.total(name) for line in self.lines)

    def quarter_total(self, name: str, quarter: int) -> int:
        return sum(getattr(line.quarters[quarter], name) for line in self.lines)


@dataclass
class Excluded:
    provider: Provider
    activities: int
    consideration: int
    reason: str = "goods_below_threshold"


@dataclass
class Dac7Report:
    site: object
    year: int
    currency: str
    sellers: list[Seller]
    excluded: list[Excluded]

    @property
    def missing(self) -> list[Seller]:
        return [seller for seller in self.sellers if seller.missing]


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The first instants of ``year`` and of the next, in the territory's time zone."""
    return territory_day_start(dt.date(year, 1, 1)), territory_day_start(dt.date(year + 1, 1, 1))


def quarter_of(moment: dt.datetime) -> int:
    """1 to 4: the quarter of ``moment``'s day in the territory."""
    return (territory_date(moment).month - 1) // 3 + 1


def _credits(site, start, end) -> list[dict]:
    """The year's confirmations and refunds on providers' accounts: one row per entry."""
    return list(
        LedgerEntry.objects.filter(
            Q(transaction__kind=TransactionKind.ORDER_CONFIRMED)
            | Q(
                transaction__kind=TransactionKind.REFUND,
                transaction__reverses__kind=TransactionKind.ORDER_CONFIRMED,
            ),
            account__startswith="provider:",
            transaction__site=site,
            transaction__occurred_at__gte=start,
            transaction__occurred_at__lt=end,
        )
        .values(
            "account",
            "amount",
            "transaction__kind",
            "transaction__occurred_at",
            "transaction__booking_ref",
        )
        .order_by("transaction__occurred_at", "transaction_id")
    )


def _nights(booking: Booking, year: int) -> dict[int, int]:
    """Unit-nights of a stay in each quarter of ``year``."""
    found: dict[int, int] = defaultdict(int)
    if not (booking.start and booking.end):
        return found
    day = max(booking.start, dt.date(year, 1, 1))
    last = min(booking.end, dt.date(year + 1, 1, 1))
    while day < last:
        found[(day.month - 1) // 3 + 1] += booking.quantity
        day += dt.timedelta(days=1)
    return found


def dac7_report(*, site, year: int) -> Dac7Report:
    """The DAC7 figures of ``site`` for calendar ``year`` (see the module's docstring).

    A fixed number of queries whatever the number of bookings: the ledger's entries, the
    commission movements (two), the bookings, the stays of the year, the providers, the
    offers and the bank details.
    """
    start, end = year_bounds(year)
    credits = _credits(site, start, end)
    movements = commission_movements(site=site, start=start, end=end)
    stays = list(
        Booking.objects.filter(
            order__site=site,
            kind="stay",
            start__lt=dt.date(year + 1, 1, 1),
            end__gt=dt.date(year, 1, 1),
        )
        .exclude(status__in=CANCELLED_STATUSES)
        .filter(confirmed_at__isnull=False)
        .only("reference", "provider_id", "offer_id", "kind", "start", "end", "quantity")
    )
    refs = {row["transaction__booking_ref"] for row in credits} | {m.booking_ref for m in movements}
    bookings = {
        b.reference: b
        for b in Booking.objects.filter(reference__in=refs).only(
            "reference", "provider_id", "offer_id", "kind"
        )
    }
    bookings.update({b.reference: b for b in stays})

    lines: dict[tuple[int, str, int | None], ActivityLine] = {}

    def line_for(booking: Booking) -> ActivityLine:
        category = CATEGORY_OF_KIND.get(booking.kind, PERSONAL_SERVICES)
        offer_id = booking.offer_id if category == IMMOVABLE_PROPERTY else None
        key = (booking.provider_id, category, offer_id)
        if key not in lines:
            lines[key] = ActivityLine(category=category, offer_id=offer_id)
        return lines[key]

    # Consideration, and which confirmations count as activities.
    credited: dict[str, int] = defaultdict(int)  # net credit of the year per booking
    confirmed_in: dict[str, int] = {}  # booking -> the quarter of its confirmation
    for row in credits:
        booking = bookings.get(row["transaction__booking_ref"])
        if booking is None or provider_account(booking.provider_id) != row["account"]:
            continue  # not a booking of this provider (never happens with the life cycle)
        quarter = quarter_of(row["transaction__occurred_at"])
        amount = -row["amount"]  # credits are negative
        line_for(booking).quarters[quarter].consideration += amount
        if row["transaction__kind"] == TransactionKind.ORDER_CONFIRMED and amount > 0:
            confirmed_in[booking.reference] = quarter
        credited[booking.reference] += amount
    for reference, quarter in confirmed_in.items():
        if credited[reference] > 0:
            line_for(bookings[reference]).quarters[quarter].activities += 1

    for movement in movements:
        booking = bookings.get(movement.booking_ref)
        if booking is None:
            continue
        line_for(booking).quarters[quarter_of(movement.occurred_at)].fees += movement.provider_part

    for booking in stays:
        line = line_for(booking)
        for quarter, nights in _nights(booking, year).items():
            line.quarters[quarter].nights += nights

    by_provider: dict[int, list[ActivityLine]] = defaultdict(list)
    for (provider_id, _category, _offer), line in sorted(
        lines.items(), key=lambda item: (item[0][0], CATEGORIES.index(item[0][1]), item[0][2] or 0)
    ):
        if any(not figures.is_empty() for figures in line.quarters.values()):
            by_provider[provider_id].append(line)
    # Nights alone (a stay paid in an earlier year) make no seller reportable.
    for provider_id in [
        pk
        for pk, found in by_provider.items()
        if not any(
            getattr(figures, name)
            for line in found
            for figures in line.quarters.values()
            for name in MONEY_FIGURES
        )
    ]:
        del by_provider[provider_id]

    offers = {
        offer.pk: offer
        for offer in StayOfferPage.objects.filter(
            pk__in=[line.offer_id for ls in by_provider.values() for line in ls if line.offer_id]
        ).only("title", "unit_name", "registration_number")
    }
    providers = {p.pk: p for p in Provider.objects.filter(pk__in=list(by_provider), site=site)}
    banks = approved_bank_accounts(
        site=site, accounts=[provider_account(pk) for pk in providers], at=end
    )

    sellers: list[Seller] = []
    excluded: list[Excluded] = []
    for provider in sorted(providers.values(), key=lambda p: (p.name, p.pk)):
        seller_lines = by_provider[provider.pk]
        for line in seller_lines:
            offer = offers.get(line.offer_id)
            if offer is not None:
                line.property_title = offer.title
                line.property_type = offer.unit_name
                line.registration_number = offer.registration_number
        bank = banks.get(provider_account(provider.pk))
        seller = Seller(
            provider=provider,
            lines=seller_lines,
            missing=seller_missing(provider),
            iban=bank.iban if bank is not None else "",
            account_holder=bank.holder_name if bank is not None else "",
        )
        if (
            seller.categories == {SALE_OF_GOODS}
            and seller.total("activities") < GOODS_EXCLUSION_MAX_ACTIVITIES
            and seller.total("consideration") <= GOODS_EXCLUSION_MAX_CONSIDERATION
        ):
            excluded.append(
                Excluded(
                    provider=provider,
                    activities=seller.total("activities"),
                    consideration=seller.total("consideration"),
                )
            )
            continue
        sellers.append(seller)
    currency = TerritorySettings.for_site(site).currency
    return Dac7Report(site=site, year=year, currency=currency, sellers=sellers, excluded=excluded)
