"""Payments: the payment providers and their machinery.

What lives here: how an order is paid and refunded through a provider (the gateways:
the dev gateway of the demo and tests, and Stripe), the Stripe machinery in
:mod:`payments.stripe` (checkout, webhooks, transfers, refunds, disputes, providers'
payout accounts, reconciliation, finance's lists, the huey tasks gathered in
:mod:`payments.tasks`), and the Stripe models (``StripePayment``, ``StripeTransfer``,
``StripeRefund``, ``StripeEvent``...; app label ``payments``).

What must not live here: the order's life cycle (confirm, release, cancel, expire: the
order services decide, providers call them) and the ledger's rules (accounts, balanced
transactions, reversals: providers post through the ledger's functions, they do not
decide what an entry is). The ledger's models and modules still stand here until they
move to their own app.
"""
