"""The visitor's own pages in a real browser: no serious accessibility violation (axe-core)
on "Mes réservations", a booking, its cancellation and the account deletion page, and
cancelling with the keyboard shows the refund that was announced."""

import datetime as dt
import re

import pytest

from tests.browser.test_storefront import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct-horse-battery"


@pytest.fixture
def booked(live_server):
    from django.utils import timezone
    from wagtail.models import Site

    from cms.services import territory_setup
    from marketplace.models import Booking
    from tests import factories
    from tests.booking_helpers import activity_in, book, shared_rules
    from tests.conftest import make_user

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    shared_rules(site)
    canoe = factories.provider(
        site, name="Canoë Vallon", category_obj=factories.category("loisirs", "Loisirs")
    )
    person = make_user("voyageuse@example.org", password=PASSWORD)
    coming = activity_in(canoe, ahead=dt.timedelta(days=2), policy="moderate", title="Descente")
    past = activity_in(canoe, ahead=dt.timedelta(days=9), policy="strict", title="Randonnée")
    book(person, coming)
    book(person, past)
    Booking.objects.filter(offer=past).update(
        start=timezone.localdate() - dt.timedelta(days=3),
        starts_at=timezone.now() - dt.timedelta(days=3),
    )
    return Booking.objects.get(offer=coming)


def test_my_pages_are_accessible_and_cancelling_shows_the_refund(page, booked):
    page.goto("/accounts/login/")
    page.locator("main form input[name=login]").fill("voyageuse@example.org")
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    # Deleting the account asks for the password again first (allauth's reauthentication).
    page.goto("/compte/supprimer/")
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/compte/supprimer/$"))

    paths = [
        "/mes-reservations/",
        f"/mes-reservations/{booked.reference}/",
        f"/mes-reservations/{booked.reference}/annuler/",
        "/compte/supprimer/",
        "/en/mes-reservations/",
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

    # Moderate policy, two days ahead: half of 34,00 € back, announced then refunded.
    page.goto(f"/mes-reservations/{booked.reference}/annuler/")
    assert "17,00" in page.locator("main").inner_text()
    page.locator("main form textarea[name=reason]").fill("Pluie annoncée")
    page.locator("main form button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/mes-reservations/{booked.reference}/$"))
    main = page.locator("main").inner_text()
    assert "Annulée par le visiteur" in main and "17,00" in main
