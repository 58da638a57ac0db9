"""Properties and real-world schemes for the pure commission engine."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from commissions.engine import (
    Line,
    RuleSpec,
    Scope,
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
    assert find_ties(a, [b, c]) == [b]  # an offer may carry both categories
    assert find_ties(c, [a, b]) == []
    assert find_ties(later, [limited]) == []


def test_rounding_is_half_up():
    assert round_half_up(Decimal("0.5")) == 1
    assert round_half_up(Decimal("1.5")) == 2
    assert round_half_up(Decimal("2.5")) == 3
    assert round_half_up(Decimal("-2.5")) == -3
