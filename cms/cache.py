"""A short-lived cache of the public catalogue's results (the listing and the API).

Keys carry the site, the language, the day, the whole query string and a *catalogue
version*. Any save or delete of a marketplace, storefront or Wagtail page row (offers,
providers, nights, slots, closures...) and any publication bumps the version, so the
next request computes fresh results. The time to live
(``settings.STOREFRONT_CACHE_SECONDS``, 0 turns the cache off) bounds what no signal
sees: bulk ``update()`` calls, and other processes when the cache is per process
(local memory); with Redis every process shares the version.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import get_language
from wagtail.signals import page_published, page_unpublished

from marketplace.orders.capacity import capacity_changed

VERSION_KEY = "storefront:catalogue-version"
WATCHED_APPS = frozenset({"marketplace", "cms", "wagtailcore", "wagtailimages"})
# Carts, orders and bookings are not what the storefront shows; the capacity they take
# is, and marketplace.orders.capacity says when it changed (``capacity_changed``).
UNWATCHED_MODELS = frozenset({"cart", "cartline", "order", "booking", "refund", "productstock"})


def cache_seconds() -> int:
    return int(getattr(settings, "STOREFRONT_CACHE_SECONDS", 0) or 0)


def catalogue_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh start value, so a flushed cache never brings back an old version.
        cache.add(VERSION_KEY, time.time_ns() // 1000, None)
        version = cache.get(VERSION_KEY, 0)
    return version


def catalogue_changed(**kwargs) -> None:
    """Make every cached result stale (called on saves, deletes and publications)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, time.time_ns() // 1000, None)


def results_cache_key(*, request, site, name: str) -> str:
    params = sorted((key, sorted(values)) for key, values in request.GET.lists())
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
    return ":".join(
        [
            "storefront",
            name,
            str(catalogue_version()),
            str(site.pk if site else 0),
            get_language() or "",
            timezone.localdate().isoformat(),
            digest,
        ]
    )


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def _model_changed(sender, **kwargs):
    meta = getattr(sender, "_meta", None)
    if (
        meta is not None
        and meta.app_label in WATCHED_APPS
        and meta.model_name not in UNWATCHED_MODELS
    ):
        catalogue_changed()


capacity_changed.connect(catalogue_changed, dispatch_uid="storefront_cache_capacity")
page_published.connect(catalogue_changed, dispatch_uid="storefront_cache_published")
page_unpublished.connect(catalogue_changed, dispatch_uid="storefront_cache_unpublished")
