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
``tax:vat`` (the VAT included in the commissions, owed to the State),
``platform:clearing``, ``platform:psp_fees``, ``platform:operator``, ``platform:bank``
(the operator's bank account, which SEPA payout runs pay from). The kind (before
the first colon) groups balances in reports.

**Append-only.** Rows are never updated nor deleted, only reversed by a new transaction
(:func:`marketplace.books.ledger.ledger_reverse`). ``save()`` on an existing row, ``delete()``
and the queryset's ``update()``/``delete()`` raise :class:`LedgerImmutableError`;
database triggers refuse UPDATE on both tables, and DELETE on PostgreSQL. Only writes go
through :mod:`marketplace.books.ledger`.

**Tables.** The models were born in the ``payments`` app and kept their tables
(``db_table``), so the triggers of ``payments/migrations/0002_ledger_append_only_triggers``
still guard them. On SQLite, a migration that rebuilds one of these tables drops its
triggers: it must create them again (see that migration).
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
    # The VAT included in a booking's commission, set aside from the commission accounts
    # to ``tax:vat`` at confirmation (marketplace.orders.accounting.vat_set_aside_post).
    VAT = "vat", _("VAT on commission")


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
        db_table = "payments_ledgertransaction"
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
        db_table = "payments_ledgerentry"
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
