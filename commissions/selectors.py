"""Reads of the commission module: live rules as engine data, cached per territory."""

from django.core.cache import cache

from commissions.engine import Line, Quote, RuleSpec, quote
from commissions.models import Beneficiary, CommissionRule

CACHE_VERSION_KEY = "commissions:rules-version:{site_id}"
CACHE_KEY = "commissions:rules:v2:{site_id}:{version}"


def _version(site_id: int) -> int:
    return cache.get_or_set(CACHE_VERSION_KEY.format(site_id=site_id), 1, None)


def live_rules_invalidate(*, site_id: int) -> None:
    """Drop the cached live rules of a territory (called on publish and unpublish)."""
    key = CACHE_VERSION_KEY.format(site_id=site_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, None)


def live_rules_queryset(*, site_id: int):
    return (
        CommissionRule.objects.filter(site_id=site_id, live=True)
        .select_related("distribution")
        .prefetch_related("providers", "categories", "labels", "distribution__shares__beneficiary")
        .order_by("key")
    )


def live_rule_specs(*, site_id: int, use_cache: bool = True) -> list[RuleSpec]:
    """The territory's live rules as engine data; one cache read when warm."""
    if not use_cache:
        return [rule.to_spec() for rule in live_rules_queryset(site_id=site_id)]
    key = CACHE_KEY.format(site_id=site_id, version=_version(site_id))
    specs = cache.get(key)
    if specs is None:
        specs = [rule.to_spec() for rule in live_rules_queryset(site_id=site_id)]
        cache.set(key, specs, 3600)
    return specs


def line_quote(*, site_id: int, line: Line) -> Quote:
    return quote(line, live_rule_specs(site_id=site_id))


def beneficiary_names(*, site_id: int, keys) -> dict[str, str]:
    """Beneficiaries' names by key, for the keys a quote's allocations name (one query)."""
    keys = set(keys)
    if not keys:
        return {}
    return dict(
        Beneficiary.objects.filter(site_id=site_id, key__in=keys).values_list("key", "name")
    )


def category_and_provider_names(
    *, site_id: int, categories, providers
) -> tuple[dict[str, str], dict[str, str]]:
    """Display names of categories and of the territory's providers by slug (two queries
    at most), for the slugs a simulation's lines carry."""
    from django.apps import apps

    category_names, provider_names = {}, {}
    categories, providers = set(categories) - {""}, set(providers) - {""}
    if categories:
        model = apps.get_model("marketplace", "ProviderCategory")
        category_names = {c.slug: str(c) for c in model.objects.filter(slug__in=categories)}
    if providers:
        model = apps.get_model("marketplace", "Provider")
        provider_names = dict(
            model.objects.filter(site_id=site_id, slug__in=providers).values_list("slug", "name")
        )
    return category_names, provider_names


def beneficiary_payout_accounts(*, site_id: int) -> dict[str, str]:
    """Stripe connected account by beneficiary key, for the territory's *live*
    beneficiaries with one: the payout destinations the council approved."""
    return dict(
        Beneficiary.objects.filter(site_id=site_id, live=True)
        .exclude(stripe_account="")
        .values_list("key", "stripe_account")
    )
