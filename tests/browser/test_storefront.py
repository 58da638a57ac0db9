"""A visitor's path through the storefront in a real browser, and an axe-core check of
the main pages (no serious or critical accessibility violation)."""

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SERIOUS = {"serious", "critical"}


@pytest.fixture
def storefront(live_server):
    """A small territory: three approved providers and one published offer of each kind
    (and one more activity, so that filtering visibly narrows the listing)."""
    from wagtail.models import Site

    from cms.services import territory_setup
    from tests import factories

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    saules = factories.provider(site, name="Camping des Saules", category_obj=factories.category())
    canoe = factories.provider(
        site,
        name="Canoë Vallon",
        category_obj=factories.category("loisirs", "Loisirs", "Leisure"),
    )
    ferme = factories.provider(
        site,
        name="Ferme du Serre",
        category_obj=factories.category("epicerie", "Épicerie", "Grocery"),
    )
    offers = {
        "stay": factories.stay(
            saules,
            title="Emplacement au bord de l'eau",
            summary="Un emplacement ombragé pour tente ou caravane.",
            units=40,
            guests_per_unit=6,
            price_per_night=2400,
        ),
        "activity": factories.activity(
            canoe,
            title="Descente des gorges en canoë",
            summary="Huit kilomètres de rivière, accessibles aux familles.",
            price_per_person=3500,
            places_per_slot=12,
        ),
        "activity2": factories.activity(
            canoe,
            title="Initiation au paddle",
            summary="Une heure sur le plan d'eau avec un moniteur.",
            price_per_person=2000,
            places_per_slot=8,
        ),
        "product": factories.product(
            ferme,
            title="Miel de châtaignier",
            summary="Récolté sur le plateau, pot de 500 g.",
            price_per_item=950,
            stock=30,
        ),
    }
    return {"site": site, "offers": offers}


def choose(page, name: str, value: str) -> None:
    """Pick a filter value whether the form shows a select or radio buttons."""
    form = page.locator("form.filter-form")
    select = form.locator(f"select[name={name}]")
    if select.count():
        select.select_option(value)
    else:
        form.locator(f"input[name={name}][value={value}]").check()


def result_titles(page) -> list[str]:
    return [t.strip() for t in page.locator(".offer-card .card__title a").all_inner_texts()]


def test_visitor_searches_filters_and_opens_an_offer(page, live_server, storefront):
    page.goto("/")
    page.locator("header nav a[href$='/offres/']").first.click()
    page.wait_for_url(re.compile(r"/offres/$"))
    assert len(result_titles(page)) == 4

    # Free-text search, accent-insensitive.
    page.locator("form.filter-form [name=q]").fill("gorges")
    page.locator("form.filter-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]q=gorges"))
    assert result_titles(page) == ["Descente des gorges en canoë"]

    # Clear the text, filter by kind instead: both activities, nothing else.
    page.locator("form.filter-form [name=q]").fill("")
    choose(page, "kind", "activity")
    page.locator("form.filter-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]kind=activity"))
    assert sorted(result_titles(page)) == ["Descente des gorges en canoë", "Initiation au paddle"]
    assert "2" in page.locator(".results-count").inner_text()

    # Open an offer: its own page, with its title and price.
    page.locator(".offer-card .card__title a", has_text="Initiation au paddle").click()
    page.wait_for_url(re.compile(r"/initiation-au-paddle/$"))
    assert page.locator("h1").inner_text().strip() == "Initiation au paddle"
    assert "20,00" in page.locator("main").inner_text()
    assert "Canoë Vallon" in page.locator("main").inner_text()
    assert page.locator("html").get_attribute("lang") == "fr"


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def test_main_pages_have_no_serious_accessibility_violation(page, storefront):
    offer = storefront["offers"]["stay"]
    start = dt.date.today() + dt.timedelta(days=10)
    paths = [
        "/",
        "/offres/",
        # Filters applied, one of them invalid: the error message must be accessible too.
        f"/offres/?kind=stay&guests=2&start={start}&end={start + dt.timedelta(days=3)}"
        "&price_max=abc",
        offer.url,
        offer.get_parent().url,
        "/en/offres/",
    ]
    found = {}
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        if violations := serious_violations(page):
            found[path] = violations

    assert not found, "axe-core, serious or critical violations:\n" + "\n".join(
        f"{path}\n  " + "\n  ".join(violations) for path, violations in found.items()
    )
