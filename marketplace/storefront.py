"""What the public offer page shows, and helpers the storefront's other pages share.

Why here and not in ``cms``: offer pages are Wagtail pages of this app
(``marketplace/models/offers.py``), and a Wagtail page renders itself: ``get_context``
on the model, the template ``marketplace/offer_page.html`` beside it. Moving this module
to ``cms`` would make the page model import ``cms`` (an app above it) or fetch its context
through a hook that only ``cms`` fills (an offer page that cannot render without ``cms``,
a dependency hidden behind a registry). So the offer page's context stays with the offer
page, in its own app: this module reads the models, so the page model does not import it;
:func:`install` hands it to ``OfferPage.storefront_context`` when this app is ready
(``MarketplaceConfig.ready``), before any page is served. ``cms`` builds the other
pages' context (home, listings, provider pages, in ``cms/views.py``) and calls the shared
helpers below (``territory_settings``, ``map_config``, ``marker``, ``meta_description``),
importing downwards.

What must not live here: views, the other pages' context, anything of ``cms`` or
``payments``.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from marketplace.commission import price_breakdown, quote_service_date
from marketplace.jsonld import offer_jsonld
from marketplace.models import CancellationPolicy, OfferPage, TerritorySettings
from marketplace.quotes import offer_quote
from marketplace.selectors import (
    GALLERY_RENDITION,
    offer_availability,
    offer_gallery,
)

AVAILABILITY_DAYS = 60


def territory_settings(request) -> TerritorySettings:
    """The current territory's settings (one query, cached on the request)."""
    return TerritorySettings.for_request(request)


def map_config(request, markers: list[dict]) -> dict:
    """The data island a Leaflet map reads: tiles, centre, zoom and markers."""
    territory = territory_settings(request)
    return {
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "center": [float(territory.map_latitude), float(territory.map_longitude)],
        "zoom": territory.map_zoom,
        "markers": markers,
    }


def marker(
    *, latitude, longitude, title: str, url: str = "", text: str = "", commune: str = ""
) -> dict | None:
    """A map marker; the map's list equivalent shows its title (linked), text and commune."""
    if latitude is None or longitude is None:
        return None
    return {
        "lat": float(latitude),
        "lng": float(longitude),
        "title": title,
        "url": url,
        "text": text,
        "commune": commune,
    }


def meta_description(*texts: str, length: int = 155) -> str:
    """The first non-empty text, as plain text cut at a word boundary."""
    for text in texts:
        plain = " ".join(strip_tags(text or "").split())
        if plain:
            return Truncator(plain).chars(length)
    return ""


def offer_page_context(*, request, page) -> dict:
    """Context of an offer page (``page`` is the specific stay, activity or product)."""
    territory = territory_settings(request)
    provider = page.provider
    # Its own class (no query): its URL follows the visitor's language, a Page's would not.
    provider_page = page.get_parent().specific_deferred
    provider_url = provider_page.get_url(request) if provider_page else ""
    # The cover is shown first; the gallery may repeat it.
    gallery = [item for item in offer_gallery(offer=page) if item.image_id != page.cover_image_id]
    availability = offer_availability(offer=page, days=AVAILABILITY_DAYS)
    quote = offer_quote(offer=page, params=request.GET, availability=availability)
    # The price of the visitor's choice with the service fee and who gets the commission,
    # quoted as if booked today, as the cart will.
    breakdown = None
    if quote.quote is not None:
        today = timezone.localdate()
        breakdown = price_breakdown(
            offer=page,
            price_quote=quote.quote,
            booked_on=today,
            service_on=quote_service_date(offer=page, form=quote.form, booked_on=today),
            tax=quote.tax,
        )
    url = request.build_absolute_uri(page.get_url(request))
    image_urls = []
    if page.cover_image_id:
        image_urls.append(
            request.build_absolute_uri(page.cover_image.get_rendition(GALLERY_RENDITION).url)
        )
    image_urls += [
        request.build_absolute_uri(item.image.get_rendition(GALLERY_RENDITION).url)
        for item in gallery
    ]
    location = marker(
        latitude=provider.latitude,
        longitude=provider.longitude,
        title=provider.name,
        url=provider_url,
        text=f"{provider.address}, {provider.postcode} {provider.commune}",
    )
    return {
        "offer": page,
        "provider": provider,
        "provider_page": provider_page,
        "provider_url": provider_url,
        "gallery": gallery,
        "labels": list(page.labels.all()),
        "category": page.listing_category,
        "availability": availability,
        "quote": quote,
        "breakdown": breakdown,
        "currency": territory.currency,
        "cancellation_policy_label": cancellation_policy_label(page, territory),
        "map_data": map_config(request, [location] if location else []),
        "meta_description": meta_description(page.search_description, page.summary),
        "jsonld": offer_jsonld(
            offer=page,
            provider=provider,
            url=url,
            provider_url=request.build_absolute_uri(provider_url) if provider_url else "",
            currency=territory.currency,
            image_urls=image_urls,
            availability=availability,
        ),
    }


def install() -> None:
    """Give offer pages their context (``OfferPage.storefront_context``), at app ready."""
    OfferPage.storefront_context = staticmethod(offer_page_context)


def cancellation_policy_label(page, territory) -> str:
    value = page.cancellation_policy or territory.default_cancellation_policy
    return str(CancellationPolicy(value).label) if value in CancellationPolicy.values else ""
