"""The one place a ``StripeClient`` is built (stripe-python 16, ``client.v1.*``), and what
every Stripe call shares: idempotency keys, which failures are worth a retry, how huey
retries the tasks that call Stripe.

``STRIPE_SECRET_KEY`` authenticates; ``STRIPE_API_BASE``, when set, sends every request to
that address instead of Stripe (the local double, ``python -m tests.stripe_double``).
Tests put an in-process double's HTTP client in :data:`HTTP_CLIENT`, so no socket opens.
"""

from __future__ import annotations

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Set by tests to ``tests.stripe_double.DoubleHTTPClient(double)``; ``None`` in real life.
HTTP_CLIENT: stripe.HTTPClient | None = None

# A transient failure (500, timeout) is not retried by the client: the huey task that made
# the call fails and huey retries it later, with the same idempotency key.
MAX_NETWORK_RETRIES = 0

# A failing handler or Stripe call is retried with a growing delay: 30 s, 1 min, 2 min ...
# about 2 h in all, always with the same idempotency keys.
STRIPE_EVENT_RETRIES = 8
STRIPE_EVENT_RETRY_DELAY = 30

# Huey finds a queued task by "<module>.<function>". The Stripe tasks are declared beside
# the work they run, but were all declared in payments/tasks.py before: they keep that
# name, so that messages already queued (retries run for up to 2 h) still find them after
# a deploy. ``payments.tasks`` imports them all, so the name also works in Python.
QUEUED_AS = {"__module__": "payments.tasks"}

# How a Stripe call queued as a task is retried: up to 8 times, 30 s then doubling (about
# 2 h in all), under its pinned name. One policy for every such task.
RETRIED_AS_STRIPE_TASK = {
    "retries": STRIPE_EVENT_RETRIES,
    "retry_delay": STRIPE_EVENT_RETRY_DELAY,
    "retry_backoff": 2,
    **QUEUED_AS,
}


def stripe_client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise ImproperlyConfigured("STRIPE_SECRET_KEY is not set: Stripe cannot be called.")
    options: dict = {"max_network_retries": MAX_NETWORK_RETRIES}
    if settings.STRIPE_API_BASE and settings.PRODUCTION:
        raise ImproperlyConfigured(
            "STRIPE_API_BASE points Stripe calls elsewhere (the local double): not in production."
        )
    if settings.STRIPE_API_BASE:
        base = settings.STRIPE_API_BASE.rstrip("/")
        options["base_addresses"] = {"api": base, "connect": base, "files": base}
    if HTTP_CLIENT is not None:
        options["http_client"] = HTTP_CLIENT
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def stripe_id(value) -> str:
    """The id of a Stripe reference, expanded (an object) or not (its id)."""
    return value if isinstance(value, str) else getattr(value, "id", "") or ""


def stripe_metadata(obj) -> dict:
    """A Stripe object's metadata as a plain dict (StripeObject is not one)."""
    return obj.metadata.to_dict() if getattr(obj, "metadata", None) else {}


def stripe_key(key: str) -> dict:
    """Request options with this deployment's idempotency key for ``key``.

    ``STRIPE_IDEMPOTENCY_PREFIX`` keeps two databases sharing one Stripe account (a
    staging copy of production, two territories' installations) from replaying each
    other's answers: their ids, hence their keys, would be the same.
    """
    return {"idempotency_key": f"{settings.STRIPE_IDEMPOTENCY_PREFIX}{key}"}


def is_transient(error: Exception) -> bool:
    """A failure worth retrying with the same key: the network, Stripe's own 5xx/429, or
    an idempotency conflict (the same key still running, or sent before with other
    parameters): the outcome is unknown, never a refusal that moved nothing."""
    if isinstance(
        error, stripe.APIConnectionError | stripe.RateLimitError | stripe.IdempotencyError
    ):
        return True
    if getattr(error, "http_status", None) == 409:
        return True
    status = getattr(error, "http_status", None)
    return isinstance(error, stripe.StripeError) and (status is None or status >= 500)


def refusal_message(error: stripe.StripeError) -> str:
    """What Stripe said when it refused a call (recorded on the row, shown to finance)."""
    return f"{getattr(error, 'code', '') or ''} {error.user_message or error}".strip()
