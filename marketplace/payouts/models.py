"""Bank details of the recipients paid by transfer, and their approval.

A :class:`BankAccount` row is one submission of bank details (holder, IBAN, BIC) for a
ledger account of a territory: ``provider:<id>``, ``beneficiary:<key>`` or
``tax:tourist:<commune slug>``. The ledger account is the key every recipient already
has, so a provider, a commission beneficiary and a commune's collector are handled
alike, and nothing here points to their models.

Life of a row: ``pending`` (submitted) → ``approved`` (by a second person) or
``rejected`` (with a reason); an approved row becomes ``superseded`` when a newer one is
approved, and a pending one too when a newer one is submitted before a decision. At most
one row per territory and account is approved (the one in force) and at most one is
pending; both are database constraints, and so is "the approver is not the submitter".
Rows are never edited nor deleted: they are the trail.

Payout runs (issue 13 §3): :class:`PayoutSettings` (the operator's debtor account, the
monthly run day), :class:`PayoutRun` with its :class:`PayoutLine` (one transfer each,
a ``payout`` in the ledger) and :class:`PayoutSkip` (who was not paid, and why). The
services that write them are in :mod:`marketplace.payouts.runs`.
"""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from marketplace.payouts.iban import (
    BIC_MAX_LENGTH,
    IBAN_MAX_LENGTH,
    bank_details_clean,
    iban_format,
    iban_mask,
)

# The SEPA rulebook keeps 70 characters of a creditor's name.
HOLDER_MAX_LENGTH = 70


class BankAccountStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


class BankAccountQuerySet(models.QuerySet):
    def for_site(self, site):
        return self.filter(site=site)

    def approved(self):
        return self.filter(status=BankAccountStatus.APPROVED)

    def pending(self):
        return self.filter(status=BankAccountStatus.PENDING)

    def in_force_at(self, moment):
        """The rows that were the approved one at ``moment`` (approved then, not yet
        superseded)."""
        return self.filter(
            status__in=(BankAccountStatus.APPROVED, BankAccountStatus.SUPERSEDED),
            decided_at__lte=moment,
        ).filter(Q(superseded_at__isnull=True) | Q(superseded_at__gt=moment))


class BankAccount(models.Model):
    """One submission of a recipient's bank details (see the module's docstring)."""

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.CASCADE,
        related_name="bank_accounts",
    )
    account = models.CharField(_("ledger account"), max_length=100)
    holder_name = models.CharField(_("account holder"), max_length=HOLDER_MAX_LENGTH)
    iban = models.CharField(_("IBAN"), max_length=IBAN_MAX_LENGTH)
    bic = models.CharField(_("BIC"), max_length=BIC_MAX_LENGTH)
    bic_derived = models.BooleanField(
        _("BIC found from the IBAN"),
        default=False,
        help_text=_("Not typed: found from the IBAN's bank code when it was submitted."),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=BankAccountStatus.choices,
        default=BankAccountStatus.PENDING,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for the rejection"), blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    objects = BankAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank details")
        verbose_name_plural = _("bank details")
        ordering = ["-submitted_at", "-pk"]
        default_permissions = ("add", "view")
        permissions = [("review_bankaccount", _("Can approve or reject bank details"))]
        indexes = [models.Index(fields=["site", "account", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "account"],
                condition=Q(status=BankAccountStatus.APPROVED),
                name="one_approved_bank_account",
            ),
            models.UniqueConstraint(
                fields=["site", "account"],
                condition=Q(status=BankAccountStatus.PENDING),
                name="one_pending_bank_account",
            ),
            # Second person: whoever approved a change did not submit it.
            models.CheckConstraint(
                condition=~Q(status__in=[BankAccountStatus.APPROVED, BankAccountStatus.SUPERSEDED])
                | Q(decided_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(decided_by=F("submitted_by")),
                name="bank_account_approved_by_second_person",
            ),
        ]

    def __str__(self):
        return f"{self.account} · {self.iban_masked}"

    @property
    def iban_display(self) -> str:
        return iban_format(self.iban)

    @property
    def iban_masked(self) -> str:
        return iban_mask(self.iban)

    @property
    @admin.display(description=_("Recipient"))
    def recipient_label(self) -> str:
        """The recipient's name and kind, when a list resolved them (``recipient``)."""
        recipient = getattr(self, "recipient", None)
        return f"{recipient.name} ({recipient.kind_label})" if recipient else self.account

    @property
    def is_pending(self) -> bool:
        return self.status == BankAccountStatus.PENDING


# --- Payout runs ------------------------------------------------------------------------


RUN_DAY_MAX = 28  # every month has it


@register_setting(icon="form")
class PayoutSettings(BaseSiteSetting):
    """The operator's bank account that payout runs pay from, and when runs are prepared.

    The debtor's name, IBAN and BIC go into each SEPA file (pain.001); a run cannot be
    prepared without them. ``run_day``: 0 prepares runs on demand only; 1 to 28, the day of
    each month a run is prepared automatically (and finance told it awaits review).
    """

    debtor_name = models.CharField(
        _("account holder (the operator)"),
        max_length=HOLDER_MAX_LENGTH,
        blank=True,
        help_text=_("As your bank knows it; at most 70 characters (SEPA)."),
    )
    debtor_iban = models.CharField(_("IBAN"), max_length=IBAN_MAX_LENGTH, blank=True)
    debtor_bic = models.CharField(
        _("BIC"),
        max_length=BIC_MAX_LENGTH,
        blank=True,
        help_text=_("Found from the IBAN when left empty and the bank is known."),
    )
    run_day = models.PositiveSmallIntegerField(
        _("day of the monthly payout run"),
        default=1,
        validators=[MinValueValidator(0), MaxValueValidator(RUN_DAY_MAX)],
        help_text=_(
            "0: runs are prepared on demand only. 1 to 28: on that day of each month, a "
            "run is prepared and finance is asked to review it before sending it to the bank."
        ),
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("debtor_name"), FieldPanel("debtor_iban"), FieldPanel("debtor_bic")],
            heading=_("The operator's bank account (transfers leave from it)"),
        ),
        FieldPanel("run_day"),
    ]

    class Meta:
        verbose_name = _("payout settings")

    def clean(self):
        super().clean()
        self.debtor_name = " ".join(self.debtor_name.split())
        if not (self.debtor_iban or self.debtor_bic or self.debtor_name):
            return
        errors = {}
        if not self.debtor_name:
            errors["debtor_name"] = [
                ValidationError(_("Give the account holder's name."), code="debtor_name")
            ]
        try:
            self.debtor_iban, self.debtor_bic, _derived = bank_details_clean(
                iban=self.debtor_iban, bic=self.debtor_bic
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[f"debtor_{field}"] = messages
        if errors:
            raise ValidationError(errors)

    @property
    def has_debtor_account(self) -> bool:
        return bool(self.debtor_name and self.debtor_iban and self.debtor_bic)

    @property
    def debtor_iban_display(self) -> str:
        return iban_format(self.debtor_iban)


class PayoutRunStatus(models.TextChoices):
    PREPARED = "prepared", _("Prepared, to send to the bank")
    SENT = "sent", _("Sent to the bank")
    CANCELLED = "cancelled", _("Cancelled")


class PayoutRun(models.Model):
    """One batch of bank transfers: what was payable on ``until`` to the recipients paid by
    bank, each line already recorded as a ``payout`` in the ledger (see
    :mod:`marketplace.payouts.runs`). ``prepared`` → ``sent`` (finance sent the file to the
    bank) or ``prepared`` → ``cancelled`` (the payouts reversed, payable again)."""

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="payout_runs",
    )
    reference = models.CharField(_("reference"), max_length=35, unique=True)
    until = models.DateField(_("payable as of"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=PayoutRunStatus.choices,
        default=PayoutRunStatus.PREPARED,
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    automatic = models.BooleanField(_("prepared automatically"), default=False)
    # The operator's account at the time (frozen: a later change of the settings does not
    # change where this run's file says the money leaves from).
    debtor_name = models.CharField(_("debtor"), max_length=HOLDER_MAX_LENGTH)
    debtor_iban = models.CharField(_("debtor IBAN"), max_length=IBAN_MAX_LENGTH)
    debtor_bic = models.CharField(_("debtor BIC"), max_length=BIC_MAX_LENGTH)
    prepared_at = models.DateTimeField(_("prepared at"))
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked as sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")
        ordering = ["-prepared_at", "-pk"]
        default_permissions = ("view",)
        permissions = [("manage_payoutrun", _("Can prepare, send and cancel payout runs"))]
        indexes = [models.Index(fields=["site", "prepared_at"], name="payout_run_site_date")]

    def __str__(self):
        return self.reference

    @property
    def is_prepared(self) -> bool:
        return self.status == PayoutRunStatus.PREPARED

    @property
    def debtor_iban_display(self) -> str:
        return iban_format(self.debtor_iban)


class PayoutLine(models.Model):
    """One transfer of a run: who, where (the bank details in force when it was prepared,
    copied), how much (cents, > 0), and its ``payout`` transaction in the ledger."""

    run = models.ForeignKey(
        PayoutRun, verbose_name=_("payout run"), on_delete=models.CASCADE, related_name="lines"
    )
    account = models.CharField(_("ledger account"), max_length=100)
    name = models.CharField(_("recipient"), max_length=255)
    holder_name = models.CharField(_("account holder"), max_length=HOLDER_MAX_LENGTH)
    iban = models.CharField(_("IBAN"), max_length=IBAN_MAX_LENGTH)
    bic = models.CharField(_("BIC"), max_length=BIC_MAX_LENGTH, blank=True)
    bank_account = models.ForeignKey(
        BankAccount,
        verbose_name=_("bank details"),
        on_delete=models.PROTECT,
        related_name="payout_lines",
    )
    amount = models.BigIntegerField(_("amount (cents)"))
    transaction = models.ForeignKey(
        "books.LedgerTransaction",
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["run", "name", "account"]
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="payout_line_one_per_account"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_line_amount_positive"),
        ]

    def __str__(self):
        return f"{self.run_id} · {self.account} · {self.amount}"

    @property
    def iban_display(self) -> str:
        return iban_format(self.iban)

    @property
    def iban_masked(self) -> str:
        return iban_mask(self.iban)


class PayoutSkipReason(models.TextChoices):
    NO_BANK_DETAILS = "no_bank_details", _("No approved bank details")
    OWES = "owes", _("Owes the territory (carried to later credits)")
    UNKNOWN_RECIPIENT = "unknown_recipient", _("No such recipient in this territory")


class PayoutSkip(models.Model):
    """A recipient a run did not pay, and why; ``amount``: what it would have been paid, or
    what it owes (``owes``), in cents, ≥ 0."""

    run = models.ForeignKey(
        PayoutRun, verbose_name=_("payout run"), on_delete=models.CASCADE, related_name="skips"
    )
    account = models.CharField(_("ledger account"), max_length=100)
    name = models.CharField(_("recipient"), max_length=255)
    reason = models.CharField(_("reason"), max_length=20, choices=PayoutSkipReason.choices)
    amount = models.BigIntegerField(_("amount (cents)"), default=0)

    class Meta:
        verbose_name = _("recipient not paid")
        verbose_name_plural = _("recipients not paid")
        ordering = ["run", "name", "account"]
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="payout_skip_one_per_account"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payout_skip_amount_positive"),
        ]

    def __str__(self):
        return f"{self.run_id} · {self.account} · {self.reason}"

    @property
    def reason_label(self) -> str:
        return self.get_reason_display()
