"""schema.org descriptions (JSON-LD) of offers and providers, for search engines.

Plain dictionaries built from objects already loaded by the page: no query here.
"""

from django.utils import timezone

from commissions.money import cents_to_decimal
from marketplace.models import OfferKind

SCHEMA = "https://schema.org"


def _price(cents: int | None) -> str | None:
    return None if cents is None else str(cents_to_decimal(cents))


def _drop_empty(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def provider_address(provider) -> dict:
    return _drop_empty(
        {
            "@type": "PostalAddress",
            "streetAddress": provider.address,
            "postalCode": provider.postcode,
            "addressLocality": provider.commune,
            "addressCountry": "FR",
        }
    )


def provider_geo(provider) -> dict | None:
    if provider.latitude is None or provider.longitude is None:
        return None
    return {
        "@type": "GeoCoordinates",
        "latitude": float(provider.latitude),
        "longitude": float(provider.longitude),
    }


def provider_jsonld(
    *,
    provider,
    url: str,
    image_url: str = "",
    email: str = "",
    offers=(),
    lodging: bool = False,
) -> dict:
    """A provider as a ``LocalBusiness`` (``LodgingBusiness`` when it offers stays).

    ``email`` is the public address the provider chose to show, if any; never the
    provider's contact e-mail, which is a member's own.
    """
    return _drop_empty(
        {
            "@context": SCHEMA,
            "@type": "LodgingBusiness" if lodging else "LocalBusiness",
            "name": provider.name,
            "description": provider.description,
            "url": url,
            "image": image_url,
            "telephone": provider.phone,
            "email": email,
            "address": provider_address(provider),
            "geo": provider_geo(provider),
            "starRating": (
                {"@type": "Rating", "ratingValue": provider.classification}
                if provider.classification
                else None
            ),
            "makesOffer": [
                _drop_empty(
                    {
                        "@type": "Offer",
                        "name": offer["title"],
                        "url": offer["url"],
                        "price": _price(offer["price_from"]),
                        "priceCurrency": offer["currency"],
                    }
                )
                for offer in offers
            ],
        }
    )


def offer_jsonld(
    *,
    offer,
    provider,
    url: str,
    provider_url: str,
    currency: str,
    image_urls=(),
    availability=None,
) -> dict:
    """An offer as a ``Product`` with an ``Offer``; activities list their next slots
    as ``Event``s and stays name their ``LodgingBusiness``."""
    in_stock = availability.has_any if availability is not None else True
    unit_text = {
        OfferKind.STAY: "night",
        OfferKind.ACTIVITY: "person",
        OfferKind.PRODUCT: getattr(offer, "unit_label", "") or "item",
    }.get(offer.kind, "")
    seller = _drop_empty(
        {
            "@type": "LodgingBusiness" if offer.kind == OfferKind.STAY else "LocalBusiness",
            "name": provider.name,
            "url": provider_url,
            "address": provider_address(provider),
            "geo": provider_geo(provider),
        }
    )
    data = {
        "@context": SCHEMA,
        "@type": "Product",
        "name": offer.title,
        "description": offer.summary,
        "url": url,
        "image": list(image_urls),
        "category": offer.listing_category.name if offer.listing_category_id else None,
        "offers": _drop_empty(
            {
                "@type": "Offer",
                "url": url,
                "price": _price(offer.price_from),
                "priceCurrency": currency,
                "priceSpecification": _drop_empty(
                    {
                        "@type": "UnitPriceSpecification",
                        "price": _price(offer.price_from),
                        "priceCurrency": currency,
                        "unitText": unit_text,
                    }
                ),
                "availability": f"{SCHEMA}/{'InStock' if in_stock else 'SoldOut'}",
                "seller": seller,
            }
        ),
    }
    if offer.kind == OfferKind.ACTIVITY and availability is not None:
        location = _drop_empty(
            {
                "@type": "Place",
                "name": getattr(offer, "meeting_point", "") or provider.name,
                "address": provider_address(provider),
                "geo": provider_geo(provider),
            }
        )
        data["subjectOf"] = [
            {
                "@type": "Event",
                "name": offer.title,
                "startDate": timezone.localtime(slot.starts_at).isoformat(),
                "endDate": timezone.localtime(slot.ends_at).isoformat(),
                "eventStatus": f"{SCHEMA}/EventScheduled",
                "location": location,
                "organizer": {"@type": "Organization", "name": provider.name, "url": provider_url},
                "offers": {
                    "@type": "Offer",
                    "price": _price(offer.price_from),
                    "priceCurrency": currency,
                    "url": url,
                    "availability": f"{SCHEMA}/InStock",
                },
            }
            for slot in availability.slots[:10]
        ]
    return _drop_empty(data)
