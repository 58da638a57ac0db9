"""The pure computation of the tourist tax: worked examples and properties."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.tourist_tax.categories import CODES, PROPORTIONAL
from marketplace.tourist_tax.engine import (
    DEPARTMENTAL,
    REGIONAL,
    RateData,
    TaxInputError,
    tourist_tax_compute,
)

TEN = Decimal("10")


def compute(rate, **kwargs):
    return tourist_tax_compute(rate=rate, category=rate.category, **kwargs)


# --- worked examples -------------------------------------------------------------------------


def test_classified_campsite():
    """A 3-star campsite at 0,40 €: 3 adults, 2 nights = 6 nuitées = 2,40 € (the Aubrac
    example)."""
    quote = compute(RateData(category="camping_3_5", fixed_cents=40), nights=2, adults=3)
    assert quote.as_json() == {
        "rate_per_person_night": 40,
        "persons_taxed": 3,
        "nights": 2,
        "base": 240,
        "surcharges": {},
        "total": 240,
    }


def test_unclassified_gite_below_the_cap():
    """700 € a week for 2 adults and 2 minors at 5 %: 100 € a night / 4 occupants = 25 €,
    × 5 % = 1,25 € per adult per night, × 2 adults × 7 nights = 17,50 € (the Grand-Bornand
    example)."""
    rate = RateData(category=PROPORTIONAL, percent=Decimal("5"), cap_cents=230)
    quote = compute(rate, nights=7, adults=2, minors=2, price_per_night=10_000)
    assert quote.rate_per_person_night == 125
    assert quote.persons_taxed == 2
    assert quote.base == 1750
    assert quote.total == 1750
    assert quote.exempt_persons == 2
    assert quote.price_per_night == 10_000


def test_unclassified_gite_hitting_the_cap():
    """300 € a night for 2 adults at 5 % would be 7,50 € each: capped at 2,30 €."""
    rate = RateData(category=PROPORTIONAL, percent=Decimal("5"), cap_cents=230)
    quote = compute(rate, nights=3, adults=2, price_per_night=30_000)
    assert quote.rate_per_person_night == 230
    assert quote.base == 230 * 2 * 3
    assert quote.total == 1380


def test_the_proportional_rate_is_rounded_half_up_per_person_night():
    """85 € / 3 occupants × 4 % = 1,1333 € → 1,13 €; 87,50 € / 2 × 3 % = 1,3125 € → 1,31 €;
    50,50 € / 2 × 1 % = 0,2525 € → 0,25 €; 125 € / 2 × 1 % = 0,625 € → 0,63 € (half up)."""
    cases = [(8500, 3, "4", 113), (8750, 2, "3", 131), (5050, 2, "1", 25), (12500, 2, "1", 63)]
    for price, adults, percent, expected in cases:
        rate = RateData(category=PROPORTIONAL, percent=Decimal(percent), cap_cents=500)
        quote = compute(rate, nights=1, adults=adults, price_per_night=price)
        assert quote.rate_per_person_night == expected, (price, adults, percent)


def test_minors_are_exempt_at_a_fixed_rate():
    rate = RateData(category="3_stars", fixed_cents=100)
    with_children = compute(rate, nights=4, adults=2, minors=3)
    assert with_children.persons_taxed == 2
    assert with_children.exempt_persons == 3
    assert with_children.total == 800
    only_children = compute(rate, nights=4, adults=0, minors=2)
    assert only_children.total == 0


def test_declared_exempt_adults_are_not_taxed():
    rate = RateData(category="1_star", fixed_cents=60)
    quote = compute(rate, nights=5, adults=3, exempt_persons=1)
    assert quote.persons_taxed == 2
    assert quote.total == 600
    with pytest.raises(TaxInputError):
        compute(rate, nights=5, adults=1, exempt_persons=2)


def test_departmental_surcharge_is_ten_percent_of_the_tax_on_top():
    """Paris's 4-star grid: 2,30 € + 0,23 € departmental."""
    rate = RateData(category="4_stars", fixed_cents=230, surcharges=((DEPARTMENTAL, TEN),))
    quote = compute(rate, nights=2, adults=2)
    assert quote.base == 920
    assert quote.surcharges == {DEPARTMENTAL: 92}
    assert quote.total == 1012


def test_regional_surcharge_is_rounded_per_person_night():
    """Paris's 4-star grid: 2,30 € + 0,23 € + 15 % regional (0,345 € → 0,35 €) = 2,88 €."""
    rate = RateData(
        category="4_stars",
        fixed_cents=230,
        surcharges=((DEPARTMENTAL, TEN), (REGIONAL, Decimal("15"))),
    )
    quote = compute(rate, nights=1, adults=1)
    assert quote.surcharges == {DEPARTMENTAL: 23, REGIONAL: 35}
    assert quote.total == 288
    three = compute(rate, nights=3, adults=2)
    assert three.surcharges == {DEPARTMENTAL: 23 * 6, REGIONAL: 35 * 6}
    assert three.total == 288 * 6


def test_surcharges_apply_to_the_capped_proportional_rate():
    rate = RateData(
        category=PROPORTIONAL,
        percent=Decimal("5"),
        cap_cents=230,
        surcharges=((DEPARTMENTAL, TEN),),
    )
    quote = compute(rate, nights=1, adults=1, price_per_night=100_000)
    assert quote.rate_per_person_night == 230
    assert quote.surcharges == {DEPARTMENTAL: 23}


def test_low_rent_threshold_exempts_cheap_nights():
    rate = RateData(category="camping_1_2", fixed_cents=20, low_rent_threshold_cents=1000)
    assert compute(rate, nights=3, adults=2, price_per_night=999).total == 0
    assert compute(rate, nights=3, adults=2, price_per_night=1000).total == 120
    with pytest.raises(TaxInputError):
        compute(rate, nights=3, adults=2)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"nights": -1, "adults": 1},
        {"nights": 1, "adults": -1},
        {"nights": 1, "adults": 1, "minors": -2},
        {"nights": 1, "adults": 1, "price_per_night": -5},
        {"nights": 1.5, "adults": 1},
        {"nights": True, "adults": 1},
    ],
)
def test_unusable_counts_are_refused(kwargs):
    with pytest.raises(TaxInputError):
        compute(RateData(category="2_stars", fixed_cents=80), **kwargs)


def test_unclassified_needs_the_price_and_the_category_must_match():
    rate = RateData(category=PROPORTIONAL, percent=Decimal("5"), cap_cents=230)
    with pytest.raises(TaxInputError):
        compute(rate, nights=1, adults=2)
    with pytest.raises(TaxInputError):
        tourist_tax_compute(rate=rate, category="3_stars", nights=1, adults=1)
    with pytest.raises(TaxInputError):
        tourist_tax_compute(rate=rate, category="motel", nights=1, adults=1)


# --- properties ------------------------------------------------------------------------------

percents = st.decimals(min_value=0, max_value=200, places=2, allow_nan=False)
surcharge_lists = st.lists(
    st.tuples(st.sampled_from([DEPARTMENTAL, REGIONAL]), percents),
    max_size=2,
    unique_by=lambda pair: pair[0],
).map(tuple)
fixed_rates = st.builds(
    RateData,
    category=st.sampled_from([c for c in CODES if c != PROPORTIONAL]),
    fixed_cents=st.integers(min_value=0, max_value=2_000),
    surcharges=surcharge_lists,
)
proportional_rates = st.builds(
    RateData,
    category=st.just(PROPORTIONAL),
    percent=st.decimals(min_value=1, max_value=5, places=2, allow_nan=False),
    cap_cents=st.integers(min_value=1, max_value=2_000),
    surcharges=surcharge_lists,
)
rates = st.one_of(fixed_rates, proportional_rates)
nights_st = st.integers(min_value=0, max_value=60)
adults_st = st.integers(min_value=0, max_value=20)
minors_st = st.integers(min_value=0, max_value=20)
prices = st.integers(min_value=0, max_value=500_000)


@given(rate=rates, nights=nights_st, adults=adults_st, minors=minors_st, price=prices)
def test_total_is_base_plus_surcharges_and_never_negative(rate, nights, adults, minors, price):
    if rate.proportional and adults + minors == 0:
        adults = 1
    quote = compute(rate, nights=nights, adults=adults, minors=minors, price_per_night=price)
    assert quote.total == quote.base + sum(quote.surcharges.values())
    assert quote.base == quote.rate_per_person_night * quote.persons_taxed * quote.nights
    assert all(isinstance(v, int) and v >= 0 for v in quote.surcharges.values())
    assert quote.total >= 0 and quote.base >= 0 and quote.rate_per_person_night >= 0
    if rate.proportional:
        assert quote.rate_per_person_night <= rate.cap_cents


@given(rate=fixed_rates, nights=nights_st, adults=adults_st, minors=minors_st)
def test_minors_never_change_a_fixed_rate_total(rate, nights, adults, minors):
    alone = compute(rate, nights=nights, adults=adults)
    with_minors = compute(rate, nights=nights, adults=adults, minors=minors)
    assert with_minors.total == alone.total
    assert with_minors.as_json() == alone.as_json()


@given(rate=rates, nights=nights_st, adults=adults_st, minors=minors_st, price=prices)
def test_monotone_in_nights(rate, nights, adults, minors, price):
    if adults + minors == 0:
        adults = 1
    shorter = compute(rate, nights=nights, adults=adults, minors=minors, price_per_night=price)
    longer = compute(rate, nights=nights + 1, adults=adults, minors=minors, price_per_night=price)
    assert longer.total >= shorter.total


@given(rate=fixed_rates, nights=nights_st, adults=adults_st, minors=minors_st)
def test_monotone_in_adults_at_a_fixed_rate(rate, nights, adults, minors):
    fewer = compute(rate, nights=nights, adults=adults, minors=minors)
    more = compute(rate, nights=nights, adults=adults + 1, minors=minors)
    assert more.total >= fewer.total


@given(
    rate=proportional_rates,
    nights=nights_st,
    adults=adults_st,
    minors=st.integers(min_value=1, max_value=20),
    price=prices,
)
def test_proportional_total_grows_with_adults_up_to_rounding(rate, nights, adults, minors, price):
    """At a percentage, the price is shared by every occupant and the rate is rounded per
    person: an extra adult raises the total, except by at most half a cent per person-night
    of rounding (documented in the engine)."""
    fewer = compute(rate, nights=nights, adults=adults, minors=minors, price_per_night=price)
    more = compute(rate, nights=nights, adults=adults + 1, minors=minors, price_per_night=price)
    # Each person-night is off the exact amount by at most half a cent on the rate (times
    # 1 + the surcharges' percentages) plus half a cent per rounded surcharge.
    half = Decimal("0.5")
    percents_total = sum((p for _, p in rate.surcharges), Decimal(0))
    per_person_night = half * (1 + percents_total / 100) + half * len(rate.surcharges)
    slack = (2 * adults + 1) * nights * per_person_night
    assert more.total >= fewer.total - slack
