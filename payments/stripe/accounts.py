"""Providers' payout accounts (Stripe Connect, Express-style) and their events.

- A provider's member connects a payout account from the admin
  (:func:`provider_account_link`): the connected account is created once, with
  ``controller`` (Express dashboard, the platform pays Stripe's fees and bears the
  losses) and the ``transfers`` capability, then Stripe's hosted onboarding is reached
  through an account link.
- Whether Stripe may pay the provider is read from Stripe, never from a payload
  (:func:`provider_account_sync`): on the way back from onboarding and on every
  ``account.updated``. When payouts become enabled, what paid orders owe the provider is
  transferred after commit (:func:`payments.stripe.transfers.transfers_pending`).
- ``payout.failed``: the money did not reach the provider's bank. It is recorded on the
  provider (shown on its payout account page) and told to finance and to the provider; a
  later ``payout.paid`` clears it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from huey.contrib.djhuey import db_task

from commissions.money import format_cents
from marketplace.models import Provider
from marketplace.web import public_url
from payments.models import StripeEvent
from payments.stripe.client import stripe_client, stripe_key
from payments.stripe.notify import finance_notify
from payments.stripe.transfers import stripe_transfers_pending
from payments.stripe.webhooks import handles

logger = logging.getLogger(__name__)

# Express-style: Stripe hosts onboarding and the provider's dashboard, the platform pays
# Stripe's fees and bears negative balances (separate charges and transfers, DESIGN §6).
ACCOUNT_CONTROLLER = {
    "stripe_dashboard": {"type": "express"},
    "fees": {"payer": "application"},
    "losses": {"payments": "application"},
}
ACCOUNT_COUNTRY = "FR"

# Languages of the e-mail to a provider (no language is stored for providers).
PROVIDER_EMAIL_LANGUAGES = ("fr", "en")


class PayoutStatus:
    """Where a provider's payout account stands, as its page shows it."""

    NOT_CONNECTED = "not_connected"
    INCOMPLETE = "incomplete"
    ENABLED = "enabled"
    FAILED = "failed"

    LABELS = {
        NOT_CONNECTED: _("Not connected"),
        INCOMPLETE: _("Onboarding incomplete"),
        ENABLED: _("Payouts enabled"),
        FAILED: _("Last payout failed"),
    }


def provider_payout_status(provider: Provider) -> str:
    """One of :class:`PayoutStatus`; a failed payout outranks everything else."""
    if provider.payout_failed_id:
        return PayoutStatus.FAILED
    if not provider.stripe_account_id:
        return PayoutStatus.NOT_CONNECTED
    if not provider.payouts_enabled:
        return PayoutStatus.INCOMPLETE
    return PayoutStatus.ENABLED


def _absolute(request, url: str) -> str:
    if request is not None:
        return request.build_absolute_uri(url)
    return public_url(url)


def provider_account_create(*, provider: Provider) -> Provider:
    """The provider's connected account, created at Stripe once and stored; idempotent.

    The idempotency key is the provider's, so a retry (double click, lost answer) gets
    the same account back instead of a second one.
    """
    if provider.stripe_account_id:
        return provider
    account = stripe_client().v1.accounts.create(
        params={
            "controller": ACCOUNT_CONTROLLER,
            "capabilities": {"transfers": {"requested": True}},
            "country": ACCOUNT_COUNTRY,
            "email": provider.email,
            "metadata": {"provider_id": str(provider.pk), "site_id": str(provider.site_id)},
        },
        options=stripe_key(f"provider:{provider.pk}:account"),
    )
    with transaction.atomic():
        locked = Provider.objects.select_for_update().get(pk=provider.pk)
        if not locked.stripe_account_id:
            locked.stripe_account_id = account.id
            locked.save(update_fields=["stripe_account_id"])
        elif locked.stripe_account_id != account.id:
            logger.warning(
                "provider %s already has account %s; Stripe answered %s",
                provider.pk,
                locked.stripe_account_id,
                account.id,
            )
    provider.stripe_account_id = locked.stripe_account_id
    return provider


def provider_account_link(*, provider: Provider, request) -> str:
    """The address of Stripe's onboarding for ``provider`` (its account created if needed).

    An account link is single-use and short-lived: a new one is made on every call. Stripe
    sends the provider back to the return view, or to the refresh view if the link expired.
    """
    provider = provider_account_create(provider=provider)
    link = stripe_client().v1.account_links.create(
        params={
            "account": provider.stripe_account_id,
            "type": "account_onboarding",
            "refresh_url": _absolute(
                request, reverse("payout_account:refresh", args=[provider.pk])
            ),
            "return_url": _absolute(request, reverse("payout_account:return", args=[provider.pk])),
        }
    )
    return link.url


def _capability(account, name: str) -> str:
    capabilities = getattr(account, "capabilities", None)
    return str(getattr(capabilities, name, None) or "") if capabilities else ""


def provider_account_sync(*, provider: Provider) -> Provider:
    """Set ``payouts_enabled`` from the account as Stripe has it now; idempotent.

    Payouts are enabled when Stripe says so and the ``transfers`` capability is active.
    When they become enabled, what paid orders owe the provider is transferred after
    commit (huey, with its retries).
    """
    if not provider.stripe_account_id:
        return provider
    account = stripe_client().v1.accounts.retrieve(provider.stripe_account_id)
    enabled = bool(account.payouts_enabled) and _capability(account, "transfers") == "active"
    with transaction.atomic():
        locked = Provider.objects.select_for_update().get(pk=provider.pk)
        if locked.stripe_account_id != account.id:
            return locked  # the account was replaced meanwhile; its own event will say
        if locked.payouts_enabled != enabled:
            locked.payouts_enabled = enabled
            locked.save(update_fields=["payouts_enabled"])
            logger.info("provider %s payouts enabled: %s", locked.pk, enabled)
            if enabled:
                transaction.on_commit(stripe_transfers_pending)
    return locked


# --- Connect events -----------------------------------------------------------------------


def _connected_account(event: StripeEvent) -> str:
    return event.account or str(event.payload.get("account") or "")


@handles("account.updated")
def account_updated(event: StripeEvent) -> None:
    """A connected account changed at Stripe: re-read it and update its provider."""
    account_id = event.data_object.get("id") or _connected_account(event)
    provider = Provider.objects.filter(stripe_account_id=account_id).first()
    if provider is None:
        event.note = f"account {account_id} is no provider's"
        return
    provider = provider_account_sync(provider=provider)
    state = "enabled" if provider.payouts_enabled else "not enabled"
    event.note = f"provider {provider.pk}: payouts {state}"


def _payout(event: StripeEvent):
    """The payout of a ``payout.*`` event, re-fetched from its connected account."""
    account_id = _connected_account(event)
    payout = stripe_client().v1.payouts.retrieve(
        event.data_object["id"], options={"stripe_account": account_id}
    )
    provider = Provider.objects.filter(stripe_account_id=account_id).first() if account_id else None
    return payout, provider


def _created(payout) -> dt.datetime:
    created = getattr(payout, "created", None)
    return dt.datetime.fromtimestamp(created, tz=dt.UTC) if created else timezone.now()


@handles("payout.failed")
def payout_failed(event: StripeEvent) -> None:
    """The provider's bank refused a payout: recorded, finance and the provider told, once."""
    payout, provider = _payout(event)
    if provider is None:
        event.note = f"payout {payout.id}: account {_connected_account(event)} is no provider's"
        return
    if payout.status != "failed":
        event.note = f"payout {payout.id} is {payout.status}"
        return
    failed_at = _created(payout)
    reason = str(payout.failure_message or payout.failure_code or "failed")[:255]
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.payout_failed_id == payout.id:
        event.note = f"payout {payout.id} already recorded"
        return
    if provider.payout_failed_at and provider.payout_failed_at > failed_at:
        event.note = f"payout {payout.id}: a later failure is already recorded"
    else:
        provider.payout_failed_id = payout.id
        provider.payout_failed_at = failed_at
        provider.payout_failure = reason
        provider.save(update_fields=["payout_failed_id", "payout_failed_at", "payout_failure"])
    context = {
        "provider_name": provider.name,
        "provider_id": provider.pk,
        "account": provider.stripe_account_id,
        "payout_id": payout.id,
        "amount": format_cents(payout.amount, currency=str(payout.currency).upper()),
        "amount_cents": payout.amount,
        "currency": str(payout.currency).upper(),
        "reason": reason,
        "failure_code": str(payout.failure_code or ""),
        "page_url": public_url(reverse("payout_account:index")),
    }
    finance_notify(template="payout_failed", context=context)
    provider_pk = provider.pk
    transaction.on_commit(lambda: provider_payout_failed_send(provider_pk, context))


@handles("payout.paid")
def payout_paid(event: StripeEvent) -> None:
    """A payout reached the provider's bank: an earlier failure is no longer the news."""
    payout, provider = _payout(event)
    if provider is None or not provider.payout_failed_id:
        return
    if payout.status == "paid" and _created(payout) >= provider.payout_failed_at:
        Provider.objects.filter(pk=provider.pk, payout_failed_id=provider.payout_failed_id).update(
            payout_failed_id="", payout_failed_at=None, payout_failure=""
        )
        event.note = f"provider {provider.pk}: failure of {provider.payout_failed_id} cleared"


# Huey finds a queued task by "<module>.<function>": this one keeps the name it was queued
# under before payments/stripe/ existed, so that messages already queued still find it.
@db_task(__module__="payments.stripe_accounts")
def provider_payout_failed_send(provider_id: int, context: dict) -> int:
    """Tell the provider's contact address, in French then English, and where to fix it."""
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None or not provider.email:
        return 0
    subjects, bodies = [], []
    for language in PROVIDER_EMAIL_LANGUAGES:
        with translation.override(language):
            amount = format_cents(
                context["amount_cents"], currency=context["currency"], language=language
            )
            localized = {**context, "amount": amount}
            subject = render_to_string(
                "payments/emails/provider_payout_failed_subject.txt", localized
            )
            subjects.append(" ".join(subject.split()))
            bodies.append(
                render_to_string("payments/emails/provider_payout_failed.txt", localized).strip()
            )
    return send_mail(
        " / ".join(dict.fromkeys(subjects)),
        "\n\n-----\n\n".join(bodies) + "\n",
        settings.DEFAULT_FROM_EMAIL,
        [provider.email],
    )
