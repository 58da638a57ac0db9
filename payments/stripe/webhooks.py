"""Stripe webhooks: verify, store once, process after commit through a handler registry.

A delivery is verified with its endpoint's secret (``Stripe-Signature``, Stripe's default
tolerance), then stored as a :class:`~payments.models.StripeEvent` keyed by the event id,
so a redelivery (Stripe delivers at least once, sometimes twice, in any order) is a no-op.
Processing is queued after commit (:func:`stripe_event_process`, a huey task) and
runs :func:`stripe_event_dispatch`, which locks the row, skips an event already processed
and calls the handler registered for its type with :func:`handles`.

Handlers receive the stored event, re-fetch from Stripe and the database what they need
rather than trusting the payload, and must be idempotent. An event type without a
handler is one the app ignores: it is marked processed with the note "no handler".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import stripe
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from payments.models import StripeEndpoint, StripeEvent
from payments.stripe.client import RETRIED_AS_STRIPE_TASK

logger = logging.getLogger(__name__)

Handler = Callable[[StripeEvent], None]
HANDLERS: dict[str, Handler] = {}
NO_HANDLER = "no handler"


class WebhookRejected(Exception):
    """A delivery that is not a genuine, readable Stripe event: answered 400, not stored."""


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of these event types."""

    def register(handler: Handler) -> Handler:
        for event_type in event_types:
            if event_type in HANDLERS and HANDLERS[event_type] is not handler:
                raise ValueError(f"{event_type} already has a handler: {HANDLERS[event_type]}")
            HANDLERS[event_type] = handler
        return handler

    return register


def stripe_event_verify(*, payload: bytes, signature: str | None, secret: str) -> dict:
    """The event in ``payload`` once its signature is checked; raises WebhookRejected."""
    if not secret:
        # Never accept unsigned events because a secret is missing from the settings.
        raise WebhookRejected("no webhook secret configured for this endpoint")
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
        data = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected("bad, missing or stale signature") from exc
    except (ValueError, TypeError, AttributeError) as exc:
        # Not UTF-8, not JSON, or JSON that is not an event object.
        raise WebhookRejected("unreadable event") from exc
    if not (
        isinstance(data, dict)
        and isinstance(data.get("id"), str)
        and data["id"]
        and isinstance(data.get("type"), str)
    ):
        raise WebhookRejected("not an event")
    return data


def stripe_event_receive(
    *, payload: bytes, signature: str | None, secret: str, endpoint: StripeEndpoint
) -> tuple[StripeEvent, bool]:
    """Verify and store one delivery; returns (event, created).

    A new event's processing is queued after the transaction commits; a duplicate
    delivery changes nothing and queues nothing.
    """
    data = stripe_event_verify(payload=payload, signature=signature, secret=secret)
    with transaction.atomic():
        event, created = StripeEvent.objects.get_or_create(
            id=data["id"],
            defaults={
                "livemode": bool(data.get("livemode", False)),
                "type": data["type"][:100],
                "account": str(data.get("account") or "")[:255],
                "endpoint": endpoint,
                "payload": data,
            },
        )
        if created:
            event_id = event.id
            transaction.on_commit(lambda: stripe_event_process(event_id))
    return event, created


class StripeEventFailed(Exception):
    """A handler failed; the error is recorded on the event and the task retries."""


def stripe_event_dispatch(*, event_id: str) -> StripeEvent | None:
    """Run the handler of one stored event, once.

    The row is locked so two workers do not process it together; an event already
    processed is skipped. A failing handler's work is rolled back, the error and the
    attempt are recorded, and :class:`StripeEventFailed` is raised for huey to retry.
    """
    error = ""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.processed_at is not None:
            return event
        event.attempts += 1
        handler = HANDLERS.get(event.type)
        if handler is None:
            event.note = NO_HANDLER
        else:
            try:
                with transaction.atomic():
                    handler(event)
            except Exception as exc:
                logger.exception("Stripe event %s (%s) failed", event.id, event.type)
                error = f"{type(exc).__name__}: {exc}"
        if error:
            event.error = error
        else:
            event.error = ""
            event.processed_at = timezone.now()
        event.save(update_fields=["attempts", "note", "error", "processed_at"])
    if error:
        raise StripeEventFailed(f"{event_id}: {error}")
    return event


@db_task(**RETRIED_AS_STRIPE_TASK)
def stripe_event_process(event_id: str) -> None:
    """Process one stored Stripe event (see :func:`stripe_event_dispatch`)."""
    stripe_event_dispatch(event_id=event_id)
