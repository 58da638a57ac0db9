"""Receipts in a real browser: a paid order's receipt (two providers, a tourist tax) and a
refund's, in French and English, on a desktop and a 360 px wide screen: in the
storefront's layout, never scrolling sideways, with no serious accessibility violation
(axe-core). ``COMPTOIR_SCREENSHOTS=dir`` keeps screenshots."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from tests.browser.test_storefront import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct-horse-battery"
SHOTS = os.environ.get("COMPTOIR_SCREENSHOTS", "")


def look(page, name: str, found: dict):
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        if violations := serious_violations(page):
            found[f"{name} at {width} px"] = violations
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def paid(live_server):
    from wagtail.models import Site

    from cms.services import territory_setup
    from marketplace.models import Cart, TerritorySettings
    from marketplace.orders.cart import cart_line_add
    from marketplace.orders.transitions import booking_cancel
    from marketplace.tourist_tax.models import TouristTaxRate
    from tests import factories
    from tests.booking_helpers import book, shared_rules
    from tests.conftest import make_user

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    territory = TerritorySettings.for_site(site)
    territory.operator_legal_name = "Société publique locale des Gorges et Vallées réunies"
    territory.operator_address = "1 place de la Mairie"
    territory.operator_postcode = "05100"
    territory.operator_city = "Briançon"
    territory.operator_siret = "73282932000074"
    territory.vat_number = "FR44732829320"
    territory.travel_operator_number = "IM005100001"
    territory.save()
    shared_rules(site)
    TouristTaxRate.objects.create(
        site=site,
        commune="Arvière-le-Bourg",
        category="camping_3_5",
        valid_from=dt.date(2020, 1, 1),
        rate=55,
        departmental_percent=10,
    )
    canoe = factories.provider(
        site, name="Canoë Vallon", category_obj=factories.category("loisirs", "Loisirs")
    )
    camping = factories.provider(site, name="Camping des Saules", commune="Arvière-le-Bourg")
    activity = factories.activity(
        canoe,
        title="Descente des gorges en canoë biplace avec guide diplômé",
        price_per_person=3500,
        slots=[(factories.in_days(20), 12, 0)],
        cancellation_policy="moderate",
    )
    stay = factories.stay(
        camping,
        title="Emplacement au bord de l'eau",
        price_per_night=2400,
        tax_category="camping_3_5",
        registration_number="05006 000123 7K",
        host_is_professional=False,
    )
    person = make_user("voyageuse@example.org", password=PASSWORD)
    cart, _created = Cart.objects.get_or_create(site=site, user=person)
    cart_line_add(
        cart=cart, offer=activity, params={"slot": str(activity.slots.get().pk), "persons": "2"}
    )
    start = dt.date.today() + dt.timedelta(days=12)
    order = book(
        person,
        stay,
        start=start.isoformat(),
        end=(start + dt.timedelta(days=3)).isoformat(),
        units="1",
        adults="2",
        minors="1",
    )
    booking = order.bookings.get(kind="activity")
    refund = booking_cancel(
        booking_id=booking.pk,
        by_provider=False,
        by=person,
        notify=False,
        now=booking.starts_at - dt.timedelta(days=3),
    )
    return order, refund


def test_the_receipts_fit_a_phone_and_are_accessible(page, paid):
    order, refund = paid
    page.goto("/accounts/login/")
    page.locator("main form input[name=login]").fill("voyageuse@example.org")
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    found = {}
    page.goto(f"/commandes/{order.reference}/")
    page.get_by_role("link", name="Reçu", exact=True).click()
    page.wait_for_url(re.compile(rf"/commandes/{order.reference}/recu/$"))
    assert "Total payé" in page.locator("main").inner_text()
    look(page, "receipt-fr", found)
    if SHOTS:  # printed from the page: the receipt alone
        page.emulate_media(media="print")
        page.screenshot(path=str(Path(SHOTS) / "receipt-fr-print.png"), full_page=True)
        page.emulate_media(media="screen")
    page.goto(f"/commandes/{order.reference}/remboursements/{refund.pk}/recu/")
    assert "Pourquoi ce montant" in page.locator("main").inner_text()
    look(page, "refund-receipt-fr", found)
    page.goto(f"/en/commandes/{order.reference}/recu/")
    assert "Total paid" in page.locator("main").inner_text()
    look(page, "receipt-en", found)
    page.goto(f"/en/commandes/{order.reference}/remboursements/{refund.pk}/recu/")
    look(page, "refund-receipt-en", found)
    page.goto(f"/commandes/{order.reference}/")
    look(page, "order-with-receipts-fr", found)
    for name, path in (
        ("receipt-fr.pdf", f"/commandes/{order.reference}/recu.pdf"),
        (
            "refund-receipt-en.pdf",
            f"/en/commandes/{order.reference}/remboursements/{refund.pk}/recu.pdf",
        ),
    ):
        response = page.request.get(path)
        assert response.ok and response.body().startswith(b"%PDF-"), path
        if SHOTS:
            (Path(SHOTS) / name).write_bytes(response.body())
    assert not found, "axe-core, serious or critical violations:\n" + "\n".join(
        f"{name}\n  " + "\n  ".join(violations) for name, violations in found.items()
    )
