"""Small web helpers shared by marketplace, payments and cms (they sit below both).

- ``site_for_request(request)``: the Wagtail site serving a request, else the default
  site. The one copy: views, API, template tags and signal receivers all call it.
- Private responses (a cart, an order, a person's bookings or data): decorate the view
  with Django's ``django.views.decorators.cache.never_cache``. It sends ``Cache-Control:
  max-age=0, no-cache, no-store, must-revalidate, private``; the anonymous page cache
  (``cms.middleware.response_is_cacheable``) and any shared cache refuse such a response.
  No wrapper of ours, no hand-written header.

What must not live here: views, templates, models of ours, money display (that is
``commissions.money.format_cents`` and the ``{% money %}`` tag of ``comptoir_money``).
"""

from wagtail.models import Site


def site_for_request(request) -> Site | None:
    """The site serving ``request`` (by host and port), else the default site; None when
    the database has no site at all. Wagtail remembers the answer on the request."""
    return Site.find_for_request(request) or Site.objects.filter(is_default_site=True).first()
