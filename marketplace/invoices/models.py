"""Commission invoices and credit notes, immutable once issued.

An :class:`Invoice` is one document issued to a provider for a period: an invoice (the
commission charged on its bookings) or a credit note (the commission given back by
refunds), which names the invoice it ``corrects``. It freezes, at issue, everything it
prints: the seller's and the buyer's identity (``seller``/``buyer``, JSON snapshots of a
:class:`~marketplace.invoices.document.Party`), the VAT treatment, the totals and the
payment terms. :meth:`Invoice.document` rebuilds the printable document from them alone:
a provider who moves, or a territory that changes its VAT rate, changes no issued invoice.

An :class:`InvoiceLine` bills one ledger transaction (a confirmation on an invoice, a
refund on a credit note); the transaction is unique among lines, so a movement is billed
once whatever runs twice: that is the issue's idempotency.

Numbers are gapless per territory and series (``FA-2026`` for the invoices of 2026,
``AV-2026`` for its credit notes): :class:`InvoiceCounter` holds the last sequence of
each series, taken with ``select_for_update`` in the transaction that issues, so a
rolled back issue gives its number back.

**Immutable.** ``save()`` on an issued row, ``delete()``, and the querysets' bulk
``update()``/``delete()`` raise :class:`InvoiceImmutableError`; database triggers refuse
UPDATE on both tables (except ``issued_by``, which ``SET_NULL`` clears when a person's
account is deleted) and DELETE on PostgreSQL (``migrations/0002_invoices_immutable``).
Delivery (who was e-mailed when) is not part of an invoice and lives elsewhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.books.models import LedgerImmutableError
from marketplace.invoices.document import (
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    Party,
    VatBreakdown,
    VatCategory,
)

INVOICE_PREFIX = "FA"
CREDIT_NOTE_PREFIX = "AV"
SEQUENCE_DIGITS = 6


class InvoiceImmutableError(LedgerImmutableError):
    """An issued invoice or one of its lines was about to be changed or deleted."""


class IssuedQuerySet(models.QuerySet):
    """Querysets that refuse bulk changes: an issued invoice is never changed."""

    def update(self, **kwargs):
        raise InvoiceImmutableError("an issued invoice cannot be updated")

    def delete(self):
        raise InvoiceImmutableError("an issued invoice cannot be deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise InvoiceImmutableError("an issued invoice cannot be updated")

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise InvoiceImmutableError("an issued invoice cannot be updated")


class IssuedModel(models.Model):
    objects = IssuedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise InvoiceImmutableError(
                f"an issued invoice cannot change: {self._meta.verbose_name} {self.pk}"
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise InvoiceImmutableError(
            f"an issued invoice cannot be deleted: {self._meta.verbose_name} {self.pk}"
        )


class InvoiceKind(models.TextChoices):
    INVOICE = DocumentKind.INVOICE.value, _("Invoice")
    CREDIT_NOTE = DocumentKind.CREDIT_NOTE.value, _("Credit note")


def series_for(kind: str, year: int) -> str:
    """``FA-2026`` for the invoices issued in 2026, ``AV-2026`` for the credit notes."""
    prefix = INVOICE_PREFIX if kind == InvoiceKind.INVOICE else CREDIT_NOTE_PREFIX
    return f"{prefix}-{year}"


def number_for(series: str, sequence: int) -> str:
    return f"{series}-{sequence:0{SEQUENCE_DIGITS}d}"


class InvoiceCounter(models.Model):
    """The last sequence issued in a territory's series; locked by whoever issues."""

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    series = models.CharField(_("series"), max_length=20)
    last_sequence = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice counter")
        verbose_name_plural = _("invoice counters")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["site", "series"], name="invoice_counter_one_per_series"
            )
        ]

    def __str__(self):
        return f"{self.series}: {self.last_sequence}"


class Invoice(IssuedModel):
    """An issued invoice or credit note (see the module's docstring). Amounts in cents,
    positive on credit notes too (the kind says which way they go)."""

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    provider = models.ForeignKey(
        "marketplace.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices)
    series = models.CharField(_("series"), max_length=20)
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=32)
    issue_date = models.DateField(_("issue date"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # Frozen at issue: a Party's fields (marketplace.invoices.document), as JSON.
    seller = models.JSONField(_("seller"))
    buyer = models.JSONField(_("buyer"))
    subject_to_vat = models.BooleanField(_("subject to VAT"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_exemption_mention = models.CharField(_("VAT exemption mention"), max_length=200, blank=True)
    net_cents = models.BigIntegerField(_("total excluding VAT (cents)"))
    vat_cents = models.BigIntegerField(_("VAT (cents)"))
    total_cents = models.BigIntegerField(_("total including VAT (cents)"))
    payment_terms = models.TextField(_("payment terms"), blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrected invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    # SET_NULL so that deleting a person's account keeps the invoice (the trigger allows it).
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-issue_date", "-series", "-sequence"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        default_permissions = ("view",)
        indexes = [
            models.Index(
                fields=["site", "provider", "period_start"], name="invoice_provider_period"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="invoice_number_unique"),
            models.UniqueConstraint(
                fields=["site", "series", "sequence"], name="invoice_sequence_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(net_cents__gte=0, vat_cents__gte=0, total_cents__gt=0)
                & models.Q(total_cents=models.F("net_cents") + models.F("vat_cents")),
                name="invoice_totals_add_up",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=InvoiceKind.INVOICE, corrects__isnull=True)
                | models.Q(kind=InvoiceKind.CREDIT_NOTE, corrects__isnull=False),
                name="invoice_credit_note_corrects_an_invoice",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="invoice_period_ordered",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def vat_category(self) -> VatCategory:
        return VatCategory.STANDARD if self.subject_to_vat else VatCategory.EXEMPT

    def document(self) -> InvoiceDocument:
        """The printable document, from what was frozen at issue (no live data)."""
        category = self.vat_category
        lines = tuple(
            DocumentLine(
                line_id=line.line_id,
                description=line.description,
                net_cents=line.net_cents,
                vat_category=category,
                vat_rate=self.vat_rate,
                booking_ref=line.booking_ref,
                service_date=line.date,
            )
            for line in self.lines.order_by("position")
        )
        exemption = "" if self.subject_to_vat else self.vat_exemption_mention
        corrected = self.corrects
        return InvoiceDocument(
            kind=DocumentKind(self.kind),
            number=self.number,
            issue_date=self.issue_date,
            currency=self.currency,
            seller=Party(**self.seller),
            buyer=Party(**self.buyer),
            lines=lines,
            vat=(
                VatBreakdown(
                    category=category,
                    rate=self.vat_rate,
                    base_cents=self.net_cents,
                    vat_cents=self.vat_cents,
                    exemption_reason=exemption,
                ),
            ),
            total_net_cents=self.net_cents,
            total_vat_cents=self.vat_cents,
            total_cents=self.total_cents,
            period_start=self.period_start,
            period_end=self.period_end,
            payment_terms=self.payment_terms,
            preceding_number=corrected.number if corrected else "",
            preceding_issue_date=corrected.issue_date if corrected else None,
            notes=(exemption,) if exemption else (),
        )


class InvoiceLine(IssuedModel):
    """One ledger transaction's commission (the provider's part) on an invoice."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="lines"
    )
    position = models.PositiveIntegerField(_("position"))
    line_id = models.CharField(_("line"), max_length=10)
    description = models.CharField(_("description"), max_length=255)
    booking_ref = models.CharField(_("booking"), max_length=64, blank=True)
    # Unique: a movement of the ledger is billed once, whoever issues and however often.
    ledger_transaction = models.OneToOneField(
        "books.LedgerTransaction",
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        related_name="invoice_line",
    )
    net_cents = models.BigIntegerField(_("amount excluding VAT (cents)"))
    commission_cents = models.BigIntegerField(_("commission including VAT (cents)"))
    date = models.DateField(_("date"))

    class Meta:
        ordering = ["invoice_id", "position"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(
                condition=models.Q(commission_cents__gt=0, net_cents__gte=0),
                name="invoice_line_amounts_positive",
            ),
        ]

    def __str__(self):
        return f"{self.line_id} · {self.description}"


# --- What was sent: the issued files and their deliveries (issue 15 §4) ---------------------


class InvoiceFile(IssuedModel):
    """The Factur-X PDF (with its XML embedded) and the XML, as rendered once after the
    invoice was issued: what providers and finance download later is these bytes, never
    a new rendering. Kept in the database beside the invoice (a few tens of kilobytes):
    written in the same transaction as nothing else, backed up with the books, immutable
    like them (:class:`IssuedModel`)."""

    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("invoice"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="file",
    )
    pdf = models.BinaryField(_("Factur-X PDF"))
    xml = models.BinaryField(_("Factur-X XML"))
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    rendered_at = models.DateTimeField(_("rendered at"), default=timezone.now)

    class Meta:
        verbose_name = _("invoice file")
        verbose_name_plural = _("invoice files")
        default_permissions = ()

    def __str__(self):
        return f"{self.invoice_id}: {self.sha256[:12]}"


class DeliveryReason(models.TextChoices):
    ISSUED = "issued", _("Sent on issue")
    RESENT = "resent", _("Sent again by finance")


class InvoiceDelivery(models.Model):
    """One e-mail that carried an invoice to its provider. The invoice itself never
    changes; who received it, when and why is recorded here. An invoice is e-mailed once
    on issue (the constraint), as often as finance re-sends it."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="deliveries"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=DeliveryReason.choices)
    address = models.EmailField(_("sent to"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["invoice_id", "sent_at", "pk"]
        verbose_name = _("invoice delivery")
        verbose_name_plural = _("invoice deliveries")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(reason="issued"),
                name="invoice_delivery_issued_once",
            )
        ]

    def __str__(self):
        return f"{self.invoice_id} → {self.address} ({self.reason})"
