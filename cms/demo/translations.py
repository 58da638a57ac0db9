"""The demo's English content: the home, the catalogue and one offer of each kind,
translated through wagtail-localize (``cms.services.page_translation_publish``).

Keys are field paths (``title``, ``summary``...) or, for rich text and the home's
blocks, the French text itself; what is left out stays in French, as a visitor would
see it before the translator finishes. Every other offer falls back to its French page.
"""

from wagtail.models import Page

from cms.models import HomePage, OfferIndexPage, ProviderIndexPage, TransparencyPage
from cms.services import page_translation_publish
from marketplace.models import OfferPage

LANGUAGE = "en"

HOME = {
    "title": "Stays, activities and local produce of the Val d'Arvière",
    "seo_title": "Comptoir of the Val d'Arvière",
    "intro": (
        "Book a stay, an activity or your groceries from the shops and producers of the "
        "Val d'Arvière, and pay once."
    ),
    "search_description": (
        "The Val d'Arvière's marketplace: places to stay, activities and local produce."
    ),
    "Un marché qui appartient au territoire": "A marketplace the territory owns",
    "Acheter ici, c'est faire vivre le Val toute l'année.": (
        "Buying here keeps the Val alive all year round."
    ),
    "Voir toutes les offres": "See every offer",
}

PAGES = {
    OfferIndexPage: {"title": "Offers"},
    ProviderIndexPage: {"title": "Providers"},
    TransparencyPage: {
        "title": "Transparency",
        "intro": (
            "The territory's commission rules, who receives what they raise, and the "
            "history of their changes."
        ),
    },
}

# One offer of each kind, by slug.
OFFERS = {
    "emplacement-tente-caravane": {
        "title": "Tent, caravan or camper van pitch",
        "summary": "A shaded 100 m² pitch, 10 A electricity, up to 6 people.",
        "description": (
            "Forty pitches bordered by hedges, a stone's throw from the river. Heated "
            "washrooms, free hot water, access to the beach."
        ),
        "unit_name": "pitch",
    },
    "descente-en-canoe": {
        "title": "Canoe trip down the Arvière",
        "summary": "Eight kilometres of calm river, shuttle back.",
        "description": "From 7 years old, able to swim. Life jackets and dry bags provided.",
        "meeting_point": "Water sports centre, chemin de la Plage",
    },
    "tomme-de-chevre": {
        "title": "Farmhouse goat's cheese tomme",
        "summary": "Tomme matured three months in the cellar, about 1 kg.",
        "description": "Raw milk from our goats, matured in a natural cellar.",
        "unit_label": "piece of about 1 kg",
    },
}


def _translated(page: Page) -> bool:
    """Whether the page has its English translation (published when the seed commits);
    an alias made for a translated child page is not one."""
    return (
        page.get_translations()
        .filter(locale__language_code=LANGUAGE, alias_of__isnull=True)
        .exists()
    )


def translations_ensure(*, home: HomePage, admin, report) -> None:
    """Translate the demo's home, index pages and three offers into English. Idempotent."""
    pages = [(home, HOME)]
    for page_type, texts in PAGES.items():
        page = page_type.objects.child_of(home).first()
        if page is not None:
            pages.append((page, texts))
    offers = OfferPage.objects.descendant_of(home).filter(slug__in=OFFERS)
    pages += [(offer, OFFERS[offer.slug]) for offer in offers]
    for page, texts in pages:
        if _translated(page):
            continue
        page_translation_publish(page=page, language=LANGUAGE, texts=texts, user=admin)
        report.add("English translation")
