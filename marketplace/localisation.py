"""Translated pages and offers: French is the source, other languages only display text.

A territory translates its pages with wagtail-localize (``WAGTAIL_I18N_ENABLED``): each
translation is a page of its own in a tree per language (the English home, its offer
index, provider pages, offers). Commerce never moves to those copies: an offer's
bookings, capacity, availability, prices, cart lines, commissions, ledger entries, API
ids and caches all stay on the *source* page, the one in the default language
(``settings.LANGUAGE_CODE``). A translation lends the source its text for display
(:func:`display_with_translation`), nothing else.

A visitor in another language sees the translation where one is live, else the source
page under that language's prefix: a page missing from the translated tree is routed in
the source tree (:meth:`LocalisedPage.route`), and source pages seen in another language
link to that language's URLs (:meth:`LocalisedPage.get_url_parts`). Slugs are kept in
sync with the source, so a page has the same path in every language, which the language
switcher relies on.
"""

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Page
from wagtail.url_routing import RouteResult

# The text of a page every page type translates; each type adds its own.
PAGE_TEXT_FIELDS = ("title", "seo_title", "search_description")


def source_language() -> str:
    """The language of the source pages (the default locale's)."""
    return get_supported_content_language_variant(settings.LANGUAGE_CODE)


def active_content_language() -> str:
    """The content language of the request (the source one when not a content language)."""
    try:
        return get_supported_content_language_variant(translation.get_language())
    except LookupError:
        return source_language()


def content_language(language: str | None = None) -> str:
    """``language`` (the active one when not given) as a content language, the source
    one when it is none (an order's ``language``, an e-mail's)."""
    if not language:
        return active_content_language()
    try:
        return get_supported_content_language_variant(language)
    except LookupError:
        return source_language()


def live_translations(model, source_ids, *, language: str, fields=("title",)) -> dict:
    """The live translations in ``language`` of the source pages with these ids, by
    source id, with their ``fields`` loaded: one query, none in the source language.

    Every list that shows translated text (the listing's cards, the cart, bookings, the
    footer) reads its translations here, in one query whatever its length.
    """
    source_ids = {pk for pk in source_ids if pk}
    if not source_ids or language == source_language():
        return {}
    sources = Page.objects.filter(
        translation_key=OuterRef("translation_key"), locale__language_code=source_language()
    )
    rows = (
        model.objects.live()
        .filter(
            # Not the copies (aliases) of untranslated parents, which hold the source's text.
            alias_of__isnull=True,
            locale__language_code=language,
            translation_key__in=Page.objects.filter(pk__in=source_ids).values("translation_key"),
        )
        .annotate(source_id=Subquery(sources.values("pk")[:1]))
        .only("translation_key", *fields)
    )
    return {row.source_id: row for row in rows}


def shown_language(page) -> str:
    """The language of the text ``page`` shows: ``text_language`` when its reader knows it
    (a card's offer, a booking: no query), the active one when a translation lends it
    its text (only a translation in the active language does:
    :func:`display_with_translation`), its original's for an alias, else its own."""
    if getattr(page, "text_language", ""):
        return page.text_language
    if getattr(page, "translation_page", None) is not None:
        return active_content_language()
    if getattr(page, "alias_of_id", None):
        # A copy wagtail-localize makes of an untranslated parent: the source's text.
        return shown_language(page.alias_of)
    return page.locale.language_code


def display_with_translation(source, translation_page, fields) -> object:
    """``source`` showing ``translation_page``'s text in ``fields``: the object templates
    get, with the source's id, prices and everything commerce reads."""
    for name in fields:
        setattr(source, name, getattr(translation_page, name))
    source.translation_page = translation_page
    return source


class LocalisedPage:
    """Routing and URLs of a page in a site whose content may be translated.

    Mixed into every page type of the storefront, before ``Page``.
    """

    # The fields a translation supplies to the source for display (the others, numbers,
    # prices, images, relations, are kept in sync by wagtail-localize or ignored).
    localised_text_fields: tuple[str, ...] = PAGE_TEXT_FIELDS

    def save(self, *args, **kwargs):
        self.slug_follow_source()
        return super().save(*args, **kwargs)

    def is_source_locale(self) -> bool:
        return not self.locale_id or self.locale.language_code == source_language()

    def slug_follow_source(self) -> None:
        """A translation keeps its source's slug, which wagtail-localize turns to ASCII
        (``érables`` to ``erables``): a page has the same path in every language, and
        the language switcher only swaps the prefix. Not the homes, siblings at the root."""
        if not self.pk or not self.depth or self.depth <= 2 or self.is_source_locale():
            return
        slug = (
            type(self)
            .objects.filter(
                translation_key=self.translation_key, locale__language_code=source_language()
            )
            .values_list("slug", flat=True)
            .first()
        )
        if slug:
            self.slug = slug

    def localisation_source(self):
        """The source-language page of this translation (specific), or ``None`` when this
        page is in the source language, or its source was deleted."""
        source = (
            self.get_translations(inclusive=False)
            .filter(locale__language_code=source_language())
            .first()
        )
        return source.specific if source is not None else None

    def localised_display(self):
        """What a visitor of this page sees: the source page, with this translation's text
        when this page is a translation (one or two queries), else the page itself."""
        if active_content_language() == source_language():
            # Translations are served under their language's prefix only.
            return self
        source = self.localisation_source()
        if source is None:
            return self
        return display_with_translation(source, self, self.localised_text_fields)

    def route(self, request, path_components):
        """Route as Wagtail does, then, for a path the translated tree lacks, in the
        source tree: the source page is served, or its live translation when it has one
        (under a different slug), never a 404 because a page is not translated."""
        try:
            return super().route(request, path_components)
        except Http404 as missing:
            if not path_components or getattr(missing, "source_routed", False):
                raise
            source = self.localisation_source()
            if source is None:
                # Nothing else to try, here or above (a source page's parents are too).
                missing.source_routed = True
                raise
            try:
                result = source.route(request, path_components)
            except Http404 as error:
                error.source_routed = True
                raise
            page = result.page.localized
            if page is not result.page:
                result = RouteResult(page.specific, result.args, result.kwargs)
            return result

    def get_url_parts(self, request=None):
        """Wagtail's URL, except that a source page seen in another content language
        links to that language's path (the route above serves it there)."""
        parts = super().get_url_parts(request)
        if parts is None or parts[2] is None:
            return parts
        language = active_content_language()
        source = source_language()
        if language == source:
            return parts
        site_id, root_url, _page_path = parts
        roots = [
            root for root in self._get_relevant_site_root_paths(request) if root.site_id == site_id
        ]
        if not roots or roots[0].language_code != source:
            return parts
        try:
            with translation.override(language):
                page_path = reverse(
                    "wagtail_serve", args=(self.url_path[len(roots[0].root_path) :],)
                )
        except NoReverseMatch:
            return parts
        return site_id, root_url, page_path
