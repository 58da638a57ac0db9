"""The "Adultes exonérés de la taxe de séjour" field in a real browser: reached with the
keyboard after the minors, described by its help text, its error announced; axe-core
finds no serious violation with the error shown, nor on the price that follows."""

import datetime as dt
import re

import pytest

from tests.browser.test_storefront import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def exempt_stay(live_server):
    """A private host's campsite (the platform collects the tax) in a territory that lets
    visitors declare seasonal workers exempt."""
    from decimal import Decimal

    from wagtail.models import Site

    from cms.services import territory_setup
    from marketplace.tourist_tax.models import TouristTaxRate, TouristTaxSettings
    from tests import factories
    from tests.booking_helpers import shared_rules

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    shared_rules(site)
    TouristTaxRate.objects.create(
        site=site,
        commune="Saint-Martin",
        category="camping_3_5",
        valid_from=dt.date.today() - dt.timedelta(days=30),
        rate=55,
        departmental_percent=Decimal("10"),
    )
    TouristTaxSettings.objects.update_or_create(
        site=site, defaults={"exemption_seasonal_workers": True}
    )
    saules = factories.provider(site, name="Camping des Saules", category_obj=factories.category())
    return factories.stay(
        saules,
        title="Emplacement",
        units=5,
        guests_per_unit=6,
        price_per_night=2000,
        tax_category="camping_3_5",
        host_is_professional=False,
    )


def test_the_exempt_adults_field_is_usable_with_the_keyboard(page, exempt_stay):
    start = dt.date.today() + dt.timedelta(days=10)
    page.goto(exempt_stay.url)
    form = page.locator("form.quote-form")
    form.locator("[name=start]").fill(start.isoformat())
    form.locator("[name=end]").fill((start + dt.timedelta(days=3)).isoformat())
    form.locator("[name=adults]").fill("1")
    form.locator("[name=minors]").focus()
    page.keyboard.press("Tab")
    field = page.get_by_label("Adultes exonérés de la taxe de séjour")
    assert field.evaluate("element => element === document.activeElement")
    help_id = field.get_attribute("aria-describedby")
    assert "saisonniers" in page.locator(f"#{help_id}").inner_text()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"[?&]exempt_adults=2"))

    field = page.get_by_label("Adultes exonérés de la taxe de séjour")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby").split()
    error = page.locator(f"#{described[-1]}").inner_text()
    assert "plus d'adultes exonérés de la taxe de séjour que d'adultes" in error
    violations = serious_violations(page)
    assert not violations, "axe-core on the refused exemption:\n  " + "\n  ".join(violations)

    page.get_by_label("Adultes", exact=True).fill("2")
    field.fill("1")
    field.press("Enter")
    page.wait_for_url(re.compile(r"[?&]adults=2"))
    panel = re.sub(r"[\u00a0\u202f]", " ", page.locator(".price-panel").inner_text())
    assert "Taxe de séjour" in panel and "1,83 €" in panel  # one adult taxed, 3 nights
    violations = serious_violations(page)
    assert not violations, "axe-core on the price:\n  " + "\n  ".join(violations)
