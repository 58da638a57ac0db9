"""The books: the territory's ledger, a nested Django app (label ``books``).

What lives here: the append-only double-entry ledger in integer cents
(:mod:`marketplace.books.models`: ``LedgerTransaction``, ``LedgerEntry``,
``TransactionKind``), the only code that writes it (:mod:`marketplace.books.ledger`:
``ledger_post``, ``ledger_reverse``, ``quote_entries``, the account names), its reads
(:mod:`marketplace.books.selectors`: balances, statements, beneficiaries' earnings), who
may read it (:mod:`marketplace.books.permissions`: ``books.view_ledger``), its admin
(:mod:`marketplace.books.admin`: the "Ledger" menu, transactions, balances, a provider's
statement), and what is read from it for the tax office: the FEC export
(:mod:`marketplace.books.fec`, its chart of accounts :mod:`marketplace.books.chart`, the
``fec_export`` command and :mod:`marketplace.books.fec_admin`) and the DAC7 report on
sellers (:mod:`marketplace.books.dac7`, its files and its e-mails).

The books know accounts and amounts. What must not live here: the life of an order or a
booking (confirming, cancelling, refunding is the order life cycle's, which posts here),
and any payment provider (Stripe, the dev gateway: ``payments/``, above). Nothing here
imports ``payments``; the commission engine (``commissions``) is below and may be used.

The tables keep the names they had when the ledger lived in ``payments``
(``payments_ledgertransaction``, ``payments_ledgerentry``): their append-only triggers
are created by ``payments/migrations/0002_ledger_append_only_triggers.py``.
"""
