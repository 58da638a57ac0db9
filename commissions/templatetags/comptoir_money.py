"""Money in templates, the one place: ``{% money cents %}`` and ``{{ cents|cents }}``.

Both call :func:`commissions.money.money` (``format_cents`` in the active language); nothing else in
the project wraps it for templates. ``{% money %}`` uses the territory's currency when
none is given: it reads ``marketplace.TerritorySettings`` by its app label (a lazy
reference, like the commission scope's; commissions imports no module of marketplace).
``|cents`` is the filter form (inside ``blocktranslate``, in the admin), EUR by default.
What must not live here: anything but displaying amounts.
"""

from django import template
from django.apps import apps
from django.utils.translation import get_language

from commissions.money import money as money_for_reader

register = template.Library()


def _display(value, currency: str) -> str:
    if value is None or value == "":
        return ""
    return money_for_reader(int(value), currency)


@register.simple_tag(takes_context=True)
def money(context, cents, currency=None):
    """An amount in cents, formatted for the active language and the territory's currency."""
    if currency is None and cents is not None and cents != "":
        request = context.get("request")
        currency = (
            apps.get_model("marketplace", "TerritorySettings").for_request(request).currency
            if request is not None
            else "EUR"
        )
    return _display(cents, currency)


@register.filter
def cents(value, currency="EUR"):
    return _display(value, currency)


@register.filter
def cents_signed(value, currency="EUR"):
    """A difference in cents with its sign: ``+4,20 €``, ``−4,20 €``, ``0,00 €``."""
    if value is None or value == "":
        return ""
    value = int(value)
    text = _display(abs(value), currency)
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
