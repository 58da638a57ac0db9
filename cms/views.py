"""Context builders for the storefront pages.

They turn what the marketplace's selectors return into what templates show (URLs,
labels, map markers, JSON-LD); no business rule and no query of their own.
"""

from urllib.parse import urlencode

from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from wagtail.models import Site

from cms.cache import cache_seconds, results_cache_key
from commissions.money import money
from marketplace.commission import offers_all_in_prices
from marketplace.filters import OfferFilterSet
from marketplace.jsonld import provider_jsonld
from marketplace.models import Label, OfferKind, ProviderCategory
from marketplace.selectors import (
    categories_with_offer_counts,
    featured_offers,
    offer_results_page,
    offers_for_listing,
    offers_localise,
    provider_map_points,
    provider_offers,
    providers_for_site,
    providers_with_logos,
    results_paginate,
)
from marketplace.storefront import map_config, marker, meta_description, territory_settings
from marketplace.web import site_for_request

PROVIDERS_PER_PAGE = 48
# Parameters of the listing shown as removable chips (ordering is not a filter).
CHIP_PARAMS = ("q", "category", "kind", "commune", "label", "price_min", "price_max")


def url_from_path(request, url_path: str) -> str:
    """A page's URL from its Wagtail ``url_path``, for pages of the current site.

    Same result as ``Page.get_url(request)`` without loading the page: one ``reverse``
    per request instead of one per page (maps list hundreds of them).
    """
    cached = getattr(request, "_storefront_url_base", None)
    if cached is None:
        site = site_for_request(request)
        root_path = next(
            (p.root_path for p in Site.get_site_root_paths() if p.site_id == site.pk), "/"
        )
        cached = (root_path, reverse("wagtail_serve", args=("",)))
        request._storefront_url_base = cached
    root_path, base = cached
    if not url_path.startswith(root_path):
        return ""
    return base + url_path[len(root_path) :]


def offer_markers(request, offers) -> list[dict]:
    markers = []
    for offer in offers:
        point = marker(
            latitude=offer.latitude,
            longitude=offer.longitude,
            title=offer.title,
            url=offer.get_url(request),
            text=offer.provider.name if offer.provider_id else "",
            commune=offer.commune,
        )
        if point:
            markers.append(point)
    return markers


def provider_markers(request, points: list[dict]) -> list[dict]:
    """Map markers from ``provider_map_points`` values."""
    english = (get_language() or "fr").startswith("en")
    markers = []
    for point in points:
        category = (english and point["category__name_en"]) or point["category__name"]
        markers.append(
            marker(
                latitude=point["latitude"],
                longitude=point["longitude"],
                title=point["name"],
                url=url_from_path(request, point["page__url_path"]),
                text=category,
                commune=point["commune"],
            )
        )
    return markers


def home_context(*, request, page):
    site = site_for_request(request)
    return {
        "featured_offers": offers_all_in_prices(
            offers=featured_offers(home=page, site=site), site_id=site.pk
        ),
        "categories": categories_with_offer_counts(site=site),
        "map_data": map_config(request, provider_markers(request, provider_map_points(site=site))),
        "provider_count": providers_for_site(site=site).count(),
        "meta_description": meta_description(page.search_description, page.intro),
    }


def _chip_value(name: str, value, request) -> str:
    """How an active filter reads on its chip."""
    if isinstance(value, ProviderCategory | Label):
        return value.label
    if name == "kind":
        return str(OfferKind(value).label)
    if name in ("price_min", "price_max"):
        currency = territory_settings(request).currency
        return money(value, currency)
    if name == "q":
        return f"« {value} »"
    return str(value)


def active_filter_chips(request, filterset: OfferFilterSet) -> list[dict]:
    """One removable chip per filter the visitor set: label, value, link without it.

    Invalid values get a chip too (marked as ignored), so they are easy to remove.
    """
    chips = []
    form = filterset.form
    cleaned = form.cleaned_data
    params = request.GET

    def without(*names):
        query = params.copy()
        for key in (*names, "page"):
            query.pop(key, None)
        encoded = query.urlencode()
        return f"?{encoded}" if encoded else request.path

    for name in CHIP_PARAMS:
        raw = params.get(name, "")
        if not raw.strip():
            continue
        field = form.fields[name]
        if name in form.errors or cleaned.get(name) in (None, ""):
            value, ignored = raw[:40] + ("…" if len(raw) > 40 else ""), True
        else:
            value, ignored = _chip_value(name, cleaned[name], request), False
        chips.append(
            {"label": field.label, "value": value, "ignored": ignored, "url": without(name)}
        )

    # Dates and guests work together: one chip for the dates, one for the guests.
    start, end = cleaned.get("start"), cleaned.get("end")
    if params.get("start") or params.get("end"):
        if start:
            value = formats.date_format(start, "SHORT_DATE_FORMAT")
            if end:
                value = _("%(start)s to %(end)s") % {
                    "start": value,
                    "end": formats.date_format(end, "SHORT_DATE_FORMAT"),
                }
            chips.append(
                {
                    "label": _("Dates"),
                    "value": value,
                    "ignored": False,
                    "url": without("start", "end"),
                }
            )
        else:
            raw = f"{params.get('start', '')} – {params.get('end', '')}"[:40]
            chips.append(
                {"label": _("Dates"), "value": raw, "ignored": True, "url": without("start", "end")}
            )
    if params.get("guests"):
        guests = cleaned.get("guests")
        chips.append(
            {
                "label": form.fields["guests"].label,
                "value": (
                    ngettext("%(count)d guest", "%(count)d guests", guests) % {"count": guests}
                    if guests
                    else params["guests"][:40]
                ),
                "ignored": not guests,
                "url": without("guests"),
            }
        )
    return chips


def offer_listing_context(*, request, site) -> dict:
    """Everything the filters and results of ``/offres/`` show, computed afresh."""
    search = offers_for_listing(site=site, params=request.GET)
    notices = list(search.error_messages)
    if search.errors:
        notices.insert(0, _("Some filters were not understood and were ignored:"))
    # Stays open with the searched dates already in their price form, and the searched
    # number of guests as its adults.
    cleaned = search.cleaned_data
    stay_params = {}
    if cleaned.get("start") and cleaned.get("end"):
        stay_params.update(start=cleaned["start"], end=cleaned["end"])
    if cleaned.get("guests"):
        stay_params["guests"] = cleaned["guests"]
    stay_query = "?" + urlencode(stay_params) if stay_params else ""
    results = offer_results_page(search=search, page=request.GET.get("page"))
    offers = offers_all_in_prices(offers=results.page.object_list, site_id=site.pk)
    return {
        "stay_query": stay_query,
        "filter_form": search.filterset.form,
        "filter_errors": notices,
        "chips": active_filter_chips(request, search.filterset),
        "clear_url": request.path,
        "offers": offers,
        "results": results,
        "page_obj": results.page,
        "result_count": results.paginator.count,
        "page_message": results.message,
        "map_data": map_config(request, offer_markers(request, offers)),
    }


def offer_index_context(*, request, page):
    """The listing's body is rendered here and cached whole (``cms.cache``): a repeated
    search costs no query for the filters or the results. The context keys of
    ``offer_listing_context`` are there only when it was computed (cache off or miss).
    """
    site = site_for_request(request)
    # Read (or create) the territory's settings before the key: creating them bumps the
    # catalogue version.
    territory_settings(request)
    seconds = cache_seconds()
    key = results_cache_key(request=request, site=site, name="offers") if seconds else ""
    body = cache.get(key) if key else None
    context = {"meta_description": meta_description(page.search_description, page.intro)}
    if body is None:
        listing = offer_listing_context(request=request, site=site)
        body = {
            "html": render_to_string("cms/includes/offer_listing.html", listing, request=request),
            "count": listing["result_count"],
            "page_number": listing["page_obj"].number,
            "has_map": bool(listing["map_data"]["markers"]),
        }
        if key:
            cache.set(key, body, seconds)
        context.update(listing)
    context.update(
        {
            "listing_html": mark_safe(body["html"]),  # noqa: S308 (our own template)
            "result_count": body["count"],
            "page_number": body["page_number"],
            "has_map": body["has_map"],
        }
    )
    return context


def provider_index_context(*, request, page):
    site = site_for_request(request)
    results = results_paginate(
        queryset=providers_with_logos(providers_for_site(site=site)),
        page=request.GET.get("page"),
        per_page=PROVIDERS_PER_PAGE,
    )
    return {
        "providers": list(results.page.object_list),
        "page_obj": results.page,
        "result_count": results.paginator.count,
        "page_message": results.message,
        "map_data": map_config(request, provider_markers(request, provider_map_points(site=site))),
        "meta_description": meta_description(page.search_description, page.intro),
    }


def provider_page_context(*, request, page):
    # A translation of the page names no provider: its source does, and holds the offers.
    source = page if page.provider_id else page.localisation_source()
    provider = source.provider
    results = results_paginate(
        queryset=provider_offers(provider_page=source), page=request.GET.get("page")
    )
    offers = offers_all_in_prices(
        offers=offers_localise(list(results.page.object_list)), site_id=provider.site_id
    )
    currency = territory_settings(request).currency
    url = request.build_absolute_uri(page.get_url(request))
    image_url = ""
    if page.logo_id:
        image_url = request.build_absolute_uri(page.logo.get_rendition("max-320x320").url)
    location = marker(
        latitude=provider.latitude,
        longitude=provider.longitude,
        title=provider.name,
        text=f"{provider.address}, {provider.postcode} {provider.commune}",
    )
    return {
        "provider": provider,
        "offers": offers,
        "page_obj": results.page,
        "page_message": results.message,
        "currency": currency,
        "map_data": map_config(request, [location] if location else []),
        "meta_description": meta_description(
            page.search_description, page.tagline, provider.description
        ),
        "jsonld": provider_jsonld(
            provider=provider,
            url=url,
            image_url=image_url,
            email=page.public_email,
            lodging=any(offer.kind == OfferKind.STAY for offer in offers),
            offers=[
                {
                    "title": offer.title,
                    "url": request.build_absolute_uri(offer.get_url(request)),
                    "price_from": offer.price_from,
                    "currency": currency,
                }
                for offer in offers
            ],
        ),
    }
