"""Background work of payments (huey): Stripe events, transfers, refunds, reconciliation.

Tasks take ids, re-read what they need and are safe to run twice.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from payments.webhooks import stripe_event_dispatch

# A failing handler or Stripe call is retried with a growing delay: 30 s, 1 min, 2 min ...
# about 2 h in all, always with the same idempotency keys.
STRIPE_EVENT_RETRIES = 8
STRIPE_EVENT_RETRY_DELAY = 30


@db_task(
    retries=STRIPE_EVENT_RETRIES,
    retry_delay=STRIPE_EVENT_RETRY_DELAY,
    retry_backoff=2,
)
def stripe_event_process(event_id: str) -> None:
    """Process one stored Stripe event (see :func:`payments.webhooks.stripe_event_dispatch`)."""
    stripe_event_dispatch(event_id=event_id)


@db_task(retries=STRIPE_EVENT_RETRIES, retry_delay=STRIPE_EVENT_RETRY_DELAY, retry_backoff=2)
def stripe_order_transfers(payment_id: int) -> bool:
    """Transfer to providers and beneficiaries what a paid order owes them."""
    from payments.stripe_connect import order_transfers

    return order_transfers(payment_id=payment_id)


@db_task(retries=STRIPE_EVENT_RETRIES, retry_delay=STRIPE_EVENT_RETRY_DELAY, retry_backoff=2)
def stripe_refund_execute(refund_id: int) -> None:
    """Refund the visitor at Stripe and reverse the transfers in proportion."""
    from payments.stripe_refunds import refund_execute

    refund_execute(refund_id=refund_id)


@db_periodic_task(crontab(minute="*/10"))
def stripe_transfers_pending() -> int:
    """Every 10 minutes: pay what paid orders still owe (payout accounts connected since)."""
    from django.conf import settings

    if not settings.STRIPE_SECRET_KEY:
        return 0
    from payments.stripe_connect import transfers_pending

    return transfers_pending()


@db_periodic_task(crontab(hour="4", minute="30"))
def stripe_reconcile_daily() -> str:
    """Every night: compare yesterday's ledger with Stripe's balance transactions."""
    from django.conf import settings

    if not settings.STRIPE_SECRET_KEY:
        return "Stripe is not configured"
    from payments.reconciliation import reconcile_yesterday

    return str(reconcile_yesterday())


@db_periodic_task(crontab(minute="*"))
def stripe_sessions_expire() -> int:
    """Every minute: close the Stripe payment pages of orders whose hold ended."""
    from django.conf import settings

    if not settings.STRIPE_SECRET_KEY:
        return 0
    from payments.stripe_connect import sessions_expire

    return sessions_expire()
