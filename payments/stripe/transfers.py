"""Stripe Connect transfers: what a paid order owes each connected account (DESIGN §6).

- :func:`order_transfers` sends each connected account what the ledger says the booking
  owes it (the provider's net, each beneficiary's share), with ``source_transaction`` =
  the charge and a deterministic idempotency key. An account without a payout account
  keeps its balance; :func:`transfers_pending` pays it later (every 10 minutes, and when
  a provider's payouts become enabled).
- :func:`owed` and :func:`platform_cash` read the ledger: what a booking still owes an
  account, what the platform's Stripe balance should hold.

Every transfer is written first (``pending``, committed) with its key and amount, then
made; a retry reuses the row, so Stripe does it at most once. Refunds and the transfer
reversals that follow them are in :mod:`payments.stripe.refunds`, which sits above.
"""

from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from commissions.selectors import beneficiary_payout_accounts
from marketplace.books.ledger import (
    CLEARING_ACCOUNT,
    VISITOR_ACCOUNT,
    ledger_post,
    provider_account,
)
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.models import Booking, Order, OrderStatus
from marketplace.orders.accounting import confirmed_key
from payments.models import StripeCallStatus, StripePayment, StripeTransfer
from payments.stripe.client import (
    QUEUED_AS,
    RETRIED_AS_STRIPE_TASK,
    is_transient,
    refusal_message,
    stripe_client,
    stripe_key,
)

logger = logging.getLogger(__name__)

# Dispute statuses after which the charge's money is the platform's again.
DISPUTE_SETTLED = frozenset({"won", "warning_closed", "prevented"})


def owed(*, booking: Booking, account: str) -> int:
    """What the ledger says the platform still owes ``account`` for ``booking`` (cents)."""
    total = LedgerEntry.objects.filter(
        transaction__booking_ref=booking.reference, account=account
    ).aggregate(total=Sum("amount"))["total"]
    return -(total or 0)


def _destinations(order: Order) -> dict[str, str]:
    """Ledger account -> connected account able to receive transfers, for this order."""
    found: dict[str, str] = {}
    for booking in order.bookings.select_related("provider"):
        provider = booking.provider
        if provider.stripe_account_id and provider.payouts_enabled:
            found[provider_account(provider.pk)] = provider.stripe_account_id
    # Approved destinations only: a beneficiary's row holds its live values.
    for key, account in beneficiary_payout_accounts(site_id=order.site_id).items():
        found[f"beneficiary:{key}"] = account
    return found


def _payee_accounts(booking: Booking) -> list[str]:
    """The accounts a booking may owe money to through Stripe: its provider, beneficiaries."""
    accounts = [provider_account(booking.provider_id)]
    confirmed = LedgerTransaction.objects.filter(idempotency_key=confirmed_key(booking)).first()
    if confirmed is not None:
        accounts += sorted(
            entry.account
            for entry in confirmed.entries.all()
            if entry.account.startswith("beneficiary:")
        )
    return accounts


def order_transfers(*, payment_id: int) -> bool:
    """Send every connected account what this order's bookings owe it; True when all done.

    Idempotent: a (booking, account) pair is transferred once, with the key
    ``transfer:booking:<id>:<account>``. A transient failure raises (the huey task retries
    with the same row, key and amount); a refusal is recorded on the row and retried by
    :func:`transfers_pending` with a new key, since Stripe moved nothing.
    """
    with transaction.atomic():
        payment = (
            StripePayment.objects.select_for_update()
            .select_related("order__site")
            .get(pk=payment_id)
        )
        if not payment.charge_id or payment.transfers_done:
            return payment.transfers_done
        if payment.dispute_id and payment.dispute_status not in DISPUTE_SETTLED:
            return False  # the cardholder may take the money back: nothing leaves meanwhile
        order = payment.order
        if order.status not in (OrderStatus.PAID, OrderStatus.REFUNDED):
            return False
        destinations = _destinations(order)
        waiting = False
        to_run: list[int] = []
        for booking in order.bookings.order_by("pk"):
            made = {t.account: t for t in booking.stripe_transfers.all()}
            for account in _payee_accounts(booking):
                row = made.get(account)
                if row is not None and row.status == StripeCallStatus.PENDING:
                    to_run.append(row.pk)  # in flight: retried with its own key and amount
                if row is not None and row.status != StripeCallStatus.FAILED:
                    continue
                amount = owed(booking=booking, account=account)
                if amount <= 0:
                    if row is not None:
                        # Refused before, nothing moved, and nothing is owed any more.
                        row.status = StripeCallStatus.CANCELLED
                        row.save(update_fields=["status"])
                    continue
                if account not in destinations:
                    waiting = True
                    continue
                if row is not None:
                    # Refused before, nothing moved: retried for what is owed now, where
                    # the account is paid now, under a new key, frozen until answered.
                    row.amount, row.destination = amount, destinations[account]
                    row.attempts += 1
                    row.status = StripeCallStatus.PENDING
                    row.save(update_fields=["amount", "destination", "attempts", "status"])
                else:
                    row = StripeTransfer.objects.create(
                        payment=payment,
                        booking=booking,
                        account=account,
                        destination=destinations[account],
                        amount=amount,
                        idempotency_key=f"transfer:booking:{booking.pk}:{account}",
                    )
                to_run.append(row.pk)
    rows = list(
        StripeTransfer.objects.filter(pk__in=to_run).select_related(
            "booking", "payment__order__site"
        )
    )
    for row in rows:
        _transfer_execute(row)
    all_done = not waiting and all(r.status == StripeCallStatus.DONE for r in rows)
    if all_done:
        StripePayment.objects.filter(pk=payment_id).update(transfers_done=True)
    return all_done


def _retry_key(key: str, attempt: int) -> str:
    return key if attempt == 0 else f"{key}:retry{attempt}"


def _transfer_execute(row: StripeTransfer) -> None:
    payment, order = row.payment, row.payment.order
    key = _retry_key(row.idempotency_key, row.attempts)
    try:
        transfer = stripe_client().v1.transfers.create(
            params={
                "amount": row.amount,
                "currency": order.currency.lower(),
                "destination": row.destination,
                "source_transaction": payment.charge_id,
                "transfer_group": order.reference,
                "metadata": {
                    "order_reference": order.reference,
                    "booking_reference": row.booking.reference,
                    "ledger_account": row.account,
                },
            },
            options=stripe_key(key),
        )
    except stripe.StripeError as error:
        if is_transient(error):
            raise
        logger.warning("Stripe refused transfer %s: %s", row.idempotency_key, error)
        message = refusal_message(error)
        row.error = f"{row.error}\n---\n{message}" if row.error else message
        row.status = StripeCallStatus.FAILED
        row.save(update_fields=["error", "status"])
        return
    with transaction.atomic():
        row.status = StripeCallStatus.DONE
        row.transfer_id = transfer.id
        row.save(update_fields=["status", "transfer_id"])
        ledger_post(
            site=order.site,
            kind=TransactionKind.TRANSFER,
            idempotency_key=f"stripe:transfer:{row.pk}",
            entries=[(row.account, row.amount), (CLEARING_ACCOUNT, -row.amount)],
            currency=order.currency,
            memo=f"{order.reference} {row.booking.reference} -> {row.destination}",
            order_ref=order.reference,
            booking_ref=row.booking.reference,
            external_ref=transfer.id,
        )


def transfers_pending() -> int:
    """Pay what paid orders still owe (accounts connected since, refused transfers)."""
    count = 0
    for payment_id in (
        StripePayment.objects.filter(
            transfers_done=False, order__status__in=(OrderStatus.PAID, OrderStatus.REFUNDED)
        )
        .exclude(charge_id="")
        .values_list("pk", flat=True)
    ):
        try:
            if order_transfers(payment_id=payment_id):
                count += 1
        except stripe.StripeError:
            logger.exception("transfers of Stripe payment %s failed; retried next run", payment_id)
    return count


@db_task(**RETRIED_AS_STRIPE_TASK)
def stripe_order_transfers(payment_id: int) -> bool:
    """Transfer to providers and beneficiaries what a paid order owes them."""
    return order_transfers(payment_id=payment_id)


@db_periodic_task(crontab(minute="*/10"), **QUEUED_AS)
def stripe_transfers_pending() -> int:
    """Every 10 minutes: pay what paid orders still owe (payout accounts connected since)."""
    if not settings.STRIPE_SECRET_KEY:
        return 0
    return transfers_pending()


def platform_cash(*, site) -> int:
    """What the ledger says the platform's Stripe balance holds (cents)."""
    total = LedgerEntry.objects.filter(
        transaction__site=site, account__in=(VISITOR_ACCOUNT, CLEARING_ACCOUNT)
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0
