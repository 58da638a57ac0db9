"""The visitor's own pages: "Mes réservations", a booking, cancelling it, their data.

Views only (templates in ``marketplace/templates/marketplace/account/``): the sections,
the export and the erasure are :mod:`marketplace.accounts`, the frozen breakdown
:func:`marketplace.commission.booking_breakdown`, cancellation and refunds
:func:`marketplace.orders.transitions.booking_cancel`. Everything needs a signed-in
person and shows only their own bookings: another person's reference is a 404, for GET
and POST alike. Responses are private (``no-store``): never shared by a cache.
"""

import json

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from commissions.money import money
from marketplace.accounts import (
    AccountEraseError,
    account_data_export,
    account_erase,
    account_erase_refusal,
    booking_cancel_refusal,
    bookings_of,
    bookings_sections,
)
from marketplace.commission import booking_breakdown
from marketplace.models import Booking
from marketplace.orders.accounting import refund_preview
from marketplace.orders.forms import AccountDeleteForm, BookingCancelForm
from marketplace.orders.policies import policy_for
from marketplace.orders.transitions import BookingError, booking_cancel
from marketplace.selectors import bookings_localise


def _private(response):
    add_never_cache_headers(response)
    return response


def _own_booking(request, reference: str) -> Booking:
    """The signed-in person's booking, its offer's title in their language."""
    booking = get_object_or_404(bookings_of(user=request.user), reference=reference)
    bookings_localise([booking])
    return booking


def _amount(cents: int, booking: Booking) -> str:
    return money(cents, currency=booking.order.currency)


@login_required
@require_GET
def my_bookings_view(request):
    """Upcoming, past and cancelled bookings; the unpaid ones in a short note."""
    now = timezone.now()
    sections = bookings_sections(user=request.user, now=now)
    bookings_localise(sections.upcoming + sections.past + sections.cancelled + sections.unpaid)
    awaiting = {
        booking.order.reference: booking.order
        for booking in sections.unpaid
        if booking.order.is_payable(now)
    }
    return _private(
        TemplateResponse(
            request,
            "marketplace/account/bookings.html",
            {"sections": sections, "awaiting_orders": list(awaiting.values())},
        )
    )


@login_required
@require_GET
def my_booking_view(request, reference: str):
    """One booking: what was bought, the frozen breakdown, the policy, refunds, cancel."""
    booking = _own_booking(request, reference)
    return _private(
        TemplateResponse(
            request,
            "marketplace/account/booking.html",
            {
                "booking": booking,
                "order": booking.order,
                "breakdown": booking_breakdown(booking),
                "policy": policy_for(booking.cancellation_policy),
                "refunds": list(booking.refunds.all()),
                "cancel_refusal": booking_cancel_refusal(booking),
            },
        )
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_booking_cancel_view(request, reference: str):
    """GET: what cancelling now gives back. POST: cancel, refund under the policy."""
    booking = _own_booking(request, reference)
    now = timezone.now()
    refusal = booking_cancel_refusal(booking, now=now)
    form = BookingCancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if booking.is_cancelled:
            messages.info(request, _("This booking was already cancelled: nothing changed."))
            return redirect("my_booking", reference=booking.reference)
        if refusal:
            messages.error(request, refusal)
            return redirect("my_booking", reference=booking.reference)
        if form.is_valid():
            try:
                refund = booking_cancel(
                    booking_id=booking.pk,
                    by_provider=False,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except BookingError as error:  # a lock that timed out too: BusyError
                messages.error(request, error.message)
            else:
                if refund is not None:
                    messages.success(
                        request,
                        _(
                            "Your booking is cancelled. %(amount)s will be refunded to the "
                            "means of payment you used."
                        )
                        % {"amount": _amount(refund.amount, booking)},
                    )
                elif not booking.visitor_total:
                    messages.success(
                        request,
                        _(
                            "Your booking is cancelled. Nothing was paid for it: there is "
                            "nothing to refund."
                        ),
                    )
                else:
                    messages.success(
                        request,
                        _("Your booking is cancelled. Under its policy, there is no refund."),
                    )
            return redirect("my_booking", reference=booking.reference)
    policy = policy_for(booking.cancellation_policy)
    context = {
        "booking": booking,
        "order": booking.order,
        "policy": policy,
        "refusal": refusal,
        "form": form,
        "refund": 0,
        "refund_percent": 0,
    }
    if not refusal:
        context["refund"] = refund_preview(booking=booking, by_provider=False, now=now)
        context["refund_percent"] = policy.refund_percent(starts_at=booking.starts_at, now=now)
    return _private(TemplateResponse(request, "marketplace/account/cancel.html", context))


@login_required
@reauthentication_required
@require_GET
def my_data_export_view(request):
    """Everything kept about the signed-in person, as a JSON download.

    Only after a recent re-authentication, as deletion: it holds card digits, addresses
    and the sessions' IP addresses, which a session left open somewhere must not give.
    """
    data = account_data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"comptoir-mes-donnees-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def account_delete_view(request):
    """A deliberate confirmation, then the erasure (see :mod:`marketplace.accounts`).

    Only after a recent re-authentication (allauth's: password, code or second factor):
    a session left open somewhere cannot delete the account.
    """
    refusal = account_erase_refusal(user=request.user)
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            account_erase(user=request.user)
        except AccountEraseError as error:
            refusal = error.message
        else:
            logout(request)
            messages.success(
                request, _("Your account is deleted and your personal data erased. Goodbye!")
            )
            return redirect(reverse("wagtail_serve", args=[""]))
    status = 400 if request.method == "POST" else 200
    return _private(
        TemplateResponse(
            request,
            "marketplace/account/delete.html",
            {"form": form, "refusal": refusal},
            status=status,
        )
    )
