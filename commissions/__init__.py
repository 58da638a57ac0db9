"""Commissions: what the territory takes on a booking, who gets it, and money in cents.

What lives here: the rules, distribution keys and beneficiaries (``models``, edited as
Wagtail snippets through the council's approval: ``views``, ``wagtail_hooks``,
``governance``), the go-live guards (``golive``), rules as data (``rules_io``), the pure
engine (``engine``: lines and rule specs in, quotes out), the simulation of a draft
(``simulation``, ``preview_views``), the transparency figures and history
(``transparency``, ``history``, ``describe``), and MONEY for the whole project: cents
arithmetic and ``format_cents`` (``money``), ``CentsField``/``EuroFormField``
(``fields``), the ``{% money %}`` tag and ``|cents`` filter (``templatetags/comptoir_money``).

What must not: any import of another app of ours. This app is the bottom of the house
(``commissions <- marketplace <- payments <- cms <- config``). Two dependencies on
``marketplace`` exist and are declared, not hidden: a rule's scope refers to the
marketplace's taxonomy (``marketplace.ProviderCategory``, ``marketplace.Provider``,
``marketplace.Label``) by lazy model references, so commissions' migrations depend on
marketplace's; and a few reads name marketplace models by label (``apps.get_model``: the
names of categories and providers in a preview, the territory's currency in
``{% money %}``). Bookings reach the simulation and the transparency page through sources
the marketplace and payments register at app ready (``register_line_source``,
``register_distributed_source``), never by an import from here.
"""
