"""The storefront pages through their real URLs: listing, bad input, languages, budgets."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from cms.models import (
    HomePage,
    OfferIndexPage,
    ProviderIndexPage,
    StandardPage,
    TransparencyPage,
)
from tests import factories
from tests.snapshots import Replay


@pytest.fixture(autouse=True)
def _french_first():
    """Requests leave their language active in the thread: start each test in French,
    so ``page.url`` means the French URL."""
    with translation.override("fr"):
        yield


def build_catalogue(territory):
    """Two providers, one offer of each kind, in two communes."""
    camping = factories.category("camping", "Camping", "Campsite")
    loisirs = factories.category("loisirs", "Loisirs", "Leisure")
    bio = factories.label("bio", "Agriculture biologique", "Organic")
    campsite = factories.provider(territory, name="Camping des Érables", category_obj=camping)
    outdoor = factories.provider(
        territory,
        name="Rivière Aventure",
        category_obj=loisirs,
        commune="Vallon",
        latitude="45.300000",
        longitude="4.400000",
    )
    return {
        "site": territory,
        "campsite": campsite,
        "outdoor": outdoor,
        "stay": factories.stay(campsite, title="Chalet des Érables", price_per_night=6000),
        "activity": factories.activity(
            outdoor,
            title="Descente en canoë",
            slots=[(factories.in_days(3), 8, 0)],
            labels=[bio],
        ),
        "product": factories.product(campsite, title="Confiture de myrtilles", price_per_item=600),
    }


catalogue_replay = Replay(build_catalogue)


@pytest.fixture
def catalogue(territory):
    """``build_catalogue``, built once and then replayed (tests/snapshots.py)."""
    return catalogue_replay(territory)


def offers_url():
    return OfferIndexPage.objects.get().url


def test_home_page_shows_featured_offers_categories_and_map(client, catalogue):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "Chalet des Érables" in html
    assert "?category=camping" in html
    assert 'id="home-map-data"' in html
    assert "vendor/leaflet/leaflet.js" in html
    assert 'href="#main"' in html
    assert 'href="/en/" hreflang="en"' in html
    assert "csrfmiddlewaretoken" not in html  # cacheable for anonymous visitors


def test_listing_shows_every_visible_offer(client, catalogue):
    response = client.get("/offres/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["result_count"] == 3
    for title in ("Chalet des Érables", "Descente en canoë", "Confiture de myrtilles"):
        assert title in html
    assert html.count("<h1") == 1
    assert "<main" in html and "<nav" in html and "<footer" in html


def test_listing_hides_offers_of_unapproved_providers_and_drafts(client, catalogue):
    from marketplace.models import ProviderStatus

    hidden = factories.stay(catalogue["outdoor"], title="Cabane suspendue")
    hidden.unpublish()
    catalogue["campsite"].status = ProviderStatus.SUSPENDED
    catalogue["campsite"].save()
    response = client.get("/offres/")
    titles = [o.title for o in response.context["offers"]]
    assert titles == ["Descente en canoë"]


def test_listing_in_english(client, catalogue):
    response = client.get("/en/offres/?category=camping")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Filter the offers" in html
    assert "Campsite" in html  # the category's English name on the chip
    assert 'href="/en/offres/' in html or "/en/offres/" in html


def test_listing_in_french_by_default(client, catalogue):
    from django.core.management import call_command

    call_command("compilemessages", verbosity=0, ignore=[".venv"])
    response = client.get("/offres/?category=camping&price_min=abc")
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Filtrer les offres" in html
    assert "Aller au contenu principal" in html
    assert "Catégorie : Camping" in html  # the chip, with French punctuation
    assert "1 offre" in html or "2 offres" in html


def test_language_switcher_keeps_the_page(client, catalogue):
    html = client.get("/offres/?kind=stay").content.decode()
    assert 'href="/en/offres/?kind=stay"' in html
    html = client.get("/en/offres/?kind=stay").content.decode()
    assert 'href="/offres/?kind=stay"' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/offres/?kind=stay"})
    assert response.status_code == 302
    assert response["Location"] == "/en/offres/?kind=stay"


@pytest.mark.parametrize(
    "query",
    [
        "price_min=abc",
        "price_max=1e999",
        "start=2026-13-45",
        "start=2030-01-10&end=2030-01-05",
        "end=2030-01-05",
        "category=nope",
        "label=nope",
        "kind=spaceship",
        "commune=Atlantis",
        "guests=-4",
        "guests=lots",
        "ordering=random",
        "page=999",
        "page=abc",
        "page=-1",
        "q=" + "x" * 10_000,
        "price_min=50&price_max=10",
        "start=2000-01-01",
    ],
)
def test_bad_input_never_500s_and_says_why(client, catalogue, query):
    response = client.get(f"/offres/?{query}")
    assert response.status_code == 200
    context = response.context
    assert context["filter_errors"] or context["page_message"], query
    html = response.content.decode()
    assert 'class="notice' in html


def test_long_search_text_is_refused_with_a_message(client, catalogue):
    response = client.get("/offres/?q=" + "a" * 10_000)
    assert response.status_code == 200
    assert "q" in response.context["filter_form"].errors
    assert response.context["result_count"] == 3


def test_page_past_the_end_shows_the_last_page(client, catalogue):
    response = client.get("/offres/?page=40")
    assert response.context["page_obj"].number == 1
    assert "40" in response.context["page_message"]


def test_pagination_24_per_page(client, catalogue):
    factories.bulk_stay_offers(catalogue["campsite"], 30)
    response = client.get("/offres/")
    assert response.context["result_count"] == 33
    assert len(response.context["offers"]) == 24
    html = response.content.decode()
    assert 'rel="next"' in html
    second = client.get("/offres/?page=2")
    assert len(second.context["offers"]) == 9
    first_ids = {o.pk for o in response.context["offers"]}
    assert not first_ids & {o.pk for o in second.context["offers"]}


def test_empty_state(client, catalogue):
    response = client.get("/offres/?q=introuvable")
    assert response.context["result_count"] == 0
    assert "No offer matches" in response.content.decode() or "Aucune offre" in (
        response.content.decode()
    )


def test_active_filters_are_removable_chips(client, catalogue):
    response = client.get("/offres/?kind=stay&category=camping&q=chalet&page=1")
    chips = {chip["label"]: chip for chip in response.context["chips"]}
    assert set(map(str, chips)) >= {"Kind", "Category", "Search"} or len(chips) == 3
    urls = [chip["url"] for chip in response.context["chips"]]
    assert "?category=camping&q=chalet" in urls  # kind removed, page dropped
    html = response.content.decode()
    assert 'href="?category=camping&amp;q=chalet"' in html


def test_provider_index_and_page(client, catalogue):
    index = ProviderIndexPage.objects.get()
    response = client.get(index.url)
    assert response.status_code == 200
    assert "Camping des Érables" in response.content.decode()
    page = catalogue["campsite"].page
    response = client.get(page.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Chalet des Érables" in html and "Confiture de myrtilles" in html
    assert "application/ld+json" in html
    assert '"@type": "LodgingBusiness"' in html
    assert "<title>Camping des Érables" in html
    assert re.search(r'<meta name="description" content="[^"]+">', html)


def test_standard_page_renders_blocks(client, territory):
    home = HomePage.objects.get()
    page = home.add_child(
        instance=StandardPage(
            title="Mentions légales",
            slug="mentions-legales",
            body=[
                {"type": "heading", "value": {"text": "Éditeur", "level": "h2"}},
                {"type": "paragraph", "value": "<p>La communauté de communes.</p>"},
                {
                    "type": "call_to_action",
                    "value": {"text": "Voir les offres", "url": "https://example.org/"},
                },
            ],
        )
    )
    page.save_revision().publish()
    response = client.get("/mentions-legales/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 class="block-heading">Éditeur</h2>' in html
    assert 'class="button" href="https://example.org/"' in html


def test_the_footer_links_the_transparency_and_standard_pages_in_tree_order(client, territory):
    """The legal notice, personal data, accessibility, about pages existed but nothing
    linked to them (issue 14): the footer lists every live standard page under the home,
    in the page tree's order, and the transparency page; a draft is not listed."""
    home = HomePage.objects.get()
    for title, slug in (
        ("Mentions légales", "mentions-legales"),
        ("Conditions générales de vente", "cgv"),
    ):
        home.add_child(instance=StandardPage(title=title, slug=slug)).save_revision().publish()
    home.add_child(instance=StandardPage(title="Brouillon", slug="brouillon", live=False))
    footer = client.get("/").content.decode().split('class="site-footer"', 1)[1]
    assert '<a href="/mentions-legales/">Mentions légales</a>' in footer
    assert '<a href="/cgv/">Conditions générales de vente</a>' in footer
    assert footer.index("/mentions-legales/") < footer.index("/cgv/")
    assert "Brouillon" not in footer
    transparency = TransparencyPage.objects.live().get()  # the territory's setup makes it
    assert f'href="{transparency.url}">Transparence</a>' in footer


# --- query budgets ---------------------------------------------------------------------


BUDGET_QUERIES = [
    "",
    "q=sejour&ordering=price",
    "category=camping&kind=stay&commune=Saint-Martin&price_min=10&price_max=90",
    "label=bio&ordering=-price",
    "start={start}&end={end}&guests=2&ordering=newest",
    "start={start}&end={end}&category=camping&guests=3&q=lot&price_max=100",
    "guests=2&ordering=name&page=2",
]


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_listing_query_budget_is_constant(client, catalogue, django_assert_num_queries):
    start = timezone.localdate() + dt.timedelta(days=5)
    urls = [
        "/offres/?" + q.format(start=start, end=start + dt.timedelta(days=2))
        for q in BUDGET_QUERIES
    ] + ["/", "/prestataires/", catalogue["campsite"].page.url]
    factories.bulk_stay_offers(catalogue["campsite"], 10)
    for url in urls:
        client.get(url)  # warm caches (content types, site root paths)
    small = {url: _count_queries(client, url) for url in urls}
    factories.bulk_stay_offers(catalogue["outdoor"], 1000)
    for index in range(30):
        factories.provider(catalogue["site"], name=f"Boutique {index}")
    for url in urls:
        with django_assert_num_queries(small[url]):
            response = client.get(url)
        assert response.status_code == 200
    assert client.get("/offres/").context["result_count"] == 1013


def test_stay_links_carry_the_searched_dates_to_the_price_form(client, catalogue):
    start = timezone.localdate() + dt.timedelta(days=4)
    end = start + dt.timedelta(days=2)
    response = client.get(f"/offres/?start={start}&end={end}")
    html = response.content.decode()
    stay_url = catalogue["stay"].url
    assert f'href="{stay_url}?start={start}&amp;end={end}"' in html
    assert f'href="{catalogue["product"].url}"' in html  # other kinds: plain links
    offer_page = client.get(f"{stay_url}?start={start}&end={end}")
    assert offer_page.context["quote"].quote.total == 2 * 6000


def test_results_cache_serves_repeats_and_forgets_on_changes(client, catalogue, settings):
    settings.STOREFRONT_CACHE_SECONDS = 30
    url = "/offres/?kind=stay"
    first = client.get(url)
    assert first.context["offers"] is not None  # computed
    with CaptureQueriesContext(connection) as cold:
        client.get("/offres/?kind=stay&ordering=price")
    with CaptureQueriesContext(connection) as warm:
        second = client.get(url)
    assert "offers" not in second.context  # served from the cache
    assert len(warm.captured_queries) < len(cold.captured_queries)
    assert second.content.decode().count("offer-card") == first.content.decode().count("offer-card")
    # A new offer is published: the next request sees it.
    factories.stay(catalogue["outdoor"], title="Cabane perchée")
    assert "Cabane perchée" in client.get(url).content.decode()
    # Nights taken (a booking): the date search drops the stay at once.
    start = timezone.localdate() + dt.timedelta(days=3)
    dated = f"/offres/?kind=stay&start={start}&end={start + dt.timedelta(days=1)}"
    assert "Chalet des Érables" in client.get(dated).content.decode()
    factories.take_nights(catalogue["stay"], start, 1, 10)
    assert "Chalet des Érables" not in client.get(dated).content.decode()
    # Other languages are cached apart.
    assert '<html lang="en">' in client.get("/en" + url).content.decode()
