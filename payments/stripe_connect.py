"""Stripe Connect money flow: separate charges and transfers (DESIGN §6).

- An order is paid through one Checkout Session (:func:`checkout_session_for`), one line
  item per booking, ``transfer_group`` = the order's reference.
- When Stripe says it is paid (:func:`payment_sync`, from any ``checkout.session.*``
  event, re-fetched), the order is confirmed by the same service as every gateway
  (:func:`payments.services.order_paid`), Stripe's fee is read from the charge's balance
  transaction and written to the ledger (:func:`payment_fee_post`), and the transfers are
  queued.
- :func:`order_transfers` sends each connected account what the ledger says the booking
  owes it (the provider's net, each beneficiary's share), with ``source_transaction`` =
  the charge and a deterministic idempotency key. An account without a payout account
  keeps its balance; :func:`transfers_pending` pays it later.
- Refunds and transfer reversals are in :mod:`payments.stripe_refunds`.

Every call that moves money is written first (``pending``, committed) with its key and
amount, then made; a retry reuses the row, so Stripe does it at most once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

import stripe
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse

from commissions.engine import split_largest_remainder
from commissions.selectors import beneficiary_payout_accounts
from marketplace.books.ledger import (
    CLEARING_ACCOUNT,
    PSP_FEES_ACCOUNT,
    VISITOR_ACCOUNT,
    ledger_post,
    provider_account,
)
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.models import Booking, Order, OrderStatus, StripeFeeBearer, TerritorySettings
from payments.models import StripeCallStatus, StripePayment, StripeTransfer
from payments.stripe_client import is_transient, stripe_client, stripe_key, stripe_metadata

logger = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires in less than 30 minutes. A session lives
# this long after the order's hold ends (closed sooner by :func:`sessions_expire`), so that
# its parameters, and so its idempotency key, are the same on every try.
SESSION_AFTER_HOLD = dt.timedelta(minutes=31)


# Dispute statuses after which the charge's money is the platform's again.
DISPUTE_SETTLED = frozenset({"won", "warning_closed", "prevented"})


class StripeMismatch(Exception):
    """Stripe says something the ledger cannot take as it is (amount, currency, order)."""


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def _session_params(*, order: Order, request) -> dict:
    bookings = list(order.bookings.select_related("offer").order_by("pk"))
    currency = order.currency.lower()
    expires = order.hold_expires_at + SESSION_AFTER_HOLD
    order_url = reverse("order_detail", args=[order.reference])
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": booking.visitor_total,
                    "product_data": {"name": f"{booking.offer.title} ({booking.reference})"},
                },
            }
            for booking in bookings
        ],
        "client_reference_id": order.reference,
        "customer_email": order.email or None,
        "locale": "fr" if order.language.startswith("fr") else "en",
        "expires_at": int(expires.timestamp()),
        "metadata": {"order_id": str(order.pk), "order_reference": order.reference},
        "payment_intent_data": {
            "transfer_group": order.reference,
            "metadata": {"order_id": str(order.pk), "order_reference": order.reference},
        },
        "success_url": _absolute(request, f"{order_url}?paiement=ok"),
        "cancel_url": _absolute(request, reverse("stripe_cancel", args=[order.reference])),
    }


def checkout_session_for(*, order: Order, request=None) -> StripePayment:
    """The order's Checkout Session, created once (a second call returns the same one).

    The key is the order's and its parameters', so a retry after a lost answer gets the
    same session back; a retry from another address (other return URLs) gets a new one,
    the lost one never having been shown to anybody.
    """
    existing = StripePayment.objects.filter(order=order).first()
    if existing is not None:
        return existing
    params = _session_params(order=order, request=request)
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    session = stripe_client().v1.checkout.sessions.create(
        params=params,
        options=stripe_key(f"order:{order.pk}:checkout_session:{digest}"),
    )
    return _payment_record(order=order, session=session)


def _payment_record(*, order: Order, session) -> StripePayment:
    try:
        with transaction.atomic():
            return StripePayment.objects.create(
                order=order,
                session_id=session.id,
                session_url=session.url or "",
                session_expires_at=dt.datetime.fromtimestamp(session.expires_at, tz=dt.UTC),
                amount=session.amount_total or 0,
            )
    except IntegrityError:
        return StripePayment.objects.get(order=order)


# --- Payment ------------------------------------------------------------------------------


def payment_sync(*, session_id: str) -> str:
    """Bring the order in line with its Checkout Session as Stripe has it now.

    Any ``checkout.session.*`` event calls this with the session's id: the session is
    re-fetched, so events that come twice or out of order all end in the same state.
    Returns what was done: ``paid``, ``released``, ``unchanged``.
    """
    client = stripe_client()
    session = client.v1.checkout.sessions.retrieve(
        session_id, params={"expand": ["payment_intent.latest_charge.balance_transaction"]}
    )
    order_id = int(stripe_metadata(session).get("order_id") or 0)
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise StripeMismatch(f"Checkout Session {session_id} names no known order ({order_id}).")
    payment = StripePayment.objects.filter(session_id=session_id).first()
    if payment is None:
        payment = _payment_record(order=order, session=session)
        if payment.session_id != session_id:
            raise StripeMismatch(f"order {order.reference} has another session than {session_id}")
    if session.status != "open" and payment.session_open:
        StripePayment.objects.filter(pk=payment.pk).update(session_open=False)
    if session.payment_status == "paid":
        return _payment_succeeded(payment=payment, session=session)
    intent = session.payment_intent
    failed = session.status == "complete" and getattr(intent, "status", "") in (
        "requires_payment_method",
        "canceled",
    )
    if session.status == "expired" or failed:
        from payments.services import order_abandon

        if order.status == OrderStatus.PENDING and order_abandon(order_id=order.pk):
            return "released"
    return "unchanged"


def _payment_succeeded(*, payment: StripePayment, session) -> str:
    from payments.services import order_paid

    intent = session.payment_intent
    charge = intent.latest_charge
    txn = charge.balance_transaction
    order = payment.order
    expected = sum(b.visitor_total for b in order.bookings.all())
    if charge.amount != expected or charge.currency != order.currency.lower():
        raise StripeMismatch(
            f"order {order.reference}: Stripe charged {charge.amount} {charge.currency}, "
            f"the order is {expected} {order.currency}"
        )
    with transaction.atomic():
        payment = StripePayment.objects.select_for_update().get(pk=payment.pk)
        if not payment.charge_id:
            payment.payment_intent_id = intent.id
            payment.charge_id = charge.id
            payment.amount = charge.amount
            payment.fee = txn.fee
            payment.save(update_fields=["payment_intent_id", "charge_id", "amount", "fee"])
        order_paid(order_id=order.pk, payment_ref=intent.id)
        payment_fee_post(payment=payment, balance_transaction_id=txn.id)
        payment_pk = payment.pk
        transaction.on_commit(lambda: _queue_transfers(payment_pk))
    return "paid"


def _queue_transfers(payment_pk: int) -> None:
    from payments.tasks import stripe_order_transfers

    stripe_order_transfers(payment_pk)


def payment_fee_post(*, payment: StripePayment, balance_transaction_id: str = "") -> None:
    """Stripe's fee on the charge, in the ledger; idempotent.

    The fee leaves the platform's Stripe balance (``platform:clearing``) as an expense
    (``platform:psp_fees``). When the territory deducts it from the commission, each
    confirmed booking's share of it (by amount, largest remainder) is charged to the
    accounts its commission went to, in proportion, never more than that commission.
    """
    order = payment.order
    if not payment.fee:
        return
    ledger_post(
        site=order.site,
        kind=TransactionKind.FEE,
        idempotency_key=f"order:{order.pk}:psp_fee",
        entries=[(PSP_FEES_ACCOUNT, payment.fee), (CLEARING_ACCOUNT, -payment.fee)],
        currency=order.currency,
        memo=f"{order.reference} Stripe",
        order_ref=order.reference,
        external_ref=balance_transaction_id or payment.charge_id,
    )
    settings = TerritorySettings.for_site(order.site)
    if settings.stripe_fee_bearer != StripeFeeBearer.COMMISSION:
        return
    from payments.services import confirmed_key, fee_recharge_key

    bookings = [b for b in order.bookings.order_by("pk") if b.visitor_total > 0]
    if not bookings:
        return
    parts = split_largest_remainder(payment.fee, [b.visitor_total for b in bookings])
    for booking, part in zip(bookings, parts, strict=True):
        confirmed = LedgerTransaction.objects.filter(idempotency_key=confirmed_key(booking)).first()
        if confirmed is None or not part:
            continue
        commission = [
            (entry.account, -entry.amount)
            for entry in confirmed.entries.order_by("account")
            if entry.amount < 0 and entry.account.startswith(("beneficiary:", "platform:"))
        ]
        total = sum(amount for _, amount in commission)
        if total <= 0:
            continue
        part = min(part, total)
        shares = split_largest_remainder(part, [amount for _, amount in commission])
        accounts = [account for account, _ in commission]
        entries = [(a, share) for a, share in zip(accounts, shares, strict=True) if share]
        entries.append((PSP_FEES_ACCOUNT, -part))
        ledger_post(
            site=order.site,
            kind=TransactionKind.ADJUSTMENT,
            idempotency_key=fee_recharge_key(booking),
            entries=entries,
            currency=order.currency,
            memo=f"{order.reference} {booking.reference} Stripe fee from commission",
            order_ref=order.reference,
            booking_ref=booking.reference,
        )


def sessions_expire() -> int:
    """Close the payment pages of orders whose hold ended, so nobody pays for them.

    Stripe keeps a session open 30 minutes at least, longer than a hold may last; a
    payment made before this runs goes through the late-payment path.
    """
    count = 0
    client = stripe_client()
    for payment in StripePayment.objects.filter(session_open=True, charge_id="").exclude(
        order__status=OrderStatus.PENDING
    ):
        try:
            client.v1.checkout.sessions.expire(payment.session_id)
        except stripe.InvalidRequestError:
            pass  # no longer open: paid or expired meanwhile, its event tells which
        StripePayment.objects.filter(pk=payment.pk).update(session_open=False)
        count += 1
    return count


# --- Transfers ----------------------------------------------------------------------------


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
    from payments.services import confirmed_key

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


def refusal_message(error: stripe.StripeError) -> str:
    return f"{getattr(error, 'code', '') or ''} {error.user_message or error}".strip()


def platform_cash(*, site) -> int:
    """What the ledger says the platform's Stripe balance holds (cents)."""
    total = LedgerEntry.objects.filter(
        transaction__site=site, account__in=(VISITOR_ACCOUNT, CLEARING_ACCOUNT)
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0
