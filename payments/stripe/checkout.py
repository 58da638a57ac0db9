"""Stripe Checkout: the visitor pays an order on Stripe's page (DESIGN §6).

- An order is paid through one Checkout Session (:func:`checkout_session_for`), one line
  item per booking, ``transfer_group`` = the order's reference.
- When Stripe says it is paid (:func:`payment_sync`, from any ``checkout.session.*``
  event, re-fetched), the order is confirmed by the same service as every gateway
  (:func:`marketplace.orders.transitions.order_pay`), Stripe's fee is read from the charge's balance
  transaction and written to the ledger (:func:`payment_fee_post`), and the transfers are
  queued (:mod:`payments.stripe.transfers`).
- A session whose order's hold ended is closed (:func:`sessions_expire`, every minute).

What happens to the money afterwards (transfers, refunds, disputes) lives in the modules
beside this one; the order's life itself (confirm, release) is the order services'.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from commissions.engine import split_largest_remainder
from marketplace.books.ledger import CLEARING_ACCOUNT, PSP_FEES_ACCOUNT, ledger_post
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.models import Order, OrderStatus, StripeFeeBearer, TerritorySettings
from marketplace.orders.accounting import (
    commission_credits,
    confirmed_key,
    fee_recharge_key,
    vat_key,
)
from marketplace.orders.audit import WEBHOOK
from marketplace.orders.transitions import order_abandon, order_pay
from marketplace.web import public_url
from payments.models import StripePayment
from payments.stripe.client import QUEUED_AS, stripe_client, stripe_key, stripe_metadata
from payments.stripe.transfers import stripe_order_transfers

logger = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires in less than 30 minutes. A session lives
# this long after the order's hold ends (closed sooner by :func:`sessions_expire`), so that
# its parameters, and so its idempotency key, are the same on every try.
SESSION_AFTER_HOLD = dt.timedelta(minutes=31)


class StripeMismatch(Exception):
    """Stripe says something the ledger cannot take as it is (amount, currency, order)."""


def _absolute(request, url: str, *, order: Order) -> str:
    """``url`` where the visitor's browser reaches it: the request's own address, else
    the territory's public address (never a relative URL, which Stripe refuses)."""
    if request is not None:
        return request.build_absolute_uri(url)
    return public_url(url, site=order.site)


def _line_items(*, bookings, currency: str, language: str) -> list[dict]:
    """One line per booking (price and service fee), and its tourist tax on a line of its
    own when the platform collects it: the visitor sees it apart on Stripe's page too."""
    items = []
    for booking in bookings:
        items.append(
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": booking.visitor_total - booking.tax,
                    "product_data": {"name": f"{booking.offer.title} ({booking.reference})"},
                },
            }
        )
        if booking.tax:
            with translation.override(language or settings.LANGUAGE_CODE):
                name = _("Tourist tax (%(reference)s)") % {"reference": booking.reference}
            items.append(
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": booking.tax,
                        "product_data": {"name": name},
                    },
                }
            )
    return items


def _session_params(*, order: Order, request) -> dict:
    bookings = list(order.bookings.select_related("offer").order_by("pk"))
    currency = order.currency.lower()
    expires = order.hold_expires_at + SESSION_AFTER_HOLD
    order_url = reverse("order_detail", args=[order.reference])
    return {
        "mode": "payment",
        "line_items": _line_items(bookings=bookings, currency=currency, language=order.language),
        "client_reference_id": order.reference,
        "customer_email": order.email or None,
        "locale": "fr" if order.language.startswith("fr") else "en",
        "expires_at": int(expires.timestamp()),
        "metadata": {"order_id": str(order.pk), "order_reference": order.reference},
        "payment_intent_data": {
            "transfer_group": order.reference,
            "metadata": {"order_id": str(order.pk), "order_reference": order.reference},
        },
        "success_url": _absolute(request, f"{order_url}?paiement=ok", order=order),
        "cancel_url": _absolute(
            request, reverse("stripe_cancel", args=[order.reference]), order=order
        ),
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
        if order.status == OrderStatus.PENDING and order_abandon(order_id=order.pk, actor=WEBHOOK):
            return "released"
    return "unchanged"


def _payment_succeeded(*, payment: StripePayment, session) -> str:
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
        order_pay(order_id=order.pk, payment_ref=intent.id)
        payment_fee_post(payment=payment, balance_transaction_id=txn.id)
        payment_pk = payment.pk
        transaction.on_commit(lambda: stripe_order_transfers(payment_pk))
    return "paid"


def payment_fee_post(*, payment: StripePayment, balance_transaction_id: str = "") -> None:
    """Stripe's fee on the charge, in the ledger; idempotent.

    The fee leaves the platform's Stripe balance (``platform:clearing``) as an expense
    (``platform:psp_fees``). When the territory deducts it from the commission, each
    confirmed booking's share of it (by amount, largest remainder) is charged to the
    accounts its commission went to, in proportion, never more than that commission net
    of the VAT set aside from it (``tax:vat``: the State's, it bears no fee).
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
    territory = TerritorySettings.for_site(order.site)
    if territory.stripe_fee_bearer != StripeFeeBearer.COMMISSION:
        return
    bookings = [b for b in order.bookings.order_by("pk") if b.visitor_total > 0]
    if not bookings:
        return
    parts = split_largest_remainder(payment.fee, [b.visitor_total for b in bookings])
    for booking, part in zip(bookings, parts, strict=True):
        confirmed = LedgerTransaction.objects.filter(idempotency_key=confirmed_key(booking)).first()
        if confirmed is None or not part:
            continue
        # The commission net of the VAT set aside from it (owed to the State, it bears
        # no fee): what each commission account keeps of the booking.
        vat = dict(
            LedgerEntry.objects.filter(
                transaction__idempotency_key=vat_key(booking), amount__gt=0
            ).values_list("account", "amount")
        )
        commission = [
            (account, credited - vat.get(account, 0))
            for account, credited in commission_credits(confirmed)
            if credited > vat.get(account, 0)
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


@db_periodic_task(crontab(minute="*"), **QUEUED_AS)
def stripe_sessions_expire() -> int:
    """Every minute: close the Stripe payment pages of orders whose hold ended."""
    if not settings.STRIPE_SECRET_KEY:
        return 0
    return sessions_expire()
