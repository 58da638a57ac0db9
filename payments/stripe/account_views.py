"""The admin's "Payout account" page: a provider connects where Stripe pays it.

- A provider's members see, for each provider they manage, where its payout account
  stands (:func:`payments.stripe.accounts.provider_payout_status`) and a button that
  POSTs to :class:`PayoutAccountConnectView`, which sends them to Stripe's onboarding.
  Stripe sends them back to :class:`PayoutAccountReturnView` (the status is re-read from
  Stripe) or, when the link expired, to :class:`PayoutAccountRefreshView` (a new link).
- Territory staff (``marketplace.change_provider``) and finance (``books.view_ledger``)
  see the status of every provider of the territory, read-only.

Acting on a provider one is not a member of is a 404, whoever asks.
"""

from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from marketplace.books.permissions import LEDGER_PERMISSION
from marketplace.members import active_user, member_provider_ids
from marketplace.models import Provider, TerritorySettings
from marketplace.web import site_for_request
from payments.stripe.accounts import (
    PayoutStatus,
    provider_account_link,
    provider_account_sync,
    provider_payout_status,
)

logger = logging.getLogger(__name__)

STAFF_PERMISSIONS = ("marketplace.change_provider", LEDGER_PERMISSION)


# What the button on a provider's row says, by status (none once payouts are enabled).
BUTTONS = {
    PayoutStatus.NOT_CONNECTED: gettext_lazy("Connect my payout account"),
    PayoutStatus.INCOMPLETE: gettext_lazy("Complete my registration"),
    PayoutStatus.FAILED: gettext_lazy("Update my payout account"),
}


def sees_all_providers(user) -> bool:
    """Territory staff and finance read every provider's status (and change nothing here)."""
    return active_user(user) and any(user.has_perm(p) for p in STAFF_PERMISSIONS)


def managed_provider(*, user, provider_id: int) -> Provider:
    """A provider ``user`` is a member of, or 404."""
    if not active_user(user) or provider_id not in member_provider_ids(user=user):
        raise Http404
    return Provider.objects.get(pk=provider_id)


class PayoutAccountView(WagtailAdminTemplateMixin, TemplateView):
    """Each provider's payout account status; a connect button on those one manages."""

    template_name = "payments/admin/payout_account.html"
    page_title = gettext_lazy("Payout account")
    header_icon = "form"

    def dispatch(self, request, *args, **kwargs):
        if not (member_provider_ids(user=request.user) or sees_all_providers(request.user)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    @cached_property
    def providers(self) -> list[Provider]:
        user = self.request.user
        condition = Q(pk__in=member_provider_ids(user=user))
        if sees_all_providers(user):
            condition |= Q(site=site_for_request(self.request))
        return list(Provider.objects.filter(condition).order_by("name", "pk"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        managed = set(member_provider_ids(user=self.request.user))
        rows = []
        for provider in self.providers:
            status = provider_payout_status(provider)
            rows.append(
                {
                    "provider": provider,
                    "status": status,
                    "label": PayoutStatus.LABELS[status],
                    # Only its members act on a provider; staff read.
                    "button": BUTTONS.get(status, "") if provider.pk in managed else "",
                    "connect_url": reverse("payout_account:connect", args=[provider.pk]),
                }
            )
        context["rows"] = rows
        site = site_for_request(self.request)
        context["payout_delay_days"] = TerritorySettings.for_site(site).payout_delay_days
        # Providers paid by bank transfer give their IBAN on their bank details page.
        if managed:
            context["bank_details_url"] = reverse("bank_details:index")
        return context


class _ManagedProviderMixin:
    """The provider of the URL, if the user is one of its members (else 404)."""

    def dispatch(self, request, *args, provider_id: int, **kwargs):
        self.provider = managed_provider(user=request.user, provider_id=provider_id)
        return super().dispatch(request, *args, **kwargs)

    def to_onboarding(self):
        if not settings.STRIPE_SECRET_KEY:
            # The dev gateway (the demo): there is no Stripe to open an account with.
            messages.error(
                self.request,
                _("Payouts through Stripe are not set up on this platform yet."),
            )
            return redirect("payout_account:index")
        try:
            url = provider_account_link(provider=self.provider, request=self.request)
        except stripe.StripeError:
            logger.exception("no account link for provider %s", self.provider.pk)
            messages.error(
                self.request,
                _("Stripe could not be reached. Please try again in a few minutes."),
            )
            return redirect("payout_account:index")
        return redirect(url)


class PayoutAccountConnectView(_ManagedProviderMixin, View):
    """POST: create the provider's account if needed, then go to Stripe's onboarding."""

    http_method_names = ["post"]

    def post(self, request):
        return self.to_onboarding()


class PayoutAccountRefreshView(_ManagedProviderMixin, View):
    """Stripe's ``refresh_url``: the link expired or was used; make a new one."""

    http_method_names = ["get"]

    def get(self, request):
        if not self.provider.stripe_account_id:
            return redirect("payout_account:index")
        return self.to_onboarding()


class PayoutAccountReturnView(_ManagedProviderMixin, View):
    """Stripe's ``return_url``: re-read the account from Stripe and say where it stands."""

    http_method_names = ["get"]

    def get(self, request):
        if not self.provider.stripe_account_id:
            return redirect("payout_account:index")
        try:
            provider = provider_account_sync(provider=self.provider)
        except stripe.StripeError:
            logger.exception("payout account of provider %s not re-read", self.provider.pk)
            messages.error(
                request, _("Stripe could not be reached. Please try again in a few minutes.")
            )
            return redirect("payout_account:index")
        if provider.payouts_enabled:
            messages.success(
                request,
                _("%(name)s: your payout account is ready, payouts are enabled.")
                % {"name": provider.name},
            )
        else:
            messages.warning(
                request,
                _(
                    "%(name)s: Stripe still needs information before it can pay you. "
                    "Complete your registration."
                )
                % {"name": provider.name},
            )
        return redirect("payout_account:index")


class PayoutAccountPanel(Component):
    """Dashboard panel for a provider's members: the providers Stripe cannot pay yet."""

    name = "payout_account"
    order = 80
    template_name = "payments/admin/payout_account_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        providers = Provider.objects.filter(pk__in=member_provider_ids(user=self.user))
        context["rows"] = [
            {"provider": provider, "label": PayoutStatus.LABELS[status]}
            for provider in providers.order_by("name", "pk")
            if (status := provider_payout_status(provider)) != PayoutStatus.ENABLED
        ]
        return context


class PayoutAccountMenuItem(MenuItem):
    def is_shown(self, request):
        user = request.user
        return bool(member_provider_ids(user=user)) or sees_all_providers(user)


class PayoutAccountViewSet(ViewSet):
    name = "payout_account"
    icon = "form"
    menu_label = gettext_lazy("Payout account")
    menu_order = 161
    add_to_admin_menu = True
    menu_item_class = PayoutAccountMenuItem

    def get_urlpatterns(self):
        return [
            path("", PayoutAccountView.as_view(), name="index"),
            path("<id:provider_id>/connect/", PayoutAccountConnectView.as_view(), name="connect"),
            path("<id:provider_id>/return/", PayoutAccountReturnView.as_view(), name="return"),
            path("<id:provider_id>/refresh/", PayoutAccountRefreshView.as_view(), name="refresh"),
        ]
