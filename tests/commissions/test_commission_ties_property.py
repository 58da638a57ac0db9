"""``find_ties`` reports a pair exactly when some booking could be priced by both rules
with the same precision: checked against a brute-force search for such a booking over a
small universe of providers, categories, labels, communes (case and spaces folded),
kinds, seasons (wrapping, one day, 29 February, all year) and validity dates."""

import dataclasses
import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from commissions.engine import Line, RuleSpec, Scope, Season, find_ties

PROVIDERS = ("ferme", "gite-du-lac")
CATEGORIES = ("camping", "gite")
LABELS = ("bio", "accueil-velo")
COMMUNES = ("Saint-Jean", "saint-jean ", "Le  Puy", "le puy")
KINDS = ("stay", "activity", "product")
SEASONS = (
    Season(7, 1, 8, 31),
    Season(11, 1, 3, 31),  # over the new year
    Season(2, 29, 2, 29),  # one day, leap years only
    Season(3, 1, 2, 28),  # every day but 29 February
    Season(12, 1, 2, 29),  # winter to the end of February
    Season(1, 1, 12, 31),  # all year
    Season(8, 31, 8, 31),  # one day
    Season(9, 1, 8, 31),  # all year, wrapping
)
DAYS = (dt.date(2026, 1, 1), dt.date(2026, 6, 30), dt.date(2026, 7, 1), dt.date(2027, 1, 1))
TODAY = dt.date(2026, 6, 30)
# Service dates: every day of a leap year and of a common year.
SERVICE_DAYS = [dt.date(2027, 1, 1) + dt.timedelta(days=n) for n in range(365 + 366)]


def subsets(values):
    return st.frozensets(st.sampled_from(values), max_size=2)


@st.composite
def specs(draw, key):
    valid_from = draw(st.none() | st.sampled_from(DAYS))
    valid_until = draw(st.none() | st.sampled_from(DAYS))
    if valid_from and valid_until and valid_until < valid_from:
        valid_from, valid_until = valid_until, valid_from
    return RuleSpec(
        key,
        key,
        scope=Scope(
            providers=draw(subsets(PROVIDERS)),
            categories=draw(subsets(CATEGORIES)),
            labels=draw(subsets(LABELS)),
            communes=draw(subsets(COMMUNES)),
            kinds=draw(subsets(KINDS)),
            season=draw(st.none() | st.sampled_from(SEASONS)),
        ),
        valid_from=valid_from,
        valid_until=valid_until,
    )


def witness(a: RuleSpec, b: RuleSpec, *, since: dt.date | None):
    """A booking both rules price with the same precision, or None (brute force: a line's
    dimensions are matched independently, so each one is searched on its own)."""
    if a.scope.specificity() != b.scope.specificity():
        return None
    booked = [d for d in (*DAYS, dt.date(2025, 1, 1), dt.date(2030, 1, 1)) if d >= (since or d)]
    booked_on = next((d for d in booked if a.is_valid_on(d) and b.is_valid_on(d)), None)
    if booked_on is None:
        return None
    without_season = [dataclasses.replace(s.scope, season=None) for s in (a, b)]
    labels = tuple(sorted(a.scope.labels | b.scope.labels))
    for provider, category, commune, kind in itertools.product(
        ("", *PROVIDERS), ("", *CATEGORIES), ("", *COMMUNES), ("", *KINDS)
    ):
        line = Line(
            subtotal=100,
            booked_on=booked_on,
            provider=provider,
            categories=(category,) if category else (),
            commune=commune,
            kind=kind,
            labels=labels,
        )
        if all(scope.matches(line) for scope in without_season):
            break
    else:
        return None
    for day in [None, *SERVICE_DAYS]:
        dated = dataclasses.replace(line, service_on=day)
        if a.scope.matches(dated) and b.scope.matches(dated):
            return dated
    return None


@settings(max_examples=400, deadline=None)
@given(specs("a"), specs("b"))
def test_find_ties_reports_a_pair_iff_one_booking_could_match_both_equally(a, b):
    found = witness(a, b, since=None)
    assert bool(find_ties(a, [b])) == (found is not None), found
    assert bool(find_ties(b, [a])) == (found is not None), found


@settings(max_examples=300, deadline=None)
@given(specs("a"), specs("b"))
def test_from_a_day_on_find_ties_looks_only_at_bookings_made_from_that_day(a, b):
    """A rule that ended before today can no longer price a booking: it ties with none."""
    found = witness(a, b, since=TODAY)
    assert bool(find_ties(a, [b], since=TODAY)) == (found is not None), found


@settings(max_examples=200, deadline=None)
@given(
    st.lists(specs("r"), min_size=1, max_size=5),
    st.sampled_from(("", *PROVIDERS)),
    st.sampled_from(("", *CATEGORIES)),
    st.sampled_from(("", *COMMUNES)),
    st.sampled_from(("", *KINDS)),
    st.sampled_from([None, *SERVICE_DAYS[::17]]),
    st.sampled_from(DAYS),
)
def test_select_rule_does_not_depend_on_the_order_of_the_rules(
    rules, provider, category, commune, kind, service_on, booked_on
):
    from commissions.engine import select_rule

    rules = [dataclasses.replace(r, key=f"r{i}", name=f"r{i}") for i, r in enumerate(rules)]
    line = Line(
        subtotal=100,
        booked_on=booked_on,
        provider=provider,
        categories=(category,) if category else (),
        commune=commune,
        kind=kind,
        labels=LABELS[:1],
        service_on=service_on,
    )
    chosen = select_rule(line, rules)
    assert select_rule(line, list(reversed(rules))) == chosen
    if chosen is not None:
        # Nothing matching is more specific than the chosen rule.
        assert all(
            r.scope.specificity() <= chosen.scope.specificity()
            for r in rules
            if r.is_valid_on(booked_on) and r.scope.matches(line)
        )
