"""Carts, orders and bookings: what a visitor chose, held and paid.

A :class:`Cart` holds :class:`CartLine`\\ s from several providers. Checkout turns it into
one :class:`Order` (one payment) and one :class:`Booking` per line, each *held*: the
capacity it needs is reserved in the availability tables (:class:`StayNight`,
:class:`ActivitySlot`, :class:`ProductStock`) until the hold expires. A booking freezes
its price and the commission quote it was sold with; later rule or price changes never
touch it. States move only through :mod:`marketplace.orders.transitions`, which locks the rows.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from commissions.fields import CentsField
from marketplace.models.territory import CancellationPolicy
from marketplace.tourist_tax.categories import EXEMPTION_GROUND_PROOFS

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def party_text(
    *, adults: int | None, minors: int | None, guests: int | None = None, exempt: int = 0
) -> str:
    """Who stays, in the reader's language: "2 adultes, 1 mineur" / "2 adults, 1 minor",
    then the adults declared exempt from the tourist tax, if any: "…, dont 1 adulte
    exonéré" / "…, including 1 exempt adult".

    Minors are named only when there are some. A stay booked before adults and minors
    were asked (``adults`` is None) shows its number of guests, if it had one.
    """
    if adults is None:
        if not guests:
            return ""
        return ngettext("%(count)d guest", "%(count)d guests", guests) % {"count": guests}
    text = ngettext("%(count)d adult", "%(count)d adults", adults) % {"count": adults}
    if minors:
        text += ", " + ngettext("%(count)d minor", "%(count)d minors", minors) % {"count": minors}
    if exempt:
        text += ", " + ngettext(
            "including %(count)d exempt adult", "including %(count)d exempt adults", exempt
        ) % {"count": exempt}
    return text


def party_constraint(name: str) -> models.CheckConstraint:
    """Adults and minors go together, with at least one adult, and add up to ``guests``
    (the number capacity counts); rows without them (activities, products, stays booked
    before they were asked) have neither."""
    return models.CheckConstraint(
        condition=models.Q(adults__isnull=True, minors__isnull=True)
        | models.Q(
            # Each one spelled out: a NULL would make the comparisons unknown, which a
            # CHECK lets through.
            adults__isnull=False,
            minors__isnull=False,
            guests__isnull=False,
            adults__gte=1,
            guests=models.F("adults") + models.F("minors"),
        ),
        name=name,
    )


def exempt_constraint(name: str) -> models.CheckConstraint:
    """Adults declared exempt from the tourist tax are some of the adults: none on a row
    without adults (activities, products, stays booked before they were asked)."""
    return models.CheckConstraint(
        condition=models.Q(tax_exempt_persons=0)
        | models.Q(adults__isnull=False, tax_exempt_persons__lte=models.F("adults")),
        name=name,
    )


def new_reference(prefix: str) -> str:
    """A short, unambiguous public reference such as ``C-7KQ2M9``."""
    return prefix + "-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


class ProductStock(models.Model):
    """Items of a product held or sold and not yet restocked: the row locked when booking.

    The editable ``stock`` of a product is what the shop has for sale; free items are
    ``stock - taken``. It lives beside the page (not on it) so that publishing a page
    revision never overwrites what bookings took.
    """

    offer = models.OneToOneField(
        "marketplace.ProductOfferPage",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stock_state",
    )
    taken = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("product stock")


class Cart(models.Model):
    """A visitor's cart in one territory: in the session until they log in, then theirs."""

    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="carts",
    )
    # Changes whenever the lines change; a checkout names the version it was shown, so
    # submitting the same checkout twice, or a stale one, never creates a second order.
    version = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "user"],
                condition=models.Q(user__isnull=False),
                name="one_cart_per_user_and_site",
            )
        ]
        verbose_name = _("cart")

    def __str__(self):
        return f"cart {self.pk}"


class CartLine(models.Model):
    """One choice: a stay's dates and units, an activity slot and persons, or items."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey(
        "marketplace.OfferPage", on_delete=models.CASCADE, related_name="cart_lines"
    )
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    slot = models.ForeignKey(
        "marketplace.ActivitySlot",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="cart_lines",
    )
    # Units (stays), persons (activities) or items (products).
    quantity = models.PositiveIntegerField()
    # A stay's guests: adults and minors (the tourist tax exempts minors), and their
    # total, which capacity counts. None for activities and products.
    guests = models.PositiveIntegerField(null=True, blank=True)
    adults = models.PositiveIntegerField(null=True, blank=True)
    minors = models.PositiveIntegerField(null=True, blank=True)
    # Adults the visitor declares exempt from the tourist tax (seasonal workers, emergency
    # housing: L. 2333-31), where the territory lets them and the platform collects it.
    tax_exempt_persons = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            party_constraint("cart_line_guests_are_adults_and_minors"),
            exempt_constraint("cart_line_exempt_persons_are_adults"),
        ]
        verbose_name = _("cart line")

    @property
    def party(self) -> str:
        return party_text(
            adults=self.adults,
            minors=self.minors,
            guests=self.guests,
            exempt=self.tax_exempt_persons,
        )


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    ABANDONED = "abandoned", _("Payment abandoned")
    EXPIRED = "expired", _("Expired")
    REFUNDED = "refunded", _("Paid too late, refunded")


class Order(models.Model):
    """One checkout, paid once, with one booking per cart line."""

    site = models.ForeignKey("wagtailcore.Site", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(max_length=10, default="fr")
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    checkout_key = models.UUIDField(unique=True)
    subtotal = CentsField(_("price"), default=0)
    visitor_fee = CentsField(_("service fee"), default=0)
    # The tourist tax the platform collects with this payment (its bookings' ``tax``).
    tax = CentsField(_("tourist tax"), default=0)
    # What the visitor pays: price + service fee + tourist tax.
    total = CentsField(_("total"), default=0)
    hold_expires_at = models.DateTimeField(_("held until"))
    gateway = models.CharField(max_length=20, default="dev")
    payment_ref = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # When an abandoned or expired order gave its capacity back: the cool-down's clock.
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    anonymised = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "hold_expires_at"], name="order_status_hold"),
        ]
        verbose_name = pgettext_lazy("purchase", "order")
        verbose_name_plural = _("orders")

    def __str__(self):
        return self.reference

    def is_payable(self, now=None) -> bool:
        """Awaiting payment and still held: the visitor may pay it now."""
        return self.status == OrderStatus.PENDING and self.hold_expires_at > (now or timezone.now())


class BookingStatus(models.TextChoices):
    HELD = "held", _("Held")
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    EXPIRED = "expired", _("Expired")
    CANCELLED_BY_VISITOR = "cancelled_by_visitor", _("Cancelled by the visitor")
    CANCELLED_BY_PROVIDER = "cancelled_by_provider", _("Cancelled by the provider")


ACTIVE_STATUSES = (BookingStatus.HELD, BookingStatus.CONFIRMED)
CANCELLED_STATUSES = (BookingStatus.CANCELLED_BY_VISITOR, BookingStatus.CANCELLED_BY_PROVIDER)


class Booking(models.Model):
    """One line of an order, with its price and commission frozen when it was sold."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="bookings")
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    offer = models.ForeignKey(
        "marketplace.OfferPage", on_delete=models.PROTECT, related_name="bookings"
    )
    provider = models.ForeignKey(
        "marketplace.Provider", on_delete=models.PROTECT, related_name="bookings"
    )
    kind = models.CharField(_("kind"), max_length=20)
    offer_title = models.CharField(_("offer"), max_length=255)
    start = models.DateField(_("start"), null=True, blank=True, db_index=True)
    end = models.DateField(_("end"), null=True, blank=True)
    slot = models.ForeignKey(
        "marketplace.ActivitySlot",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
    )
    # When the service starts (the policy's clock): check-in, slot start; none for goods.
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    # A stay's guests (adults + minors: what capacity counts), adults and minors (the
    # tourist tax exempts minors). None for activities and products, and adults and
    # minors None for a stay booked before they were asked without a number of guests.
    guests = models.PositiveIntegerField(_("guests"), null=True, blank=True)
    adults = models.PositiveIntegerField(_("adults"), null=True, blank=True)
    minors = models.PositiveIntegerField(_("minors"), null=True, blank=True)
    # Adults declared exempt from the tourist tax (L. 2333-31: seasonal workers employed
    # in the commune, emergency housing), checked by the provider on arrival; the grounds
    # the territory offered are in ``tax_details``.
    tax_exempt_persons = models.PositiveSmallIntegerField(
        _("adults exempt from the tourist tax"), default=0
    )
    status = models.CharField(
        _("status"),
        max_length=30,
        choices=BookingStatus.choices,
        default=BookingStatus.HELD,
        db_index=True,
    )
    # Frozen price and commission (cents).
    price_lines = models.JSONField(default=list)
    subtotal = CentsField(_("price"))
    visitor_fee = CentsField(_("service fee"), default=0)
    provider_commission = CentsField(_("provider commission"), default=0)
    # The tourist tax the visitor pays with the booking (0 when the host collects it on
    # site, and for activities and products), and what it was computed from, frozen for
    # the declaration (keys: marketplace.stay_tax.DETAIL_KEYS; empty for non-stays).
    tax = CentsField(_("tourist tax"), default=0)
    tax_details = models.JSONField(_("tourist tax details"), default=dict, blank=True)
    allocations = models.JSONField(default=dict)
    rule_key = models.CharField(max_length=80, blank=True)
    rule_revision_id = models.PositiveIntegerField(null=True, blank=True)
    cancellation_policy = models.CharField(
        _("cancellation policy"), max_length=20, choices=CancellationPolicy.choices
    )
    refunded = CentsField(_("refunded"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # The day the provider's share becomes payable (issue 13 §2): the service's start
    # (or, for goods, the day of payment) plus the territory's payout delay, fixed when
    # the booking is paid. None until then. Stripe transfers and payout runs wait for it.
    payable_on = models.DateField(_("payable on"), null=True, blank=True, db_index=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["provider", "status"], name="booking_provider_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="booking_quantity_positive"
            ),
            party_constraint("booking_guests_are_adults_and_minors"),
            models.CheckConstraint(
                condition=models.Q(kind="stay")
                | models.Q(adults__isnull=True, minors__isnull=True),
                name="booking_adults_and_minors_only_for_stays",
            ),
            exempt_constraint("booking_exempt_persons_are_adults"),
        ]
        verbose_name = pgettext_lazy("noun", "booking")
        verbose_name_plural = pgettext_lazy("noun", "bookings")
        # A provider's members cancel their bookings in the admin (full refund); nobody
        # adds or edits a booking there.
        permissions = [("cancel_booking", "Can cancel a booking")]

    def __str__(self):
        return f"{self.reference} · {self.offer_title}"

    @property
    def title_shown(self) -> str:
        """The offer's title as the visitor reads it: its translation's in their language
        when :func:`marketplace.selectors.bookings_localise` found one, else the title
        recorded when booking (kept for the records, the admin, the provider)."""
        return getattr(self, "offer_title_translated", "") or self.offer_title

    @property
    def visitor_total(self) -> int:
        return self.subtotal + self.visitor_fee + self.tax

    @property
    def provider_net(self) -> int:
        return self.subtotal - self.provider_commission

    @property
    def commission(self) -> int:
        return self.visitor_fee + self.provider_commission

    @property
    def is_cancelled(self) -> bool:
        return self.status in CANCELLED_STATUSES

    @property
    def party(self) -> str:
        return party_text(
            adults=self.adults,
            minors=self.minors,
            guests=self.guests,
            exempt=self.tax_exempt_persons,
        )

    @property
    def tax_exemption_proofs(self) -> list[str]:
        """What the provider asks the adults declared exempt to show on arrival (one
        of), from the grounds the territory offered when they were declared."""
        if not self.tax_exempt_persons:
            return []
        grounds = (self.tax_details or {}).get("exemption_grounds") or []
        return [str(EXEMPTION_GROUND_PROOFS[g]) for g in grounds if g in EXEMPTION_GROUND_PROOFS]


class Refund(models.Model):
    """Money given back on a booking: a cancellation's share, or a late payment's whole."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="refunds")
    amount = CentsField(_("amount"))
    # The fraction of the booking's confirmed transaction it reverses.
    fraction_numerator = models.PositiveBigIntegerField()
    fraction_denominator = models.PositiveBigIntegerField()
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    gateway_ref = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("refund")
