"""A large generated catalogue for benchmarks, written in bulk (``seed_demo --offers``).

:func:`catalogue_extend` grows the default territory with generated providers
(:mod:`cms.demo.bulk_providers`) and offers (:mod:`cms.demo.bulk_offers`), whose pages
and rows are written in bulk, without revisions (:mod:`cms.demo.bulk_pages`).

Everything generated is derived from ``random.Random(f"{seed}-...-{index}")``: the same
numbers and seed give the same catalogue, and growing it later only adds the difference.
"""

import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import Site

from cms.demo.bulk_offers import offer_generate, offers_write, shared_images
from cms.demo.bulk_pages import BATCH, PageSteps
from cms.demo.bulk_providers import (
    CATEGORY_KIND,
    GENERATED_PREFIX,
    generated_rng,
    providers_generate,
)
from cms.models import ProviderPage
from cms.services import provider_index_for_site
from marketplace.models import Label, OfferPage, Provider, ProviderStatus

__all__ = ["GENERATED_PREFIX", "catalogue_extend"]


def catalogue_extend(
    *, offers: int, providers: int, seed: int = 2026, log: Callable[[str], None] = print
) -> dict:
    """Grow the default territory to at least ``providers`` approved providers and
    ``offers`` live offers with generated ones. Returns what was added."""
    site = Site.objects.get(is_default_site=True)
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    today, now = timezone.localdate(), timezone.now()
    added = {"providers": 0, "offers": 0}
    started = time.monotonic()

    approved = Provider.objects.filter(site=site, status=ProviderStatus.APPROVED)
    missing = providers - approved.count()
    if missing > 0:
        generated = Provider.objects.filter(slug__startswith=GENERATED_PREFIX).count()
        for start in range(generated, generated + missing, BATCH):
            added["providers"] += providers_generate(
                site=site,
                count=min(BATCH, generated + missing - start),
                start=start,
                seed=seed,
                by=admin,
                now=now,
            )
            log(f"  providers: {added['providers']}/{missing} ({time.monotonic() - started:.1f} s)")

    live = OfferPage.objects.filter(live=True, provider__site=site)
    missing = offers - live.count()
    if missing > 0:
        pages = list(
            ProviderPage.objects.filter(provider__site=site, provider__status="approved")
            .select_related("provider", "provider__category")
            .order_by("provider__slug")
        )
        pool = [p for p in pages if p.provider.slug.startswith(GENERATED_PREFIX)] or pages
        if pool is pages:
            first = live.count()
        else:
            first = OfferPage.objects.filter(provider__slug__startswith=GENERATED_PREFIX).count()
        all_labels = list(Label.objects.order_by("slug"))
        images = {kind: shared_images(kind) for kind in ("stay", "activity", "product")}
        steps = PageSteps(provider_index_for_site(site))
        for batch_start in range(first, first + missing, BATCH):
            items = []
            for index in range(batch_start, min(batch_start + BATCH, first + missing)):
                parent = pool[index % len(pool)]
                rng = generated_rng(seed, "offer", index)
                kind = CATEGORY_KIND.get(parent.provider.category.slug, "product")
                page = offer_generate(rng=rng, kind=kind, index=index, today=today)
                page_labels = rng.sample(all_labels, k=rng.randint(0, min(2, len(all_labels))))
                items.append((parent, page, page_labels))
            offers_write(items, steps=steps, images=images, now=now, today=today)
            added["offers"] += len(items)
            log(f"  offers: {added['offers']}/{missing} ({time.monotonic() - started:.1f} s)")
    added["total_offers"] = live.count()
    return added
