"""The storefront and the admin around it: the top app before ``config``.

What lives here: Wagtail pages other than offers (home, listings, provider pages,
transparency, editorial: ``models``, their context in ``views``), the storefront's
template tags (``templatetags/storefront``: header links, JSON-LD, query strings), the
anonymous page cache (``cache``, ``middleware``), the public JSON API (``api``),
admin-wide things (MFA, CSP, system checks, reports, the admin API, scheduled publishing:
``mfa``, ``csp``, ``checks``, ``admin_reports``, ``admin_api``, ``scheduled``), territory
set-up (``services``), and the demo territory as its own package (``cms/demo``). The
cart, checkout and account views and the bookings/orders admin still here
(``checkout``, ``account``, ``forms``, ``booking_*``, ``order_viewsets``) move to
``marketplace/orders/`` in issue 12.

What must not: business rules (orders, prices, commissions, payments live below and are
called, not repeated), another copy of a shared helper (the site of a request is
``marketplace.web``, money display is ``commissions``' ``{% money %}``). Nothing below
imports from here.
"""
