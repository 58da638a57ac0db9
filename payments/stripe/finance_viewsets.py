"""What finance watches on Stripe, in the Ledger menu: reconciliation differences,
disputes, provider debts, failed refunds and failed transfers (read-only)."""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from commissions.money import money
from marketplace.admin_readonly import ReadOnlyViewSetMixin
from marketplace.books.permissions import LedgerPermissionPolicy
from marketplace.web import site_for_request
from payments.models import (
    ReconciliationDifference,
    ReversalStatus,
    StripeCallStatus,
    StripePayment,
    StripeRefund,
    StripeReversal,
    StripeTransfer,
)
from payments.stripe.reconciliation import DIFFERENCE_KINDS

# --- What finance watches on Stripe: differences, debts, failures, disputes -----------------
#
# Read-only lists for ``books.view_ledger``, each limited to the territory the admin is
# served for; an id of another territory is a 404.


class FinanceScopedIndexView(IndexView):
    site_lookup = "site"
    base_filter: dict = {}
    base_exclude: dict = {}
    related: tuple = ()

    def get_base_queryset(self):
        queryset = (
            super()
            .get_base_queryset()
            .filter(**{self.site_lookup: site_for_request(self.request)}, **self.base_filter)
            .exclude(**self.base_exclude)
        )
        return queryset.select_related(*self.related) if self.related else queryset


class FinanceScopedInspectView(InspectView):
    site_lookup = "site"
    base_filter: dict = {}
    base_exclude: dict = {}

    def get_object(self, queryset=None):
        scoped = self.model._default_manager.filter(
            **{self.site_lookup: site_for_request(self.request)}, **self.base_filter
        ).exclude(**self.base_exclude)
        return get_object_or_404(scoped, pk=self.pk)


def _cents(value, currency: str = "EUR") -> str:
    return "—" if value is None else money(value, currency)


class FinanceListViewSet(ReadOnlyViewSetMixin, ModelViewSet):
    """A read-only finance list in the Ledger menu, scoped to the request's territory."""

    index_view_class = FinanceScopedIndexView
    inspect_view_class = FinanceScopedInspectView
    site_lookup = "site"
    base_filter: dict = {}
    base_exclude: dict = {}
    related: tuple = ()
    search_fields = None
    list_per_page = 50

    def _scope(self) -> dict:
        return {
            "site_lookup": self.site_lookup,
            "base_filter": self.base_filter,
            "base_exclude": self.base_exclude,
        }

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(**self._scope(), related=self.related, **kwargs)

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(**self._scope(), **kwargs)

    def get_permissions_to_register(self):
        return super().get_permissions_to_register().none()


for _model in (
    ReconciliationDifference,
    StripeReversal,
    StripeRefund,
    StripeTransfer,
    StripePayment,
):
    register_permission_policy(_model, LedgerPermissionPolicy(_model))


class ReconciliationDifferenceFilterSet(WagtailFilterSet):
    day = django_filters.DateFromToRangeFilter(label=_("Day"), widget=DateRangePickerWidget)
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=list(DIFFERENCE_KINDS.items()), empty_label=_("All")
    )

    class Meta:
        model = ReconciliationDifference
        fields = ["day", "kind"]


class ReconciliationDifferenceViewSet(FinanceListViewSet):
    """What the daily reconciliation found between the ledger and Stripe."""

    model = ReconciliationDifference
    name = "reconciliation"
    icon = "warning"
    menu_label = _("Reconciliation")
    filterset_class = ReconciliationDifferenceFilterSet
    list_display = [
        "day",
        Column("kind", label=_("Kind"), accessor=lambda r: DIFFERENCE_KINDS.get(r.kind, r.kind)),
        "stripe_id",
        "reference",
        Column("ledger_amount", label=_("Ledger"), accessor=lambda r: _cents(r.ledger_amount)),
        Column("stripe_amount", label=_("Stripe"), accessor=lambda r: _cents(r.stripe_amount)),
        "note",
    ]


def _holder(reversal: StripeReversal) -> str:
    transfer = reversal.transfer
    if transfer.account.startswith("provider:"):
        return transfer.booking.provider.name
    return transfer.account


class ProviderDebtViewSet(FinanceListViewSet):
    """Reversals a connected account could not cover: its holder owes the platform."""

    model = StripeReversal
    name = "provider_debts"
    icon = "warning"
    menu_label = _("Provider debts")
    site_lookup = "transfer__payment__order__site"
    base_filter = {"status": ReversalStatus.DEBT}
    related = ("transfer__booking__provider", "transfer__payment__order")
    list_display = [
        Column("holder", label=_("Provider"), accessor=_holder),
        Column("booking", label=_("Booking"), accessor="transfer.booking.reference"),
        Column(
            "amount",
            label=_("Amount"),
            accessor=lambda r: _cents(r.amount, r.transfer.payment.order.currency),
        ),
        "error",
        "created_at",
    ]


class FailedRefundViewSet(FinanceListViewSet):
    """Refunds Stripe refused or that failed afterwards: the visitor was not refunded."""

    model = StripeRefund
    name = "failed_refunds"
    icon = "warning"
    menu_label = _("Failed refunds")
    site_lookup = "payment__order__site"
    base_filter = {"status": StripeCallStatus.FAILED}
    related = ("payment__order",)
    list_display = [
        Column("order", label=_("Order"), accessor="payment.order.reference"),
        "refund_id",
        Column(
            "amount",
            label=_("Amount"),
            accessor=lambda r: _cents(r.amount, r.payment.order.currency),
        ),
        "error",
        "created_at",
    ]


class FailedTransferViewSet(FinanceListViewSet):
    """Transfers Stripe refused: retried every 10 minutes, shown until they go through."""

    model = StripeTransfer
    name = "failed_transfers"
    icon = "warning"
    menu_label = _("Failed transfers")
    site_lookup = "payment__order__site"
    base_filter = {"status": StripeCallStatus.FAILED}
    related = ("booking", "payment__order")
    list_display = [
        Column("booking", label=_("Booking"), accessor="booking.reference"),
        "account",
        "destination",
        Column(
            "amount",
            label=_("Amount"),
            accessor=lambda r: _cents(r.amount, r.payment.order.currency),
        ),
        "error",
        "created_at",
    ]


class DisputeViewSet(FinanceListViewSet):
    """Payments a cardholder disputed, with the dispute's status as Stripe last told it."""

    model = StripePayment
    name = "disputes"
    icon = "warning"
    menu_label = _("Disputes")
    site_lookup = "order__site"
    base_exclude = {"dispute_id": ""}
    related = ("order",)
    list_display = [
        Column("order", label=_("Order"), accessor="order.reference"),
        "dispute_id",
        "dispute_status",
        Column(
            "dispute_amount",
            label=_("Disputed amount"),
            accessor=lambda r: _cents(r.dispute_amount, r.order.currency),
        ),
        "charge_id",
    ]
