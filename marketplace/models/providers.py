"""Providers: the local businesses that sell through the territory's marketplace."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.search import index


def validate_siret(value: str) -> None:
    """A SIRET has 14 digits and passes the Luhn check (La Poste's sites excepted)."""
    digits = value.replace(" ", "")
    if len(digits) != 14 or not (digits.isascii() and digits.isdigit()):
        raise ValidationError(_("A SIRET number has exactly 14 digits."), code="siret_length")
    if digits.startswith("356000000"):
        # La Poste's establishments: the sum of the digits is a multiple of 5.
        if sum(int(d) for d in digits) % 5 == 0:
            return
        raise ValidationError(_("This SIRET number is not valid."), code="siret_checksum")
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    if total % 10:
        raise ValidationError(_("This SIRET number is not valid."), code="siret_checksum")


class ProviderStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    # The applicant erased their account before becoming a provider: the row stays,
    # emptied, because commission rules may name it (an empty scope means "any").
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LegalForm(models.TextChoices):
    ENTITY = "entity", _("A company, association or public body")
    INDIVIDUAL = "individual", _("An individual")


class ProviderQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=ProviderStatus.APPROVED)

    def for_site(self, site):
        return self.filter(site=site)


class Provider(index.Indexed, models.Model):
    """The legal entity behind a shop, campsite, farm or activity.

    Its public face is a ``cms.ProviderPage``, created when the territory approves it.
    """

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="providers",
    )
    name = models.CharField(_("public name"), max_length=150)
    legal_name = models.CharField(_("legal name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=160, unique=True)
    category = models.ForeignKey(
        "marketplace.ProviderCategory",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="providers",
    )
    labels = models.ManyToManyField(
        "marketplace.Label", verbose_name=_("labels"), blank=True, related_name="providers"
    )
    commune = models.CharField(_("commune"), max_length=100, db_index=True)
    address = models.CharField(_("address"), max_length=255)
    postcode = models.CharField(
        _("postcode"),
        max_length=5,
        validators=[RegexValidator(r"^\d{5}$", _("A French postcode has five digits."))],
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    siret = models.CharField(_("SIRET"), max_length=14, validators=[validate_siret])
    is_professional = models.BooleanField(_("professional"), default=True)
    # What invoices and the DAC7 report need to name the seller (see marketplace/invoices
    # and marketplace/books/dac7.py). Blank until the provider completes it.
    legal_form = models.CharField(
        _("legal form"), max_length=12, choices=LegalForm.choices, default=LegalForm.ENTITY
    )
    first_names = models.CharField(_("first names (individual)"), max_length=150, blank=True)
    last_name = models.CharField(_("last name (individual)"), max_length=150, blank=True)
    birth_date = models.DateField(_("date of birth (individual)"), null=True, blank=True)
    birth_place = models.CharField(_("place of birth (individual)"), max_length=150, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=40, blank=True)
    tax_identifier = models.CharField(
        _("tax identification number"),
        max_length=40,
        blank=True,
        help_text=_("The SIREN for a business, the numéro fiscal for an individual."),
    )
    tax_country = models.CharField(
        _("country issuing the tax number"),
        max_length=2,
        default="FR",
        help_text=_("ISO 3166 code, e.g. FR."),
    )
    classification = models.PositiveSmallIntegerField(
        _("classification (stars)"),
        null=True,
        blank=True,
        choices=[(n, str(n)) for n in range(1, 6)],
    )
    contact_name = models.CharField(_("contact name"), max_length=150)
    email = models.EmailField(_("contact e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"))

    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProviderStatus.choices,
        default=ProviderStatus.APPLIED,
        db_index=True,
    )
    status_reason = models.TextField(_("reason"), blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="marketplace.ProviderMembership",
        related_name="providers",
        verbose_name=_("members"),
    )
    # Admin scoping, created on approval: the group that may edit this provider's page
    # subtree and the image collection it uploads into.
    group = models.OneToOneField(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="provider",
        editable=False,
    )
    collection = models.OneToOneField(
        "wagtailcore.Collection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="provider",
        editable=False,
    )
    # Payouts (Stripe Connect), filled by the payments app.
    stripe_account_id = models.CharField(_("Stripe account"), max_length=64, blank=True)
    payouts_enabled = models.BooleanField(_("payouts enabled"), default=False)
    # The last payout Stripe could not make to the provider's bank (``payout.failed``),
    # cleared by a later successful one; shown on the provider's payout account page.
    payout_failed_id = models.CharField(_("failed payout"), max_length=64, blank=True)
    payout_failed_at = models.DateTimeField(_("payout failed at"), null=True, blank=True)
    payout_failure = models.CharField(_("payout failure reason"), max_length=255, blank=True)

    objects = ProviderQuerySet.as_manager()

    search_fields = [
        index.SearchField("name"),
        index.SearchField("legal_name"),
        index.AutocompleteField("name"),
        index.FilterField("status"),
        index.FilterField("site"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")

    def __str__(self):
        return self.name

    @classmethod
    def get_indexed_objects(cls):
        # A withdrawn application is emptied and searchable by no one.
        return super().get_indexed_objects().exclude(status=ProviderStatus.WITHDRAWN)

    @property
    def is_approved(self) -> bool:
        return self.status == ProviderStatus.APPROVED

    def clean(self):
        """The seller's identity as the DAC7 report needs it (marketplace/books/dac7.py):
        an individual gives their names and date of birth; a French tax number has the
        SIREN's 9 digits for a business, the numéro fiscal's 13 for an individual."""
        super().clean()
        self.tax_identifier = "".join((self.tax_identifier or "").split())
        self.tax_country = (self.tax_country or "").strip().upper()
        errors = {}
        if self.tax_country and not re.fullmatch(r"[A-Z]{2}", self.tax_country):
            errors["tax_country"] = _("A country is two letters (ISO 3166), e.g. FR.")
        if self.legal_form == LegalForm.INDIVIDUAL:
            for name in ("first_names", "last_name", "birth_date"):
                if not getattr(self, name):
                    errors[name] = _("An individual gives this for the tax report.")
            if self.birth_date and self.birth_date >= timezone.localdate():
                errors["birth_date"] = _("A date of birth is in the past.")
        if self.tax_identifier and self.tax_country == "FR":
            digits = self.tax_identifier.isascii() and self.tax_identifier.isdigit()
            if self.legal_form == LegalForm.INDIVIDUAL:
                if not (
                    digits and len(self.tax_identifier) == 13 and self.tax_identifier[0] in "0123"
                ):
                    errors["tax_identifier"] = _(
                        "A French numéro fiscal has 13 digits and starts with 0, 1, 2 or 3."
                    )
            elif not (digits and len(self.tax_identifier) == 9):
                errors["tax_identifier"] = _("A SIREN number has 9 digits.")
            elif self.siret and not self.siret.replace(" ", "").startswith(self.tax_identifier):
                errors["tax_identifier"] = _("The SIREN is the first 9 digits of the SIRET.")
        if errors:
            raise ValidationError(errors)


class ProviderMembership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.OWNER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "user"], name="unique_provider_member")
        ]
        verbose_name = _("provider member")
        verbose_name_plural = _("provider members")

    def __str__(self):
        return f"{self.user} @ {self.provider}"
