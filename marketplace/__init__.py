"""The marketplace: the catalogue and, for now, the order life cycle.

What lives here: providers, their taxonomy and membership (``models/providers.py``,
``models/taxonomy.py``, ``services``, ``provider_notify``), offers as Wagtail pages with
their availability, seasons and slots (``models/offers.py``, ``selectors``, ``filters``,
``quotes``, ``pricing``), the offer page's own rendering (``storefront``: a Wagtail page
renders itself), the territory's settings (``models/territory.py``), prices with the
commission (``commission``), the tourist tax (``tourist_tax``, a nested app: rates,
the pure computation, ``quote_for``), the small web helpers every app shares (``web``:
``site_for_request``), and the order life cycle (cart, orders, bookings, policies; moving
to ``marketplace/orders/`` in issue 12).

What must not: imports of ``payments`` or ``cms`` (they sit above; payment providers plug
in through a registry, never imported from here), Stripe, the other pages' rendering.
Money display is ``commissions.money`` and its ``{% money %}`` tag, not a wrapper here.
"""
