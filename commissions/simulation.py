"""Preview of a draft: past bookings quoted with the live rules and with the draft.

Bookings belong to the marketplace, which this app does not import: the marketplace
registers a *line source* (``register_line_source``) that yields the engine's ``Line``s
of a territory's bookings made in a period. With no source, or no booking, the
simulation says so.

:func:`simulate` is pure (lines and rule specs in, numbers out): for each line it adds
the engine's quote with the live rules and with the draft set, per side (the visitor's
service fee, the provider's commission, both), for the whole territory, per beneficiary
(the shares of the commission: a beneficiary's share is cut from both sides together,
so it is not split by side), per category and per provider, with the number of bookings
behind each figure. The preview's figures are therefore sums of :func:`quote` to the cent.

A draft rule valid only from a day still to come (next year's rate, voted in advance)
would match none of the period's bookings, all made before it: the draft side quotes a
booking made before that day as if it had been made on it (``draft_booked_from``), so the
preview shows the effect the draft will have once in force, the other rules as they will
be then. A first day already past is the draft's real start: no booking is moved.

Periods (:func:`period_preset`), all inclusive and ending today unless said otherwise:

- ``30``, ``90``, ``365``: the last N days, today included;
- ``year``: since the first of January;
- ``summer``: the last summer that began (July 1st to August 31st; this year's, up to
  today, once July has begun; else last year's);
- ``last-year``: the same 90 days one year earlier, to see a season gone by;
- ``custom``: two dates chosen by the reader, at most :data:`MAX_PERIOD_DAYS` days.
"""

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from commissions.dates import territory_today
from commissions.engine import Line, Quote, RuleSpec, quote
from commissions.models import Beneficiary, CommissionRule, DistributionKey
from commissions.selectors import live_rules_queryset

LineSource = Callable[..., Iterable[Line]]
_line_sources: list[LineSource] = []
DEFAULT_PERIOD = "90"
MAX_PERIOD_DAYS = 731


def register_line_source(source: LineSource) -> LineSource:
    """Register ``source(*, site, since: date, until: date) -> Iterable[Line]`` (inclusive
    dates of booking); usable as a decorator."""
    if source not in _line_sources:
        _line_sources.append(source)
    return source


def lines_for(*, site, since: dt.date, until: dt.date) -> list[Line]:
    """Every registered source's lines of ``site`` booked from ``since`` to ``until``."""
    lines: list[Line] = []
    for source in _line_sources:
        lines.extend(source(site=site, since=since, until=until))
    return lines


# --- Periods -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days of booking, both ends included."""

    since: dt.date
    until: dt.date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


def period_preset(name: str, *, today: dt.date) -> Period:
    """The period a preset names (see the module's doc), relative to ``today``."""
    if name in ("30", "90", "365"):
        return Period(today - dt.timedelta(days=int(name) - 1), today)
    if name == "year":
        return Period(dt.date(today.year, 1, 1), today)
    if name == "summer":
        year = today.year if today >= dt.date(today.year, 7, 1) else today.year - 1
        return Period(dt.date(year, 7, 1), min(dt.date(year, 8, 31), today))
    if name == "last-year":
        recent = period_preset("90", today=today)
        return Period(_year_before(recent.since), _year_before(recent.until))
    raise ValueError(f"unknown period preset: {name!r}")


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # February 29th
        return day.replace(year=day.year - 1, day=28)


# --- Figures -----------------------------------------------------------------------------


@dataclass
class Figure:
    """An amount today (live rules) and with the draft, and the bookings behind each."""

    live: int = 0
    draft: int = 0
    live_bookings: int = 0
    draft_bookings: int = 0

    @property
    def difference(self) -> int:
        return self.draft - self.live

    @property
    def percent(self) -> Decimal | None:
        """The difference in % of today's amount (one decimal); None when today is 0."""
        if not self.live:
            return None
        return (Decimal(self.difference) * 100 / Decimal(self.live)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def is_new(self) -> bool:
        return self.live == 0 and self.draft != 0

    @property
    def same_bookings(self) -> bool:
        return self.live_bookings == self.draft_bookings


@dataclass
class Sides:
    """A group's figures: the visitor's service fees, the providers' commissions, both."""

    visitor: Figure = field(default_factory=Figure)
    provider: Figure = field(default_factory=Figure)
    commission: Figure = field(default_factory=Figure)

    def add(self, live: Quote, draft: Quote) -> None:
        for name, attr in (
            ("visitor", "visitor_fee"),
            ("provider", "provider_commission"),
            ("commission", "commission"),
        ):
            figure = getattr(self, name)
            figure.live += getattr(live, attr)
            figure.draft += getattr(draft, attr)
            figure.live_bookings += 1
            figure.draft_bookings += 1


@dataclass
class Simulation:
    """The period's bookings quoted with the live rules and with the draft."""

    bookings: int = 0
    totals: Sides = field(default_factory=Sides)
    beneficiaries: dict[str, Figure] = field(default_factory=lambda: defaultdict(Figure))
    categories: dict[str, Sides] = field(default_factory=lambda: defaultdict(Sides))
    providers: dict[str, Sides] = field(default_factory=lambda: defaultdict(Sides))

    @property
    def live_commission(self) -> int:
        return self.totals.commission.live

    @property
    def draft_commission(self) -> int:
        return self.totals.commission.draft

    @property
    def difference(self) -> int:
        return self.totals.commission.difference

    def add(self, line: Line, live: Quote, draft: Quote) -> None:
        self.bookings += 1
        self.totals.add(live, draft)
        category = line.categories[0] if line.categories else ""
        self.categories[category].add(live, draft)
        self.providers[line.provider].add(live, draft)
        for key, cents in live.allocations.items():
            figure = self.beneficiaries[key]
            figure.live += cents
            figure.live_bookings += 1 if cents else 0
        for key, cents in draft.allocations.items():
            figure = self.beneficiaries[key]
            figure.draft += cents
            figure.draft_bookings += 1 if cents else 0


def simulate(
    *,
    lines: Iterable[Line],
    live_specs: list[RuleSpec],
    draft_specs: list[RuleSpec],
    draft_booked_from: dt.date | None = None,
) -> Simulation:
    """Quote each line with ``live_specs`` and with ``draft_specs``, and add them up; on
    the draft side a line booked before ``draft_booked_from`` is quoted as if booked then."""
    result = Simulation()
    for line in lines:
        draft_line = line
        if draft_booked_from is not None and line.booked_on < draft_booked_from:
            draft_line = dataclasses.replace(line, booked_on=draft_booked_from)
        result.add(line, quote(line, live_specs), quote(draft_line, draft_specs))
    result.beneficiaries = dict(result.beneficiaries)
    result.categories = dict(result.categories)
    result.providers = dict(result.providers)
    return result


def impact_order(figure: Figure, name: str) -> tuple:
    """Sort key: the largest change first, then the largest amount, then by name."""
    return (-abs(figure.difference), -max(figure.live, figure.draft), name.casefold())


# --- The three previews, from the database ---------------------------------------------


def _live_rules(site):
    return list(live_rules_queryset(site_id=site.pk))


def draft_start_to_come(draft) -> dt.date | None:
    """The draft rule's first day when it is still to come (after today), else None."""
    start = draft.valid_from
    return start if start is not None and start > territory_today() else None


def rule_simulate(*, draft, site, period: Period | None = None, live_rules=None) -> Simulation:
    """Simulate ``draft`` (a CommissionRule, possibly unsaved) over ``period`` (the last
    90 days by default): the draft replaces its live version, or is added when new; the
    draft side reads bookings made before the draft's first day as made on it."""
    period = period or period_preset(DEFAULT_PERIOD, today=territory_today())
    live_rules = _live_rules(site) if live_rules is None else live_rules
    live_specs = [rule.to_spec() for rule in live_rules]
    draft_specs = [
        spec
        for rule, spec in zip(live_rules, live_specs, strict=True)
        if rule.pk != draft.pk and spec.key != draft.key
    ] + [draft.to_spec()]
    return simulate(
        lines=lines_for(site=site, since=period.since, until=period.until),
        live_specs=live_specs,
        draft_specs=draft_specs,
        draft_booked_from=draft_start_to_come(draft),
    )


def key_simulate(*, draft_key, site, period: Period, live_rules=None) -> Simulation:
    """Every live rule using ``draft_key`` (a DistributionKey, possibly unsaved) quoted
    with its draft shares instead of its live ones."""
    live_rules = _live_rules(site) if live_rules is None else live_rules
    live_specs = [rule.to_spec() for rule in live_rules]
    distribution = draft_key.as_distribution()
    draft_specs = [
        dataclasses.replace(spec, distribution=distribution)
        if rule.distribution_id == draft_key.pk
        else spec
        for rule, spec in zip(live_rules, live_specs, strict=True)
    ]
    return simulate(
        lines=lines_for(site=site, since=period.since, until=period.until),
        live_specs=live_specs,
        draft_specs=draft_specs,
    )


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class BeneficiaryPreview:
    """What a beneficiary receives over the period, and what its draft changes."""

    beneficiary: object
    draft: object
    received: Figure
    simulation: Simulation
    changes: list[FieldChange]
    keys: list
    rules: list

    @property
    def deactivated_but_named(self) -> bool:
        """Deactivated by the draft while live keys still give it a share."""
        return self.beneficiary.active and not self.draft.active and bool(self.keys)


BENEFICIARY_FIELDS = (
    "name",
    "key",
    "kind",
    "description",
    "link",
    "stripe_account",
    "email",
    "active",
)


def _field_text(beneficiary, name: str) -> str:
    from django.utils.translation import gettext as _

    if name == "stripe_account":
        return str(beneficiary.payout_label)
    if name == "active":
        return _("yes") if beneficiary.active else _("no")
    if name == "kind":
        return str(beneficiary.get_kind_display())
    return str(getattr(beneficiary, name) or "—")


def beneficiary_preview(*, live, draft, period: Period) -> BeneficiaryPreview:
    """Preview a change of a beneficiary: ``draft`` is ``live`` as modified (in memory or
    from a revision). Its share over ``period`` with the live rules, the fields that
    change (payout destination, activation...), and the live keys and rules naming it."""
    site = live.site
    live_rules = _live_rules(site)
    live_specs = [rule.to_spec() for rule in live_rules]
    simulation = simulate(
        lines=lines_for(site=site, since=period.since, until=period.until),
        live_specs=live_specs,
        draft_specs=live_specs,
    )
    received = simulation.beneficiaries.get(live.key, Figure())
    changes = [
        FieldChange(
            name,
            str(Beneficiary._meta.get_field(name).verbose_name),
            _field_text(live, name),
            _field_text(draft, name),
        )
        for name in BENEFICIARY_FIELDS
        if getattr(live, name) != getattr(draft, name)
    ]
    keys = list(
        DistributionKey.objects.filter(site=site, live=True, shares__beneficiary=live)
        .distinct()
        .prefetch_related("shares")
        .order_by("name")
    )
    for key in keys:  # its share in each key, for the page
        key.beneficiary_share = sum(
            (s.percentage for s in key.shares.all() if s.beneficiary_id == live.pk), Decimal(0)
        )
    rules = list(
        CommissionRule.objects.filter(site=site, live=True, distribution__in=keys).order_by("name")
    )
    return BeneficiaryPreview(live, draft, received, simulation, changes, keys, rules)
