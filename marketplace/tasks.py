"""Background work of the marketplace (huey): activity slots, booking e-mails.

Providers' application e-mails are in :mod:`marketplace.provider_notify`.

Tasks take ids, re-read what they need and are safe to run twice.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from marketplace.services import activity_slots_extend_all


@db_periodic_task(crontab(hour=3, minute=0))
def activity_slots_extend() -> int:
    """Daily: every live activity has dated slots for the next 90 days."""
    return activity_slots_extend_all()


# --- Bookings -----------------------------------------------------------------------------


def _send_booking_mail(*, template: str, context: dict, recipients: list[str], language: str):
    """One e-mail, text and HTML, rendered in ``language``."""
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return 0
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"marketplace/emails/{template}_subject.txt", context)
        text = render_to_string(f"marketplace/emails/{template}.txt", context)
        html = render_to_string(f"marketplace/emails/{template}.html", context)
    message = EmailMultiAlternatives(
        " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, recipients
    )
    message.attach_alternative(html, "text/html")
    return message.send()


def _provider_recipients(provider) -> list[str]:
    members = provider.memberships.select_related("user").filter(user__is_active=True)
    return [provider.email] + [m.user.email for m in members]


def _order_context(order) -> dict:
    from marketplace.emails import order_email_context

    return order_email_context(order)


@db_task()
def order_confirmed_notify(order_id: int) -> int:
    """The visitor's confirmation, and one "new booking" e-mail per provider."""
    from marketplace.models import Order, OrderStatus

    order = Order.objects.select_related("site").filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.PAID:
        return 0
    context = _order_context(order)
    sent = _send_booking_mail(
        template="order_confirmed",
        context=context,
        recipients=[order.email],
        language=order.language,
    )
    for group in context["providers"]:
        sent += _send_booking_mail(
            template="provider_new_booking",
            context={**context, "group": group},
            recipients=_provider_recipients(group["provider"]),
            language=settings.LANGUAGE_CODE,
        )
    return sent


@db_task()
def order_late_refunded_notify(order_id: int) -> int:
    """Paid after the hold expired and the capacity went to someone else: refunded."""
    from marketplace.models import Order, OrderStatus

    order = Order.objects.select_related("site").filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.REFUNDED:
        return 0
    return _send_booking_mail(
        template="order_late_refunded",
        context=_order_context(order),
        recipients=[order.email],
        language=order.language,
    )


@db_task()
def booking_cancelled_notify(booking_id: int) -> int:
    """A cancellation and its refund, to the visitor and to the provider."""
    from marketplace.emails import booking_email_context
    from marketplace.models import Booking

    booking = Booking.objects.select_related("order", "provider").filter(pk=booking_id).first()
    if booking is None or not booking.is_cancelled:
        return 0
    context = booking_email_context(booking)
    sent = _send_booking_mail(
        template="booking_cancelled",
        context=context,
        recipients=[booking.order.email],
        language=booking.order.language,
    )
    sent += _send_booking_mail(
        template="provider_booking_cancelled",
        context=context,
        recipients=_provider_recipients(booking.provider),
        language=settings.LANGUAGE_CODE,
    )
    return sent


@db_periodic_task(crontab(minute="*"))
def holds_expire() -> int:
    """Every minute: orders not paid in time give their capacity back."""
    from marketplace.bookings import holds_expire as expire

    return expire()


@db_periodic_task(crontab(hour=2, minute=30))
def bookings_complete() -> int:
    """Daily: stays and activities that are over become completed."""
    from marketplace.bookings import bookings_complete as complete

    return complete()
