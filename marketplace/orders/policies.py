"""Cancellation policies, as data: how much of a booking a visitor gets back, and until when.

A policy is a list of steps, from the earliest to the latest cancellation. Each step
says "cancelled at least ``before`` ahead of the start, the visitor gets ``percent`` of
what they paid back"; past the last step, ``after_percent``. The fraction applies to
everything the visitor paid for the booking (price and service fee); the provider's
net and each beneficiary's share are reversed in the same proportion
(:func:`marketplace.books.ledger.ledger_reverse`).

============ ======================================================================
flexible     full refund until 24 hours before the start, nothing after
moderate     full refund until 5 days before, then 50 %
strict       50 % until 7 days before, then nothing
============ ======================================================================

Goods (click-and-collect) have no start: while they are not collected, they are
refunded in full whatever the policy. A provider's cancellation is always refunded in
full.
"""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from marketplace.models import CancellationPolicy


@dataclass(frozen=True)
class Step:
    before: dt.timedelta
    percent: int


@dataclass(frozen=True)
class Policy:
    key: str
    steps: tuple[Step, ...]
    after_percent: int
    summary: str

    def refund_percent(self, *, starts_at: dt.datetime | None, now: dt.datetime) -> int:
        if starts_at is None:
            return 100
        ahead = starts_at - now
        for step in self.steps:
            if ahead >= step.before:
                return step.percent
        return self.after_percent


POLICIES: dict[str, Policy] = {
    CancellationPolicy.FLEXIBLE: Policy(
        key=CancellationPolicy.FLEXIBLE,
        steps=(Step(dt.timedelta(hours=24), 100),),
        after_percent=0,
        summary=_("Full refund until 24 hours before the start; no refund after that."),
    ),
    CancellationPolicy.MODERATE: Policy(
        key=CancellationPolicy.MODERATE,
        steps=(Step(dt.timedelta(days=5), 100),),
        after_percent=50,
        summary=_("Full refund until 5 days before the start; 50 % after that."),
    ),
    CancellationPolicy.STRICT: Policy(
        key=CancellationPolicy.STRICT,
        steps=(Step(dt.timedelta(days=7), 50),),
        after_percent=0,
        summary=_("50 % refund until 7 days before the start; no refund after that."),
    ),
}


def policy_for(key: str) -> Policy:
    return POLICIES.get(key) or POLICIES[CancellationPolicy.MODERATE]


def refund_fraction(*, policy: str, starts_at: dt.datetime | None, now: dt.datetime) -> Fraction:
    """The share of what the visitor paid that a cancellation at ``now`` gives back."""
    return Fraction(policy_for(policy).refund_percent(starts_at=starts_at, now=now), 100)


def cancellation_fraction(*, booking, by_provider: bool, now: dt.datetime) -> Fraction:
    """What share of what the visitor paid cancelling ``booking`` now gives back."""
    if by_provider:
        return Fraction(1)
    return refund_fraction(policy=booking.cancellation_policy, starts_at=booking.starts_at, now=now)
