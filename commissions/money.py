"""Money in integer minor units (cents): parsing, formatting and the one rounding rule.

Every amount in Comptoir is an ``int`` of cents. Conversions to and from decimal
euros happen only at the edges (forms, display, the payment provider), here.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import get_language

CENT = Decimal("0.01")
# Larger amounts are refused at the edges: 10 million euros is far beyond any booking.
MAX_CENTS = 1_000_000_000


class MoneyError(ValueError):
    """A value that cannot be read as an amount of money."""


def round_half_up(value: Decimal) -> int:
    """Round a decimal number of cents to an integer, halves away from zero.

    This is the single rounding rule of the project.
    """
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def euros_to_cents(value: str | int | Decimal) -> int:
    """Read an amount in euros ("12", "12.5", "12,50") as cents, refusing sub-cent input."""
    if isinstance(value, str):
        value = value.strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    if amount != amount.quantize(CENT):
        raise MoneyError(f"more than two decimals: {value!r}")
    cents = int(amount * 100)
    if abs(cents) > MAX_CENTS:
        raise MoneyError(f"amount too large: {value!r}")
    return cents


def cents_to_decimal(cents: int) -> Decimal:
    """Cents as a Decimal number of euros with two places (for forms and JSON)."""
    return (Decimal(int(cents)) / 100).quantize(CENT)


def format_cents(cents: int | None, *, currency: str = "EUR", language: str = "fr") -> str:
    """Human display of an amount: ``12,50 €`` in French, ``€12.50`` in English."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    symbol = {"EUR": "€"}.get(currency, currency)
    if language.startswith("fr"):
        grouped = f"{units:,}".replace(",", "\u202f")
        return f"{sign}{grouped},{rest:02d}\u00a0{symbol}"
    return f"{sign}{symbol}{units:,}.{rest:02d}"


def money(cents: int | None, currency: str = "EUR") -> str:
    """An amount for the person reading it: :func:`format_cents` in the active language.

    The one wrapper: admin columns, finance pages and views call it; templates use the
    ``{% money %}`` tag and ``|cents`` filter of ``comptoir_money``, which call it too.
    """
    return format_cents(cents, currency=currency, language=get_language() or "fr")
