"""The VAT inside a commission (marketplace/invoices/vat.py): worked examples and properties."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commissions.money import round_half_up
from marketplace.invoices.vat import line_nets, vat_of, vat_split

RATES = [Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), Decimal("8.5")]


@pytest.mark.parametrize(
    ("total", "rate", "base", "vat"),
    [
        (250, "20", 208, 42),  # 208 + round(41.6) = 250
        (120, "20", 100, 20),
        (75, "20", 63, 12),  # no exact base (62 gives 74, 63 gives 76): rounded base
        (3, "20", 3, 0),  # no exact base either: 2 gives 2, 3 gives 4
        (1, "20", 1, 0),  # 1 + round(0.2) = 1
        (0, "20", 0, 0),
        (1055, "5.5", 1000, 55),
        (250, "0", 250, 0),
    ],
)
def test_worked_examples(total, rate, base, vat):
    split = vat_split(total, Decimal(rate))
    assert (split.base_cents, split.vat_cents, split.total_cents) == (base, vat, total)


def test_refusals():
    with pytest.raises(ValueError):
        vat_split(-1, Decimal("20"))
    with pytest.raises(ValueError):
        vat_split(10, Decimal("-1"))
    with pytest.raises(ValueError):
        line_nets(5, [])
    assert line_nets(0, []) == []
    assert line_nets(208, [100, 150]) == [83, 125]


def exact_bases(total: int, rate: Decimal) -> list[int]:
    return [b for b in range(total + 1) if b + vat_of(b, rate) == total]


@given(total=st.integers(0, 3_000), rate=st.sampled_from(RATES))
def test_the_base_is_exact_when_one_exists_and_closest(total, rate):
    split = vat_split(total, rate)
    assert split.base_cents + split.vat_cents == total
    candidates = exact_bases(total, rate)
    ideal = Decimal(total) * 100 / (100 + rate)
    if candidates:
        assert split.vat_cents == vat_of(split.base_cents, rate)
        best = min(candidates, key=lambda b: (abs(b - ideal), b))
        assert split.base_cents == best
    else:
        assert split.base_cents == round_half_up(ideal)
        assert abs(split.vat_cents - vat_of(split.base_cents, rate)) <= 1


@given(
    total=st.integers(0, 10**9),
    rate=st.sampled_from(RATES),
    weights=st.lists(st.integers(1, 10**6), min_size=1, max_size=30),
)
def test_totals_add_up_at_any_size(total, rate, weights):
    split = vat_split(total, rate)
    assert split.base_cents + split.vat_cents == total
    assert abs(split.vat_cents - Decimal(split.base_cents) * rate / 100) <= Decimal("1.5")
    nets = line_nets(split.base_cents, weights)
    assert sum(nets) == split.base_cents
    assert all(net >= 0 for net in nets)
