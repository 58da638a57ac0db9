"""Stripe Connect transfers: what a paid order owes each connected account (DESIGN §6).

- :func:`order_transfers` sends each connected account what the ledger says the booking
  owes it (the provider's net, each beneficiary's share), with ``source_transaction`` =
  the charge and a deterministic idempotency key, **once the booking is payable**
  (``Booking.payable_on``: the service's start plus the territory's payout delay, issue
  13 §2). Until then nothing leaves, so a refund before that day takes nothing back from
  anybody. An account without a payout account keeps its balance; :func:`transfers_pending`
  pays it later (every 10 minutes: bookings whose day came, accounts connected since).
- Never more than the account's payable balance (:mod:`marketplace.payouts.payable`): what
  a bank payout run already paid is not paid again through Stripe.
- **Debts are netted** (:func:`debts_net`): what an account could not give back after a
  refund (a ``debt`` reversal) is taken from what its next bookings owe it, with a pair of
  ``adjustment`` transactions per settlement (the later booking gives, the indebted one
  receives), so each booking's balance in the ledger stays true.
- :func:`owed` and :func:`platform_cash` read the ledger: what a booking still owes an
  account, what the platform's Stripe balance should hold.

Every transfer is written first (``pending``, committed) with its key and amount, then
made; a retry reuses the row, so Stripe does it at most once. Refunds and the transfer
reversals that follow them are in :mod:`payments.stripe.refunds`, which sits above.
"""

from __future__ import annotations

import datetime as dt
import logging

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
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
from marketplace.payouts.payable import payable_balance
from payments.models import (
    ReversalStatus,
    StripeCallStatus,
    StripePayment,
    StripeReversal,
    StripeTransfer,
)
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


def local_today() -> dt.date:
    """The day bookings are compared with: the territory's local date. (The tests of
    transfer mechanics replace it to stand after every service.)"""
    return timezone.localdate()


# The transit account of debt settlements: each settlement's pair of transactions credits
# and debits it by the same amount, so it is always back at zero.
NETTING_ACCOUNT = "platform:netting"


def debts_net(*, booking: Booking, account: str, available: int) -> int:
    """Settle ``account``'s debts from what ``booking`` owes it (at most ``available``
    cents); returns what was settled.

    A debt is a booking whose transfer to ``account`` was partly reversed in the ledger
    after a refund but that Stripe could not take back (a ``debt`` reversal): the ledger
    shows the booking overpaid the account. Each settlement is two ``adjustment``
    transactions, ``debt:<debtor booking>:<account>:from:<booking>``: ``booking`` gives
    (its account's share goes down), the indebted booking receives (its overpayment goes
    to zero). A debt settled in full marks its reversals ``settled``.
    """
    if available <= 0:
        return 0
    debtors = (
        StripeReversal.objects.filter(status=ReversalStatus.DEBT, transfer__account=account)
        .exclude(transfer__booking=booking)
        .select_related("transfer__booking__order__site")
        .order_by("created_at", "pk")
    )
    settled = 0
    seen: set[int] = set()
    for reversal in debtors:
        debtor = reversal.transfer.booking
        if debtor.pk in seen:
            continue
        seen.add(debtor.pk)
        overpaid = -owed(booking=debtor, account=account)
        amount = min(overpaid, available - settled)
        if amount > 0:
            key = f"debt:{debtor.reference}:{account}:from:{booking.reference}"
            site, currency = debtor.order.site, debtor.order.currency
            memo = f"{debtor.reference} <- {booking.reference}"
            ledger_post(
                site=site,
                kind=TransactionKind.ADJUSTMENT,
                idempotency_key=f"{key}:give",
                entries=[(account, amount), (NETTING_ACCOUNT, -amount)],
                currency=currency,
                memo=memo,
                order_ref=booking.order.reference,
                booking_ref=booking.reference,
            )
            ledger_post(
                site=site,
                kind=TransactionKind.ADJUSTMENT,
                idempotency_key=f"{key}:receive",
                entries=[(account, -amount), (NETTING_ACCOUNT, amount)],
                currency=currency,
                memo=memo,
                order_ref=debtor.order.reference,
                booking_ref=debtor.reference,
            )
            settled += amount
            overpaid -= amount
        if overpaid <= 0:
            StripeReversal.objects.filter(
                status=ReversalStatus.DEBT, transfer__account=account, transfer__booking=debtor
            ).update(status=ReversalStatus.SETTLED)
        if settled >= available:
            break
    return settled


def _transferable(order: Order, account: str, today: dt.date, reserved: dict) -> int:
    """The most Stripe may send ``account`` now: its payable balance (so never what a bank
    payout run already paid), less the transfers made but not yet in the ledger
    (``reserved``), plus the reversals on their way back (the ledger counts them taken
    back already: not a debt)."""
    payable = payable_balance(site=order.site, account=account, on=today).payable
    returning = StripeReversal.objects.filter(
        status=ReversalStatus.PENDING, transfer__account=account
    ).aggregate(total=Sum("amount"))["total"]
    return payable - reserved.get(account, 0) + (returning or 0)


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


def order_transfers(*, payment_id: int, today: dt.date | None = None) -> bool:
    """Send every connected account what this order's payable bookings owe it; True when
    all is done.

    A booking whose ``payable_on`` is after ``today`` (the local date by default) waits.
    Idempotent: a (booking, account) pair is transferred once, with the key
    ``transfer:booking:<id>:<account>``. A transient failure raises (the huey task retries
    with the same row, key and amount); a refusal is recorded on the row and retried by
    :func:`transfers_pending` with a new key, since Stripe moved nothing.
    """
    today = today or local_today()
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
        # Per account, what rows made but not yet in the ledger give it.
        reserved: dict[str, int] = {
            row["account"]: row["total"]
            for row in StripeTransfer.objects.filter(
                status=StripeCallStatus.PENDING, payment__order__site=order.site
            )
            .values("account")
            .annotate(total=Sum("amount"))
        }
        for booking in order.bookings.order_by("pk"):
            made = {t.account: t for t in booking.stripe_transfers.all()}
            not_yet = booking.payable_on is not None and booking.payable_on > today
            for account in _payee_accounts(booking):
                row = made.get(account)
                if row is not None and row.status == StripeCallStatus.PENDING:
                    to_run.append(row.pk)  # in flight: retried with its own key and amount
                if row is not None and row.status != StripeCallStatus.FAILED:
                    continue
                if not_yet:
                    waiting = True  # paid after the service: transfers_pending, that day
                    continue
                amount = owed(booking=booking, account=account)
                if account in destinations:
                    amount -= debts_net(booking=booking, account=account, available=amount)
                    amount = min(amount, _transferable(order, account, today, reserved))
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
                reserved[account] = reserved.get(account, 0) + amount
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


def transfers_pending(*, today: dt.date | None = None) -> int:
    """Pay what paid orders still owe: bookings whose payable day came, accounts connected
    since, refused transfers. Orders none of whose bookings is payable yet are not looked
    at."""
    today = today or local_today()
    count = 0
    payable_now = Booking.objects.filter(
        Q(payable_on__isnull=True) | Q(payable_on__lte=today)
    ).values("order_id")
    for payment_id in (
        StripePayment.objects.filter(
            transfers_done=False,
            order__status__in=(OrderStatus.PAID, OrderStatus.REFUNDED),
            order_id__in=payable_now,
        )
        .exclude(charge_id="")
        .values_list("pk", flat=True)
    ):
        try:
            if order_transfers(payment_id=payment_id, today=today):
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
    """Every 10 minutes: pay what paid orders owe now (bookings whose payable day came,
    payout accounts connected since)."""
    if not settings.STRIPE_SECRET_KEY:
        return 0
    return transfers_pending()


def platform_cash(*, site) -> int:
    """What the ledger says the platform's Stripe balance holds (cents)."""
    total = LedgerEntry.objects.filter(
        transaction__site=site, account__in=(VISITOR_ACCOUNT, CLEARING_ACCOUNT)
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0
