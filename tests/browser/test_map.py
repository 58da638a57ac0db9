"""The storefront maps in a real Chromium (issue 14): places at the very same spot are
clustered, and every one stays reachable (the cluster spiderfies, each pin opens a popup
linking its page); the map has a list equivalent and a skip link past it; no script
error and no Content-Security-Policy violation on the way."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_csp import tile_server, violations, watched  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def crowded(live_server, tile_server, settings):  # noqa: F811
    """Three providers at the same coordinates (the factories' default), two offers each:
    six offers on one spot of /offres/, three providers on one spot of the home page."""
    from wagtail.models import Site

    from cms.services import territory_setup
    from tests import factories

    origin, _requests = tile_server
    settings.MAP_TILE_URL = origin + "/{z}/{x}/{y}.png"
    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    providers, offers = [], []
    for number, commune in enumerate(("Vallon", "Ruoms", "Salavas"), start=1):
        provider = factories.provider(
            site,
            name=f"Camping n° {number}",
            category_obj=factories.category(),
            commune=commune,
        )
        providers.append(provider)
        offers.append(factories.stay(provider, title=f"Emplacement {number}A", units=5))
        offers.append(factories.stay(provider, title=f"Chalet {number}B", units=2))
    return {
        "site": site,
        "providers": {p.page.url: p.commune for p in providers},
        "offers": {o.url: o.commune for o in offers},
    }


def console_errors(page) -> list[str]:
    """Console errors, but the browser's own request of /favicon.ico (none is served)."""
    errors = []

    def record(message):
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location['url']})")

    page.on("console", record)
    return errors


def popup_links_of_every_pin(page, count: int) -> set[str]:
    """Open the single cluster (all ``count`` places on one spot), then each pin's popup
    in turn."""
    page.locator(".leaflet-tile-loaded").first.wait_for()
    cluster = page.locator(".marker-cluster")
    cluster.first.wait_for()
    assert cluster.count() == 1
    cluster.click()
    pins = page.locator("img.leaflet-marker-icon")
    unfolded(page, pins, count)
    links = set()
    for index in range(pins.count()):
        pins.nth(index).click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        links.add(popup.locator("a").get_attribute("href"))
        page.locator(".leaflet-popup-close-button").click()
        popup.wait_for(state="detached")
    return links


def unfolded(page, pins, count: int) -> None:
    """Wait for the spider's legs to unfold: ``count`` pins, and no animation running
    (a loaded machine zooms, then spreads, slowly: never a fixed delay)."""
    expect(pins).to_have_count(count, timeout=15_000)
    expect(page.locator(".leaflet-cluster-anim")).to_have_count(0, timeout=15_000)


def list_equivalent(page, map_id: str) -> dict[str, str]:
    """The places of the map's list: link -> the item's text."""
    items = page.locator(f"#{map_id}-list li")
    return {item.locator("a").get_attribute("href"): item.text_content() for item in items.all()}


@pytest.mark.parametrize(
    ("url", "map_id", "kind"),
    [("/offres/", "results-map", "offers"), ("/", "home-map", "providers")],
)
def test_every_place_on_one_spot_is_reachable(page, crowded, url, map_id, kind):
    problems = watched(page)
    errors = console_errors(page)
    page.goto(url)
    expected = crowded[kind]

    assert popup_links_of_every_pin(page, len(expected)) == set(expected)

    # The list equivalent: every place, linked, with its commune.
    places = list_equivalent(page, map_id)
    assert set(places) == set(expected)
    for href, commune in expected.items():
        assert commune in places[href]

    assert violations(page) == []
    assert problems == []
    assert errors == []


def test_the_keyboard_skips_the_map_to_its_list(page, crowded):
    page.goto("/")
    page.locator(".marker-cluster").first.wait_for()
    skip = page.locator("a.map-skip")
    assert skip.bounding_box()["width"] <= 1  # out of sight until focused
    skip.focus()
    assert skip.bounding_box()["width"] > 20
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("#home-map-list$"))
    # The next Tab lands on the list's toggle, past every control of the map.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('#home-map-list') !== null")
    assert focused
    page.keyboard.press("Enter")
    links = page.locator("#home-map-list a")
    assert links.first.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.href") == links.first.evaluate("a => a.href")


def test_a_cluster_opens_with_the_keyboard(page, crowded):
    page.goto("/offres/")
    page.locator(".leaflet-tile-loaded").first.wait_for()
    cluster = page.locator(".marker-cluster")
    cluster.first.wait_for()
    assert cluster.get_attribute("aria-label") == "6 lieux à cet endroit : les afficher"
    cluster.focus()
    page.keyboard.press("Enter")
    pins = page.locator("img.leaflet-marker-icon")
    unfolded(page, pins, 6)
    pins.first.focus()
    page.keyboard.press("Enter")
    assert page.locator(".leaflet-popup-content a").get_attribute("href") in crowded["offers"]
