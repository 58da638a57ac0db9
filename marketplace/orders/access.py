"""Who sees which orders and bookings in the admin (reads only).

- **Territory staff** hold ``marketplace.view_order`` (the editors' and the finance
  groups, see :func:`cms.services.groups_setup`; superusers hold every permission). They
  see every order and booking of the territory the admin is served for, held and expired
  checkouts included, to answer a visitor or a provider. They cancel nothing.
- **A provider's members** hold ``marketplace.view_booking`` and
  ``marketplace.cancel_booking`` through their provider's group (see
  :func:`marketplace.services.provider_permissions_ensure`). They see the bookings of
  the providers they are members of, once paid (confirmed, completed or cancelled), and
  no order: an order may hold other providers' bookings.
- Anyone else sees nothing.

Every function here runs a fixed number of queries.
"""

from allauth.account.models import EmailAddress
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from marketplace.members import active_user, member_provider_ids
from marketplace.models import Booking, BookingStatus, OfferPage, Order, Provider

BOOKING_VIEW_PERMISSION = "marketplace.view_booking"
BOOKING_CANCEL_PERMISSION = "marketplace.cancel_booking"
ORDER_VIEW_PERMISSION = "marketplace.view_order"

# A checkout that was never paid is no booking for the provider.
MEMBER_VISIBLE_STATUSES = (
    BookingStatus.CONFIRMED,
    BookingStatus.COMPLETED,
    BookingStatus.CANCELLED_BY_VISITOR,
    BookingStatus.CANCELLED_BY_PROVIDER,
)


def is_territory_staff(user) -> bool:
    """Sees every order and booking of the territory (``marketplace.view_order``)."""
    return active_user(user) and user.has_perm(ORDER_VIEW_PERMISSION)


def email_verified(user) -> bool:
    """The account's e-mail address is verified: it may book (checkout refuses otherwise)."""
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def bookings_for_admin(*, user, site) -> QuerySet[Booking]:
    """The bookings ``user`` may see in the admin of ``site``."""
    if is_territory_staff(user):
        return Booking.objects.filter(order__site=site)
    if active_user(user) and user.has_perm(BOOKING_VIEW_PERMISSION):
        return Booking.objects.filter(
            provider_id__in=member_provider_ids(user=user), status__in=MEMBER_VISIBLE_STATUSES
        )
    return Booking.objects.none()


def orders_for_admin(*, user, site) -> QuerySet[Order]:
    """The orders ``user`` may see in the admin of ``site``: all of them for staff, else none."""
    if is_territory_staff(user):
        return Order.objects.filter(site=site)
    return Order.objects.none()


def log_entries_for_admin(entries, *, user, site):
    """Audit-log entries (Wagtail's ``ModelLogEntry``) less those of the orders and bookings
    ``user`` may not see in the admin of ``site``: a provider's member sees the history of
    their own providers' bookings only (Wagtail would show every booking's to anyone with a
    booking permission). Entries of other models are untouched."""

    def ids(queryset):
        return queryset.annotate(key=Cast("pk", output_field=CharField())).values("key")

    bookings, orders = ContentType.objects.get_for_models(Booking, Order).values()
    return entries.exclude(
        Q(content_type=bookings) & ~Q(object_id__in=ids(bookings_for_admin(user=user, site=site)))
    ).exclude(
        Q(content_type=orders) & ~Q(object_id__in=ids(orders_for_admin(user=user, site=site)))
    )


def providers_for_admin(*, user, site) -> QuerySet[Provider]:
    """The providers whose bookings ``user`` may see (for the list's filter)."""
    if is_territory_staff(user):
        return Provider.objects.filter(site=site)
    return Provider.objects.filter(pk__in=member_provider_ids(user=user))


def booked_offers(*, bookings: QuerySet[Booking]) -> QuerySet[OfferPage]:
    """The offers that appear in ``bookings`` (for the list's filter), by title."""
    return OfferPage.objects.filter(pk__in=bookings.values("offer_id")).order_by("title", "pk")
