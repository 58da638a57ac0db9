"""The Content-Security-Policy header (django-csp), with two additions per request.

- ``img-src`` allows the origin of ``MAP_TILE_URL``, so the Leaflet maps load their
  tiles whatever tile server a territory configures (``{s}`` subdomains become ``*``).
- Wagtail's admin (its templates write inline scripts and styles) gets
  ``CSP_ADMIN_EXTRA`` added; the storefront and the account pages stay strict.
"""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

ADMIN_PREFIX = "/admin/"


def tile_origin(template: str) -> str | None:
    """The origin of a Leaflet tile URL template, as a CSP source (``None`` if relative)."""
    parts = urlsplit(template)
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only or parts.replace is not None:
            return parts
        extra: dict[str, list[str]] = {
            directive: [sources] if isinstance(sources, str) else list(sources)
            for directive, sources in (parts.update or {}).items()
        }
        origin = tile_origin(settings.MAP_TILE_URL)
        if origin:
            extra.setdefault("img-src", []).append(origin)
        if request.path_info.startswith(ADMIN_PREFIX):
            for directive, sources in settings.CSP_ADMIN_EXTRA.items():
                extra.setdefault(directive, []).extend(sources)
        parts.update = extra
        return parts
