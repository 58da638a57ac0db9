"""Bookings in the admin: "Réservations" (the orders' "Commandes" are in
:mod:`marketplace.orders.admin_orders`; both registered by ``marketplace.wagtail_hooks``).

:class:`BookingViewSet` lists the bookings a user may see (see
:mod:`marketplace.orders.access`): a provider's members their own providers', territory
staff every booking of the territory. Filters (status, start dates, offer, provider for
staff), search (booking or order reference, e-mail, offer), an export of the filtered
list (CSV or XLSX, amounts in currency units), a detail page with the frozen breakdown,
the refunds and the visitor's contact, and, for a provider's members, a cancel form: a
reason is required and the visitor gets a full refund
(:func:`marketplace.orders.transitions.booking_cancel` with ``by_provider=True``).
Each booking's history (Wagtail's audit log of its transitions) is linked from its page.

Nobody adds, edits or deletes a booking here (those URLs do not exist), and an id
outside what the user may see is a 404, whatever the method.
"""

import datetime as dt
from decimal import Decimal

import django_filters
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.admin.widgets.button import Button
from wagtail.models import ModelLogEntry

from commissions.selectors import beneficiary_names
from marketplace.books.ledger import provider_account
from marketplace.books.selectors import booking_account_total
from marketplace.models import Booking, BookingStatus, OfferPage, Provider
from marketplace.orders.access import (
    BOOKING_CANCEL_PERMISSION,
    BOOKING_VIEW_PERMISSION,
    MEMBER_VISIBLE_STATUSES,
    ORDER_VIEW_PERMISSION,
    booked_offers,
    is_territory_staff,
    log_entries_for_admin,
    providers_for_admin,
)
from marketplace.orders.accounting import refund_preview
from marketplace.orders.admin_base import (
    MoneyColumn,
    ReadOnlyPolicy,
    ReadOnlyViewSet,
    ScopedHistoryView,
    ScopedInspectView,
    ScopedMixin,
    StatusFilterSet,
    booking_what,
    booking_when,
    booking_when_short,
    date_range_filter,
    email_wrappable,
    money,
)
from marketplace.orders.audit import PROVIDER, STAFF
from marketplace.orders.forms import BookingCancelForm
from marketplace.orders.policies import policy_for
from marketplace.orders.transitions import BookingError, booking_cancel
from marketplace.web import site_for_request


def _euros(cents: int) -> Decimal:
    """Cents as a decimal amount in currency units, for spreadsheets (``1250`` → ``12.50``)."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class BookingPermissionPolicy(ReadOnlyPolicy):
    """Seeing bookings (members or staff) and cancelling them (members).

    Which bookings is :func:`marketplace.orders.access.bookings_for_admin`'s business;
    this policy only says who reaches the views.
    """

    allowed = {
        "view": (BOOKING_VIEW_PERMISSION, ORDER_VIEW_PERMISSION),
        "cancel": (BOOKING_CANCEL_PERMISSION,),
    }


class BookingFilterSet(StatusFilterSet):
    start = date_range_filter(gettext_lazy("Starts between"))
    offer = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Offer"), queryset=OfferPage.objects.none()
    )
    provider = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Provider"), queryset=Provider.objects.none()
    )

    class Meta:
        model = Booking
        fields = ["status", "start", "offer", "provider"]

    def __init__(self, *args, bookings=None, providers=None, is_staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices come from what the user may see: another provider's offer is no choice.
        self.filters["offer"].queryset = booked_offers(
            bookings=bookings if bookings is not None else Booking.objects.none()
        )
        if is_staff and providers is not None:
            self.filters["provider"].queryset = providers.order_by("name")
        else:
            del self.filters["provider"]
            self.filters["status"].extra["choices"] = [
                (value, label)
                for value, label in BookingStatus.choices
                if value in MEMBER_VISIBLE_STATUSES
            ]


BOOKING_EXPORT = {
    # field: (heading, value of a booking, is an amount)
    "reference": (gettext_lazy("Booking"), lambda b: b.reference, False),
    "order": (gettext_lazy("Order"), lambda b: b.order.reference, False),
    "provider": (gettext_lazy("Provider"), lambda b: b.provider.name, False),
    "offer": (gettext_lazy("Offer"), lambda b: b.offer_title, False),
    "kind": (gettext_lazy("Kind"), lambda b: b.kind, False),
    "start": (gettext_lazy("Start"), lambda b: b.start, False),
    "end": (gettext_lazy("End"), lambda b: b.end, False),
    "starts_at": (
        gettext_lazy("Starts at"),
        lambda b: timezone.localtime(b.starts_at).replace(tzinfo=None) if b.starts_at else None,
        False,
    ),
    "quantity": (gettext_lazy("Quantity"), lambda b: b.quantity, False),
    "guests": (gettext_lazy("Guests"), lambda b: b.guests, False),
    "adults": (gettext_lazy("Adults"), lambda b: b.adults, False),
    "minors": (gettext_lazy("Minors"), lambda b: b.minors, False),
    "tax_exempt_persons": (
        gettext_lazy("Adults exempt from the tourist tax"),
        lambda b: b.tax_exempt_persons,
        False,
    ),
    "email": (gettext_lazy("Visitor's e-mail"), lambda b: b.order.email, False),
    "status": (gettext_lazy("Status"), lambda b: b.get_status_display(), False),
    "subtotal": (gettext_lazy("Price"), lambda b: b.subtotal, True),
    "visitor_fee": (gettext_lazy("Service fee"), lambda b: b.visitor_fee, True),
    "tax": (gettext_lazy("Tourist tax"), lambda b: b.tax, True),
    "visitor_total": (gettext_lazy("Paid by the visitor"), lambda b: b.visitor_total, True),
    "provider_commission": (
        gettext_lazy("Commission on the provider"),
        lambda b: b.provider_commission,
        True,
    ),
    "provider_net": (gettext_lazy("Provider net"), lambda b: b.provider_net, True),
    "refunded": (gettext_lazy("Refunded"), lambda b: b.refunded, True),
    "created_at": (
        gettext_lazy("Booked on"),
        lambda b: timezone.localtime(b.created_at).replace(tzinfo=None),
        False,
    ),
    "cancel_reason": (gettext_lazy("Reason for cancelling"), lambda b: b.cancel_reason, False),
}

# What a spreadsheet would run as a formula (OWASP's list): such text gets a quote first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class BookingIndexView(ScopedMixin, IndexView):
    cancel_url_name = None

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        # The reference (R-XXXXXXXX) on one line, never cut in three.
        return super()._get_title_column(
            field_name, column_class, classname="w-whitespace-nowrap", **kwargs
        )

    def get_base_queryset(self):
        return self.scoped_bookings().select_related("order", "provider")

    def get_filterset_kwargs(self):
        kwargs = super().get_filterset_kwargs()
        kwargs.update(
            bookings=self.scoped_bookings(),
            providers=providers_for_admin(user=self.request.user, site=self.site),
            is_staff=self.is_staff,
        )
        return kwargs

    @cached_property
    def columns(self):
        columns = super().columns
        if not self.is_staff:
            columns = [column for column in columns if column.name != "provider"]
        return columns

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if self.can_cancel(instance):
            buttons.append(
                Button(
                    _("Cancel the booking"),
                    url=reverse(self.cancel_url_name, args=[instance.pk]),
                    icon_name="cross",
                    priority=50,
                )
            )
        return buttons

    # The export: every field of BOOKING_EXPORT, amounts in currency units (the
    # heading names the currency), text that a spreadsheet would run made inert.

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if not self.is_staff:
            # A member's export is about their own providers: no provider column.
            self.list_export = [field for field in self.list_export if field != "provider"]

    def get_filename(self):
        return "reservations-" + timezone.localdate().isoformat()

    def get_heading(self, queryset, field):
        heading, _value, is_amount = BOOKING_EXPORT[field]
        if is_amount:
            return f"{heading} ({self.currency})"
        return str(heading)

    def to_row_dict(self, item):
        row = {}
        for field in self.list_export:
            _heading, value, is_amount = BOOKING_EXPORT[field]
            row[field] = _euros(value(item)) if is_amount else value(item)
        return row

    def preprocess_field_value(self, field, value, export_format):
        if export_format == self.FORMAT_CSV and isinstance(value, str):
            return _csv_text(value)
        if isinstance(value, dt.date) and export_format == self.FORMAT_CSV:
            return value.isoformat()
        return super().preprocess_field_value(field, value, export_format)


class BookingInspectView(ScopedInspectView):
    template_name = "cms/admin/booking_inspect.html"
    cancel_url_name = None
    order_url_name = None

    def scoped_queryset(self):
        return self.scoped_bookings().select_related("order", "order__user", "provider")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        booking = self.object
        names = beneficiary_names(site_id=booking.order.site_id, keys=booking.allocations)
        context.update(
            booking=booking,
            order=booking.order,
            currency=booking.order.currency,
            when=booking_when(booking),
            shares=[
                (names.get(key, key), cents) for key, cents in booking.allocations.items() if cents
            ],
            refunds=list(booking.refunds.all()),
            net_after_refunds=-booking_account_total(
                booking_ref=booking.reference, account=provider_account(booking.provider_id)
            ),
            policy=policy_for(booking.cancellation_policy),
            can_cancel=self.can_cancel(booking),
            cancel_url=reverse(self.cancel_url_name, args=[booking.pk])
            if self.cancel_url_name
            else "",
            order_url=reverse(self.order_url_name, args=[booking.order_id])
            if self.is_staff and self.order_url_name
            else "",
            is_staff=self.is_staff,
        )
        return context


class BookingHistoryView(ScopedHistoryView):
    def scoped_queryset(self):
        return self.scoped_bookings()


class SiteHistoryView(LogEntriesView):
    """Wagtail's site history report, less the orders' and bookings' entries the user may
    not see (see :func:`marketplace.orders.access.log_entries_for_admin`); routed before
    Wagtail's own in ``config/urls.py``."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if queryset.model is ModelLogEntry:
            queryset = log_entries_for_admin(
                queryset, user=self.request.user, site=site_for_request(self.request)
            )
        return queryset


class BookingCancelView(
    ScopedMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView
):
    """The provider cancels a confirmed booking: full refund, reason required."""

    model = Booking
    permission_required = "cancel"
    template_name = "cms/admin/booking_cancel.html"
    page_title = gettext_lazy("Cancel a booking")
    header_icon = "cross"
    index_url_name = None
    inspect_url_name = None
    cancel_url_name = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # Another provider's booking (or no booking) is a 404, for GET and POST alike.
        self.object = get_object_or_404(
            self.scoped_bookings().select_related("order", "provider"), pk=kwargs["pk"]
        )

    def get_page_subtitle(self):
        return self.object.reference

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(Booking._meta.verbose_name_plural),
            },
            {
                "url": reverse(self.inspect_url_name, args=[self.object.pk]),
                "label": self.object.reference,
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        booking = self.object
        context.setdefault("form", BookingCancelForm(by_provider=True))
        context.update(
            booking=booking,
            currency=booking.order.currency,
            when=booking_when(booking),
            can_cancel=booking.status == BookingStatus.CONFIRMED,
            refund=refund_preview(booking=booking, by_provider=True),
            inspect_url=reverse(self.inspect_url_name, args=[booking.pk]),
        )
        return context

    def post(self, request, *args, **kwargs):
        booking = self.object
        inspect_url = reverse(self.inspect_url_name, args=[booking.pk])
        form = BookingCancelForm(request.POST, by_provider=True)
        if not form.is_valid():
            messages.error(request, _("The booking was not cancelled."))
            return self.render_to_response(self.get_context_data(form=form))
        now = timezone.now()
        try:
            refund = booking_cancel(
                booking_id=booking.pk,
                by_provider=True,
                reason=form.cleaned_data["reason"],
                by=request.user,
                actor=STAFF if is_territory_staff(request.user) else PROVIDER,
                now=now,
            )
        except BookingError as error:  # a lock that timed out too: BusyError
            messages.error(request, error.message)
            return redirect(inspect_url)
        if refund is not None:
            # The payment provider is asked for the refund; the money reaches the visitor
            # in a few days (a refused refund goes to finance's "Failed refunds").
            messages.success(
                request,
                _(
                    "Booking %(reference)s is cancelled; %(amount)s will be refunded to the "
                    "visitor's means of payment."
                )
                % {
                    "reference": booking.reference,
                    "amount": money(refund.amount, booking.order.currency),
                },
            )
        elif Booking.objects.filter(pk=booking.pk, cancelled_at=now).exists():
            # Cancelled now, with nothing to give back: nothing was paid for it.
            messages.success(
                request,
                _(
                    "Booking %(reference)s is cancelled. Nothing was paid for it: there is "
                    "nothing to refund."
                )
                % {"reference": booking.reference},
            )
        else:
            messages.warning(request, _("This booking was already cancelled."))
        return redirect(inspect_url)


class BookingViewSet(ReadOnlyViewSet):
    model = Booking
    name = "bookings"
    icon = "date"
    menu_label = gettext_lazy("Bookings")
    menu_order = 150
    add_to_admin_menu = True
    index_view_class = BookingIndexView
    inspect_view_class = BookingInspectView
    history_view_class = BookingHistoryView
    filterset_class = BookingFilterSet
    search_fields = ["reference", "order__reference", "order__email", "offer_title"]
    # Readable at 1,280 px (issue 14): the reference on one line, short dates, what was
    # booked in one column; the price is in the booking's page and the export.
    list_display = [
        "reference",
        Column("offer_title", label=gettext_lazy("Offer"), sort_key="offer_title"),
        Column("provider", label=gettext_lazy("Provider"), accessor="provider.name"),
        Column(
            "dates",
            label=gettext_lazy("Dates"),
            accessor=booking_when_short,
            sort_key="start",
            classname="w-whitespace-nowrap",
        ),
        Column("booked", label=gettext_lazy("Booked"), accessor=booking_what),
        Column(
            "email",
            label=gettext_lazy("Visitor"),
            accessor=lambda booking: email_wrappable(booking.order.email),
        ),
        StatusTagColumn(
            "status",
            label=gettext_lazy("Status"),
            accessor="get_status_display",
            primary=lambda booking: booking.status == BookingStatus.CONFIRMED,
            sort_key="status",
        ),
        MoneyColumn(
            "provider_net",
            label=gettext_lazy("Provider net"),
            currency="order.currency",
            classname="w-whitespace-nowrap",
        ),
    ]
    ordering = ["-created_at", "-pk"]
    list_per_page = 50
    # Fields of the export (BOOKING_EXPORT); BookingIndexView.setup drops some per user.
    list_export = list(BOOKING_EXPORT)
    order_url_name = "orders:inspect"

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(cancel_url_name=self.get_url_name("cancel"), **kwargs)

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            cancel_url_name=self.get_url_name("cancel"),
            order_url_name=self.order_url_name,
            **kwargs,
        )

    @property
    def cancel_view(self):
        return self.construct_view(
            BookingCancelView,
            index_url_name=self.get_url_name("index"),
            inspect_url_name=self.get_url_name("inspect"),
            cancel_url_name=self.get_url_name("cancel"),
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("cancel/<id:pk>/", self.cancel_view, name="cancel"),
        ]

    def get_permissions_to_register(self):
        return (
            super()
            .get_permissions_to_register()
            .filter(codename__in=["view_booking", "cancel_booking"])
        )
