"""``{{ amount|cents }}``: an amount in cents for the active language."""

from django import template
from django.utils.translation import get_language

from commissions.money import format_cents

register = template.Library()


@register.filter
def cents(value, currency="EUR"):
    if value is None or value == "":
        return ""
    return format_cents(int(value), currency=currency, language=get_language() or "fr")


@register.filter
def cents_signed(value, currency="EUR"):
    """A difference in cents with its sign: ``+4,20 €``, ``−4,20 €``, ``0,00 €``."""
    if value is None or value == "":
        return ""
    value = int(value)
    text = format_cents(abs(value), currency=currency, language=get_language() or "fr")
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"\u2212{text}"
    return text


@register.filter
def change_percent(figure):
    """A figure's change in % of today's amount: ``+12,5 %``, ``−3,0 %``; "new" when
    today is zero and the draft is not, "—" when both are zero."""
    from django.utils.translation import gettext

    percent = figure.percent
    if percent is None:
        return gettext("new") if figure.is_new else "—"
    sign = "+" if percent > 0 else ("\u2212" if percent < 0 else "")
    number = f"{abs(percent):f}"
    if (get_language() or "fr").startswith("fr"):
        return f"{sign}{number.replace('.', ',')}\u00a0%"
    return f"{sign}{number}%"
