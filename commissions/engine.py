"""The commission engine: pure Python, no ORM inside the maths.

A ``Line`` (what is being sold, where, when, for how much) and the live ``RuleSpec``s of
a territory go in; a ``Quote`` comes out. The storefront, the cart, the checkout and the
simulation of a draft rule all call :func:`quote`, so they agree to the cent.

Which rule applies: among the live rules whose scope matches the line and whose
validity period contains the booking date, the most specific one. Specificity is
compared dimension by dimension, in this order (the first difference decides):

1. a rule naming **providers**,
2. then one naming **categories**,
3. then **labels**,
4. then **communes**,
5. then **offer kinds**,
6. then a **season** (dates of the service),

so a provider-specific rule beats a category rule, which beats the territory's base
rule (a rule that names none of them), and "Campings in July and August" beats
"Campings" for a stay in July, while a category rule beats a territory-wide season.
Two matching rules with the same specificity are a tie: :func:`find_ties` reports
them so that publishing such a rule is refused. Rules tie only where one booking could
match both: a line has one provider, commune, kind and **one category** (the offer's
listing category), so those sets must meet; it may carry several labels, so two label
rules always may; two seasons must share a day of the year; and their validity periods
must share a booking day from today on (a rule that has ended ties with no new one).

Validity and season are two different dates. Validity (``valid_from``/``valid_until``)
reads the **booking date** (``Line.booked_on``). A season (:class:`Season`, a recurring
span of days of the year such as 1 July – 31 August, which may wrap over the new year:
1 November – 31 March) reads the **service date** (``Line.service_on``), whatever the
booking date. One rule decides a whole booking, on one service date:

- a stay: its **arrival date** (first night): a stay from 30 August to 3 September is
  priced in full by a July–August season rule; one from 29 June to 3 July is not;
- an activity: the **slot's date**;
- a product (collected at the shop, no date is recorded): the **booking date**.

A line without a service date (a listing's "from" price, before dates are chosen) is
matched by no season rule: it shows the price outside any season.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from commissions.money import round_half_up

HUNDRED = Decimal(100)
# The allocation key of a commission whose rule has no distribution key: the operator
# keeps it.
OPERATOR = "operator"


def split_largest_remainder(total: int, weights: Sequence[Decimal | int]) -> list[int]:
    """Split ``total`` cents in proportion to ``weights`` with the largest remainder method.

    The parts always add up to ``total`` exactly; ties in remainders go to the earlier
    weight, so the result is deterministic. Negative totals are split symmetrically.
    """
    if not weights:
        if total:
            raise ValueError("cannot split a non-zero amount among no shares")
        return []
    weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    exact = [magnitude * w / weight_sum for w in weights]
    floors = [int(x) for x in exact]  # exact >= 0, so int() is floor
    leftover = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [sign * part for part in floors]


@dataclass(frozen=True)
class Side:
    """One side of a commission: a rate, a fixed amount, and bounds (all optional)."""

    rate: Decimal = Decimal(0)  # percent, two decimals
    fixed: int = 0  # cents, per booking
    minimum: int | None = None
    maximum: int | None = None

    def amount(self, subtotal: int) -> int:
        """clamp(round(subtotal × rate) + fixed, minimum, maximum), within [0, subtotal]."""
        value = round_half_up(Decimal(subtotal) * self.rate / HUNDRED) + self.fixed
        if self.minimum is not None:
            value = max(value, self.minimum)
        if self.maximum is not None:
            value = min(value, self.maximum)
        return max(0, min(value, subtotal))


# A leap year, so that a season may start or end on 29 February.
_ANY_LEAP_YEAR = 2000


@dataclass(frozen=True)
class Season:
    """Days of the year when the service takes place, every year: from start to end,
    both included; it wraps over the new year when the end comes before the start
    (1 November – 31 March). A season ending on 28 February runs to the end of
    February: in a leap year the 29th is in it (one ending on the 29th ends on the 28th
    in a common year)."""

    start_month: int
    start_day: int
    end_month: int
    end_day: int

    def __post_init__(self):
        # Raises ValueError for a day that no year has (31 April, 30 February).
        dt.date(_ANY_LEAP_YEAR, self.start_month, self.start_day)
        dt.date(_ANY_LEAP_YEAR, self.end_month, self.end_day)

    @property
    def start(self) -> tuple[int, int]:
        return (self.start_month, self.start_day)

    @property
    def end(self) -> tuple[int, int]:
        return (self.end_month, self.end_day)

    def _holds(self, month_day: tuple[int, int]) -> bool:
        if month_day == (2, 29) and self.end == (2, 28):
            month_day = (2, 28)
        if self.start <= self.end:
            return self.start <= month_day <= self.end
        return month_day >= self.start or month_day <= self.end

    def contains(self, day: dt.date) -> bool:
        return self._holds((day.month, day.day))

    def intersects(self, other: Season) -> bool:
        # Two arcs of the year's circle meet when one holds the other's first day.
        return self._holds(other.start) or other._holds(self.start)


@dataclass(frozen=True)
class Scope:
    providers: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()
    communes: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    # Dates of the service (not of the booking); None: all year round.
    season: Season | None = None

    def specificity(self) -> tuple[bool, ...]:
        return (
            bool(self.providers),
            bool(self.categories),
            bool(self.labels),
            bool(self.communes),
            bool(self.kinds),
            self.season is not None,
        )

    def matches(self, line: Line) -> bool:
        return (
            (not self.providers or line.provider in self.providers)
            and (not self.categories or bool(self.categories & set(line.categories)))
            and (not self.labels or bool(self.labels & set(line.labels)))
            and (not self.communes or _fold(line.commune) in {_fold(c) for c in self.communes})
            and (not self.kinds or line.kind in self.kinds)
            and (
                self.season is None
                or (line.service_on is not None and self.season.contains(line.service_on))
            )
        )

    def could_overlap(self, other: Scope) -> bool:
        """Whether some line could match both scopes.

        A line has one provider, commune, kind and category (an offer is priced with its
        one listing category), so those sets must intersect; it may carry several labels,
        so any two label sets can both match. Seasons must share a day of the year.
        """

        def meet(a: frozenset, b: frozenset, fold=lambda x: x) -> bool:
            return not a or not b or bool({fold(x) for x in a} & {fold(x) for x in b})

        return (
            meet(self.providers, other.providers)
            and meet(self.categories, other.categories)
            and meet(self.communes, other.communes, _fold)
            and meet(self.kinds, other.kinds)
            and (
                self.season is None or other.season is None or self.season.intersects(other.season)
            )
        )


def _fold(value: str) -> str:
    return " ".join((value or "").casefold().split())


@dataclass(frozen=True)
class RuleSpec:
    """A live commission rule, as plain data (built from the snippet by the app)."""

    key: str
    name: str
    scope: Scope = field(default_factory=Scope)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    provider_side: Side = field(default_factory=Side)
    visitor_side: Side = field(default_factory=Side)
    # (beneficiary key, percentage) pairs summing to 100.00, in display order.
    distribution: tuple[tuple[str, Decimal], ...] = ()
    revision_id: int | None = None

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def periods_overlap(self, other: RuleSpec, *, since: dt.date | None = None) -> bool:
        """Whether one booking date (``since`` or later) is valid for both rules."""
        start = max(
            self.valid_from or dt.date.min, other.valid_from or dt.date.min, since or dt.date.min
        )
        end = min(self.valid_until or dt.date.max, other.valid_until or dt.date.max)
        return start <= end


@dataclass(frozen=True)
class Line:
    """What is sold: by whom, of which kind, where, when, for how much (cents)."""

    subtotal: int
    booked_on: dt.date
    provider: str = ""
    categories: tuple[str, ...] = ()
    kind: str = ""
    commune: str = ""
    labels: tuple[str, ...] = ()
    # The date of the service a season is read on (see the module doc); None when the
    # line has none (a listing's "from" price): then no season rule applies.
    service_on: dt.date | None = None


@dataclass(frozen=True)
class Quote:
    subtotal: int
    visitor_fee: int
    provider_commission: int
    allocations: dict[str, int]
    rule: str | None
    rule_revision_id: int | None

    @property
    def commission(self) -> int:
        return self.visitor_fee + self.provider_commission

    @property
    def visitor_total(self) -> int:
        return self.subtotal + self.visitor_fee

    @property
    def provider_net(self) -> int:
        return self.subtotal - self.provider_commission

    def as_dict(self) -> dict:
        return {
            "subtotal": self.subtotal,
            "visitor_fee": self.visitor_fee,
            "provider_commission": self.provider_commission,
            "commission": self.commission,
            "visitor_total": self.visitor_total,
            "provider_net": self.provider_net,
            "allocations": dict(self.allocations),
            "rule": self.rule,
        }


def select_rule(line: Line, rules: Iterable[RuleSpec]) -> RuleSpec | None:
    """The most specific rule valid on the line's booking date whose scope (season on the
    service date included) matches it (see module doc)."""
    candidates = [r for r in rules if r.is_valid_on(line.booked_on) and r.scope.matches(line)]
    if not candidates:
        return None
    # Among equals (a tie that publishing should have refused), the key decides so the
    # result stays deterministic.
    return max(candidates, key=lambda r: (r.scope.specificity(), r.key))


def quote(line: Line, rules: Iterable[RuleSpec]) -> Quote:
    """Price a line's commission with the rule that applies; zero when none does."""
    if line.subtotal < 0:
        raise ValueError("a subtotal cannot be negative")
    rule = select_rule(line, rules)
    if rule is None:
        return Quote(line.subtotal, 0, 0, {}, None, None)
    visitor_fee = rule.visitor_side.amount(line.subtotal)
    provider_commission = rule.provider_side.amount(line.subtotal)
    commission = visitor_fee + provider_commission
    allocations: dict[str, int] = {}
    if rule.distribution:
        keys = [key for key, _ in rule.distribution]
        parts = split_largest_remainder(commission, [share for _, share in rule.distribution])
        allocations = dict(zip(keys, parts, strict=True))
    elif commission:
        allocations = {OPERATOR: commission}
    return Quote(
        subtotal=line.subtotal,
        visitor_fee=visitor_fee,
        provider_commission=provider_commission,
        allocations=allocations,
        rule=rule.key,
        rule_revision_id=rule.revision_id,
    )


def find_ties(
    candidate: RuleSpec, live: Iterable[RuleSpec], *, since: dt.date | None = None
) -> list[RuleSpec]:
    """Rules of ``live`` that would tie with ``candidate`` for some booking made on or
    after ``since`` (any day when None): a rule that ended before ``since`` ties with none.
    """
    return [
        other
        for other in live
        if other.key != candidate.key
        and other.scope.specificity() == candidate.scope.specificity()
        and other.scope.could_overlap(candidate.scope)
        and other.periods_overlap(candidate, since=since)
    ]
