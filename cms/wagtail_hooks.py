"""Admin registrations of the storefront app: bookings and orders.

The viewsets are in cms.booking_viewsets and cms.order_viewsets.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from cms.booking_viewsets import BookingPermissionPolicy, BookingViewSet
from cms.order_viewsets import OrderPermissionPolicy, OrderViewSet
from marketplace.models import Booking, Order

# Registered before any view asks for a policy (see wagtail.permissions).
register_permission_policy(Booking, BookingPermissionPolicy(Booking))
register_permission_policy(Order, OrderPermissionPolicy(Order))


@hooks.register("register_admin_viewset")
def register_booking_viewsets():
    return [BookingViewSet(), OrderViewSet()]


@hooks.register("register_account_menu_item")
def register_mfa_account_menu_item(request):
    """Staff reach allauth's two-factor pages from the admin's "Account" page."""
    return {"url": reverse("mfa_index"), "label": _("Two-factor authentication")}
