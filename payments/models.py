"""The payment providers' records: what Stripe sent (events) and what was asked of it
(payments, transfers, refunds, reversals), and the reconciliation's differences.

The ledger is not here: it is the books' (:mod:`marketplace.books.models`), which these
records refer to by plain references (idempotency keys, order and booking references).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StripeEndpoint(models.TextChoices):
    PLATFORM = "platform", _("Platform")
    CONNECT = "connect", _("Connect")


class StripeEvent(models.Model):
    """A webhook event received from Stripe, stored as delivered, keyed by its id.

    Storing before processing makes a redelivery a no-op and keeps what Stripe said for
    finance; :func:`payments.stripe.webhooks.stripe_event_process` does the work after commit.
    """

    id = models.CharField(_("event id"), max_length=255, primary_key=True)
    livemode = models.BooleanField(_("live mode"), default=False)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    account = models.CharField(
        _("connected account"),
        max_length=255,
        blank=True,
        help_text=_("The connected account the event is about (Connect events)."),
    )
    endpoint = models.CharField(_("endpoint"), max_length=20, choices=StripeEndpoint.choices)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    # When the payload lost its personal data (see payments.stripe.personal_data).
    payload_scrubbed_at = models.DateTimeField(
        _("personal data removed"), null=True, blank=True, db_index=True
    )

    class Meta:
        ordering = ["-received_at", "id"]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self):
        return f"{self.id} {self.type}"

    @property
    def data_object(self) -> dict:
        """The Stripe object the event is about, as delivered (handlers re-fetch it)."""
        return (self.payload.get("data") or {}).get("object") or {}


# --- Stripe Connect: what was asked of Stripe, and what it answered -----------------------
#
# Every call that moves money is first written here with its deterministic idempotency key
# (committed), then made; the answer fills the row. A call retried after a 500 or a lost
# answer reuses the row's key and amount, so Stripe does it at most once.


class StripeCallStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not needed any more")


class StripePayment(models.Model):
    """The Stripe side of an order: its Checkout Session, then its payment and charge."""

    order = models.OneToOneField(
        "marketplace.Order",
        verbose_name=pgettext_lazy("purchase", "order"),
        on_delete=models.PROTECT,
        related_name="stripe_payment",
    )
    session_id = models.CharField(_("Checkout Session"), max_length=255, unique=True)
    session_url = models.URLField(_("payment page"), max_length=1000)
    session_expires_at = models.DateTimeField(_("payment page expires"))
    # False once the session cannot be paid any more (paid, expired, or expired by us
    # because the order's hold ended first).
    session_open = models.BooleanField(_("payment page open"), default=True)
    payment_intent_id = models.CharField(_("PaymentIntent"), max_length=255, blank=True)
    charge_id = models.CharField(_("charge"), max_length=255, blank=True, db_index=True)
    amount = models.BigIntegerField(_("amount (cents)"), default=0)
    fee = models.BigIntegerField(_("Stripe fee (cents)"), null=True, blank=True)
    # Set once every account owed money by this order has received its transfer.
    transfers_done = models.BooleanField(_("transfers done"), default=False, db_index=True)
    dispute_id = models.CharField(_("dispute"), max_length=255, blank=True)
    dispute_status = models.CharField(_("dispute status"), max_length=40, blank=True)
    dispute_amount = models.BigIntegerField(_("disputed amount (cents)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Stripe payment")
        verbose_name_plural = _("Stripe payments")

    def __str__(self):
        return self.session_id


class StripeTransfer(models.Model):
    """Money sent from the platform to a connected account for one booking."""

    payment = models.ForeignKey(
        StripePayment,
        verbose_name=_("Stripe payment"),
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    booking = models.ForeignKey(
        "marketplace.Booking",
        verbose_name=_("booking"),
        on_delete=models.PROTECT,
        related_name="stripe_transfers",
    )
    account = models.CharField(_("ledger account"), max_length=120)
    destination = models.CharField(_("connected account"), max_length=255)
    amount = models.BigIntegerField(_("amount (cents)"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=StripeCallStatus.choices, default="pending"
    )
    transfer_id = models.CharField(_("Stripe transfer"), max_length=255, blank=True)
    # Tries after a refusal, each under its own key (``<key>:retry<n>``).
    attempts = models.PositiveSmallIntegerField(_("retries after a refusal"), default=0)
    error = models.TextField(_("error"), blank=True)
    amount_reversed = models.BigIntegerField(_("reversed (cents)"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("Stripe transfer")
        verbose_name_plural = _("Stripe transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "account"], name="stripe_transfer_one_per_booking_account"
            )
        ]

    def __str__(self):
        return self.transfer_id or self.idempotency_key


class StripeRefund(models.Model):
    """Money given back to the visitor's card, asked of Stripe after the refund committed."""

    payment = models.ForeignKey(
        StripePayment,
        verbose_name=_("Stripe payment"),
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    amount = models.BigIntegerField(_("amount (cents)"))
    # Also the key of the ledger reversal it pays out, when there is one.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=StripeCallStatus.choices, default="pending"
    )
    refund_id = models.CharField(_("Stripe refund"), max_length=255, blank=True, db_index=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("Stripe refund")
        verbose_name_plural = _("Stripe refunds")

    def __str__(self):
        return self.refund_id or self.idempotency_key


class ReversalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    DEBT = "debt", _("Not covered: debt of the account holder")
    SETTLED = "settled", _("Debt settled from later payments")


class StripeReversal(models.Model):
    """Part of a transfer taken back from a connected account after a refund.

    A reversal the connected account cannot cover becomes its holder's debt
    (``status=debt``): the ledger keeps what the provider owes, and finance sees it.
    """

    transfer = models.ForeignKey(
        StripeTransfer,
        verbose_name=_("Stripe transfer"),
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    refund = models.ForeignKey(
        StripeRefund,
        verbose_name=_("Stripe refund"),
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    amount = models.BigIntegerField(_("amount (cents)"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ReversalStatus.choices, default="pending"
    )
    reversal_id = models.CharField(_("Stripe reversal"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("transfer reversal")
        verbose_name_plural = _("transfer reversals")

    def __str__(self):
        return self.reversal_id or self.idempotency_key


class ReconciliationDifference(models.Model):
    """A difference the daily reconciliation found between the ledger and Stripe."""

    site = models.ForeignKey(
        "wagtailcore.Site", verbose_name=_("territory"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"), db_index=True)
    kind = models.CharField(_("kind"), max_length=40)
    stripe_id = models.CharField(_("Stripe object"), max_length=255, blank=True)
    reference = models.CharField(_("reference"), max_length=255, blank=True)
    ledger_amount = models.BigIntegerField(_("ledger (cents)"), null=True, blank=True)
    stripe_amount = models.BigIntegerField(_("Stripe (cents)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    found_at = models.DateTimeField(_("found at"), default=timezone.now)

    class Meta:
        ordering = ["-day", "kind", "pk"]
        verbose_name = _("reconciliation difference")
        verbose_name_plural = _("reconciliation differences")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day", "kind", "stripe_id", "reference"],
                name="reconciliation_difference_once",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.kind} {self.stripe_id or self.reference}"
