"""What the admin's "Réservations" and "Commandes" share (marketplace.orders.admin,
marketplace.orders.admin_orders): the territory and the user's scope of a request, money columns,
read-only permission policies, the lists' filters, inspect view and viewsets.
"""

import django_filters
from django import forms
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import InspectView
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.models import Site
from wagtail.permission_policies import ModelPermissionPolicy

from commissions.money import money
from marketplace.admin_readonly import ReadOnlyViewSetMixin
from marketplace.models import Booking, BookingStatus, TerritorySettings
from marketplace.orders.access import (
    BOOKING_CANCEL_PERMISSION,
    bookings_for_admin,
    is_territory_staff,
)
from marketplace.web import site_for_request


def booking_when(booking: Booking) -> str:
    """A booking's dates as people read them: a stay's nights, an activity's time."""
    if booking.kind == "activity" and booking.starts_at is not None:
        return date_format(timezone.localtime(booking.starts_at), "SHORT_DATETIME_FORMAT")
    if booking.start and booking.end:
        return _("%(start)s to %(end)s") % {
            "start": date_format(booking.start, "SHORT_DATE_FORMAT"),
            "end": date_format(booking.end, "SHORT_DATE_FORMAT"),
        }
    if booking.start:
        return date_format(booking.start, "SHORT_DATE_FORMAT")
    return ""


def booking_when_short(booking: Booking) -> str:
    """:func:`booking_when` for a list: a stay as "28/10 → 30/10/2026" (the year once
    when both dates share it), an activity as its day and time."""
    if booking.kind == "stay" and booking.start and booking.end:
        end = date_format(booking.end, "SHORT_DATE_FORMAT")
        if booking.start.year == booking.end.year:
            # The day and month alone, as the language writes them (a date format).
            start = date_format(booking.start, pgettext("day and month of a date", "m/d"))
        else:
            start = date_format(booking.start, "SHORT_DATE_FORMAT")
        return f"{start}\u00a0→ {end}"
    return booking_when(booking)


def email_wrappable(address: str) -> str:
    """An e-mail address that may break before its "@" in a narrow column (HTML)."""
    local, at, domain = (address or "").partition("@")
    if not at:
        return address or ""
    return format_html("{}<wbr>@{}", local, domain)


def booking_what(booking: Booking) -> str:
    """What was booked, in a list: a stay's units and party ("1 × 2 adultes, 2 mineurs"),
    an activity's persons, goods' quantity."""
    if booking.kind == "stay":
        party = booking.party
        return f"{booking.quantity}\u00a0× {party}" if party else str(booking.quantity)
    return str(booking.quantity)


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Only the actions in ``allowed`` exist; add, change and delete are refused to all."""

    allowed: dict[str, tuple[str, ...]] = {}

    def user_has_permission(self, user, action):
        if not (user and user.is_active) or action not in self.allowed:
            return False
        return any(user.has_perm(permission) for permission in self.allowed[action])

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission([a for a in actions if a in self.allowed])


def date_range_filter(label) -> django_filters.DateFromToRangeFilter:
    """A from-to filter on a date, with Wagtail's date pickers."""
    return django_filters.DateFromToRangeFilter(label=label, widget=DateRangePickerWidget)


class StatusFilterSet(WagtailFilterSet):
    """The lists' filters: the model's ``status`` as radio buttons, "All" first.

    A subclass names its model and fields in ``Meta`` and declares its other filters (a
    :func:`date_range_filter` ...); it may narrow the status choices after ``__init__``.
    """

    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=(),  # the model's (__init__)
        empty_label=gettext_lazy("All"),
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["status"].extra["choices"] = self._meta.model._meta.get_field("status").choices


class MoneyColumn(Column):
    """Cents shown as money in the row's currency (``currency`` is a dotted path)."""

    def __init__(self, name, *, currency: str, **kwargs):
        super().__init__(name, **kwargs)
        self.currency = currency

    def get_value(self, instance):
        cents = super().get_value(instance)
        currency = instance
        for part in self.currency.split("."):
            currency = getattr(currency, part)
        return money(cents, currency)


class ScopedMixin:
    """What every view here knows about its request: the territory, who is asking."""

    @cached_property
    def site(self) -> Site:
        return site_for_request(self.request)

    @cached_property
    def is_staff(self) -> bool:
        return is_territory_staff(self.request.user)

    @cached_property
    def currency(self) -> str:
        return TerritorySettings.for_request(self.request).currency

    def scoped_bookings(self):
        return bookings_for_admin(user=self.request.user, site=self.site)

    def can_cancel(self, booking: Booking) -> bool:
        return (
            booking.status == BookingStatus.CONFIRMED
            and self.request.user.has_perm(BOOKING_CANCEL_PERMISSION)
            and bool(self.cancel_url_name)
        )


class ScopedInspectView(ScopedMixin, InspectView):
    """An order's or a booking's page: one of ``scoped_queryset`` (else a 404), titled by
    its reference; its template lays out everything, so no generic list of fields."""

    history_url_name = None

    def scoped_queryset(self):
        raise NotImplementedError

    def get_object(self, queryset=None):
        return get_object_or_404(self.scoped_queryset(), pk=self.pk)

    def get_page_subtitle(self):
        return self.object.reference

    @cached_property
    def header_more_buttons(self):
        # Who did what to it: its history (the transitions' audit-log entries).
        buttons = list(super().header_more_buttons)
        if self.history_url_name:
            buttons.append(
                Button(
                    _("History"),
                    url=reverse(self.history_url_name, args=[self.object.pk]),
                    icon_name="history",
                    priority=30,
                )
            )
        return buttons

    def get_fields_context(self):
        return []


class ScopedHistoryView(ScopedMixin, HistoryView):
    """An order's or a booking's history (the transitions' audit-log entries: who, when),
    for whoever may see it (one of ``scoped_queryset``, else a 404)."""

    any_permission_required = ["view"]

    def scoped_queryset(self):
        raise NotImplementedError

    def get_object(self):
        return get_object_or_404(self.scoped_queryset(), pk=self.pk)


class ReadOnlyViewSet(ReadOnlyViewSetMixin, ModelViewSet):
    """No add, edit, delete, copy or usage view; an inspect view and a history view
    (``history_view_class``, a :class:`ScopedHistoryView`)."""

    search_backend_name = None

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs["history_url_name"] = self.get_url_name("history")
        return view_kwargs

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("history/<id:pk>/", self.history_view, name="history"),
            path("history/<id:pk>/results/", self.history_results_view, name="history_results"),
        ]

    def register_admin_url_finder(self):
        # There is no edit view to link other admin pages to.
        pass
