"""Rules in plain words, for the public transparency page and the rule preview."""

import datetime as dt
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from commissions.engine import RuleSpec, Season, Side
from commissions.money import format_cents


def format_rate(rate: Decimal) -> str:
    """``8 %``, ``14,2 %`` (French) or ``14.2%`` (English), without useless zeros."""
    text = f"{rate.normalize():f}"
    if (get_language() or "fr").startswith("fr"):
        return text.replace(".", ",") + "\u00a0%"
    return text + "%"


def side_sentence(side: Side) -> str:
    """One side in words, e.g. "8 % of the price, at least €0.50"."""
    language = get_language() or "fr"
    parts = []
    if side.rate:
        parts.append(_("%(rate)s of the price") % {"rate": format_rate(side.rate)})
    if side.fixed:
        parts.append(
            _("%(amount)s per booking") % {"amount": format_cents(side.fixed, language=language)}
        )
    if not parts:
        parts.append(_("nothing"))
    text = _(" plus ").join(parts)
    bounds = []
    if side.minimum:
        bounds.append(
            _("at least %(amount)s") % {"amount": format_cents(side.minimum, language=language)}
        )
    if side.maximum is not None:
        bounds.append(
            _("at most %(amount)s") % {"amount": format_cents(side.maximum, language=language)}
        )
    if bounds:
        text += ", " + ", ".join(bounds)
    return text


def scope_sentence(spec: RuleSpec, names: dict[str, dict[str, str]] | None = None) -> str:
    """Where the rule applies; ``names`` maps slugs to display names per dimension."""
    names = names or {}

    def listed(dimension: str, values) -> str:
        lookup = names.get(dimension, {})
        return ", ".join(sorted(lookup.get(v, v) for v in values))

    parts = []
    if spec.scope.providers:
        parts.append(_("providers: %(list)s") % {"list": listed("providers", spec.scope.providers)})
    if spec.scope.categories:
        parts.append(
            _("categories: %(list)s") % {"list": listed("categories", spec.scope.categories)}
        )
    if spec.scope.labels:
        parts.append(_("labels: %(list)s") % {"list": listed("labels", spec.scope.labels)})
    if spec.scope.communes:
        parts.append(_("communes: %(list)s") % {"list": listed("communes", spec.scope.communes)})
    if spec.scope.kinds:
        parts.append(_("offer kinds: %(list)s") % {"list": listed("kinds", spec.scope.kinds)})
    if not parts:
        return _("Applies to every booking in the territory")
    return _("Applies to %(scope)s") % {"scope": "; ".join(parts)}


def validity_sentence(spec: RuleSpec) -> str:
    if spec.valid_from and spec.valid_until:
        return _("for bookings made from %(start)s to %(end)s") % {
            "start": date_format(spec.valid_from),
            "end": date_format(spec.valid_until),
        }
    if spec.valid_from:
        return _("for bookings made from %(start)s") % {"start": date_format(spec.valid_from)}
    if spec.valid_until:
        return _("for bookings made until %(end)s") % {"end": date_format(spec.valid_until)}
    return _("with no end date")


def _day_of_year(month: int, day: int) -> str:
    # A leap year, so that 29 February can be said.
    return date_format(dt.date(2000, month, day), "j F")


def season_sentence(season: Season) -> str:
    """ "for stays and services from 1 July to 31 August" (the dates of the service)."""
    return _(
        "for stays and services from %(start)s to %(end)s (arrival date of a stay, "
        "date of an activity, booking date of a product)"
    ) % {
        "start": _day_of_year(season.start_month, season.start_day),
        "end": _day_of_year(season.end_month, season.end_day),
    }


def when_sentence(spec: RuleSpec) -> str:
    """When the rule applies: the season of the service, then the booking dates."""
    if spec.scope.season is None:
        return validity_sentence(spec)
    if spec.valid_from or spec.valid_until:
        return f"{season_sentence(spec.scope.season)}, {validity_sentence(spec)}"
    return _("%(season)s, whatever the booking date") % {
        "season": season_sentence(spec.scope.season)
    }


def rule_sentences(spec: RuleSpec, names: dict[str, dict[str, str]] | None = None) -> list[str]:
    """The rule as a few plain sentences."""
    sentences = [f"{scope_sentence(spec, names)}, {when_sentence(spec)}."]
    sentences.append(
        _("Provider commission: %(text)s.") % {"text": side_sentence(spec.provider_side)}
    )
    sentences.append(
        _("Service fee paid by the visitor: %(text)s.") % {"text": side_sentence(spec.visitor_side)}
    )
    sentences.append(_("No commission is ever taken on taxes."))
    return sentences
