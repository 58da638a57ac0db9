"""The territory: a Wagtail Site plus its settings."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

# The chart of accounts is pure Python (no model): the settings check their overrides.
from marketplace.books.chart import ChartError, chart_overrides_parse


class StripeFeeBearer(models.TextChoices):
    OPERATOR = "operator", _("The operator")
    COMMISSION = "commission", _("Deducted from the commission")


class InvoicePeriod(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class CancellationPolicy(models.TextChoices):
    FLEXIBLE = "flexible", _("Flexible")
    MODERATE = "moderate", _("Moderate")
    STRICT = "strict", _("Strict")


@register_setting(icon="site")
class TerritorySettings(BaseSiteSetting):
    """What a territory (one Wagtail Site) decides for its whole marketplace."""

    operator_legal_name = models.CharField(_("operator's legal name"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    vat_number = models.CharField(_("VAT number"), max_length=40, blank=True)
    travel_operator_number = models.CharField(
        _("travel operator registration number"), max_length=40, blank=True
    )
    # The operator's identity as its invoices and the tax office's files print it.
    operator_siret = models.CharField(_("operator's SIRET"), max_length=14, blank=True)
    operator_address = models.CharField(_("operator's address"), max_length=255, blank=True)
    operator_postcode = models.CharField(_("operator's postcode"), max_length=10, blank=True)
    operator_city = models.CharField(_("operator's city"), max_length=100, blank=True)
    operator_country = models.CharField(
        _("operator's country"), max_length=2, default="FR", help_text=_("ISO 3166 code, e.g. FR.")
    )
    subject_to_vat = models.BooleanField(
        _("the operator charges VAT on its commission"),
        default=False,
        help_text=_(
            "An operator subject to VAT must switch this on: its commissions then include "
            "VAT, set aside in the ledger for the State before the beneficiaries' shares, "
            "and its invoices show it. Off, the invoices carry the exemption mention."
        ),
    )
    vat_rate = models.DecimalField(
        _("VAT rate on the commission (%)"),
        max_digits=5,
        decimal_places=2,
        default=20,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    vat_exemption_mention = models.CharField(
        _("VAT exemption mention"),
        max_length=200,
        default="TVA non applicable, art. 293 B du CGI",
        help_text=_("Printed on invoices when the operator does not charge VAT."),
    )
    invoice_period = models.CharField(
        _("invoicing period"),
        max_length=10,
        choices=InvoicePeriod.choices,
        default=InvoicePeriod.MONTHLY,
        help_text=_("Each provider gets one commission invoice per period."),
    )
    invoice_payment_terms = models.TextField(
        _("payment terms printed on invoices"),
        blank=True,
        help_text=_(
            "Left empty, invoices say the commission was withheld from the sums collected."
        ),
    )
    fec_accounts = models.JSONField(
        _("chart of accounts for the FEC export"),
        default=dict,
        blank=True,
        help_text=_(
            "Overrides of the default mapping from ledger accounts to the plan comptable "
            'général (see the README, "FEC export").'
        ),
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    default_cancellation_policy = models.CharField(
        _("default cancellation policy"),
        max_length=20,
        choices=CancellationPolicy.choices,
        default=CancellationPolicy.MODERATE,
    )
    hold_minutes = models.PositiveIntegerField(
        _("hold duration (minutes)"),
        default=15,
        help_text=_("How long a cart's capacity stays reserved while the visitor pays."),
    )
    require_offer_approval = models.BooleanField(
        _("approve offers before their first publication"),
        default=False,
        help_text=_(
            "When on, a provider's new offer goes live only after a territory editor "
            "approves it in the publication workflow."
        ),
    )
    stripe_fee_bearer = models.CharField(
        _("who bears the payment fee"),
        max_length=20,
        choices=StripeFeeBearer.choices,
        default=StripeFeeBearer.OPERATOR,
        help_text=_(
            "Stripe's fee on each payment is paid by the operator, or deducted from the "
            "commission, shared among its beneficiaries in proportion to their shares."
        ),
    )
    anonymous_cart_days = models.PositiveIntegerField(
        _("anonymous carts kept (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A cart filled without logging in is deleted this many days after its last "
            "change (its visitor's session has long expired by then)."
        ),
    )
    # Against one account holding what everybody else wants to book (issue 10): what a
    # person may hold unpaid at a time, and how soon they may hold it again.
    max_unpaid_orders = models.PositiveSmallIntegerField(
        _("orders awaiting payment per person"),
        default=2,
        validators=[MinValueValidator(1)],
        help_text=_(
            "How many orders one account may have awaiting payment at a time. Two let a "
            "visitor start again without waiting for the first hold to end."
        ),
    )
    max_held_per_offer = models.PositiveIntegerField(
        _("units, places or items of one offer held per person"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_(
            "How much of one offer one account may hold unpaid at a time (its orders "
            "awaiting payment plus the one being placed): places of an activity over all "
            "its slots, items of a product, units of a stay on any one night. Ten covers a "
            "family or a small group; a larger group contacts the provider."
        ),
    )
    max_held_nights = models.PositiveIntegerField(
        _("nights of one stay held per person"),
        default=31,
        validators=[MinValueValidator(1)],
        help_text=_(
            "How many different nights of one stay one account may hold unpaid at a time. "
            "Thirty-one allow a whole month's holiday, not a whole season."
        ),
    )
    max_lines_per_order = models.PositiveSmallIntegerField(
        _("lines per cart and order"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "How many lines a cart, and so one order, may hold; also when an abandoned "
            "order's lines are put back in the cart."
        ),
    )
    hold_cooldown_minutes = models.PositiveIntegerField(
        _("wait before holding the same again (minutes)"),
        default=15,
        help_text=_(
            "After a person abandons a payment or lets a hold run out, how long before they "
            "may hold the same offer again on the same nights, slot or product. As long as "
            "the hold itself by default, so that others get their turn instead of one "
            "account renewing its holds forever. 0 for no wait."
        ),
    )
    # Issue 13 §2: a provider's share is paid after the service, not when the visitor pays.
    payout_delay_days = models.PositiveSmallIntegerField(
        _("days after the service before a provider is paid"),
        default=1,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "A provider's share of a booking becomes payable this many days after the start "
            "of the service (check-in, the activity's slot; for goods, the day of the "
            "order). Until then it is due, and a cancellation takes nothing back from the "
            "provider. Fixed on each booking when it is paid."
        ),
    )
    transparency_show_names = models.BooleanField(
        _("publish names in the commission's history"),
        default=False,
        help_text=_(
            "The transparency page says which role submitted each change of the "
            "commission and when the council approved it. When on, it also gives the "
            "names of the people who did."
        ),
    )
    map_latitude = models.DecimalField(
        _("map centre latitude"), max_digits=9, decimal_places=6, default=45.0
    )
    map_longitude = models.DecimalField(
        _("map centre longitude"), max_digits=9, decimal_places=6, default=4.0
    )
    map_zoom = models.PositiveSmallIntegerField(_("map zoom"), default=10)

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("operator_legal_name"),
                FieldPanel("operator_siret"),
                FieldPanel("operator_address"),
                FieldPanel("operator_postcode"),
                FieldPanel("operator_city"),
                FieldPanel("operator_country"),
                FieldPanel("vat_number"),
                FieldPanel("travel_operator_number"),
                FieldPanel("contact_email"),
                FieldPanel("contact_phone"),
            ],
            heading=_("Operator"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("currency"),
                FieldPanel("default_cancellation_policy"),
                FieldPanel("hold_minutes"),
                FieldPanel("require_offer_approval"),
                FieldPanel("stripe_fee_bearer"),
                FieldPanel("anonymous_cart_days"),
                FieldPanel("payout_delay_days"),
            ],
            heading=_("Bookings"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("max_unpaid_orders"),
                FieldPanel("max_held_per_offer"),
                FieldPanel("max_held_nights"),
                FieldPanel("max_lines_per_order"),
                FieldPanel("hold_cooldown_minutes"),
            ],
            heading=_("Limits on holding"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("subject_to_vat"),
                FieldPanel("vat_rate"),
                FieldPanel("vat_exemption_mention"),
                FieldPanel("invoice_period"),
                FieldPanel("invoice_payment_terms"),
                FieldPanel("fec_accounts"),
            ],
            heading=_("Invoices and books"),
        ),
        MultiFieldPanel(
            [FieldPanel("transparency_show_names")],
            heading=_("Transparency"),
        ),
        MultiFieldPanel(
            [FieldPanel("map_latitude"), FieldPanel("map_longitude"), FieldPanel("map_zoom")],
            heading=_("Map"),
        ),
    ]

    class Meta:
        verbose_name = _("territory settings")

    def clean(self):
        super().clean()
        try:
            chart_overrides_parse(self.fec_accounts)
        except ChartError as error:
            raise ValidationError({"fec_accounts": error.errors}) from None
