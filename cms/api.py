"""Public read-only JSON API for open data and partner sites.

``/api/offers/`` takes the same filters as ``/offres/`` (``marketplace.filters``) and
answers ``{"count", "next", "previous", "results"}``; ``/api/providers/`` lists the
approved providers. Unknown or malformed parameters give HTTP 400 with
``{"errors": {field: [messages]}}``; nothing here raises a 500 on bad input. Unknown
parameters are ignored (partners add cache-busters and tracking parameters).
``lang=en`` gives the offers' English text where they are translated (French otherwise);
the ids are always the French source offers', the ones a booking names.

Amounts are integer cents: an offer's ``price_from`` is its lowest price, and
``price_from_all_in`` that price with the service fee (``visitor_fee_from``) the live
commission rules add to it, what a visitor would pay.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cms.cache import cache_seconds, results_cache_key
from marketplace.commission import offers_all_in_prices
from marketplace.selectors import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    offers_for_listing,
    offers_load,
    providers_for_site,
)
from marketplace.web import site_for_request


def _coordinates(latitude, longitude) -> dict | None:
    if latitude is None or longitude is None:
        return None
    return {"lat": float(latitude), "lng": float(longitude)}


def _category(category) -> dict | None:
    if category is None:
        return None
    return {"slug": category.slug, "name": category.name}


def _error(errors: dict, status: int = 400) -> JsonResponse:
    response = JsonResponse({"errors": errors}, status=status)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _paginate(request, queryset):
    """``(page, errors)``: strict here, unlike the HTML listing, since a program asked."""
    errors = {}
    per_page = PAGE_SIZE
    raw_size = request.GET.get("page_size")
    if raw_size:
        try:
            per_page = int(raw_size)
        except ValueError:
            per_page = 0
        if not 1 <= per_page <= MAX_PAGE_SIZE:
            errors["page_size"] = [
                _("Enter a whole number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}
            ]
            per_page = PAGE_SIZE
    paginator = Paginator(queryset, per_page)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        errors["page"] = [_("Enter a whole page number.")]
        page = None
    except EmptyPage:
        errors["page"] = [
            _("There is no such page; the last one is %(last)d.") % {"last": paginator.num_pages}
        ]
        page = None
    return page, errors


def _page_link(request, number: int | None) -> str | None:
    if number is None:
        return None
    params = request.GET.copy()
    params["page"] = number
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def _payload(request, page, results: list[dict]) -> dict:
    return {
        "count": page.paginator.count,
        "next": _page_link(request, page.next_page_number() if page.has_next() else None),
        "previous": _page_link(
            request, page.previous_page_number() if page.has_previous() else None
        ),
        "results": results,
    }


def _json(payload: dict) -> JsonResponse:
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    # Open data: partner sites may read it from the browser.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _language(request) -> str:
    """The content language asked for with ``lang`` (French, the source, otherwise)."""
    asked = request.GET.get("lang", "")
    return asked if asked in dict(settings.WAGTAIL_CONTENT_LANGUAGES) else settings.LANGUAGE_CODE


def _cache_key(request, site, name: str) -> str:
    # Links are absolute: the host is part of the answer.
    if not cache_seconds():
        return ""
    return results_cache_key(request=request, site=site, name=f"{name}:{request.get_host()}")


def _offer_json(request, offer) -> dict:
    return {
        "id": offer.pk,
        "title": offer.title,
        "url": request.build_absolute_uri(offer.get_url(request)),
        "kind": offer.kind,
        "category": _category(offer.listing_category),
        "provider": {"id": offer.provider_id, "name": offer.provider.name},
        "commune": offer.commune,
        "coordinates": _coordinates(offer.latitude, offer.longitude),
        "price_from": offer.price_from,
        "price_from_all_in": offer.price_from_all_in,
        "visitor_fee_from": offer.visitor_fee_from,
        "summary": offer.summary,
    }


@require_GET
def offers_api(request):
    """Offers of the site, filtered and ordered like the ``/offres/`` page."""
    site = site_for_request(request)
    search = offers_for_listing(site=site, params=request.GET, with_images=False)
    errors = {name: list(messages) for name, messages in search.errors.items()}
    key = "" if errors else _cache_key(request, site, "api-offers")
    if key and (payload := cache.get(key)) is not None:
        return _json(payload)
    # One narrow query for the matching keys: count and page both come from it.
    page, page_errors = _paginate(request, list(search.ids))
    errors.update(page_errors)
    if errors:
        return _error(errors)
    # Text and links in the language asked for (``lang``) where the offer is translated;
    # ids, prices and everything else are the source offer's whatever the language.
    with translation.override(_language(request)):
        offers = offers_all_in_prices(
            offers=offers_load(ids=list(page.object_list), with_images=False), site_id=site.pk
        )
        results = [_offer_json(request, offer) for offer in offers]
    payload = _payload(request, page, results)
    if key:
        cache.set(key, payload, cache_seconds())
    return _json(payload)


@require_GET
def providers_api(request):
    """Approved providers of the site with a live public page."""
    site = site_for_request(request)
    key = _cache_key(request, site, "api-providers")
    if key and (payload := cache.get(key)) is not None:
        return _json(payload)
    page, errors = _paginate(request, providers_for_site(site=site))
    if errors:
        return _error(errors)
    results = [
        {
            "id": provider.pk,
            "name": provider.name,
            "url": request.build_absolute_uri(provider.page.get_url(request)),
            "category": _category(provider.category),
            "commune": provider.commune,
            "coordinates": _coordinates(provider.latitude, provider.longitude),
        }
        for provider in page.object_list
    ]
    payload = _payload(request, page, results)
    if key:
        cache.set(key, payload, cache_seconds())
    return _json(payload)
