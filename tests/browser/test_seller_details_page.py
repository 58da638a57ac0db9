"""*My seller details* and the dashboard's panel of what the DAC7 report lacks, in a real
browser at 1,280 and 360 px: the panel links to the form, the form says what is wrong
and saves, nothing scrolls sideways, axe-core finds no serious violation.
``COMPTOIR_SCREENSHOT_DIR`` keeps the screenshots."""

import re

import pytest

from tests.browser.test_provider_dashboard_page import _shot
from tests.browser.test_storefront import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct-horse-battery"


@pytest.fixture
def gite(live_server):
    from wagtail.models import Site

    from cms.services import territory_setup
    from tests import factories
    from tests.conftest import make_provider, make_user

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    member = make_user("martine@example.org", password=PASSWORD)
    return make_provider(
        site,
        name="Gîte Vial",
        category=factories.category("gites", "Gîtes"),
        member=member,
        legal_form="individual",
        first_names="Martine",
        last_name="Vial",
    )


def _fits(page, width: int) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, (width, overflow)
    assert serious_violations(page) == [], width


def test_the_panel_leads_to_the_form_which_saves(page, gite):
    page.goto("/accounts/login/")
    page.locator("main form input[name=login]").fill("martine@example.org")
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.goto("/admin/").status == 200
        panel = page.locator("[data-seller-missing]")
        assert "date de naissance" in panel.inner_text()
        _fits(page, width)
        _shot(page, f"seller-missing-panel-{width}.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator(f"[data-seller-missing] [data-provider='{gite.pk}'] a").click()
    page.wait_for_url(re.compile(r"/admin/seller_details/\d+/$"))
    page.locator("input[name=birth_date]").fill("1970-05-04")
    page.locator("input[name=tax_identifier]").fill("123")
    page.locator("form button[type=submit]").last.click()
    assert "13 chiffres" in page.locator("main").inner_text()
    # What is still missing is what is saved, not what was just typed.
    assert "numéro d'identification fiscale" in page.locator("[data-seller=missing]").inner_text()
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        _fits(page, width)
        _shot(page, f"seller-details-{width}.png")
    page.locator("input[name=tax_identifier]").fill("1234567890123")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "complètes" in page.locator("body").inner_text()
    gite.refresh_from_db()
    assert gite.tax_identifier == "1234567890123"
    assert page.goto("/admin/").status == 200
    assert page.locator("[data-seller-missing]").count() == 0
