"""Small web helpers shared by marketplace, payments and cms (they sit below both).

- ``site_for_request(request)``: the Wagtail site serving a request, else the default
  site. The one copy: views, API, template tags and signal receivers all call it.
- ``public_url(path, site=None)``: the absolute address of ``path`` as people reach it,
  built from ``settings.PUBLIC_URL``. Every link in an e-mail, or handed to someone outside
  a request (Stripe's return addresses), is made here and nowhere else.
- Private responses (a cart, an order, a person's bookings or data): decorate the view
  with Django's ``django.views.decorators.cache.never_cache``. It sends ``Cache-Control:
  max-age=0, no-cache, no-store, must-revalidate, private``; the anonymous page cache
  (``cms.middleware.response_is_cacheable``) and any shared cache refuse such a response.
  No wrapper of ours, no hand-written header.

What must not live here: views, templates, models of ours, money display (that is
``commissions.money.format_cents`` and the ``{% money %}`` tag of ``comptoir_money``).
"""

from urllib.parse import urlsplit

from django.conf import settings
from wagtail.models import Site


def site_for_request(request) -> Site | None:
    """The site serving ``request`` (by host and port), else the default site; None when
    the database has no site at all. Wagtail remembers the answer on the request."""
    return Site.find_for_request(request) or Site.objects.filter(is_default_site=True).first()


def public_url(path: str = "/", *, site: Site | None = None) -> str:
    """``path`` (from ``reverse`` or ``{% url %}``) made absolute on the public address.

    ``settings.PUBLIC_URL`` is the one source of the scheme, host and port: a Wagtail
    site's own host name and port only route requests (the demo's site is "localhost",
    port 80, served on 127.0.0.1:8000), so the default site, which answers any host, is
    reached at ``PUBLIC_URL``. Another territory's site (``site``, not the default) is
    only reached by its host name: the link keeps ``PUBLIC_URL``'s scheme and port and
    takes that host name. Admin links pass no site: the admin answers on every host.
    """
    if not path.startswith("/"):
        raise ValueError(f"public_url needs a path from the root, not {path!r}")
    base = settings.PUBLIC_URL.rstrip("/")
    if site is not None and not site.is_default_site and site.hostname:
        parts = urlsplit(base)
        port = f":{parts.port}" if parts.port else ""
        base = f"{parts.scheme}://{site.hostname}{port}"
    return base + path
