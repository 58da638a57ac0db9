"""Template helpers of the storefront: JSON-LD, navigation, query strings.

Money is not here: ``{% load comptoir_money %}`` and ``{% money %}`` (commissions).
"""

import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info
from wagtail.models import Page

from cms.models import (
    ContactPage,
    OfferIndexPage,
    ProviderIndexPage,
    StandardPage,
    TransparencyPage,
)
from marketplace.localisation import (
    active_content_language,
    live_translations,
    shown_language,
    source_language,
)
from marketplace.web import site_for_request

register = template.Library()

_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def jsonld(data):
    """A ``<script type="application/ld+json">`` element, safe to embed in HTML."""
    if not data:
        return ""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


@register.simple_tag(takes_context=True)
def storefront_links(context) -> dict:
    """URLs of the header's and footer's links, looked up once per request (one query).

    The footer lists the transparency page and the territory's standard pages and
    contact page under its home (about, legal notice, personal data, accessibility,
    terms of sale, contact...), in the order editors gave them in the page tree. The
    contact page is also ``contact``, for the pages that say "contact us"."""
    request = context.get("request")
    if request is None:
        return {}
    cached = getattr(request, "_storefront_links", None)
    if cached is not None:
        return cached
    links = {
        "home": "/",
        "offers": "",
        "providers": "",
        "transparency": "",
        "apply": "",
        "contact": "",
        "site_name": "Comptoir",
        "footer_pages": [],  # (title, URL, the title's language when not the page's)
    }
    keys = {
        OfferIndexPage: "offers",
        ProviderIndexPage: "providers",
        TransparencyPage: "transparency",
    }
    site = site_for_request(request)
    if site is not None:
        links["site_name"] = site.site_name or "Comptoir"
        # The site's root in the visitor's language (the home of that language, or the
        # source home under its prefix: marketplace.localisation).
        links["home"] = reverse("wagtail_serve", args=("",))
        pages = (
            Page.objects.child_of(site.root_page)
            .live()
            .type(*keys, StandardPage, ContactPage)
            .order_by("path")
            # Instances of their own class without another query: their URLs follow the
            # visitor's language (marketplace.localisation), a plain Page's would not. All
            # of Page's own fields are loaded: a URL reads the locale, depth and
            # translation key, each of which would cost a query per page if deferred.
            .specific(defer=True)
        )
        standard = []
        for page in pages:
            if page.specific_class in (StandardPage, ContactPage):
                standard.append(page)
                if page.specific_class is ContactPage and not links["contact"]:
                    links["contact"] = page.get_url(request)
                continue
            key = keys.get(page.specific_class)
            if key and not links[key]:
                links[key] = page.get_url(request)
        # Their titles in the visitor's language where translated (one query more,
        # none in French), else the French one marked as French for screen readers;
        # the URL stays the source's, which the language prefix serves.
        language = active_content_language()
        translations = live_translations(Page, [page.pk for page in standard], language=language)
        fallback = "" if language == source_language() else source_language()
        for page in standard:
            url = page.get_url(request)
            if page.pk in translations:
                links["footer_pages"].append((translations[page.pk].title, url, ""))
            else:
                links["footer_pages"].append((page.title, url, fallback))
    try:
        links["apply"] = reverse("provider_apply")
    except NoReverseMatch:
        links["apply"] = ""
    request._storefront_links = links
    return links


@register.simple_tag
def fallback_lang(page) -> str:
    """`` lang="fr"`` for the element holding ``page``'s text when that text is in another
    language than the page read, French shown under /en/ for want of a translation, so
    that screen readers pronounce it as French (WCAG 3.1.2); else nothing."""
    language = active_content_language()
    if language == source_language():
        return ""  # translations are served under their own language's prefix only
    shown = shown_language(page)
    return "" if shown == language else format_html(' lang="{}"', shown)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (``None`` removes one)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def language_links(context) -> list[dict]:
    """The current page in each language, as plain links.

    Links rather than a POST form: the language is in the URL (``/en/...``), the
    switcher works without JavaScript, and the page carries no CSRF token, so it can be
    cached for anonymous visitors.
    """
    request = context.get("request")
    path = request.get_full_path() if request is not None else "/"
    current = get_language() or settings.LANGUAGE_CODE
    links = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        links.append(
            {
                "code": code,
                "name": info["name_local"].capitalize(),
                "url": translate_url(path, code),
                "current": code == current,
            }
        )
    return links
