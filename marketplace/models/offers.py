"""Offers: Wagtail pages under a provider's page, one page type per kind.

``OfferPage`` holds what every kind shares and what the storefront lists and filters on
(denormalised from the provider and the kind's own data on save, so that a listing is
one query whatever the kind). ``StayOfferPage``, ``ActivityOfferPage`` and
``ProductOfferPage`` add the bookable side of each kind.
"""

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from anyascii import anyascii
from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField

from commissions.fields import CentsField
from marketplace.admin_forms import CollectionScopedPageForm
from marketplace.localisation import PAGE_TEXT_FIELDS, LocalisedPage
from marketplace.models.providers import Provider
from marketplace.models.territory import CancellationPolicy
from marketplace.tourist_tax.categories import TaxCategory
from marketplace.tourist_tax.registration import (
    registration_number_normalise,
    validate_registration_number,
)


class OfferKind(models.TextChoices):
    STAY = "stay", _("Stay")
    ACTIVITY = "activity", _("Activity")
    PRODUCT = "product", _("Product")


def normalise_text(value: str) -> str:
    """Lower-case ASCII form used for accent-insensitive free-text search."""
    return " ".join(anyascii(value or "").lower().split())


def synchronised(*names: str) -> list[SynchronizedField]:
    """Fields a translation copies from its source and cannot override (wagtail-localize):
    what commerce reads must not differ between languages."""
    return [SynchronizedField(name, overridable=False) for name in names]


class OfferPage(LocalisedPage, Page):
    """What every offer has; not creatable itself (pick a kind).

    A translation (``marketplace.localisation``) lends its text to the source offer, the
    only one commerce knows; everything else is copied from the source and locked.
    """

    kind = models.CharField(
        _("kind"), max_length=10, choices=OfferKind.choices, editable=False, db_index=True
    )
    summary = models.CharField(_("summary"), max_length=300)
    description = RichTextField(_("description"), blank=True)
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("cover image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    category = models.ForeignKey(
        "marketplace.ProviderCategory",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offers",
        help_text=_("Leave empty to use the provider's category."),
    )
    labels = ParentalManyToManyField("marketplace.Label", verbose_name=_("labels"), blank=True)
    cancellation_policy = models.CharField(
        _("cancellation policy"),
        max_length=20,
        blank=True,
        choices=[("", _("Territory default"))] + list(CancellationPolicy.choices),
    )
    instant_booking = models.BooleanField(_("instant booking"), default=True)

    # Denormalised for the storefront (kept up to date on save and when the provider
    # changes): listing and filters read only this table and its indexes.
    provider = models.ForeignKey(
        "marketplace.Provider",
        null=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="offers",
    )
    listing_category = models.ForeignKey(
        "marketplace.ProviderCategory",
        null=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    commune = models.CharField(max_length=100, editable=False, blank=True, db_index=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, editable=False)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, editable=False)
    price_from = CentsField(null=True, editable=False, db_index=True)
    max_guests = models.PositiveIntegerField(default=0, editable=False)
    search_text = models.TextField(editable=False, blank=True)

    is_creatable = False
    base_form_class = CollectionScopedPageForm
    parent_page_types = ["cms.ProviderPage"]
    subpage_types: list[str] = []

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("description"),
        index.FilterField("kind"),
    ]

    localised_text_fields = PAGE_TEXT_FIELDS + ("summary", "description")
    override_translatable_fields = synchronised(
        "slug",
        "cover_image",
        "gallery_images",
        "category",
        "cancellation_policy",
        "instant_booking",
    )

    common_panels = [
        FieldPanel("title"),
        FieldPanel("summary"),
        FieldPanel("description"),
        FieldPanel("cover_image"),
        InlinePanel("gallery_images", label=_("Gallery"), heading=_("Gallery")),
        MultiFieldPanel(
            [
                FieldPanel("category"),
                FieldPanel("labels", widget=forms.CheckboxSelectMultiple),
                FieldPanel("cancellation_policy"),
                FieldPanel("instant_booking"),
            ],
            heading=_("Classification and conditions"),
        ),
    ]

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [models.Index(fields=["kind", "price_from"], name="offer_kind_price")]

    # --- kind-specific hooks -------------------------------------------------------
    def compute_price_from(self) -> int | None:
        raise NotImplementedError

    def compute_max_guests(self) -> int:
        return 0

    # --- denormalisation -----------------------------------------------------------
    def refresh_denormalised(self) -> None:
        parent = self.get_parent() if self.pk or self.path else None
        provider_id = getattr(getattr(parent, "specific_deferred", None), "provider_id", None)
        if provider_id and provider_id != self.provider_id:
            self.provider_id = provider_id
        provider = (
            Provider.objects.filter(pk=self.provider_id).first() if self.provider_id else None
        )
        if provider is not None:
            self.commune = provider.commune
            self.latitude = provider.latitude
            self.longitude = provider.longitude
        self.listing_category_id = self.category_id or (provider.category_id if provider else None)
        self.price_from = self.compute_price_from()
        self.max_guests = self.compute_max_guests()
        self.search_text = normalise_text(
            " ".join(
                filter(
                    None,
                    [self.title, self.summary, provider.name if provider else "", self.commune]
                    + self.translated_words(),
                )
            )
        )

    def translated_words(self) -> list[str]:
        """The titles and summaries of this source offer's live translations: the listing
        searches source offers only, in any language they are written in."""
        if not self.pk or not self.is_source_locale():
            return []
        rows = (
            OfferPage.objects.live()
            .filter(translation_key=self.translation_key)
            .exclude(pk=self.pk)
            .values_list("title", "summary")
        )
        return [text for row in rows for text in row]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.kind and self.default_kind:
            self.kind = self.default_kind

    def save(self, *args, **kwargs):
        if self.path:
            self.refresh_denormalised()
        return super().save(*args, **kwargs)

    default_kind = ""

    # What the offer page shows beyond its own fields (availability, quote, gallery, map,
    # JSON-LD): :func:`marketplace.storefront.offer_page_context`. It reads this app's
    # models, so a models module cannot import it; the app puts it here when it is ready
    # (``MarketplaceConfig.ready`` calls ``storefront.install``), before any page is served.
    storefront_context: ClassVar[Callable[..., dict] | None] = None

    def get_context(self, request, *args, **kwargs):
        if self.storefront_context is None:
            raise ImproperlyConfigured(
                "OfferPage.storefront_context is unset: marketplace.storefront.install() "
                "runs in MarketplaceConfig.ready."
            )
        context = super().get_context(request, *args, **kwargs)
        # A translation is shown as its source with the translated text: prices,
        # availability and the cart's form are the source offer's.
        page = self.localised_display()
        if not page.live or not page.is_source_locale():
            # A translation whose source was unpublished or deleted sells nothing.
            raise Http404
        context.update(page=page, self=page)
        context.update(self.storefront_context(request=request, page=page))
        return context

    @property
    def effective_category(self):
        return self.category or (self.provider.category if self.provider else None)


class OfferGalleryImage(Orderable):
    page = ParentalKey(OfferPage, on_delete=models.CASCADE, related_name="gallery_images")
    image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("image"), on_delete=models.CASCADE, related_name="+"
    )
    caption = models.CharField(_("caption (alternative text)"), max_length=250, blank=True)

    panels = [FieldPanel("image"), FieldPanel("caption")]


# --- Stays ---------------------------------------------------------------------------


class StayOfferPage(OfferPage):
    """Nights in units (pitches, rooms, mobile homes), priced per unit per night."""

    unit_name = models.CharField(
        _("unit name"),
        max_length=50,
        help_text=_("What one unit is called: pitch, mobile home, room..."),
    )
    units = models.PositiveIntegerField(
        _("number of units"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
    )
    guests_per_unit = models.PositiveIntegerField(
        _("guests per unit"), default=2, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    min_nights = models.PositiveIntegerField(
        _("minimum nights"), default=1, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    price_per_night = CentsField(_("price per unit per night (€)"))
    # Tourist tax (marketplace.tourist_tax): the line of the law's table the stay falls
    # on, its registration number, and whether the platform collects the tax for its
    # host (it must for non-professional hosts).
    tax_category = models.CharField(
        _("tourist tax category"),
        max_length=20,
        choices=TaxCategory.choices,
        blank=True,
        help_text=_(
            "The classification the tourist tax reads: stars of the hotel, furnished let or "
            "campsite, chambres d'hôtes, or unclassified (taxed at a percentage of the price)."
        ),
    )
    registration_number = models.CharField(
        _("registration number"),
        max_length=20,
        blank=True,
        validators=[validate_registration_number],
        help_text=_(
            "The 13-character number the commune gave the furnished let's declaration, "
            "where it requires one (for example 42610 000123 7K). Empty otherwise."
        ),
    )
    host_is_professional = models.BooleanField(
        _("professional host"),
        default=True,
        help_text=_(
            "Untick for a private individual's let: the platform then collects the tourist "
            "tax and pays it to the commune."
        ),
    )
    # L. 2333-34: a professional host collects the tax itself unless it mandates the
    # platform; a private individual's let is always collected by the platform.
    tax_collection_mandate = models.BooleanField(
        _("the platform collects the tourist tax for me"),
        default=False,
        help_text=_(
            "For a professional host only: tick to mandate the platform to collect the "
            "tourist tax with the payment and pay it to the commune. Unticked, visitors "
            "are told the tax is payable on site."
        ),
    )

    default_kind = OfferKind.STAY
    template = "marketplace/offer_page.html"
    localised_text_fields = OfferPage.localised_text_fields + ("unit_name",)
    override_translatable_fields = OfferPage.override_translatable_fields + synchronised(
        "units",
        "guests_per_unit",
        "min_nights",
        "price_per_night",
        "tax_category",
        "registration_number",
        "host_is_professional",
        "tax_collection_mandate",
        "seasonal_prices",
        "closures",
    )

    content_panels = OfferPage.common_panels + [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("unit_name"), FieldPanel("units")]),
                FieldRowPanel([FieldPanel("guests_per_unit"), FieldPanel("min_nights")]),
                FieldPanel("price_per_night"),
            ],
            heading=_("Capacity and price"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("tax_category"),
                FieldRowPanel(
                    [FieldPanel("registration_number"), FieldPanel("host_is_professional")]
                ),
                FieldPanel("tax_collection_mandate"),
            ],
            heading=_("Tourist tax"),
        ),
        InlinePanel("seasonal_prices", label=_("Seasonal price"), heading=_("Seasons")),
        InlinePanel("closures", label=_("Closure"), heading=_("Closures")),
    ]

    class Meta:
        verbose_name = _("stay")
        verbose_name_plural = _("stays")

    def clean(self):
        super().clean()
        self.registration_number = registration_number_normalise(self.registration_number)

    @property
    def tax_collected_by_platform(self) -> bool:
        """Whether the visitor pays the tourist tax with the booking (the platform
        collects it): always for a private host, for a professional who mandated it."""
        return not self.host_is_professional or self.tax_collection_mandate

    def compute_price_from(self) -> int | None:
        prices = [self.price_per_night] + [s.price_per_night for s in self.seasonal_prices.all()]
        prices = [p for p in prices if p is not None]
        return min(prices) if prices else None

    def compute_max_guests(self) -> int:
        return (self.units or 0) * (self.guests_per_unit or 0)


class DateRangeMixin(models.Model):
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to (inclusive)"))

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date is before the start date.")})

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date


class SeasonalPrice(DateRangeMixin, Orderable):
    page = ParentalKey(StayOfferPage, on_delete=models.CASCADE, related_name="seasonal_prices")
    name = models.CharField(_("season"), max_length=60)
    price_per_night = CentsField(_("price per unit per night (€)"))

    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
        FieldPanel("price_per_night"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("seasonal price")


class Closure(DateRangeMixin, Orderable):
    page = ParentalKey(StayOfferPage, on_delete=models.CASCADE, related_name="closures")
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    panels = [
        FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
        FieldPanel("reason"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("closure")
        indexes = [models.Index(fields=["page", "start_date", "end_date"], name="closure_range")]


class StayNight(models.Model):
    """Units taken on one night of a stay: the row locked when capacity is reserved.

    Rows exist only for nights on which something is held or booked; a missing row
    means every unit is free.
    """

    offer = models.ForeignKey(StayOfferPage, on_delete=models.CASCADE, related_name="nights")
    date = models.DateField()
    units_taken = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offer", "date"], name="unique_stay_night")]


# --- Activities ------------------------------------------------------------------------


class ActivityOfferPage(OfferPage):
    """Time slots with places, priced per person."""

    price_per_person = CentsField(_("price per person (€)"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"),
        default=120,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
    )
    places_per_slot = models.PositiveIntegerField(
        _("places per slot"), default=10, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    meeting_point = models.CharField(_("meeting point"), max_length=200, blank=True)

    default_kind = OfferKind.ACTIVITY
    template = "marketplace/offer_page.html"
    localised_text_fields = OfferPage.localised_text_fields + ("meeting_point",)
    override_translatable_fields = OfferPage.override_translatable_fields + synchronised(
        "price_per_person", "duration_minutes", "places_per_slot", "weekly_slots"
    )

    content_panels = OfferPage.common_panels + [
        MultiFieldPanel(
            [
                FieldPanel("price_per_person"),
                FieldRowPanel([FieldPanel("duration_minutes"), FieldPanel("places_per_slot")]),
                FieldPanel("meeting_point"),
            ],
            heading=_("Price and places"),
        ),
        InlinePanel(
            "weekly_slots",
            label=_("Weekly slot"),
            heading=_("Weekly schedule"),
            help_text=_("Slots are generated from this pattern for the coming days."),
        ),
    ]

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def compute_price_from(self) -> int | None:
        return self.price_per_person

    def compute_max_guests(self) -> int:
        return self.places_per_slot or 0


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklySlot(Orderable):
    page = ParentalKey(ActivityOfferPage, on_delete=models.CASCADE, related_name="weekly_slots")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start_time = models.TimeField(_("start time"))
    places = models.PositiveIntegerField(
        _("places"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(1000)],
        help_text=_("Leave empty to use the offer's places per slot."),
    )

    panels = [
        FieldRowPanel([FieldPanel("weekday"), FieldPanel("start_time"), FieldPanel("places")])
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("weekly slot")


class ActivitySlot(models.Model):
    """One dated occurrence of an activity, with its places: the row locked when booking."""

    offer = models.ForeignKey(ActivityOfferPage, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    places = models.PositiveIntegerField(_("places"))
    places_taken = models.PositiveIntegerField(_("places taken"), default=0)
    cancelled = models.BooleanField(_("cancelled"), default=False)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "starts_at"], name="unique_activity_slot"),
            models.CheckConstraint(
                condition=models.Q(places_taken__lte=models.F("places")), name="slot_not_overbooked"
            ),
        ]
        indexes = [models.Index(fields=["starts_at", "offer"], name="slot_start_offer")]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")

    def __str__(self):
        return f"{self.offer_id} @ {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def places_left(self) -> int:
        return max(self.places - self.places_taken, 0)


# --- Products --------------------------------------------------------------------------


class ProductOfferPage(OfferPage):
    """Goods in stock, collected at the shop (no shipping)."""

    price_per_item = CentsField(_("price per item (€)"))
    stock = models.PositiveIntegerField(
        _("stock"), default=0, validators=[MaxValueValidator(1_000_000)]
    )
    unit_label = models.CharField(
        _("sold by"), max_length=50, blank=True, help_text=_("e.g. jar of 500 g, bottle of 75 cl")
    )
    pickup_instructions = models.CharField(
        _("click-and-collect instructions"), max_length=300, blank=True
    )

    default_kind = OfferKind.PRODUCT
    template = "marketplace/offer_page.html"
    localised_text_fields = OfferPage.localised_text_fields + ("unit_label", "pickup_instructions")
    override_translatable_fields = OfferPage.override_translatable_fields + synchronised(
        "price_per_item", "stock"
    )

    content_panels = OfferPage.common_panels + [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("price_per_item"), FieldPanel("unit_label")]),
                FieldPanel("stock"),
                FieldPanel("pickup_instructions"),
            ],
            heading=_("Price and stock"),
        ),
    ]

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def compute_price_from(self) -> int | None:
        return self.price_per_item

    def compute_max_guests(self) -> int:
        return 0
