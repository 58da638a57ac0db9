"""Stripe, the payment provider of production: everything Comptoir does with Stripe.

From the ground up (a module imports only modules listed before it):

- ``client``: the one ``StripeClient``, idempotency keys, transient failures, retries.
- ``notify``: e-mails to finance (disputes, failed refunds and payouts, mismatches).
- ``webhooks``: verify, store once, process after commit through a handler registry.
- ``transfers``: what a paid order owes each connected account, sent, retried.
- ``refunds``: a refund at Stripe, then the transfer reversals it calls for.
- ``checkout``: the Checkout Session of an order and its payment (confirm, fee, transfers).
- ``disputes``, ``accounts``, ``handlers``: the handlers of Stripe's events (disputes,
  providers' payout accounts, payments and refunds), registered at app ready.
- ``reconciliation``: the ledger against Stripe's balance transactions, every night.
- ``personal_data``: what Stripe payloads hold of people (export, erasure, retention).
- ``webhook_views``, ``account_views``, ``finance_viewsets``: the web (webhook endpoints,
  the "Payout account" admin page, finance's read-only lists).

Each huey task is declared beside the work it runs and keeps its name
``payments.tasks.<name>`` (:mod:`payments.tasks` gathers them). The Stripe models
(``StripePayment``, ``StripeTransfer``...) stay in :mod:`payments.models` (app label
``payments``).

What must not live here: the order's life (confirm, release, cancel: the order services
decide, Stripe code calls them) and the ledger's rules (Stripe code posts through
:mod:`marketplace.books.ledger`). This package is named like the ``stripe`` library; its modules
import the library with ``import stripe`` (absolute imports), never a sibling by that name.
"""
