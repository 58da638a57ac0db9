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
