"""Keeping personal data no longer than needed: what the nightly retention task deletes.

Each function deletes one kind of data past its use and returns how many rows went;
``cms.tasks.personal_data_purge`` runs them every night (with the scrubbing of old
Stripe webhook payloads, :func:`payments.stripe.personal_data.stripe_event_payloads_expire`).
The durations are in the settings (``UNVERIFIED_ACCOUNT_RETENTION_DAYS``) or, for what
belongs to one territory, its settings (``TerritorySettings.anonymous_cart_days``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone
from wagtail.models import Site

from marketplace.models import Cart, Order, Provider, ProviderMembership, TerritorySettings


def unverified_accounts_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the accounts whose e-mail was never verified, some days after sign-up.

    E-mail verification is mandatory, so such an account never logged in and holds
    nothing but the address: after ``settings.UNVERIFIED_ACCOUNT_RETENTION_DAYS`` (14 by
    default; the link sent at sign-up lasts 3) it goes. An account that ever logged in,
    verified an address, belongs to the staff or a group, or has an order, a provider
    membership or an application is never touched, nor one made outside sign-up (an
    administrator's, with no e-mail address record at all).
    """
    from allauth.account.models import EmailAddress

    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.UNVERIFIED_ACCOUNT_RETENTION_DAYS)
    user_model = get_user_model()
    addresses = EmailAddress.objects.filter(user=OuterRef("pk"))
    stale = (
        user_model.objects.filter(
            date_joined__lt=cutoff,
            last_login__isnull=True,
            is_staff=False,
            is_superuser=False,
            groups__isnull=True,
        )
        .filter(Exists(addresses))
        .exclude(Exists(addresses.filter(verified=True)))
        .exclude(Exists(Order.objects.filter(user=OuterRef("pk"))))
        .exclude(Exists(ProviderMembership.objects.filter(user=OuterRef("pk"))))
        .exclude(Exists(Provider.objects.filter(applied_by=OuterRef("pk"))))
    )
    users = list(stale.distinct())
    for user in users:
        user.delete()  # with their e-mail addresses and cart (CASCADE)
    return len(users)


def anonymous_carts_purge(*, now: dt.datetime | None = None) -> int:
    """Delete carts filled without an account, untouched for their territory's period.

    A cart is anonymous until its visitor logs in (then it becomes theirs, and stays
    theirs): it is reached only through the visitor's session, which expires long before
    ``TerritorySettings.anonymous_cart_days`` (30 by default).
    """
    now = now or timezone.now()
    deleted = 0
    for site in Site.objects.all():
        days = TerritorySettings.for_site(site).anonymous_cart_days
        cutoff = now - dt.timedelta(days=days)
        deleted += (
            Cart.objects.filter(site=site, user__isnull=True, updated_at__lt=cutoff)
            .delete()[1]
            .get(Cart._meta.label, 0)
        )
    return deleted
