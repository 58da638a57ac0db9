"""The payments' admin: the Stripe events and finance lists (read-only, in the books'
"Ledger" menu) and the providers' payout accounts.

Only users with ``books.view_ledger`` see or reach the finance lists. The ledger's own pages
(transactions, balances, a provider's statement) are the books' (:mod:`marketplace.books.admin`).
"""

import django_filters
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from marketplace.admin_readonly import ReadOnlyViewSetMixin
from marketplace.books.admin import in_ledger_menu
from marketplace.books.permissions import LedgerPermissionPolicy
from marketplace.members import member_provider_ids
from payments.models import StripeEndpoint, StripeEvent
from payments.stripe.account_views import PayoutAccountPanel, PayoutAccountViewSet
from payments.stripe.finance_viewsets import (
    DisputeViewSet,
    FailedRefundViewSet,
    FailedTransferViewSet,
    ProviderDebtViewSet,
    ReconciliationDifferenceViewSet,
)

# Registered before any view asks for a policy (see wagtail.permissions).
register_permission_policy(StripeEvent, LedgerPermissionPolicy(StripeEvent))


# --- Stripe events (finance, read-only) ----------------------------------------------------


class StripeEventFilterSet(WagtailFilterSet):
    endpoint = django_filters.ChoiceFilter(
        label=_("Endpoint"), choices=StripeEndpoint.choices, empty_label=_("All")
    )
    type = django_filters.CharFilter(label=_("Type"), lookup_expr="startswith")
    processed = django_filters.BooleanFilter(
        label=_("Processed"), field_name="processed_at", lookup_expr="isnull", exclude=True
    )
    failing = django_filters.BooleanFilter(label=_("With an error"), method="filter_failing")

    class Meta:
        model = StripeEvent
        fields = ["endpoint", "type"]

    def filter_failing(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(error="") if value else queryset.filter(error="")


class StripeEventViewSet(ReadOnlyViewSetMixin, ModelViewSet):
    """The events Stripe sent, as payments.stripe.webhooks stored them: finance reads only."""

    model = StripeEvent
    name = "stripe_events"
    icon = "mail"
    menu_label = _("Stripe events")
    filterset_class = StripeEventFilterSet
    search_fields = None
    list_display = [
        "id",
        "type",
        "endpoint",
        "account",
        "received_at",
        "processed_at",
        "attempts",
        "error",
    ]
    list_per_page = 50
    inspect_view_fields = [
        "id",
        "type",
        "endpoint",
        "account",
        "livemode",
        "received_at",
        "processed_at",
        "attempts",
        "note",
        "error",
        "payload_scrubbed_at",
        "payload",
    ]

    def get_urlpatterns(self):
        # Event ids are strings ("evt_..."), not integers.
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<str:pk>/", self.inspect_view, name="inspect"),
        ]

    def get_permissions_to_register(self):
        return super().get_permissions_to_register().none()


# What finance watches on Stripe, in the books' "Ledger" menu after its transactions and
# balances, in this order.
FINANCE_VIEWSETS = (
    StripeEventViewSet,
    ReconciliationDifferenceViewSet,
    DisputeViewSet,
    ProviderDebtViewSet,
    FailedRefundViewSet,
    FailedTransferViewSet,
)


@hooks.register("register_admin_viewset")
def register_finance_viewsets():
    return [
        in_ledger_menu(viewset_class(), order=order)
        for order, viewset_class in enumerate(FINANCE_VIEWSETS, start=3)
    ]


@hooks.register("register_admin_viewset")
def register_payout_account_viewset():
    # Providers' payout accounts (Stripe Connect onboarding), see payments.stripe.account_views.
    return PayoutAccountViewSet()


@hooks.register("construct_homepage_panels")
def payout_account_panel(request, panels):
    # A provider's members are reminded on the dashboard until Stripe can pay them.
    if member_provider_ids(user=request.user):
        panels.append(PayoutAccountPanel(request.user))
