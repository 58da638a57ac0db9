"""Signed webhook delivery of the double's events, with duplicate and reordering faults.

These functions become methods of ``StripeDouble``. A Connect event is one with an ``account``
key; it is delivered with the Connect endpoint's secret.
"""

from __future__ import annotations

import json
import random
import urllib.request

import stripe

__all__ = ["sign", "take_events", "deliver"]


def sign(self, event: dict, secret: str, *, timestamp: int | None = None) -> tuple[str, str]:
    """``(payload, Stripe-Signature header)`` for one event, as Stripe would send it."""
    payload = json.dumps(event, indent=2)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp if timestamp is not None else self.now()
    )
    return payload, header


def take_events(
    self,
    *,
    connect: bool | None = None,
    types: set[str] | None = None,
    duplicate: int = 1,
    reverse: bool = False,
    shuffle_seed: int | None = None,
) -> list[dict]:
    """Pop undelivered events (oldest first), each repeated ``duplicate`` times, optionally
    reversed or shuffled. ``connect``: only Connect (True) or only platform (False) events."""
    with self.lock:
        chosen = [
            e
            for e in self.undelivered
            if (connect is None or ("account" in e) == connect)
            and (types is None or e["type"] in types)
        ]
        self.undelivered = [e for e in self.undelivered if e not in chosen]
    batch = [e for e in chosen for _ in range(duplicate)]
    if reverse:
        batch.reverse()
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(batch)
    return batch


def deliver(self, target, secret: str, *, connect: bool = False, **options) -> list[int]:
    """Send the undelivered platform (or Connect) events, signed, to ``target``.

    ``target`` is a URL (POSTed with urllib; use a local URL) or a callable
    ``target(payload: bytes, headers: dict) -> int status``, e.g. a wrapper around Django's test
    client. ``options`` are those of ``take_events`` (duplicate, reverse, shuffle_seed, types).
    Returns the HTTP statuses.
    """
    statuses = []
    for event in self.take_events(connect=connect, **options):
        payload, header = self.sign(event, secret)
        headers = {"Content-Type": "application/json", "Stripe-Signature": header}
        if callable(target):
            statuses.append(target(payload.encode(), headers))
            continue
        request = urllib.request.Request(target, payload.encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    return statuses
