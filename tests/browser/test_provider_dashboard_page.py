"""A provider's dashboard in a real browser (issue 14): at 1,280 and 360 px, today's
arrival reads with its visitor and links to the booking, nothing scrolls sideways, and
axe-core finds no serious violation. ``COMPTOIR_SCREENSHOT_DIR`` keeps the screenshots."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from tests.browser.test_storefront import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct-horse-battery"


@pytest.fixture
def arrival(live_server):
    from django.utils import timezone
    from wagtail.models import Site

    from cms.services import territory_setup
    from marketplace.models import Booking
    from tests import factories
    from tests.booking_helpers import book, shared_rules
    from tests.conftest import make_provider, make_user

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    shared_rules(site)
    member = make_user("camping@example.org", password=PASSWORD)
    camping = make_provider(
        site,
        name="Camping des Berges",
        category=factories.category("camping", "Camping"),
        member=member,
    )
    pitch = factories.stay(camping, title="Emplacement tente, caravane ou camping-car")
    visitor = make_user("sophie.bonnet@example.org", first_name="Sophie", last_name="Bonnet")
    start = timezone.localdate() + dt.timedelta(days=3)
    order = book(
        visitor,
        pitch,
        start=start.isoformat(),
        end=(start + dt.timedelta(days=2)).isoformat(),
        units=1,
        adults=2,
        minors=1,
    )
    booking = order.bookings.get()
    # Its arrival is today (a booking cannot be made for a day already begun).
    today = timezone.localdate()
    Booking.objects.filter(pk=booking.pk).update(start=today, end=today + dt.timedelta(days=2))
    return booking


def _shot(page, name: str) -> None:
    folder = os.environ.get("COMPTOIR_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_the_dashboard_reads_at_both_widths(page, arrival):
    page.goto("/accounts/login/")
    page.locator("main form input[name=login]").fill("camping@example.org")
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        response = page.goto("/admin/")
        assert response.status == 200
        today = page.locator("#provider-today-section, [data-provider-dashboard]").first
        text = today.inner_text().replace("\u00a0", " ")
        assert "1 arrivée" in text and "Sophie Bonnet" in text and "1 × 2 adultes, 1 mineur" in text
        link = page.locator(f"[data-booking='{arrival.reference}'] a").first
        assert link.get_attribute("href") == f"/admin/bookings/inspect/{arrival.pk}/"
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (width, overflow)
        assert serious_violations(page) == [], width
        _shot(page, f"provider-dashboard-{width}.png")
