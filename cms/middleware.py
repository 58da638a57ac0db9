"""Whole storefront pages from the cache, for anonymous visitors.

DESIGN §9: what is public and expensive is cached, keyed by site, language and query
string, and invalidated on publication and on availability change. The key carries the
catalogue version of :mod:`cms.cache` (bumped on every save, delete and publication of
the catalogue, nights and slots included), the day, and the full path with its query
string; the time to live is ``STOREFRONT_CACHE_SECONDS``.

Only anonymous visitors without a session are served from here: a signed-in person, or
a visitor with a cart or pending messages, always gets a freshly rendered page. A
response is stored only when it is a plain 200 HTML page or JSON that sets no cookie
(a page with a CSRF token sets one, so it is never shared).

A hit answers with the headers of the miss it replays. The cache stores the body with
every header the response had when it came back through this middleware: those of the
view (``Access-Control-Allow-Origin`` on the API) and of every middleware placed after
this one in ``MIDDLEWARE`` (``X-Frame-Options``, and any policy header added later).
Middleware placed before this one runs on hits and misses alike. ``Vary: Cookie`` is
set here on both, since whether a page comes from the cache depends on the cookies. A
header that must match something in the body (a CSP nonce) therefore has to be set by
a middleware placed after this one, so that the stored body and header agree.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from cms.cache import cache_seconds, catalogue_version

EXCLUDED_PREFIXES = (
    "/admin/",
    "/accounts/",
    "/en/accounts/",
    "/documents/",
    "/i18n/",
    "/static/",
    "/media/",
    "/__bench__/",
    "/webhooks/",
    "/devenir-partenaire/",
    "/en/devenir-partenaire/",
)
CACHEABLE_TYPES = ("text/html", "application/json")
HEADER = "X-Comptoir-Cache"


def page_cache_key(request) -> str:
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:40]
    return ":".join(
        [
            "storefront-response",
            str(catalogue_version()),
            request.get_host(),
            get_language() or "",
            timezone.localdate().isoformat(),
            digest,
        ]
    )


def request_is_cacheable(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and cache_seconds() > 0
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.path.startswith(EXCLUDED_PREFIXES)
    )


def response_is_cacheable(response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").startswith(CACHEABLE_TYPES)
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request_is_cacheable(request):
            return self.get_response(request)
        key = page_cache_key(request)
        cached = cache.get(key)
        if cached is not None:
            content, headers = cached
            response = HttpResponse(content, headers=headers)
            response[HEADER] = "hit"
            return response
        response = self.get_response(request)
        if request.method == "GET" and response_is_cacheable(response):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            patch_vary_headers(response, ("Cookie",))
            cache.set(key, (response.content, list(response.items())), cache_seconds())
            response[HEADER] = "miss"
        return response
