"""Finance's FEC page in a real browser: axe-core finds no serious violation at a desk's
and a phone's width, and the button downloads the file under the expected name."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from tests.browser.test_storefront import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct-horse-battery"


@pytest.fixture
def books(live_server):
    from django.utils import timezone
    from wagtail.models import Site

    from cms.services import FINANCE_GROUP, territory_setup
    from marketplace.books.ledger import ledger_post
    from marketplace.models import TerritorySettings
    from tests.factories import make_user

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    settings = TerritorySettings.for_site(site)
    settings.operator_siret = "73282932000074"
    settings.save()
    year = timezone.localdate().year - 1
    ledger_post(
        site=site,
        kind="order_confirmed",
        idempotency_key="browser:o1",
        entries=[("visitor", 12_000), ("provider:1", -10_800), ("platform:operator", -1_200)],
        occurred_at=timezone.make_aware(dt.datetime(year, 7, 14, 12)),
    )
    make_user("finances@example.org", password=PASSWORD, groups=(FINANCE_GROUP,))
    return year


def _shot(page, name: str) -> None:
    folder = os.environ.get("COMPTOIR_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_the_fec_page_is_accessible_and_downloads_the_file(page, books):
    page.goto("/accounts/login/")
    page.locator("main form input[name=login]").fill("finances@example.org")
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        response = page.goto("/admin/fec_export/")
        assert response.status == 200
        assert page.locator("input[name=year]").input_value() == str(books)
        assert serious_violations(page) == []
        _shot(page, f"fec-export-{width}.png")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger le FEC").click()
    download = download_info.value
    assert download.suggested_filename == f"732829320FEC{books}1231.txt"
    text = Path(download.path()).read_bytes().decode("iso-8859-15")
    assert text.startswith("JournalCode\tJournalLib\tEcritureNum")
    assert f"\t{books}0714\t706\t" in text
