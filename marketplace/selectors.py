"""Reads of the marketplace for the storefront and the API, with fixed query budgets.

Every function here runs a number of queries that does not depend on the size of the
catalogue: related rows come through ``select_related`` or one prefetch, availability
through ``EXISTS`` subqueries or one range query, image renditions prefetched.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, F, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.images import get_image_model

from marketplace.commission import PREFETCHED_LABELS
from marketplace.filters import OfferFilterSet
from marketplace.localisation import (
    content_language,
    display_with_translation,
    live_translations,
    source_language,
)
from marketplace.models import (
    ActivitySlot,
    Label,
    OfferGalleryImage,
    OfferKind,
    OfferPage,
    ProductStock,
    Provider,
    ProviderCategory,
    ProviderStatus,
    StayNight,
)
from marketplace.pricing import stay_nightly_prices

PAGE_SIZE = 24
MAX_PAGE_SIZE = 100
CARD_RENDITION = "fill-480x320"
GALLERY_RENDITION = "fill-960x640"
THUMBNAIL_RENDITION = "fill-160x120"
LOGO_RENDITION = "max-320x320"


# --- Offers -------------------------------------------------------------------------------


def offers_live(*, site) -> QuerySet[OfferPage]:
    """Offers a visitor may see on this site: live, public, of an approved provider.

    Source offers only (``marketplace.localisation``): each offer once whatever the
    language, the one that is booked; :func:`offers_localise` gives it its translation's
    text.
    """
    return (
        OfferPage.objects.live()
        .public()
        .filter(
            provider__site=site,
            provider__status=ProviderStatus.APPROVED,
            locale__language_code=source_language(),
        )
    )


# What a card, a marker or the API shows of an offer's translation.
CARD_TEXT_FIELDS = ("title", "summary", "seo_title", "search_description")
# Loaded with any offer's translation: ``OfferPage.__init__`` reads its kind (a deferred
# field would cost a query per translation).
OFFER_LOADED_FIELDS = ("kind",)


def offers_localise(offers: list[OfferPage], *, language: str | None = None) -> list[OfferPage]:
    """The source offers given, showing the text of their live translation in
    ``language`` (the active one by default) where there is one; one query, none in the
    source language."""
    translations = live_translations(
        OfferPage,
        [offer.pk for offer in offers],
        language=content_language(language),
        fields=OFFER_LOADED_FIELDS + CARD_TEXT_FIELDS,
    )
    for offer in offers:
        translation_page = translations.get(offer.pk)
        if translation_page is not None:
            display_with_translation(offer, translation_page, CARD_TEXT_FIELDS)
        else:
            # Source offers: their own text is in the source language (for ``lang``).
            offer.text_language = source_language()
    return offers


def bookings_localise(bookings, *, language: str | None = None) -> list:
    """The bookings given, each with its offer's title in ``language`` (the active one by
    default) when the offer has a live translation there: ``Booking.title_shown``. The
    title recorded when booking (``offer_title``) stays as it was. One query, none in
    the source language."""
    bookings = list(bookings)
    language = content_language(language)
    translations = live_translations(
        OfferPage,
        [booking.offer_id for booking in bookings],
        language=language,
        fields=(*OFFER_LOADED_FIELDS, "title"),
    )
    for booking in bookings:
        translation_page = translations.get(booking.offer_id)
        if translation_page is not None:
            booking.offer_title_translated = translation_page.title
            booking.text_language = language
        elif language != source_language():
            # The title recorded, the French offer's (for ``lang``).
            booking.text_language = source_language()
    return bookings


def offers_with_scope(queryset: QuerySet[OfferPage]) -> QuerySet[OfferPage]:
    """Provider, category and labels: what a card names and the commission rules scope on
    (``marketplace.commission``), in two queries more whatever the number of offers."""
    return queryset.select_related("provider", "listing_category").prefetch_related(
        Prefetch("labels", queryset=Label.objects.order_by(), to_attr=PREFETCHED_LABELS),
        Prefetch("provider__labels", queryset=Label.objects.order_by()),
    )


def offers_with_cards(queryset: QuerySet[OfferPage]) -> QuerySet[OfferPage]:
    """What an offer card shows, fetched in a fixed number of queries."""
    image_model = get_image_model()
    return offers_with_scope(queryset).prefetch_related(
        Prefetch(
            "cover_image",
            queryset=image_model.objects.prefetch_renditions(CARD_RENDITION),
        )
    )


def offer_communes(*, site) -> list[str]:
    """Communes that have at least one approved provider on this site, sorted."""
    return list(
        Provider.objects.approved()
        .for_site(site)
        .exclude(commune="")
        .order_by("commune")
        .values_list("commune", flat=True)
        .distinct()
    )


@dataclass
class OfferSearch:
    """A filtered, ordered catalogue and what the visitor asked for."""

    filterset: OfferFilterSet
    with_images: bool = True

    @property
    def ids(self) -> QuerySet:
        """The matching offers' primary keys, in order: what pagination should cut.

        Sorting narrow rows and then loading one page of full rows by key is much
        cheaper than sorting the whole catalogue's wide rows.
        """
        return self.filterset.qs.values_list("pk", flat=True)

    @property
    def queryset(self) -> QuerySet[OfferPage]:
        """Every matching offer with what a card shows (for small result sets)."""
        queryset = self.filterset.qs
        if self.with_images:
            return offers_with_cards(queryset)
        return offers_with_scope(queryset)

    @property
    def errors(self) -> dict:
        return self.filterset.form.errors

    @property
    def error_messages(self) -> list[str]:
        return self.filterset.error_messages

    @property
    def cleaned_data(self) -> dict:
        return self.filterset.form.cleaned_data


def offers_for_listing(*, site, params, with_images: bool = True) -> OfferSearch:
    """The catalogue of a site filtered by ``params`` (a QueryDict), ready for cards.

    Invalid parameters are reported in ``errors`` and left out; the others apply.
    ``with_images=False`` skips the cover images (the API does not show them).
    Cut it into pages with ``offer_results_page``.
    """
    filterset = OfferFilterSet(
        params, queryset=offers_live(site=site), communes=offer_communes(site=site)
    )
    filterset.form.is_valid()
    return OfferSearch(filterset=filterset, with_images=with_images)


def offers_load(*, ids: list[int], with_images: bool = True) -> list[OfferPage]:
    """Offers by primary key, in the order given, with what a card shows."""
    if not ids:
        return []
    queryset = OfferPage.objects.filter(pk__in=ids)
    queryset = offers_with_cards(queryset) if with_images else offers_with_scope(queryset)
    by_pk = {offer.pk: offer for offer in queryset}
    return offers_localise([by_pk[pk] for pk in ids if pk in by_pk])


@dataclass
class ResultsPage:
    """One page of results and, when the requested page was not usable, why."""

    page: Page
    paginator: Paginator
    message: str = ""
    requested_page_ok: bool = True


def results_paginate(*, queryset, page: str | int | None, per_page: int = PAGE_SIZE) -> ResultsPage:
    """Cut a queryset into pages; a bad or too large page number falls back gently.

    A number past the end shows the last page, anything else not a positive number the
    first one, each with a message saying so.
    """
    paginator = Paginator(queryset, per_page, allow_empty_first_page=True)
    message = ""
    try:
        number = paginator.validate_number(page or 1)
    except PageNotAnInteger:
        number, message = 1, _("The page number was not understood; here is the first page.")
    except EmptyPage:
        try:
            requested = int(page)
        except (TypeError, ValueError):
            requested = 0
        if requested < 1:
            number, message = 1, _("The page number was not understood; here is the first page.")
        else:
            number = paginator.num_pages
            message = _("There is no page %(page)s; here is the last page.") % {"page": requested}
    return ResultsPage(
        page=paginator.page(number),
        paginator=paginator,
        message=message,
        requested_page_ok=not message,
    )


def offer_results_page(
    *, search: OfferSearch, page: str | int | None, per_page: int = PAGE_SIZE
) -> "ResultsPage":
    """One page of a search: ordered keys cut by the paginator, then that page's rows.

    Two queries (keys, rows) plus the card prefetches, whatever the size.
    """
    # One narrow query for every matching key: the count and the page come from it, so
    # the filters (and their subqueries) run once.
    results = results_paginate(queryset=list(search.ids), page=page, per_page=per_page)
    results.page.object_list = offers_load(
        ids=list(results.page.object_list), with_images=search.with_images
    )
    return results


def featured_offers(*, home, site, limit: int = 6) -> list[OfferPage]:
    """The home page's chosen offers still visible, topped up with the newest ones."""
    chosen_ids = list(
        home.featured_offers.order_by("sort_order").values_list("offer_id", flat=True)
    )
    visible = offers_live(site=site)
    ids = []
    if chosen_ids:
        still_visible = set(visible.filter(pk__in=chosen_ids).values_list("pk", flat=True))
        ids = [pk for pk in chosen_ids if pk in still_visible][:limit]
    if len(ids) < limit:
        newest = (
            visible.exclude(pk__in=ids)
            .order_by("-first_published_at", "-pk")
            .values_list("pk", flat=True)
        )
        ids += list(newest[: limit - len(ids)])
    return offers_load(ids=ids)


def categories_with_offer_counts(*, site) -> list[ProviderCategory]:
    """Categories that have visible offers on this site, each with ``offer_count``.

    Two queries: the counts grouped in SQL, then the categories.
    """
    counts = dict(
        offers_live(site=site)
        .filter(listing_category__isnull=False)
        .order_by()
        .values_list("listing_category")
        .annotate(n=Count("pk"))
    )
    categories = list(ProviderCategory.objects.filter(pk__in=counts).order_by("sort_order", "name"))
    for category in categories:
        category.offer_count = counts[category.pk]
    return categories


# --- One offer ----------------------------------------------------------------------------


def offer_gallery(*, offer) -> list[OfferGalleryImage]:
    """The offer's gallery with images and renditions prefetched (two or three queries)."""
    image_model = get_image_model()
    return list(
        OfferGalleryImage.objects.filter(page=offer)
        .order_by("sort_order")
        .prefetch_related(
            Prefetch(
                "image",
                queryset=image_model.objects.prefetch_renditions(
                    GALLERY_RENDITION, THUMBNAIL_RENDITION
                ),
            )
        )
    )


@dataclass(frozen=True)
class NightStatus:
    date: dt.date
    free_units: int
    closed: bool
    price: int | None

    @property
    def available(self) -> bool:
        return not self.closed and self.free_units > 0


@dataclass(frozen=True)
class SlotStatus:
    pk: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    places_left: int


@dataclass
class OfferAvailability:
    """What can be booked from ``start`` for ``days`` days, by kind."""

    kind: str
    start: dt.date
    days: int
    nights: list[NightStatus] = field(default_factory=list)
    slots: list[SlotStatus] = field(default_factory=list)
    stock: int | None = None

    @property
    def weeks(self) -> list[list[NightStatus | None]]:
        """The nights as calendar weeks (Monday first), padded with ``None``."""
        if not self.nights:
            return []
        cells: list[NightStatus | None] = [None] * self.nights[0].date.weekday()
        cells += self.nights
        cells += [None] * (-len(cells) % 7)
        return [cells[i : i + 7] for i in range(0, len(cells), 7)]

    @property
    def has_any(self) -> bool:
        if self.kind == OfferKind.STAY:
            return any(night.available for night in self.nights)
        if self.kind == OfferKind.ACTIVITY:
            return bool(self.slots)
        return bool(self.stock)


def stay_nights_status(*, offer, start: dt.date, end: dt.date) -> list[NightStatus]:
    """Free units, closure and price of each night from ``start`` to ``end - 1``.

    Three queries: nights taken, closures and seasons over the range.
    """
    taken = dict(
        StayNight.objects.filter(offer=offer, date__gte=start, date__lt=end).values_list(
            "date", "units_taken"
        )
    )
    closures = list(offer.closures.filter(start_date__lt=end, end_date__gte=start))
    seasons = list(offer.seasonal_prices.filter(start_date__lt=end, end_date__gte=start))
    prices = stay_nightly_prices(offer=offer, start=start, end=end, seasons=seasons)
    return [
        NightStatus(
            date=day,
            free_units=max(offer.units - taken.get(day, 0), 0),
            closed=any(c.start_date <= day <= c.end_date for c in closures),
            price=price,
        )
        for day, price, _name in prices
    ]


def activity_slots_open(
    *, offer, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[SlotStatus]:
    """Future, not cancelled slots with places left, in time order (one query)."""
    now = timezone.now()
    slots = ActivitySlot.objects.filter(offer=offer, cancelled=False, starts_at__gt=now).filter(
        places__gt=F("places_taken")
    )
    if start is not None:
        slots = slots.filter(starts_at__gte=start)
    if end is not None:
        slots = slots.filter(starts_at__lt=end)
    return [
        SlotStatus(
            pk=slot.pk,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            places_left=slot.places - slot.places_taken,
        )
        for slot in slots.order_by("starts_at")
    ]


def product_free(offer) -> int:
    """Items of a product free to book now: its stock minus what is held or sold."""
    taken = ProductStock.objects.filter(offer_id=offer.pk).values_list("taken", flat=True).first()
    return max(offer.stock - (taken or 0), 0)


def offer_availability(*, offer, days: int = 60, today: dt.date | None = None) -> OfferAvailability:
    """Availability of a (specific) offer for the next ``days`` days, from today.

    Stays: free units and price per night; activities: open slots with places left;
    products: the stock.
    """
    start = today or timezone.localdate()
    end = start + dt.timedelta(days=days)
    availability = OfferAvailability(kind=offer.kind, start=start, days=days)
    if offer.kind == OfferKind.STAY:
        availability.nights = stay_nights_status(offer=offer, start=start, end=end)
    elif offer.kind == OfferKind.ACTIVITY:
        end_dt = timezone.make_aware(dt.datetime.combine(end, dt.time.min))
        availability.slots = activity_slots_open(offer=offer, end=end_dt)
    elif offer.kind == OfferKind.PRODUCT:
        availability.stock = product_free(offer)
    return availability


# --- Providers ----------------------------------------------------------------------------


def providers_for_site(*, site) -> QuerySet[Provider]:
    """Approved providers of the site whose public page is live, with category and page."""
    return (
        Provider.objects.approved()
        .for_site(site)
        .filter(page__live=True)
        .select_related("category", "page")
        .order_by("name", "pk")
    )


def provider_map_points(*, site) -> list[dict]:
    """Approved providers with coordinates, as plain values for a map (one query).

    Each has ``name``, ``commune``, ``latitude``, ``longitude``, ``category__name``,
    ``category__name_en`` and ``page__url_path`` (the page's Wagtail path).
    """
    return list(
        providers_for_site(site=site)
        .exclude(latitude=None)
        .exclude(longitude=None)
        .values(
            "pk",
            "name",
            "commune",
            "latitude",
            "longitude",
            "category__name",
            "category__name_en",
            "page__url_path",
        )
    )


def providers_with_logos(queryset: QuerySet[Provider]) -> QuerySet[Provider]:
    image_model = get_image_model()
    return queryset.prefetch_related(
        Prefetch("page__logo", queryset=image_model.objects.prefetch_renditions(LOGO_RENDITION))
    )


def provider_offers(*, provider_page) -> QuerySet[OfferPage]:
    """The live offers under a provider's (source) page, ready for cards; give the page
    shown to :func:`offers_localise` for their translated text."""
    return offers_with_cards(
        OfferPage.objects.live()
        .public()
        .child_of(provider_page)
        .filter(locale__language_code=source_language())
        .order_by("title", "pk")
    )
