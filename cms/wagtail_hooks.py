"""Admin registrations of the storefront app: orders and bookings (see cms.booking_viewsets)."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from cms.booking_viewsets import (
    BookingPermissionPolicy,
    BookingViewSet,
    OrderPermissionPolicy,
    OrderViewSet,
)
from marketplace.models import Booking, Order

# Registered before any view asks for a policy (see wagtail.permissions).
register_permission_policy(Booking, BookingPermissionPolicy(Booking))
register_permission_policy(Order, OrderPermissionPolicy(Order))


@hooks.register("register_admin_viewset")
def register_booking_viewsets():
    return [BookingViewSet(), OrderViewSet()]
