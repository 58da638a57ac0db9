"""The transparency page's "credited and paid out" tables in a real browser: axe-core finds
no serious violation, and on a phone's width their eleven columns scroll in their own
keyboard-focusable region instead of widening the page."""

import datetime as dt

import pytest

from tests.browser.test_storefront import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def flows(live_server):
    from django.utils import timezone
    from wagtail.models import Site

    from cms.services import territory_setup
    from marketplace.books.ledger import ledger_post
    from marketplace.tourist_tax.models import TaxCollector
    from tests.booking_helpers import shared_rules

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    shared_rules(site)
    TaxCollector.objects.create(site=site, commune="Saint-Martin", name="SGC de la vallée")
    when = timezone.make_aware(dt.datetime(timezone.localdate().year, 1, 15, 12))
    ledger_post(
        site=site,
        kind="order_confirmed",
        idempotency_key="browser:o1",
        entries=[
            ("visitor", 12_000),
            ("provider:1", -10_000),
            ("beneficiary:fonds", -1_200),
            ("beneficiary:ot", -500),
            ("tax:tourist:saint-martin", -300),
        ],
        occurred_at=when,
    )
    ledger_post(
        site=site,
        kind="payout",
        idempotency_key="browser:payout",
        entries=[("beneficiary:fonds", 1_200), ("platform:bank", -1_200)],
        occurred_at=when,
    )
    return site


@pytest.mark.parametrize("width", [1280, 360])
def test_the_flows_tables_are_accessible_and_fit_the_page(page, flows, width):
    page.set_viewport_size({"width": width, "height": 800})
    response = page.goto("/transparence/")
    assert response.status == 200
    table = page.locator("#flows-beneficiaries")
    assert "Fonds local" in table.inner_text() and "12,00" in table.inner_text()
    assert "SGC" not in table.inner_text() and "Saint-Martin" in page.inner_text("#flows-communes")
    widest = page.evaluate("document.documentElement.scrollWidth")
    assert widest <= width, f"the page is {widest} px wide at {width} px"
    region = page.locator(".flows-scroll").first
    assert region.get_attribute("tabindex") == "0"
    violations = serious_violations(page)
    assert not violations, "axe-core on the transparency page:\n  " + "\n  ".join(violations)
