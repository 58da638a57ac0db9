"""Background work of payments (huey): processing the Stripe events the webhooks stored.

Tasks take ids, re-read what they need and are safe to run twice.
"""

from huey.contrib.djhuey import db_task

from payments.webhooks import stripe_event_dispatch

# A failing handler is retried with a growing delay: 30 s, 1 min, 2 min ... about 2 h in all.
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
