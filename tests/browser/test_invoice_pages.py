"""The invoices' admin pages in a real browser (issue 15 §4): a provider's member and
finance read the list and an invoice with no serious accessibility violation (axe-core),
on a desktop and at 360 px, where nothing scrolls sideways."""

import re

import pytest

from tests.browser.test_storefront import serious_violations
from tests.marketplace.invoices.issued import build_docs_world, issue

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct-horse-battery"  # tests.factories.make_user's


@pytest.fixture
def invoices(territory, category):
    world = build_docs_world(territory, category)
    invoice = issue(world["canoes"], number="FA-2027-000001", commissions=(600, 1200))
    issue(world["canoes"], number="AV-2027-000001", month=4, corrects=invoice)
    issue(world["ferme"], number="FA-2027-000002")
    return {"invoice": invoice}


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/?next=/admin/")
    page.locator("main form input[name=login]").fill(email)
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))


@pytest.mark.parametrize("email", ["alice@example.org", "finances@example.org"])
def test_the_invoices_pages_are_accessible_on_a_desktop_and_a_phone(page, invoices, email):
    log_in(page, email)
    found = {}
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/admin/invoices/", f"/admin/invoices/{invoices['invoice'].pk}/"):
            response = page.goto(path)
            assert response.status == 200, path
            assert "FA-2027-000001" in page.locator("main").inner_text()
            overflow = page.evaluate(
                "() => [...document.querySelectorAll('main table, main dl, main form')]"
                ".some(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
            )
            assert not overflow, f"{path} at {width} px runs off the screen"
            if violations := serious_violations(page):
                found[f"{path} at {width} px"] = violations
    assert not found, "axe-core, serious or critical violations:\n" + "\n".join(
        f"{where}\n  " + "\n  ".join(violations) for where, violations in found.items()
    )
