"""The order life cycle's e-mails (huey tasks): confirmation, late refund, cancellation.

The transitions queue them after commit; each takes an id, re-reads what it needs and
sends nothing when the state it announces is no longer true, so running twice is safe.
What the e-mails say is :mod:`marketplace.orders.emails` (their context) and the
templates in ``marketplace/templates/marketplace/emails/``. No state change here.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from huey.contrib.djhuey import db_task

from marketplace.models import Booking, Order, OrderStatus
from marketplace.orders.emails import booking_email_context, order_email_context

# Huey finds a queued task by "<module>.<function>". These tasks were declared in
# marketplace/tasks.py before issue 12: they keep that name, so that messages already
# queued at deploy time still find them. ``marketplace.tasks`` imports them, so the name
# also works in Python.
QUEUED_AS = {"__module__": "marketplace.tasks"}


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


@db_task(**QUEUED_AS)
def order_confirmed_notify(order_id: int) -> int:
    """The visitor's confirmation, and one "new booking" e-mail per provider."""
    order = Order.objects.select_related("site").filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.PAID:
        return 0
    context = order_email_context(order)
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


@db_task(**QUEUED_AS)
def order_late_refunded_notify(order_id: int) -> int:
    """Paid after the hold expired and the capacity went to someone else: refunded."""
    order = Order.objects.select_related("site").filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.REFUNDED:
        return 0
    return _send_booking_mail(
        template="order_late_refunded",
        context=order_email_context(order),
        recipients=[order.email],
        language=order.language,
    )


@db_task(**QUEUED_AS)
def booking_cancelled_notify(booking_id: int) -> int:
    """A cancellation and its refund, to the visitor and to the provider."""
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
