"""The demo territory of the Val d'Arvière, as a package of its own (``manage.py seed_demo``).

A nested Django app (label ``demo``, no models) so that its management command lives with
it: removing this package and its line in ``INSTALLED_APPS`` removes the demo and nothing
else. What lives here: the fixed content by subject (``territory``: names, communes,
categories, labels, commission rules; ``specs``: the shapes of a provider and its offers;
``stays``, ``shops``, ``activities`` and ``providers``: the businesses; ``accounts``: the
demo users), ``seed`` (``demo_seed``: builds it all through the real services), ``orders``
(six months of past orders), ``payouts`` (the communes' tax collectors, approved bank
details of those paid by transfer, the exemptions visitors may declare), ``bulk`` (a
large generated catalogue for benchmarks: its providers in ``bulk_providers``, its offers
in ``bulk_offers``, pages and rows written in bulk by ``bulk_pages``), ``images`` and
``indexing``.

What must not: nothing outside this package imports it (tests aside); the product never
depends on demo data. It imports from every app below (cms, payments, marketplace,
commissions), as a user of their services would.
"""
