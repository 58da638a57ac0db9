"""A visitor's own side: their bookings by section, the export of their data, its erasure.

Reads (:func:`bookings_sections`, :func:`booking_cancel_refusal`,
:func:`account_data_export`, :func:`account_erase_refusal`) and one write
(:func:`account_erase`). The pages are in :mod:`marketplace.orders.views_account`.

**Erasure** (what "delete my account" does, decided here):

- It is refused while the person has something still to happen: an order awaiting
  payment, or a confirmed stay or activity that is not over. They cancel it (under its
  policy, from "Mes réservations") or wait until it is over, then delete. Refusing is
  simpler and safer than cancelling on their behalf: nobody loses money by surprise,
  and a provider never expects someone whose contact is gone. Click-and-collect goods
  have no date (and no "collected" state yet), so they do not hold the deletion back;
  the shop keeps the booking under its reference.
- Personal data go: the orders' e-mail is blanked and the orders marked ``anonymised``
  and detached from the account, reasons the visitor typed when cancelling are
  blanked (bookings and refunds), carts and allauth e-mail addresses are deleted.
  Provider applications that never became a provider are deleted
  (:func:`provider_applications_withdraw`). Apps registered in
  :mod:`marketplace.personal_data` erase what they keep about the orders (``payments``
  scrubs the names, e-mails, addresses and phones Stripe sent in its webhooks).
- Amounts, orders, bookings, refunds and the ledger stay (the territory's accounts
  need them; they hold no personal data). Ledger rows are never changed; only their
  ``created_by`` link becomes empty when the account row goes (``SET_NULL``, which the
  ledger's triggers allow for that column alone).
- The account row is deleted. A member of a provider or of a group of the territory's
  staff (editors, finance, council) is deactivated and scrubbed instead (no e-mail, no
  name, no password, no group, no membership): the row stays because page revisions,
  workflow approvals and the admin's history point to it. Django staff and superusers
  delete their account through another administrator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.selectors import beneficiary_names
from marketplace.commission import booking_breakdown
from marketplace.models import (
    Booking,
    BookingStatus,
    Cart,
    Order,
    OrderStatus,
    Provider,
    ProviderMembership,
    ProviderStatus,
    Refund,
)
from marketplace.personal_data import (
    own_rows_delete,
    personal_data_sources,
    records_of,
    relation_queryset,
)
from marketplace.services import PROVIDER_APPLICATION_FIELDS, SELLER_IDENTITY_FIELDS

# --- Mes réservations --------------------------------------------------------------------


@dataclass
class BookingsSections:
    """A person's bookings: still to come, over, cancelled, and never paid."""

    upcoming: list[Booking] = field(default_factory=list)
    past: list[Booking] = field(default_factory=list)
    cancelled: list[Booking] = field(default_factory=list)
    # Held while awaiting payment, expired, or paid too late and refunded.
    unpaid: list[Booking] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.upcoming or self.past or self.cancelled or self.unpaid)


def booking_is_over(booking: Booking, *, today: dt.date) -> bool:
    """A stay after its last night, an activity after its day (as ``bookings_complete``)."""
    if booking.kind == "stay":
        return booking.end is not None and booking.end < today
    if booking.kind == "activity":
        return booking.start is not None and booking.start < today
    return False


def bookings_of(*, user):
    """The person's bookings, with their order and provider (one query)."""
    return Booking.objects.filter(order__user=user).select_related("order", "provider")


def bookings_sections(*, user, now: dt.datetime | None = None) -> BookingsSections:
    """The person's bookings sorted into the sections of "Mes réservations" (one query)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sections = BookingsSections()
    for booking in bookings_of(user=user):
        if booking.is_cancelled:
            sections.cancelled.append(booking)
        elif booking.status == BookingStatus.COMPLETED:
            sections.past.append(booking)
        elif booking.status == BookingStatus.CONFIRMED:
            if booking_is_over(booking, today=today):
                sections.past.append(booking)
            else:
                sections.upcoming.append(booking)
        else:
            sections.unpaid.append(booking)
    far = dt.date.max
    sections.upcoming.sort(key=lambda b: (b.start or far, b.starts_at or now, b.pk))
    sections.past.sort(key=lambda b: (b.start or dt.date.min, b.pk), reverse=True)
    sections.cancelled.sort(key=lambda b: (b.cancelled_at or now, b.pk), reverse=True)
    sections.unpaid.sort(key=lambda b: (b.created_at, b.pk), reverse=True)
    return sections


def booking_cancel_refusal(booking: Booking, *, now: dt.datetime | None = None) -> str:
    """Why the visitor cannot cancel ``booking`` now, or ``""`` when they can.

    The same conditions as :func:`marketplace.orders.transitions.booking_cancel`, checked before
    showing the confirmation page.
    """
    now = now or timezone.now()
    if booking.is_cancelled:
        return _("This booking is already cancelled.")
    if booking.status != BookingStatus.CONFIRMED:
        return _("Only a confirmed booking that has not taken place can be cancelled.")
    if booking.starts_at is not None and booking.starts_at <= now:
        return _("This booking has already started; contact the provider.")
    return ""


# --- Export ----------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def account_data_export(*, user) -> dict:
    """Everything the marketplace keeps about ``user``, as JSON-ready data.

    Their account and groups, e-mail addresses, second factors (that they exist, never
    their secrets), logged-in sessions (when allauth keeps them), their admin profile,
    provider applications (every field they filled in, and the territory's decision),
    provider memberships, carts, orders with their bookings (price lines, service fee,
    total, who got the commission) and refunds, consents, what other apps registered
    (:mod:`marketplace.personal_data`: the payment provider's records) and a count of
    the admin records that name them. Amounts are integer cents in the order's
    currency. Nobody else's data.
    """
    from allauth.account.models import EmailAddress

    orders = list(Order.objects.filter(user=user).select_related("site").order_by("created_at"))
    bookings = list(
        Booking.objects.filter(order__in=orders)
        .select_related("provider")
        .prefetch_related("refunds")
        .order_by("pk")
    )
    # Beneficiaries' names: one query per territory the person ordered in.
    site_of = {order.pk: order.site_id for order in orders}
    keys_by_site: dict[int, set[str]] = {}
    for booking in bookings:
        keys_by_site.setdefault(site_of[booking.order_id], set()).update(booking.allocations)
    names = {
        site_id: beneficiary_names(site_id=site_id, keys=keys)
        for site_id, keys in keys_by_site.items()
    }
    by_order: dict[int, list[Booking]] = {}
    for booking in bookings:
        by_order.setdefault(booking.order_id, []).append(booking)
    carts = Cart.objects.filter(user=user).select_related("site").prefetch_related("lines__offer")
    data = {
        "format": "comptoir-personal-data/2",
        "exported_at": timezone.now().isoformat(),
        "amounts": "integer cents, in the order's currency",
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "is_active": user.is_active,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        },
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "mfa_authenticators": _authenticators(user),
        "sessions": _sessions(user),
        "admin_profile": _admin_profile(user),
        "provider_applications": [
            _application_data(provider)
            for provider in Provider.objects.filter(applied_by=user)
            .select_related("site", "category")
            .order_by("applied_at", "pk")
        ],
        "provider_memberships": [
            {
                "provider": membership.provider.name,
                "role": membership.role,
                "since": _iso(membership.created_at),
            }
            for membership in ProviderMembership.objects.filter(user=user)
            .select_related("provider")
            .order_by("pk")
        ],
        "carts": [
            {
                "territory": cart.site.site_name,
                "updated_at": _iso(cart.updated_at),
                "lines": [
                    {
                        "offer": line.offer.title,
                        "start": _iso(line.start),
                        "end": _iso(line.end),
                        "slot": line.slot_id,
                        "quantity": line.quantity,
                        "guests": line.guests,
                        "adults": line.adults,
                        "minors": line.minors,
                        "tax_exempt_persons": line.tax_exempt_persons,
                    }
                    for line in cart.lines.all()
                ],
            }
            for cart in carts
        ],
        "orders": [
            _order_data(order, by_order.get(order.pk, []), names=names.get(order.site_id, {}))
            for order in orders
        ],
        # Comptoir asks for no consent of its own (no newsletter, no tracking cookie);
        # those given on a payment provider's page are added by its source.
        "consents": [],
        "records": records_of(user=user),
    }
    order_ids = [order.pk for order in orders]
    for source in personal_data_sources():
        for section, rows in source.export(user=user, order_ids=order_ids).items():
            data.setdefault(section, []).extend(rows)
    return data


def _authenticators(user) -> list[dict]:
    """The second factors the person set up: their kind and dates, never their secrets."""
    rows = relation_queryset("mfa.Authenticator.user", user=user)
    if rows is None:
        return []
    return [
        {
            "type": authenticator.type,
            "created_at": _iso(authenticator.created_at),
            "last_used_at": _iso(authenticator.last_used_at),
        }
        for authenticator in rows.order_by("pk")
    ]


def _sessions(user) -> list[dict]:
    """Where and when the person is logged in, when allauth's user sessions are kept."""
    rows = relation_queryset("usersessions.UserSession.user", user=user)
    if rows is None:
        return []
    return [
        {
            "ip": session.ip,
            "user_agent": session.user_agent,
            "created_at": _iso(session.created_at),
            "last_seen_at": _iso(session.last_seen_at),
        }
        for session in rows.order_by("pk")
    ]


def _admin_profile(user) -> dict | None:
    """The admin's preferences of a team member (language, time zone, notifications...)."""
    profile = relation_queryset("wagtailusers.UserProfile.user", user=user).first()
    if profile is None:
        return None
    data = {}
    for model_field in profile._meta.concrete_fields:
        if model_field.name in ("id", "user"):
            continue
        value = getattr(profile, model_field.name)
        if isinstance(value, FieldFile):
            value = value.name or None
        data[model_field.name] = value
    return data


def _application_data(provider: Provider) -> dict:
    data = {"territory": provider.site.site_name, "category": str(provider.category)}
    for name in PROVIDER_APPLICATION_FIELDS:
        if name == "category":
            continue
        value = getattr(provider, name)
        data[name] = str(value) if isinstance(value, Decimal) else value
    # The seller's identity for the tax report (names, birth, tax number).
    for name in SELLER_IDENTITY_FIELDS:
        value = getattr(provider, name)
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    data.update(
        {
            "status": provider.status,
            "reason": provider.status_reason,
            "applied_at": _iso(provider.applied_at),
            "reviewed_at": _iso(provider.reviewed_at),
        }
    )
    return data


def _order_data(order: Order, bookings: list[Booking], *, names: dict[str, str]) -> dict:
    return {
        "reference": order.reference,
        "territory": order.site.site_name,
        "email": order.email,
        "language": order.language,
        "currency": order.currency,
        "status": order.status,
        "created_at": _iso(order.created_at),
        "paid_at": _iso(order.paid_at),
        "subtotal": order.subtotal,
        "service_fee": order.visitor_fee,
        "total": order.total,
        "bookings": [_booking_data(booking, names=names) for booking in bookings],
    }


def _booking_data(booking: Booking, *, names: dict[str, str]) -> dict:
    breakdown = booking_breakdown(booking, names=names)
    return {
        "reference": booking.reference,
        "offer": booking.offer_title,
        "provider": booking.provider.name,
        "kind": booking.kind,
        "status": booking.status,
        "start": _iso(booking.start),
        "end": _iso(booking.end),
        "starts_at": _iso(booking.starts_at),
        "quantity": booking.quantity,
        "guests": booking.guests,
        "adults": booking.adults,
        "minors": booking.minors,
        "tax_exempt_persons": booking.tax_exempt_persons,
        "price_lines": [
            {
                "label": line.label,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "total": line.total,
            }
            for line in breakdown.lines
        ],
        "price": booking.subtotal,
        "service_fee": booking.visitor_fee,
        "tourist_tax": booking.tax,
        "total": booking.visitor_total,
        "commission_shares": [
            {"beneficiary": name, "amount": cents} for name, cents in breakdown.beneficiaries
        ],
        "cancellation_policy": booking.cancellation_policy,
        "confirmed_at": _iso(booking.confirmed_at),
        "cancelled_at": _iso(booking.cancelled_at),
        "cancel_reason": booking.cancel_reason,
        "refunded": booking.refunded,
        "refunds": [
            {"amount": refund.amount, "date": _iso(refund.created_at), "reason": refund.reason}
            for refund in booking.refunds.all()
        ],
    }


# --- Erasure ---------------------------------------------------------------------------------


class AccountEraseError(Exception):
    """The account cannot be erased now; ``message`` says why, for its owner."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def account_erase_refusal(*, user, now: dt.datetime | None = None) -> str:
    """Why ``user``'s account cannot be erased now, or ``""`` (see the module doc)."""
    now = now or timezone.now()
    if user.is_staff or user.is_superuser:
        return _(
            "Your account is a staff account of the territory: ask an administrator to delete it."
        )
    if Order.objects.filter(
        user=user, status=OrderStatus.PENDING, hold_expires_at__gt=now
    ).exists():
        return _(
            "An order of yours is awaiting payment: pay or abandon it before deleting your account."
        )
    confirmed = Booking.objects.filter(order__user=user, status=BookingStatus.CONFIRMED)
    today = timezone.localdate(now)
    if any(
        not booking_is_over(booking, today=today)
        for booking in confirmed.exclude(kind="product").only("kind", "start", "end")
    ):
        return _(
            "You have bookings still to come: cancel them or wait until they are over "
            "before deleting your account."
        )
    return ""


@transaction.atomic
def account_erase(*, user, now: dt.datetime | None = None) -> bool:
    """Erase ``user``'s personal data and their account; keep amounts and the ledger.

    Returns ``True`` when the account row was deleted, ``False`` when it was
    deactivated and scrubbed (a provider's or the territory's team member). Raises
    :class:`AccountEraseError` when :func:`account_erase_refusal` says no. See the
    module doc for what goes.
    """
    from allauth.account.models import EmailAddress

    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    refusal = account_erase_refusal(user=user, now=now)
    if refusal:
        raise AccountEraseError(refusal)
    orders = Order.objects.filter(user=user)
    order_ids = list(orders.values_list("pk", flat=True))
    for source in personal_data_sources():
        source.erase(user=user, order_ids=order_ids)
    provider_applications_withdraw(user=user)
    Booking.objects.filter(order__in=orders, status=BookingStatus.CANCELLED_BY_VISITOR).update(
        cancel_reason=""
    )
    Refund.objects.filter(
        booking__order__in=orders, booking__status=BookingStatus.CANCELLED_BY_VISITOR
    ).update(reason="")
    orders.update(email="", anonymised=True, user=None)
    Cart.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    if not (ProviderMembership.objects.filter(user=user).exists() or user.groups.exists()):
        user.delete()
        return True
    _scrub(user)
    return False


def provider_applications_withdraw(*, user) -> int:
    """Withdraw the person's applications that never became a provider; return how many.

    An application waiting for a decision, or turned down, holds the applicant's data
    (name, address, phone, SIRET...): it is emptied in place and marked withdrawn, so
    it leaves the editors' queue and the search index, and the admin's history of it
    keeps no name. The row itself stays: a commission rule may name it, and a rule
    whose providers became empty would apply to every provider. An approved (or since
    suspended) provider is the business's record, which its bookings, invoices and the
    ledger name: it stays, and its other members or the territory change its contact
    details.
    """
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry
    from wagtail.search import index

    applications = list(
        Provider.objects.select_for_update().filter(
            applied_by=user,
            status__in=(ProviderStatus.APPLIED, ProviderStatus.REJECTED),
            group__isnull=True,
            collection__isnull=True,
        )
    )
    if not applications:
        return 0
    content_type = ContentType.objects.get_for_model(Provider)
    for provider in applications:
        label = f"provider #{provider.pk}"
        ModelLogEntry.objects.filter(content_type=content_type, object_id=str(provider.pk)).update(
            label=label, data={}
        )
        provider.status = ProviderStatus.WITHDRAWN
        provider.status_reason = ""
        provider.applied_by = None
        provider.name = label
        provider.slug = f"withdrawn-{provider.pk}"
        # What the applicant filled in, but the category (a rule may name it too).
        for name in PROVIDER_APPLICATION_FIELDS:
            if name in ("name", "category"):
                continue
            field = provider._meta.get_field(name)
            setattr(provider, name, None if field.null else "")
        # The seller's identity (an individual's names, birth date and place, tax number).
        for name in SELLER_IDENTITY_FIELDS:
            setattr(provider, name, provider._meta.get_field(name).get_default())
        provider.classification = None
        provider.save()
        provider.labels.clear()
        index.remove_object(provider)
    return len(applications)


def _scrub(user) -> None:
    """A team member's row stays for the history that points to it, emptied."""
    from wagtail.users.models import UserProfile

    ProviderMembership.objects.filter(user=user).delete()
    UserProfile.objects.filter(user=user).delete()
    own_rows_delete(user=user)
    user.groups.clear()
    user.user_permissions.clear()
    user.username = f"deleted-{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
