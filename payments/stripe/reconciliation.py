"""Daily reconciliation: the ledger against Stripe's balance transactions of a day.

Every movement of the platform's Stripe balance on the day is matched with what Comptoir
recorded of it:

- a charge with the order's :class:`~payments.models.StripePayment` (amount) and the
  ledger's fee transaction (``order:<pk>:psp_fee``, and anything else posted under the
  balance transaction's id);
- a transfer, a transfer reversal, a dispute's withdrawal or reinstatement with the
  ledger transactions carrying its Stripe id: what they moved on ``platform:clearing``
  must be the balance transaction's net;
- a refund with the :class:`~payments.models.StripeRefund` Comptoir asked for.

A Stripe movement the ledger does not know, and a ledger transaction of the day whose
Stripe id Stripe does not know, are differences too. Payouts (the platform's balance to
its own bank) are not in the ledger and are skipped.

Differences are stored as :class:`~payments.models.ReconciliationDifference` rows, one per
(territory, day, kind, Stripe id, reference): running a day again updates them, adds the
new ones and removes those that no longer hold, never duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task
from wagtail.models import Site

from marketplace.books.ledger import CLEARING_ACCOUNT
from marketplace.books.models import LedgerEntry, LedgerTransaction
from payments.models import ReconciliationDifference, StripePayment, StripeRefund, StripeTransfer
from payments.stripe.client import QUEUED_AS, stripe_client, stripe_id

logger = logging.getLogger(__name__)

DIFFERENCE_KINDS = {
    "charge_unknown": _("Charge unknown to Comptoir"),
    "charge_amount": _("Charge amount differs"),
    "fee": _("Stripe fee differs"),
    "transfer_unknown": _("Transfer missing from the ledger"),
    "transfer_amount": _("Transfer amount differs"),
    "reversal_unknown": _("Transfer reversal missing from the ledger"),
    "reversal_amount": _("Transfer reversal amount differs"),
    "refund_unknown": _("Refund not made by Comptoir"),
    "refund_amount": _("Refund amount differs"),
    "refund_failed": _("Refund failed: money back on the balance"),
    "dispute_unknown": _("Dispute movement missing from the ledger"),
    "dispute_amount": _("Dispute movement differs"),
    "stripe_unknown": _("Stripe movement unknown to the ledger"),
    "ledger_unknown": _("Ledger transaction unknown to Stripe"),
}

# Money between the platform's balance and its own bank: not in the ledger.
SKIPPED_TYPES = frozenset({"payout", "payout_cancel", "payout_failure"})


@dataclass(frozen=True)
class Difference:
    site_id: int | None
    kind: str
    stripe_id: str = ""
    reference: str = ""
    ledger_amount: int | None = None
    stripe_amount: int | None = None
    note: str = ""

    @property
    def key(self) -> tuple:
        return (self.site_id, self.kind, self.stripe_id, self.reference)


@dataclass
class ReconciliationSummary:
    day: dt.date
    checked: int = 0
    skipped: int = 0
    new: int = 0
    resolved: int = 0
    by_kind: Counter = field(default_factory=Counter)

    @property
    def differences(self) -> int:
        return sum(self.by_kind.values())

    def __str__(self) -> str:
        kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(self.by_kind.items()))
        return (
            f"{self.day.isoformat()}: {self.checked} Stripe movements checked, "
            f"{self.skipped} skipped (payouts), {self.differences} differences"
            f"{f' ({kinds})' if kinds else ''}, {self.new} new, {self.resolved} resolved"
        )


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The day's start and the next day's start, in the project's time zone."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    return start, end


def _ledger(condition: Q) -> tuple[int | None, int | None]:
    """(site id, sum on ``platform:clearing``) of the ledger transactions matching
    ``condition``; ``(None, None)`` when there is none."""
    rows = list(LedgerTransaction.objects.filter(condition).values_list("pk", "site_id"))
    if not rows:
        return None, None
    total = LedgerEntry.objects.filter(
        transaction_id__in=[pk for pk, _site in rows], account=CLEARING_ACCOUNT
    ).aggregate(total=Sum("amount"))["total"]
    return rows[0][1], total or 0


class _Checker:
    """Matches one day's balance transactions with Comptoir's records."""

    def __init__(self, *, default_site_id: int | None):
        self.default_site_id = default_site_id
        self.found: dict[tuple, Difference] = {}

    def add(self, site_id, kind, **fields) -> None:
        diff = Difference(site_id=site_id or self.default_site_id, kind=kind, **fields)
        self.found.setdefault(diff.key, diff)

    def check(self, txn) -> None:
        method = {
            "charge": self.charge,
            "payment": self.charge,
            "transfer": self.transfer,
            "transfer_refund": self.reversal,
            "transfer_reversal": self.reversal,
            "refund": self.refund,
            "refund_failure": self.refund_failure,
            "adjustment": self.adjustment,
        }.get(txn.type, self.other)
        method(txn, stripe_id(txn.source))

    def charge(self, txn, source: str) -> None:
        payment = (
            StripePayment.objects.select_related("order").filter(charge_id=source).first()
            if source
            else None
        )
        if payment is None:
            self.add(
                None,
                "charge_unknown",
                stripe_id=source or txn.id,
                stripe_amount=txn.amount,
                note=f"balance transaction {txn.id}",
            )
            return
        order = payment.order
        if payment.amount != txn.amount:
            self.add(
                order.site_id,
                "charge_amount",
                stripe_id=source,
                reference=order.reference,
                ledger_amount=payment.amount,
                stripe_amount=txn.amount,
            )
        _site, clearing = _ledger(
            Q(external_ref=txn.id) | Q(idempotency_key=f"order:{order.pk}:psp_fee")
        )
        ledger_fee = -(clearing or 0)
        if ledger_fee != txn.fee:
            self.add(
                order.site_id,
                "fee",
                stripe_id=txn.id,
                reference=order.reference,
                ledger_amount=ledger_fee,
                stripe_amount=txn.fee,
                note=f"charge {source}",
            )

    def _by_ledger_ref(self, txn, source: str, *, unknown: str, differs: str, site_id=None):
        tx_site, clearing = _ledger(Q(external_ref=source))
        if clearing is None:
            self.add(site_id, unknown, stripe_id=source, stripe_amount=txn.net)
        elif clearing != txn.net:
            self.add(
                tx_site,
                differs,
                stripe_id=source,
                ledger_amount=clearing,
                stripe_amount=txn.net,
                note="movement of the platform's balance",
            )

    def transfer(self, txn, source: str) -> None:
        row = StripeTransfer.objects.filter(transfer_id=source).select_related("payment__order")
        row = row.first()
        self._by_ledger_ref(
            txn,
            source,
            unknown="transfer_unknown",
            differs="transfer_amount",
            site_id=row.payment.order.site_id if row else None,
        )

    def reversal(self, txn, source: str) -> None:
        self._by_ledger_ref(txn, source, unknown="reversal_unknown", differs="reversal_amount")

    def refund(self, txn, source: str) -> None:
        row = StripeRefund.objects.filter(refund_id=source).select_related("payment__order")
        row = row.first()
        if row is None:
            self.add(None, "refund_unknown", stripe_id=source, stripe_amount=-txn.amount)
        elif row.amount != -txn.amount:
            self.add(
                row.payment.order.site_id,
                "refund_amount",
                stripe_id=source,
                reference=row.payment.order.reference,
                ledger_amount=row.amount,
                stripe_amount=-txn.amount,
            )

    def refund_failure(self, txn, source: str) -> None:
        row = StripeRefund.objects.filter(refund_id=source).select_related("payment__order")
        row = row.first()
        self.add(
            row.payment.order.site_id if row else None,
            "refund_failed",
            stripe_id=source,
            reference=row.payment.order.reference if row else "",
            stripe_amount=txn.amount,
            note="the visitor was not refunded; the ledger counts the refund as paid",
        )

    def adjustment(self, txn, source: str) -> None:
        if not source.startswith("dp_"):
            self.other(txn, source)
            return
        payment = StripePayment.objects.filter(dispute_id=source).select_related("order")
        payment = payment.first()
        tx_site, clearing = _ledger(Q(external_ref=txn.id))
        site_id = tx_site or (payment.order.site_id if payment else None)
        reference = payment.order.reference if payment else ""
        if clearing is None:
            self.add(
                site_id,
                "dispute_unknown",
                stripe_id=txn.id,
                reference=reference,
                stripe_amount=txn.net,
                note=f"dispute {source}",
            )
        elif clearing != txn.net:
            self.add(
                site_id,
                "dispute_amount",
                stripe_id=txn.id,
                reference=reference,
                ledger_amount=clearing,
                stripe_amount=txn.net,
                note=f"dispute {source}",
            )

    def other(self, txn, source: str) -> None:
        _site, clearing = _ledger(Q(external_ref=txn.id) | Q(external_ref=source or txn.id))
        if clearing is None:
            self.add(
                None,
                "stripe_unknown",
                stripe_id=txn.id,
                stripe_amount=txn.net,
                note=f"{txn.type} {source}".strip(),
            )


def _known_at_stripe(client, ref: str) -> bool:
    """Whether Stripe has a balance transaction with this id, or for this object."""
    try:
        if ref.startswith("txn_"):
            client.v1.balance_transactions.retrieve(ref)
            return True
        found = client.v1.balance_transactions.list(params={"source": ref, "limit": 1})
        return bool(found.data)
    except stripe.InvalidRequestError:
        return False


def reconcile_day(*, day: dt.date) -> ReconciliationSummary:
    """Compare the ledger with Stripe's balance transactions of ``day``; store and return
    the differences (see the module doc). Running a day again is safe."""
    start, end = day_bounds(day)
    since, until = int(start.timestamp()), int(end.timestamp())
    client = stripe_client()
    default_site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    checker = _Checker(default_site_id=default_site.pk if default_site else None)
    summary = ReconciliationSummary(day=day)
    seen: set[str] = set()
    listing = client.v1.balance_transactions.list(
        params={"created": {"gte": since, "lt": until}, "limit": 100}
    )
    for txn in listing.auto_paging_iter():
        if not since <= txn.created < until:
            continue
        seen.add(txn.id)
        if stripe_id(txn.source):
            seen.add(stripe_id(txn.source))
        if txn.type in SKIPPED_TYPES:
            summary.skipped += 1
            continue
        summary.checked += 1
        checker.check(txn)

    for tx in (
        LedgerTransaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .exclude(external_ref="")
        .order_by("pk")
    ):
        if tx.external_ref in seen or _known_at_stripe(client, tx.external_ref):
            continue
        _site, clearing = _ledger(Q(pk=tx.pk))
        checker.add(
            tx.site_id,
            "ledger_unknown",
            stripe_id=tx.external_ref,
            reference=tx.idempotency_key,
            ledger_amount=clearing,
            note=tx.memo,
        )

    _store(day=day, found=checker.found, summary=summary)
    logger.info("Stripe reconciliation %s", summary)
    return summary


def _store(*, day: dt.date, found: dict[tuple, Difference], summary: ReconciliationSummary):
    with transaction.atomic():
        existing = {
            (row.site_id, row.kind, row.stripe_id, row.reference): row
            for row in ReconciliationDifference.objects.select_for_update().filter(day=day)
        }
        for key, diff in found.items():
            if diff.site_id is None:
                continue  # no territory at all: nothing to show it in
            summary.by_kind[diff.kind] += 1
            values = {
                "ledger_amount": diff.ledger_amount,
                "stripe_amount": diff.stripe_amount,
                "note": diff.note[:500],
            }
            row = existing.pop(key, None)
            if row is None:
                ReconciliationDifference.objects.create(
                    site_id=diff.site_id,
                    day=day,
                    kind=diff.kind,
                    stripe_id=diff.stripe_id,
                    reference=diff.reference,
                    **values,
                )
                summary.new += 1
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                row.save(update_fields=list(values))
        # What no longer differs (fixed since the last run) is no longer listed.
        if existing:
            ReconciliationDifference.objects.filter(
                pk__in=[row.pk for row in existing.values()]
            ).delete()
            summary.resolved = len(existing)


def reconcile_yesterday() -> ReconciliationSummary:
    """The daily run: yesterday, in the project's time zone, once its day is over."""
    return reconcile_day(day=timezone.localdate() - dt.timedelta(days=1))


@db_periodic_task(crontab(hour="4", minute="30"), **QUEUED_AS)
def stripe_reconcile_daily() -> str:
    """Every night: compare yesterday's ledger with Stripe's balance transactions."""
    if not settings.STRIPE_SECRET_KEY:
        return "Stripe is not configured"
    return str(reconcile_yesterday())
