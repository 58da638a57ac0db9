"""Personal data in what Stripe sent: found for the export, scrubbed on erasure and with age.

A stored webhook event (:class:`~payments.models.StripeEvent`) keeps Stripe's payload as
delivered: a Checkout Session carries the payer's e-mail, name, phone and address
(``customer_details``), a charge its billing details and card, a dispute its evidence.
Processing never needs them: handlers read the object's id and account and re-fetch the
rest from Stripe (:mod:`payments.stripe.webhooks`). So scrubbing sets every value under a
personal key (:func:`key_is_personal`, at any depth) to ``null`` and keeps the rest: the
event's id (a redelivery stays a no-op), type, dates, amounts, ids and metadata, which
finance and the reconciliation use.

- :func:`stripe_events_of_orders` finds the events about a person's orders (their
  session, payment, charge, refunds, disputes, and the customer Stripe made for them).
- The erasure of an account scrubs them (registered in :mod:`marketplace.personal_data`).
- :func:`stripe_event_payloads_expire` scrubs every event once it is
  ``STRIPE_EVENT_PAYLOAD_RETENTION_DAYS`` old (the nightly retention task).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from marketplace.models import Order
from marketplace.personal_data import PersonalDataSource, register_personal_data_source
from payments.models import StripeEvent, StripePayment

# A key is personal when its name contains one of these, wherever it appears in a Stripe
# object: Stripe names a person's details consistently (``customer_email``,
# ``payer_name``, ``verified_address``, ``business_name``, ``cardholder_name``...), so
# new fields are caught without a list of every one of them.
PERSONAL_KEY_PARTS = (
    # Contact: e-mail, names, phones, addresses (a shipping block holds all three).
    "email",
    "name",
    "phone",
    "address",
    "shipping",
    "owner",
    "payer",
    "cardholder",
    "tax_id",
    # Identity (connected accounts' persons).
    "dob",
    "birth",
    "id_number",
    "ssn",
    # Card and bank: enough to recognise the person's means of payment.
    "last4",
    "fingerprint",
    "exp_month",
    "exp_year",
    "routing_number",
    "iban",
    # Where and how they paid; a dispute's evidence; the receipt's page; what they typed.
    "ip_address",
    "purchase_ip",
    "user_agent",
    "evidence",
    "signature",
    "receipt_url",
    "custom_fields",
)
# Keys that contain one of these parts and hold nothing about the person: Checkout's
# settings, and the shipping rate's id (amounts are kept by the rule below).
SAFE_KEYS = frozenset(
    {
        "billing_address_collection",
        "shipping_address_collection",
        "phone_number_collection",
        "name_collection",
        "tax_id_collection",
        "shipping_rate",
    }
)


def key_is_personal(key: str) -> bool:
    """Whether the values under ``key`` are about a person (see :data:`PERSONAL_KEY_PARTS`)."""
    if key in SAFE_KEYS or key.startswith("amount") or key.endswith("_amount"):
        return False
    return any(part in key for part in PERSONAL_KEY_PARTS)


def payload_personal(payload: Any, path: str = "") -> dict[str, Any]:
    """The personal values in ``payload``, by their path (``data.object.customer_details``)."""
    found: dict[str, Any] = {}
    if isinstance(payload, dict):
        for key, value in payload.items():
            where = f"{path}.{key}" if path else key
            if key_is_personal(key) and value not in (None, "", [], {}):
                found[where] = value
            else:
                found.update(payload_personal(value, where))
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            found.update(payload_personal(value, f"{path}[{index}]"))
    return found


def payload_scrub(payload: Any) -> Any:
    """A copy of ``payload`` with every personal value (see :func:`key_is_personal`) null."""
    if isinstance(payload, dict):
        return {
            key: None if key_is_personal(key) and value is not None else payload_scrub(value)
            for key, value in payload.items()
        }
    if isinstance(payload, list):
        return [payload_scrub(value) for value in payload]
    return payload


def stripe_events_of_orders(*, order_ids: list[int]):
    """The stored events about these orders: session, payment, charge, refunds, disputes.

    Matched on the ids the order's :class:`StripePayment` recorded and on the order's
    reference, which Comptoir puts on the session (``client_reference_id``, metadata) and
    the payment (metadata, ``transfer_group``); then on the customers those events name.
    """
    if not order_ids:
        return StripeEvent.objects.none()
    references = list(Order.objects.filter(pk__in=order_ids).values_list("reference", flat=True))
    ids: set[str] = set()
    charges: set[str] = set()
    intents: set[str] = set()
    for payment in StripePayment.objects.filter(order_id__in=order_ids):
        ids.update(
            value
            for value in (
                payment.session_id,
                payment.payment_intent_id,
                payment.charge_id,
                payment.dispute_id,
            )
            if value
        )
        ids.update(payment.refunds.exclude(refund_id="").values_list("refund_id", flat=True))
        charges.update([payment.charge_id] if payment.charge_id else [])
        intents.update([payment.payment_intent_id] if payment.payment_intent_id else [])
    condition = (
        Q(payload__data__object__client_reference_id__in=references)
        | Q(payload__data__object__metadata__order_reference__in=references)
        | Q(payload__data__object__transfer_group__in=references)
    )
    if ids:
        condition |= Q(payload__data__object__id__in=sorted(ids))
    if charges:
        condition |= Q(payload__data__object__charge__in=sorted(charges))
    if intents:
        condition |= Q(payload__data__object__payment_intent__in=sorted(intents))
    events = StripeEvent.objects.filter(condition)
    customers = {
        customer
        for customer in (event.data_object.get("customer") for event in events)
        if isinstance(customer, str) and customer
    }
    if customers:
        condition |= Q(payload__data__object__id__in=sorted(customers)) | Q(
            payload__data__object__customer__in=sorted(customers)
        )
        events = StripeEvent.objects.filter(condition)
    return events.order_by("received_at", "id")


def stripe_events_scrub(events, *, now: dt.datetime | None = None) -> int:
    """Scrub the personal data of ``events`` (a queryset); return how many changed."""
    now = now or timezone.now()
    changed = 0
    with transaction.atomic():
        for event in events.select_for_update().only("id", "payload", "payload_scrubbed_at"):
            scrubbed = payload_scrub(event.payload)
            if scrubbed != event.payload:
                changed += 1
            event.payload = scrubbed
            event.payload_scrubbed_at = now
            event.save(update_fields=["payload", "payload_scrubbed_at"])
    return changed


def stripe_event_payloads_expire(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Scrub the events received more than the retention period ago; return how many.

    ``settings.STRIPE_EVENT_PAYLOAD_RETENTION_DAYS`` (60 by default) leaves time to look
    at a payload while a payment, its refunds or its reconciliation are still being
    settled; after that, the event row stays (its id keeps redeliveries no-ops; type,
    dates, amounts and ids stay for finance), without the person in it.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.STRIPE_EVENT_PAYLOAD_RETENTION_DAYS)
    due = StripeEvent.objects.filter(received_at__lt=cutoff, payload_scrubbed_at__isnull=True)
    done = 0
    while True:
        ids = list(due.order_by("received_at", "id").values_list("id", flat=True)[:batch])
        if not ids:
            return done
        stripe_events_scrub(StripeEvent.objects.filter(id__in=ids), now=now)
        done += len(ids)


# --- The export and the erasure of an account --------------------------------------------


def _export(*, user, order_ids: list[int]) -> dict[str, list]:
    payments = [
        {
            "order": payment.order.reference,
            "checkout_session": payment.session_id,
            "payment": payment.payment_intent_id,
            "charge": payment.charge_id,
            "amount": payment.amount,
            "created_at": payment.created_at.isoformat(),
            "dispute": payment.dispute_id,
            "dispute_status": payment.dispute_status,
        }
        for payment in StripePayment.objects.filter(order_id__in=order_ids)
        .select_related("order")
        .order_by("pk")
    ]
    received, consents = [], []
    for event in stripe_events_of_orders(order_ids=order_ids):
        personal = payload_personal(event.payload)
        if personal:
            received.append(
                {
                    "event": event.id,
                    "type": event.type,
                    "received_at": event.received_at.isoformat(),
                    "data": personal,
                }
            )
        consent = event.data_object.get("consent")
        if event.data_object.get("object") == "checkout.session" and consent:
            consents.append({"given_on": "Stripe Checkout", "event": event.id, "consent": consent})
    return {"stripe_payments": payments, "received_from_stripe": received, "consents": consents}


def _erase(*, user, order_ids: list[int]) -> None:
    stripe_events_scrub(stripe_events_of_orders(order_ids=order_ids))


register_personal_data_source(PersonalDataSource(name="stripe", export=_export, erase=_erase))
