"""The ledger: append-only double entry, in integer cents.

A :class:`LedgerTransaction` is one money event (an order confirmed, a refund, a payout,
a transfer, a PSP fee, an adjustment); its :class:`LedgerEntry` rows move amounts
between accounts and always sum to zero.

**Sign convention.** An entry's ``amount`` is signed cents: a **debit is positive**, a
**credit is negative**. Money received from a visitor is a debit on ``visitor``; what
the platform owes to a provider, a beneficiary or a tax collector is a credit on their
account. So a negative balance on ``provider:12`` is what the territory owes provider
12; paying it out debits ``provider:12`` back towards zero and credits
``platform:clearing``.

**Accounts** are plain strings, ``<kind>[:<detail>...]``: ``visitor``,
``provider:<id>``, ``beneficiary:<key>``, ``tax:tourist:<commune slug>``,
``platform:clearing``, ``platform:psp_fees``, ``platform:operator``. The kind (before
the first colon) groups balances in reports.

**Append-only.** Rows are never updated nor deleted, only reversed by a new transaction
(:func:`payments.ledger.ledger_reverse`). ``save()`` on an existing row, ``delete()``
and the queryset's ``update()``/``delete()`` raise :class:`LedgerImmutableError`;
database triggers (migration 0002) refuse UPDATE on both tables, and DELETE on
PostgreSQL. Only writes go through :mod:`payments.ledger`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACCOUNT_KINDS = ("visitor", "provider", "beneficiary", "tax", "platform")


class LedgerImmutableError(Exception):
    """A ledger row was about to be changed or deleted: the ledger is append-only."""


class AppendOnlyQuerySet(models.QuerySet):
    """Querysets that refuse bulk changes: the ledger is only ever appended to."""

    def update(self, **kwargs):
        raise LedgerImmutableError("the ledger is append-only: rows cannot be updated")

    def delete(self):
        raise LedgerImmutableError("the ledger is append-only: rows cannot be deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise LedgerImmutableError("the ledger is append-only: rows cannot be updated")

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise LedgerImmutableError("the ledger is append-only: rows cannot be updated")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerImmutableError(
                f"the ledger is append-only: {self._meta.verbose_name} {self.pk} cannot change"
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutableError(
            f"the ledger is append-only: {self._meta.verbose_name} {self.pk} cannot be deleted"
        )


class TransactionKind(models.TextChoices):
    ORDER_CONFIRMED = "order_confirmed", _("Order confirmed")
    REFUND = "refund", _("Refund")
    PAYOUT = "payout", _("Payout")
    TRANSFER = "transfer", _("Transfer")
    FEE = "fee", _("Payment provider fee")
    ADJUSTMENT = "adjustment", _("Adjustment")
    REVERSAL = "reversal", _("Reversal")


class LedgerTransaction(AppendOnlyModel):
    """One money event; its entries sum to zero. Never changed, only reversed."""

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="ledger_transactions",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TransactionKind.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    # Plain references to what the money was for: the orders, bookings and PSP objects
    # live in other apps (or outside), and the ledger must outlive them.
    order_ref = models.CharField(
        pgettext_lazy("purchase", "order"), max_length=64, blank=True, db_index=True
    )
    booking_ref = models.CharField(_("booking"), max_length=64, blank=True, db_index=True)
    external_ref = models.CharField(_("payment provider reference"), max_length=255, blank=True)
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    # The part of ``reverses`` this reversal undoes, as a fraction of the original.
    fraction_numerator = models.PositiveBigIntegerField(null=True, blank=True)
    fraction_denominator = models.PositiveBigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # SET_NULL so that deleting a person's account keeps the ledger, anonymised.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        default_permissions = ()
        permissions = [("view_ledger", _("Can view the territory's ledger"))]
        indexes = [models.Index(fields=["site", "occurred_at"], name="ledger_tx_site_date")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(fraction_numerator__isnull=True, fraction_denominator__isnull=True)
                    | models.Q(
                        reverses__isnull=False,
                        fraction_numerator__gt=0,
                        fraction_denominator__gte=models.F("fraction_numerator"),
                    )
                ),
                name="ledger_tx_fraction_of_a_reversal",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.idempotency_key}"


class LedgerEntry(AppendOnlyModel):
    """An amount on one account: debit positive, credit negative (see module doc)."""

    transaction = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("transaction"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    account = models.CharField(_("account"), max_length=120, db_index=True)
    amount = models.BigIntegerField(_("amount (cents, debit positive)"))

    class Meta:
        ordering = ["transaction_id", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "account"], name="ledger_entry_one_per_account"
            ),
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="ledger_entry_amount_not_zero"
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.amount:+d}"


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
