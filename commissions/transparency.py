"""What the public transparency page shows, as plain data (rendered by the storefront)."""

from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps

from commissions.describe import rule_sentences
from commissions.history import history_entries
from commissions.models import Beneficiary, DistributionKey
from commissions.selectors import live_rules_queryset

# Sums of money already distributed per beneficiary key are kept by the payments
# ledger; it registers a function ``(site) -> {beneficiary key: cents}`` here.
_distributed_sources = []

CHART_COLOURS = ["#1b5e20", "#0d47a1", "#b71c1c", "#4a148c", "#e65100", "#006064", "#3e2723"]


def register_distributed_source(source):
    if source not in _distributed_sources:
        _distributed_sources.append(source)
    return source


@dataclass
class Segment:
    name: str
    percentage: Decimal
    offset: Decimal
    colour: str


def key_segments(key: DistributionKey) -> list[Segment]:
    """Shares of a key as segments of a 100-wide bar, for a server-side SVG chart."""
    segments, offset = [], Decimal(0)
    for i, share in enumerate(key.shares.all()):
        segments.append(
            Segment(
                share.beneficiary.name,
                share.percentage,
                offset,
                CHART_COLOURS[i % len(CHART_COLOURS)],
            )
        )
        offset += share.percentage
    return segments


def scope_names(specs) -> dict[str, dict[str, str]]:
    """Display names for the slugs the rules' scopes hold (one query per dimension used)."""
    names = {}
    for dimension, label in (
        ("categories", "marketplace.ProviderCategory"),
        ("labels", "marketplace.Label"),
        ("providers", "marketplace.Provider"),
    ):
        slugs = set().union(*(getattr(spec.scope, dimension) for spec in specs))
        if slugs:
            model = apps.get_model(*label.split("."))
            names[dimension] = dict(
                model.objects.filter(slug__in=slugs).values_list("slug", "name")
            )
    kind_field = apps.get_model("marketplace", "OfferPage")._meta.get_field("kind")
    names["kinds"] = {value: str(text) for value, text in kind_field.choices}
    return names


def transparency_data(*, site, show_names: bool = False) -> dict:
    """The page's data; ``show_names``: the territory publishes who submitted and approved."""
    rules = list(live_rules_queryset(site_id=site.pk))
    specs = [rule.to_spec() for rule in rules]
    names = scope_names(specs)
    keys = (
        DistributionKey.objects.filter(site=site, live=True)
        .prefetch_related("shares__beneficiary")
        .order_by("name")
    )
    distributed: dict[str, int] = {}
    for source in _distributed_sources:
        for key, cents in source(site=site).items():
            distributed[key] = distributed.get(key, 0) + cents
    beneficiaries = [
        {"beneficiary": b, "distributed": distributed.get(b.key, 0)}
        for b in Beneficiary.objects.filter(site=site, live=True, active=True).order_by("name")
    ]
    return {
        "rules": [
            {"rule": rule, "sentences": rule_sentences(spec, names)}
            for rule, spec in zip(rules, specs, strict=True)
        ],
        "keys": [{"key": key, "segments": key_segments(key)} for key in keys],
        "beneficiaries": beneficiaries,
        "distributed_total": sum(distributed.values()),
        "history": history_entries(site=site, show_names=show_names),
    }
