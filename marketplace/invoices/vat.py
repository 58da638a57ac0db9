"""The VAT inside a commission, in integer cents (pure: no ORM, no settings).

The ledger holds what a provider paid as commission: VAT included when the operator is
subject to VAT. An invoice must print a base (excl. VAT), the VAT and the total, with
``base + VAT == total`` and the total equal to the ledger's commission, to the cent. So
the total is fixed and the base is found from it:

- **base**: an integer ``b`` with ``b + round_half_up(b × rate / 100) == total``, the one
  closest to ``total / (1 + rate/100)`` (the smaller on a tie). Then the VAT printed is
  exactly what the base at the rate gives, as a tax inspector recomputes it.
- Such a ``b`` does not always exist: at 20 % the function ``b ↦ b + round(b × 0.2)``
  jumps by 2 every 5 cents (no base gives a total of 3 cents: 2 gives 2, 3 gives 4).
  Then ``base = round_half_up(total / (1 + rate/100))`` and ``VAT = total − base``: the
  VAT printed is one cent off the base's exact VAT (a rounding difference, within the
  one-cent tolerance EN 16931's validators allow on BR-CO-17), and the total still
  equals the ledger, which is what an invoice must not get wrong.
- **Lines**: the base is split among the lines by the largest remainder method in
  proportion to their commissions (:func:`commissions.engine.split_largest_remainder`),
  so the lines' nets add up to the base exactly.

Without VAT (the operator not subject to it): category E, rate 0, base = total, VAT 0,
and the invoice prints the exemption mention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from commissions.engine import split_largest_remainder
from commissions.money import round_half_up

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class VatSplit:
    base_cents: int
    vat_cents: int

    @property
    def total_cents(self) -> int:
        return self.base_cents + self.vat_cents


def vat_of(base_cents: int, rate: Decimal) -> int:
    """The VAT on ``base_cents`` at ``rate`` percent, rounded half-up."""
    return round_half_up(Decimal(base_cents) * Decimal(rate) / HUNDRED)


def vat_split(total_cents: int, rate: Decimal) -> VatSplit:
    """``total_cents`` (VAT included, ``>= 0``) split into base and VAT at ``rate`` %.

    See the module's docstring for the rule; ``base + vat == total`` always.
    """
    if total_cents < 0:
        raise ValueError("a total including VAT is not negative")
    rate = Decimal(rate)
    if rate < 0:
        raise ValueError("a VAT rate is not negative")
    if not rate or not total_cents:
        return VatSplit(base_cents=total_cents, vat_cents=0)
    estimate = round_half_up(Decimal(total_cents) * HUNDRED / (HUNDRED + rate))
    # b + vat_of(b) grows with b by at least 1 per cent of base, so candidates near the
    # estimate are the only ones; the closest wins, the smaller on a tie.
    for distance in range(3):
        for base in (estimate - distance, estimate + distance):
            if 0 <= base <= total_cents and base + vat_of(base, rate) == total_cents:
                return VatSplit(base_cents=base, vat_cents=total_cents - base)
    return VatSplit(base_cents=estimate, vat_cents=total_cents - estimate)


def vat_included(total_cents: int, rate: Decimal) -> int:
    """The VAT inside ``total_cents`` (VAT included) at ``rate`` percent, signed as the
    total: ``total − round_half_up(total / (1 + rate/100))``. What the ledger sets aside
    from each booking's commission (``tax:vat``) and what the FEC splits off commission
    lines the ledger did not split; an invoice's :func:`vat_split` of a period's total
    may differ by a cent per booking (its base is searched so that it recomputes)."""
    rate = Decimal(rate)
    if rate < 0:
        raise ValueError("a VAT rate is not negative")
    if not rate or not total_cents:
        return 0
    excluded = round_half_up(Decimal(abs(total_cents)) * HUNDRED / (HUNDRED + rate))
    vat = abs(total_cents) - excluded
    return vat if total_cents > 0 else -vat


def line_nets(base_cents: int, commissions: Sequence[int]) -> list[int]:
    """The base split among lines in proportion to their commissions (largest remainder)."""
    if not commissions:
        if base_cents:
            raise ValueError("a base without lines")
        return []
    return split_largest_remainder(base_cents, list(commissions))
