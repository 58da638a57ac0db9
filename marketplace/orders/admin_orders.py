"""Orders in the admin: "Commandes", the territory staff's search of orders.

:class:`OrderViewSet` searches orders by reference, e-mail, offer title or provider name
and shows each order's bookings (linked to "Réservations", marketplace.orders.admin).
Nobody adds, edits or deletes an order here (those URLs do not exist), and an id
outside the user's territory is a 404.
"""

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views.generic import IndexView

from marketplace.models import Booking, Order, OrderStatus
from marketplace.orders.access import ORDER_VIEW_PERMISSION, orders_for_admin
from marketplace.orders.admin_base import (
    MoneyColumn,
    ReadOnlyPolicy,
    ReadOnlyViewSet,
    ScopedHistoryView,
    ScopedInspectView,
    ScopedMixin,
    StatusFilterSet,
    booking_when,
    date_range_filter,
)


class OrderPermissionPolicy(ReadOnlyPolicy):
    """Territory staff see the orders; nobody changes one here."""

    allowed = {"view": (ORDER_VIEW_PERMISSION,)}


class OrderFilterSet(StatusFilterSet):
    created_at = date_range_filter(gettext_lazy("Ordered between"))

    class Meta:
        model = Order
        fields = ["status", "created_at"]


class OrderIndexView(ScopedMixin, IndexView):
    def get_base_queryset(self):
        return orders_for_admin(user=self.request.user, site=self.site).annotate(
            booking_count=Count("bookings"),
            # A cardholder's dispute (payments.stripe.disputes), from the same query.
            dispute_status=F("stripe_payment__dispute_status"),
        )

    def search_queryset(self, queryset):
        """Reference or e-mail of the order, or reference, offer or provider of a booking."""
        if not self.is_searching:
            return queryset
        text = self.search_query.strip()
        bookings = Booking.objects.filter(
            Q(reference__icontains=text)
            | Q(offer_title__icontains=text)
            | Q(provider__name__icontains=text)
        )
        return queryset.filter(
            Q(reference__icontains=text)
            | Q(email__icontains=text)
            | Q(pk__in=bookings.values("order_id"))
        )


class OrderInspectView(ScopedInspectView):
    template_name = "cms/admin/order_inspect.html"
    booking_url_name = None

    def scoped_queryset(self):
        return orders_for_admin(user=self.request.user, site=self.site).select_related("user")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = self.object
        bookings = list(order.bookings.select_related("provider").order_by("pk"))
        for booking in bookings:
            booking.when = booking_when(booking)
        context.update(
            order=order,
            bookings=bookings,
            currency=order.currency,
            refunded=sum(b.refunded for b in bookings),
            booking_url_name=self.booking_url_name,
        )
        return context


class OrderHistoryView(ScopedHistoryView):
    def scoped_queryset(self):
        return orders_for_admin(user=self.request.user, site=self.site)


class OrderViewSet(ReadOnlyViewSet):
    model = Order
    name = "orders"
    icon = "clipboard-list"
    menu_label = gettext_lazy("Orders")
    menu_order = 155
    add_to_admin_menu = True
    index_view_class = OrderIndexView
    inspect_view_class = OrderInspectView
    history_view_class = OrderHistoryView
    filterset_class = OrderFilterSet
    # The search itself is OrderIndexView.search_queryset (across the bookings too).
    search_fields = ["reference", "email"]
    list_display = [
        "reference",
        DateColumn("created_at", label=gettext_lazy("Ordered on"), sort_key="created_at"),
        Column("email", label=gettext_lazy("E-mail"), sort_key="email"),
        StatusTagColumn(
            "status",
            label=gettext_lazy("Status"),
            accessor="get_status_display",
            primary=lambda order: order.status == OrderStatus.PAID,
            sort_key="status",
        ),
        Column("booking_count", label=gettext_lazy("Bookings")),
        MoneyColumn("total", label=gettext_lazy("Total"), currency="currency", sort_key="total"),
        Column(
            "dispute_status",
            label=gettext_lazy("Dispute"),
            accessor=lambda order: gettext_lazy("Disputed") if order.dispute_status else "",
        ),
    ]
    ordering = ["-created_at", "-pk"]
    list_per_page = 50

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(booking_url_name="bookings:inspect", **kwargs)

    def get_permissions_to_register(self):
        return super().get_permissions_to_register().filter(codename="view_order")
