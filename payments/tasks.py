"""The huey tasks of payments, as huey and the project know them: ``payments.tasks.<name>``.

Each task is declared beside the work it runs, in :mod:`payments.stripe` (so a module that
queues its own next step imports nothing above it), and keeps the name ``payments.tasks.*``
it was queued under (see ``QUEUED_AS`` in :mod:`payments.stripe.client`). This module
gathers them: huey's consumer imports every app's ``tasks`` module (``run_huey``), which
registers them all, periodic ones included. No task is defined here.

Tasks take ids, re-read what they need and are safe to run twice.
"""

from payments.stripe.checkout import stripe_sessions_expire
from payments.stripe.reconciliation import stripe_reconcile_daily
from payments.stripe.refunds import stripe_refund_execute
from payments.stripe.transfers import stripe_order_transfers, stripe_transfers_pending
from payments.stripe.webhooks import stripe_event_process

__all__ = [
    "stripe_event_process",
    "stripe_order_transfers",
    "stripe_reconcile_daily",
    "stripe_refund_execute",
    "stripe_sessions_expire",
    "stripe_transfers_pending",
]
