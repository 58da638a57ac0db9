"""The tourist tax's data: the rates the communes voted, and the territory's switches.

``TouristTaxRate``: one row per commune, category and validity period (an EPCI's
deliberation is entered as one row per member commune; the CSV import makes that one
file). ``TouristTaxSettings``: per territory (a Wagtail site setting), which optional
exemptions the platform lets visitors declare, and whether a missing rate may count as
zero (off by default: a missing rate is an error that finance must fix).
"""

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from commissions.fields import CentsField
from commissions.money import money
from marketplace.books.ledger import LedgerError, tourist_tax_account
from marketplace.tourist_tax.categories import (
    EMERGENCY_HOUSING,
    PROPORTIONAL,
    SEASONAL_WORKERS,
    TaxCategory,
)
from marketplace.tourist_tax.engine import DEPARTMENTAL, REGIONAL, RateData

# L. 2333-30: the percentage voted for unclassified accommodation.
PERCENT_MIN = Decimal("1")
PERCENT_MAX = Decimal("5")
# L. 3333-1: the departmental additional tax is 10 % when the department votes it.
DEPARTMENTAL_PERCENTS = (Decimal("0"), Decimal("10"))
# Regional additional taxes are set by statute per region (L. 2531-17: 15 % in
# Île-de-France; later finance laws changed or added others). The bound only refuses
# typing errors.
REGIONAL_MAX = Decimal("200")

insee_code_validator = RegexValidator(
    r"^(\d{5}|2[AB]\d{3})$",
    _("A commune's INSEE code has five characters (digits; 2A or 2B in Corsica)."),
)


class TouristTaxRateQuerySet(models.QuerySet):
    def for_site(self, site):
        return self.filter(site=site)

    def in_force(self, on_date):
        return self.filter(valid_from__lte=on_date).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on_date)
        )


class TouristTaxRate(models.Model):
    """The rate a commune voted for one accommodation category, over a period."""

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.CASCADE,
        related_name="tourist_tax_rates",
    )
    commune = models.CharField(
        _("commune"),
        max_length=100,
        help_text=_("As written in the providers' addresses (for example Arvière-le-Bourg)."),
    )
    insee_code = models.CharField(
        _("INSEE code"), max_length=5, blank=True, validators=[insee_code_validator]
    )
    category = models.CharField(_("category"), max_length=20, choices=TaxCategory.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(
        _("valid until (inclusive)"), null=True, blank=True, help_text=_("Empty: open-ended.")
    )
    rate = CentsField(
        _("rate per person per night (€)"),
        null=True,
        blank=True,
        help_text=_("For every category except unclassified accommodation."),
    )
    percent = models.DecimalField(
        _("percentage of the price per person per night"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Unclassified accommodation only: 1 to 5 %, as the deliberation says."),
    )
    cap = CentsField(
        _("cap per person per night (€)"),
        null=True,
        blank=True,
        help_text=_(
            "Unclassified accommodation only: the lower of the commune's highest rate and "
            "the legal ceiling of 4-star hotels."
        ),
    )
    departmental_percent = models.DecimalField(
        _("departmental additional tax (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("0, or 10 when the department voted it."),
    )
    regional_percent = models.DecimalField(
        _("regional additional tax (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
    )
    low_rent_threshold = CentsField(
        _("exempt below this price per night (€)"),
        null=True,
        blank=True,
        help_text=_("Only when the council voted one: accommodation cheaper pays no tax."),
    )

    objects = TouristTaxRateQuerySet.as_manager()

    panels = [
        FieldPanel("site"),
        FieldRowPanel([FieldPanel("commune"), FieldPanel("insee_code")]),
        FieldPanel("category"),
        FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_to")]),
        MultiFieldPanel(
            [FieldPanel("rate"), FieldRowPanel([FieldPanel("percent"), FieldPanel("cap")])],
            heading=_("Rate"),
        ),
        FieldRowPanel(
            [FieldPanel("departmental_percent"), FieldPanel("regional_percent")],
            heading=_("Additional taxes"),
        ),
        FieldPanel("low_rent_threshold"),
    ]

    class Meta:
        verbose_name = _("tourist tax rate")
        verbose_name_plural = _("tourist tax rates")
        ordering = ["commune", "category", "valid_from"]
        indexes = [models.Index(fields=["site", "commune", "category", "valid_from"])]

    def __str__(self):
        return f"{self.commune} · {self.get_category_display()} · {self.valid_from:%Y-%m-%d}"

    @admin.display(description=_("Rate"))
    def rate_label(self) -> str:
        """The rate as finance reads it: ``0,55 €``, or ``5 % (max. 2,30 €)``."""
        if self.category == PROPORTIONAL and self.percent is not None:
            return f"{self.percent.normalize():f} % (max. {money(self.cap)})"
        return money(self.rate)

    # --- validation ----------------------------------------------------------------------

    def clean(self):
        super().clean()
        self.commune = (self.commune or "").strip()
        errors: dict[str, list] = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            add("valid_to", _("The end of validity is before its start."))
        if self.category == PROPORTIONAL:
            if self.percent is None:
                add("percent", _("Unclassified accommodation is taxed at a percentage: give it."))
            elif not PERCENT_MIN <= self.percent <= PERCENT_MAX:
                add("percent", _("The percentage must be between 1 and 5 % (L. 2333-30)."))
            if self.cap is None or self.cap <= 0:
                add("cap", _("A percentage rate needs its cap per person per night."))
            if self.rate is not None:
                add("rate", _("Unclassified accommodation has a percentage, not a fixed rate."))
        elif self.category:
            if self.rate is None or self.rate <= 0:
                add("rate", _("Give the rate per person per night voted for this category."))
            if self.percent is not None:
                add("percent", _("Only unclassified accommodation has a percentage."))
            if self.cap is not None:
                add("cap", _("Only unclassified accommodation has a cap."))
        if self.departmental_percent not in DEPARTMENTAL_PERCENTS:
            add(
                "departmental_percent",
                _("The departmental additional tax is 10 % or nothing (L. 3333-1)."),
            )
        if self.regional_percent is not None and not (
            Decimal("0") <= self.regional_percent <= REGIONAL_MAX
        ):
            add("regional_percent", _("The regional additional tax must be between 0 and 200 %."))
        if self.low_rent_threshold is not None and self.low_rent_threshold <= 0:
            add("low_rent_threshold", _("The low-rent threshold must be more than zero."))
        if not errors:
            overlap = self.overlapping().first()
            if overlap is not None:
                add(
                    "valid_from",
                    _(
                        "Another rate of %(commune)s for this category is valid over these "
                        "dates (from %(start)s). End it first, or change these dates."
                    )
                    % {"commune": overlap.commune, "start": overlap.valid_from.isoformat()},
                )
        if errors:
            raise ValidationError(errors)

    def overlapping(self) -> models.QuerySet:
        """Rates of the same site, commune and category whose validity meets this one's."""
        rows = TouristTaxRate.objects.filter(
            site_id=self.site_id, commune__iexact=self.commune, category=self.category
        ).exclude(pk=self.pk)
        if self.valid_to is not None:
            rows = rows.filter(valid_from__lte=self.valid_to)
        return rows.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from))

    # --- for the engine ------------------------------------------------------------------

    def rate_data(self) -> RateData:
        surcharges = tuple(
            (name, percent)
            for name, percent in (
                (DEPARTMENTAL, self.departmental_percent),
                (REGIONAL, self.regional_percent),
            )
            if percent
        )
        return RateData(
            category=self.category,
            fixed_cents=self.rate,
            percent=self.percent,
            cap_cents=self.cap,
            surcharges=surcharges,
            low_rent_threshold_cents=self.low_rent_threshold,
        )


@register_setting(icon="calculator")
class TouristTaxSettings(BaseSiteSetting):
    """What a territory decides about the tourist tax it collects."""

    allow_zero_without_rate = models.BooleanField(
        _("count no tax where no rate is known"),
        default=False,
        help_text=_(
            "Off: a stay in a commune or category without a rate cannot be booked, and "
            "finance is told which rate is missing. On: such a stay is charged no tax."
        ),
    )
    exemption_seasonal_workers = models.BooleanField(
        _("visitors may declare seasonal workers employed in the commune"),
        default=False,
        help_text=_("Exempt by law (L. 2333-31); the provider checks the work contract."),
    )
    exemption_emergency_housing = models.BooleanField(
        _("visitors may declare emergency housing or temporary rehousing"),
        default=False,
        help_text=_("Exempt by law (L. 2333-31); the provider checks the proof."),
    )

    panels = [
        FieldPanel("allow_zero_without_rate"),
        MultiFieldPanel(
            [FieldPanel("exemption_seasonal_workers"), FieldPanel("exemption_emergency_housing")],
            heading=_("Exemptions visitors may declare"),
        ),
    ]

    class Meta:
        verbose_name = _("tourist tax settings")

    @property
    def declared_exemptions_enabled(self) -> bool:
        return self.exemption_seasonal_workers or self.exemption_emergency_housing

    @property
    def declared_exemption_grounds(self) -> tuple[str, ...]:
        """The grounds visitors may declare (:data:`EXEMPTION_GROUNDS` codes), in order."""
        return tuple(
            code
            for code, enabled in (
                (SEASONAL_WORKERS, self.exemption_seasonal_workers),
                (EMERGENCY_HOUSING, self.exemption_emergency_housing),
            )
            if enabled
        )


class TaxCollector(models.Model):
    """Who receives a commune's tourist tax: its public accountant (a Trésorerie, a
    Service de gestion comptable), paid by bank transfer.

    One per territory and commune. Its ledger account is the commune's tax account,
    ``tax:tourist:<commune slug>`` (:func:`marketplace.books.ledger.tourist_tax_account`),
    kept in ``account`` so that bank details and payouts find it by that key.
    """

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.CASCADE,
        related_name="tourist_tax_collectors",
    )
    commune = models.CharField(
        _("commune"),
        max_length=100,
        help_text=_("As written in the providers' addresses (for example Arvière-le-Bourg)."),
    )
    name = models.CharField(
        _("collector"),
        max_length=150,
        help_text=_("For example: Trésorerie de Arvière-le-Bourg, or SGC de la vallée."),
    )
    account = models.CharField(_("ledger account"), max_length=100, editable=False)
    email = models.EmailField(
        _("e-mail"),
        blank=True,
        help_text=_("Where the statements of the tax paid out to the commune are sent."),
    )

    panels = [FieldPanel("site"), FieldPanel("commune"), FieldPanel("name"), FieldPanel("email")]

    class Meta:
        verbose_name = _("tourist tax collector")
        verbose_name_plural = _("tourist tax collectors")
        ordering = ["commune"]
        constraints = [
            models.UniqueConstraint(fields=["site", "account"], name="unique_tourist_tax_collector")
        ]

    def __str__(self):
        return f"{self.name} ({self.commune})"

    def clean(self):
        super().clean()
        self.commune = (self.commune or "").strip()
        try:
            self.account = tourist_tax_account(self.commune)
        except LedgerError:
            raise ValidationError({"commune": _("Give the commune's name.")}) from None

    def validate_constraints(self, exclude=None):
        """The unique constraint's error, said on the commune (the account comes from it)."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError:
            others = TaxCollector.objects.filter(site_id=self.site_id, account=self.account)
            if others.exclude(pk=self.pk).exists():
                raise ValidationError(
                    {"commune": _("This commune already has its collector in this territory.")}
                ) from None
            raise

    def save(self, *args, **kwargs):
        self.commune = (self.commune or "").strip()
        self.account = tourist_tax_account(self.commune)
        super().save(*args, **kwargs)
