"""Properties and real-world schemes for the pure commission engine."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from commissions.engine import (
    Line,
    RuleSpec,
    Scope,
    Season,
    Side,
    find_ties,
    quote,
    split_largest_remainder,
)
from commissions.money import round_half_up

DAY = dt.date(2026, 7, 1)

amounts = st.integers(min_value=0, max_value=10_000_000)
rates = st.decimals(min_value=0, max_value=100, places=2)
optional_cents = st.one_of(st.none(), st.integers(min_value=0, max_value=100_000))


@st.composite
def sides(draw):
    minimum = draw(optional_cents)
    maximum = draw(optional_cents)
    if minimum is not None and maximum is not None and maximum < minimum:
        minimum, maximum = maximum, minimum
    return Side(
        rate=draw(rates), fixed=draw(st.integers(0, 10_000)), minimum=minimum, maximum=maximum
    )


@st.composite
def distributions(draw):
    n = draw(st.integers(1, 6))
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, 10_000]
    return tuple((f"b{i}", Decimal(bounds[i + 1] - bounds[i]) / 100) for i in range(n))


@st.composite
def rules(draw):
    return RuleSpec(
        key="base",
        name="base",
        provider_side=draw(sides()),
        visitor_side=draw(sides()),
        distribution=draw(distributions()),
    )


@given(
    total=st.integers(-(10**9), 10**9),
    weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=12),
)
def test_largest_remainder_parts_add_up(total, weights):
    if sum(weights) == 0:
        return
    parts = split_largest_remainder(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Decimal(total) * weight / sum(weights)
        assert abs(part - exact) < 1
        if weight == 0:
            assert part == 0
    assert parts == split_largest_remainder(total, weights)


@given(subtotal=amounts, rule=rules())
def test_quote_properties(subtotal, rule):
    q = quote(Line(subtotal=subtotal, booked_on=DAY), [rule])
    assert sum(q.allocations.values()) == q.commission
    assert all(v >= 0 for v in q.allocations.values())
    assert q.visitor_total - q.commission == q.provider_net
    assert 0 <= q.provider_commission <= subtotal
    assert 0 <= q.visitor_fee <= subtotal
    for side, value in (
        (rule.provider_side, q.provider_commission),
        (rule.visitor_side, q.visitor_fee),
    ):
        if side.maximum is not None:
            assert value <= side.maximum
        if side.minimum is not None:
            assert value >= min(side.minimum, subtotal)
    assert q == quote(Line(subtotal=subtotal, booked_on=DAY), [rule])


def test_no_rule_means_no_commission():
    q = quote(Line(subtotal=10_000, booked_on=DAY), [])
    assert (q.commission, q.visitor_total, q.provider_net, q.rule) == (0, 10_000, 10_000, None)


def test_booking_like_host_only_15_percent():
    rule = RuleSpec(
        "booking",
        "15 %",
        provider_side=Side(rate=Decimal("15")),
        distribution=(("running", Decimal(100)),),
    )
    q = quote(Line(subtotal=12_345, booked_on=DAY), [rule])
    assert q.provider_commission == 1852  # 1851.75 rounded half up
    assert q.visitor_fee == 0
    assert q.provider_net == 10_493
    assert q.allocations == {"running": 1852}


def test_airbnb_like_split_fee():
    rule = RuleSpec(
        "airbnb",
        "split",
        provider_side=Side(rate=Decimal("3")),
        visitor_side=Side(rate=Decimal("14.2")),
        distribution=(("running", Decimal(100)),),
    )
    q = quote(Line(subtotal=10_000, booked_on=DAY), [rule])
    assert (q.provider_commission, q.visitor_fee, q.commission) == (300, 1420, 1720)
    assert q.visitor_total == 11_420 and q.provider_net == 9_700


def test_fairbnb_like_half_to_a_local_project():
    rule = RuleSpec(
        "fairbnb",
        "15 % shared",
        visitor_side=Side(rate=Decimal("15")),
        distribution=(("local_project", Decimal(50)), ("running", Decimal(50))),
    )
    q = quote(Line(subtotal=10_001, booked_on=DAY), [rule])
    assert q.commission == 1500  # 1500.15
    assert q.allocations == {"local_project": 750, "running": 750}
    q = quote(Line(subtotal=10_010, booked_on=DAY), [rule])
    assert q.commission == 1502  # 1501.5 rounds half up
    assert q.allocations == {"local_project": 751, "running": 751}


def test_open_food_network_like_flat_fee():
    rule = RuleSpec(
        "ofn", "flat", provider_side=Side(fixed=50), distribution=(("running", Decimal(100)),)
    )
    assert quote(Line(subtotal=2_000, booked_on=DAY), [rule]).provider_commission == 50
    assert quote(Line(subtotal=30, booked_on=DAY), [rule]).provider_commission == 30  # never above


def test_sharetribe_like_percentage_with_minimum():
    rule = RuleSpec("min", "8 % min 0.50", provider_side=Side(rate=Decimal(8), minimum=50))
    assert quote(Line(subtotal=400, booked_on=DAY), [rule]).provider_commission == 50
    assert quote(Line(subtotal=10_000, booked_on=DAY), [rule]).provider_commission == 800


def test_most_specific_rule_wins_and_category_override():
    base = RuleSpec("base", "base", provider_side=Side(rate=Decimal(8)))
    camping = RuleSpec(
        "camping",
        "camping",
        scope=Scope(categories=frozenset({"camping"})),
        provider_side=Side(rate=Decimal(5)),
    )
    one = RuleSpec(
        "one",
        "one provider",
        scope=Scope(providers=frozenset({"ferme"})),
        provider_side=Side(rate=Decimal(2)),
    )
    rules = [base, camping, one]
    assert quote(Line(10_000, DAY, provider="x", categories=("camping",)), rules).rule == "camping"
    assert quote(Line(10_000, DAY, provider="ferme", categories=("camping",)), rules).rule == "one"
    assert quote(Line(10_000, DAY, provider="x", categories=("shop",)), rules).rule == "base"


def test_rule_scheduled_for_a_future_date():
    old = RuleSpec(
        "old", "old", valid_until=dt.date(2026, 12, 31), provider_side=Side(rate=Decimal(8))
    )
    new = RuleSpec(
        "new", "new", valid_from=dt.date(2027, 1, 1), provider_side=Side(rate=Decimal(6))
    )
    assert quote(Line(10_000, dt.date(2026, 12, 31)), [old, new]).provider_commission == 800
    assert quote(Line(10_000, dt.date(2027, 1, 1)), [old, new]).provider_commission == 600


def test_ties_are_found():
    a = RuleSpec("a", "a", scope=Scope(categories=frozenset({"camping"})))
    b = RuleSpec("b", "b", scope=Scope(categories=frozenset({"gite"})))
    c = RuleSpec("c", "c", scope=Scope(kinds=frozenset({"stay"})))
    later = RuleSpec(
        "d", "d", scope=Scope(categories=frozenset({"camping"})), valid_from=dt.date(2030, 1, 1)
    )
    limited = RuleSpec(
        "e", "e", scope=Scope(categories=frozenset({"camping"})), valid_until=dt.date(2029, 1, 1)
    )
    # An offer is priced with one listing category: distinct categories never meet.
    assert find_ties(a, [b, c]) == []
    assert find_ties(a, [RuleSpec("a2", "a2", scope=Scope(categories=frozenset({"camping"})))])
    assert find_ties(c, [a, b]) == []
    assert find_ties(later, [limited]) == []


def test_rounding_is_half_up():
    assert round_half_up(Decimal("0.5")) == 1
    assert round_half_up(Decimal("1.5")) == 2
    assert round_half_up(Decimal("2.5")) == 3
    assert round_half_up(Decimal("-2.5")) == -3


# --- Scopes that finance writes: categories, specificity, seasons ----------------------


def rule(key, rate, **scope):
    season = scope.pop("season", None)
    return RuleSpec(
        key,
        key,
        scope=Scope(season=season, **{k: frozenset(v) for k, v in scope.items()}),
        provider_side=Side(rate=Decimal(rate)),
    )


def territory_rules():
    """A territory's real set: a base rule, two categories, a provider, a label, a kind."""
    return [
        rule("base", 10),
        rule("campings", 8, categories={"camping"}),
        rule("gites", 10, categories={"gite"}),
        rule("ferme", 3, providers={"ferme-du-bois"}),
        rule("bio", 6, labels={"bio"}),
        rule("produits", 4, kinds={"product"}),
    ]


def test_rules_on_different_categories_do_not_tie():
    rules = territory_rules()
    for candidate in rules:
        assert find_ties(candidate, rules) == [], candidate.key


def test_labels_may_still_meet_on_one_line():
    bio = rule("bio", 6, labels={"bio"})
    local = rule("local", 5, labels={"local"})
    assert find_ties(local, [bio]) == [bio]


def test_specificity_order_with_a_real_rule_set():
    rules = territory_rules()

    def which(**line):
        return quote(Line(10_000, DAY, **line), rules).rule

    assert which(provider="x", categories=("hotel",), kind="stay") == "base"
    assert which(provider="x", categories=("camping",), kind="stay") == "campings"
    assert which(provider="x", categories=("gite",), kind="stay") == "gites"
    # provider > category > label > kind
    assert which(provider="ferme-du-bois", categories=("camping",), labels=("bio",)) == "ferme"
    assert which(provider="x", categories=("gite",), labels=("bio",)) == "gites"
    assert which(provider="x", labels=("bio",), kind="product") == "bio"
    assert which(provider="x", kind="product") == "produits"
    assert quote(Line(10_000, DAY, categories=("gite",)), rules).provider_commission == 1000
    assert quote(Line(10_000, DAY, categories=("camping",)), rules).provider_commission == 800


SUMMER = Season(7, 1, 8, 31)
WINTER = Season(11, 1, 3, 31)


def test_season_contains_service_dates_whatever_the_year():
    assert SUMMER.contains(dt.date(2026, 7, 1)) and SUMMER.contains(dt.date(2031, 8, 31))
    assert not SUMMER.contains(dt.date(2026, 6, 30)) and not SUMMER.contains(dt.date(2026, 9, 1))
    # Over the new year.
    assert WINTER.contains(dt.date(2026, 11, 1)) and WINTER.contains(dt.date(2027, 1, 15))
    assert WINTER.contains(dt.date(2027, 3, 31)) and not WINTER.contains(dt.date(2027, 4, 1))
    assert not WINTER.contains(dt.date(2026, 10, 31))


def test_season_rule_applies_on_the_service_date_whenever_booked():
    rules = [rule("base", 8), rule("ete", 10, season=SUMMER)]
    booked_in_january = dt.date(2026, 1, 10)

    def which(service_on, booked_on=booked_in_january):
        return quote(Line(10_000, booked_on, service_on=service_on), rules).rule

    assert which(dt.date(2026, 7, 14)) == "ete"
    assert which(dt.date(2026, 8, 31), booked_on=dt.date(2026, 8, 30)) == "ete"
    assert which(dt.date(2026, 9, 1)) == "base"
    # No service date (a listing's "from" price): no season applies.
    assert which(None) == "base"


def test_season_beats_the_same_scope_without_season_but_not_a_narrower_scope():
    rules = [
        rule("base", 8),
        rule("ete", 10, season=SUMMER),
        rule("campings", 6, categories={"camping"}),
        rule("campings-ete", 7, categories={"camping"}, season=SUMMER),
    ]
    july = dt.date(2026, 7, 20)
    assert quote(Line(10_000, DAY, service_on=july, categories=("gite",)), rules).rule == "ete"
    assert quote(Line(10_000, DAY, service_on=july, categories=("camping",)), rules).rule == (
        "campings-ete"
    )
    october = dt.date(2026, 10, 2)
    assert quote(Line(10_000, DAY, service_on=october, categories=("camping",)), rules).rule == (
        "campings"
    )
    assert find_ties(rules[1], rules) == [] and find_ties(rules[3], rules) == []


def test_seasons_tie_only_when_they_intersect():
    summer = rule("ete", 10, season=SUMMER)
    winter = rule("hiver", 9, season=WINTER)
    august = rule("aout", 12, season=Season(8, 1, 8, 15))
    new_year = rule("nouvel-an", 12, season=Season(12, 20, 1, 5))
    assert find_ties(summer, [winter]) == []
    assert find_ties(summer, [august]) == [august]
    assert find_ties(winter, [new_year]) == [new_year]
    assert find_ties(august, [new_year]) == []


def test_a_season_must_be_a_real_day():
    import pytest

    with pytest.raises(ValueError):
        Season(2, 30, 3, 1)
    with pytest.raises(ValueError):
        Season(13, 1, 3, 1)
    assert Season(2, 29, 3, 1).contains(dt.date(2028, 2, 29))


seasons = st.one_of(
    st.none(),
    st.builds(
        lambda a, b: Season(a.month, a.day, b.month, b.day),
        st.dates(dt.date(2028, 1, 1), dt.date(2028, 12, 31)),
        st.dates(dt.date(2028, 1, 1), dt.date(2028, 12, 31)),
    ),
)
small_sets = st.frozensets(st.sampled_from(["a", "b", "c"]), max_size=2)


@st.composite
def scoped_rules(draw, key):
    return RuleSpec(
        key,
        key,
        scope=Scope(
            providers=draw(small_sets),
            categories=draw(small_sets),
            labels=draw(small_sets),
            communes=draw(small_sets),
            kinds=draw(small_sets),
            season=draw(seasons),
        ),
    )


@st.composite
def lines(draw):
    return Line(
        subtotal=1000,
        booked_on=DAY,
        service_on=draw(st.one_of(st.none(), st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)))),
        provider=draw(st.sampled_from(["a", "b", "c"])),
        categories=(draw(st.sampled_from(["a", "b", "c"])),),
        labels=tuple(draw(small_sets)),
        commune=draw(st.sampled_from(["a", "b", "c"])),
        kind=draw(st.sampled_from(["a", "b", "c"])),
    )


@given(first=scoped_rules("first"), second=scoped_rules("second"), line=lines())
def test_two_rules_that_may_both_decide_a_line_are_a_tie(first, second, line):
    """Soundness of the tie check: no booking is ever decided by the key's order."""
    if (
        first.scope.matches(line)
        and second.scope.matches(line)
        and first.scope.specificity() == second.scope.specificity()
    ):
        assert find_ties(first, [second]) == [second]


def test_a_season_ending_on_28_february_runs_to_the_end_of_february_in_leap_years():
    """Finance writes "1 December – 28 February" for the winter: a stay arriving on
    29 February 2028 is a winter stay, not one outside any season."""
    winter = Season(12, 1, 2, 28)
    assert winter.contains(dt.date(2028, 2, 29)) and winter.contains(dt.date(2027, 2, 28))
    assert not winter.contains(dt.date(2028, 3, 1))
    assert Season(2, 1, 2, 28).contains(dt.date(2028, 2, 29))
    # So "1 March – 28 February" is the whole year, every year.
    assert Season(3, 1, 2, 28).contains(dt.date(2028, 2, 29))
    # Seasons tie as they match: the leap day meets a season ending on 28 February.
    leap_day = RuleSpec("leap", "leap", scope=Scope(season=Season(2, 29, 2, 29)))
    winter_rule = RuleSpec("winter", "winter", scope=Scope(season=winter))
    assert find_ties(leap_day, [winter_rule]) == [winter_rule]
    # A season ending on 29 February ends on the 28th in a common year.
    assert Season(12, 1, 2, 29).contains(dt.date(2027, 2, 28))
    assert not Season(12, 1, 2, 29).contains(dt.date(2027, 3, 1))
