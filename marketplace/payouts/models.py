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
"""

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from marketplace.payouts.iban import BIC_MAX_LENGTH, IBAN_MAX_LENGTH, iban_format, iban_mask

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
