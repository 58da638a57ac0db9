"""A refused checkout in a real browser: the visitor reads why, in French, on a phone too.

A visitor holds 6 jars of honey (one order awaiting payment), puts 5 more in the cart and
checks out: the cart page says that one person can hold at most 10 at a time, nothing is
held, the cart is unchanged; at 360 px the message fits the screen. axe-core checks the
page. With ``COMPTOIR_SCREENSHOT_DIR`` set, the two screenshots are saved there.
"""

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_storefront import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VISITOR = "gourmande@example.org"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def honey(live_server):
    from wagtail.models import Site

    from cms.services import territory_setup
    from tests import factories
    from tests.conftest import make_user

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    shop = factories.provider(site, name="Rucher du Vallon", category_obj=factories.category())
    make_user(VISITOR, password=PASSWORD)
    return factories.product(shop, title="Miel de châtaignier", stock=40)


def _shot(page, name: str) -> None:
    folder = os.environ.get("COMPTOIR_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=False)


def _add(page, honey, quantity: int) -> None:
    page.goto(f"{honey.url}?quantity={quantity}")
    page.locator("form.add-to-cart button[type=submit]").click()
    page.wait_for_url(re.compile(r"/panier/$"))


def test_a_refused_checkout_explains_itself_in_french_on_desktop_and_phone(page, honey):
    from marketplace.models import CartLine, Order

    page.goto("/accounts/login/")
    page.locator("main form input[name=login]").fill(VISITOR)
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    _add(page, honey, 6)
    page.locator("form[action$='/panier/commander/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/commandes/"))
    _add(page, honey, 5)
    page.locator("form[action$='/panier/commander/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/panier/$"))

    message = page.locator(".messages")
    text = message.inner_text()
    assert "Miel de châtaignier : une même personne peut bloquer au plus 10 articles" in text
    assert "vous en bloqueriez 11" in text
    assert Order.objects.count() == 1
    assert CartLine.objects.get().quantity == 5
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)
    page.set_viewport_size({"width": 1280, "height": 800})
    _shot(page, "refus-panier-bureau.png")

    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()  # the message was shown once; show the refusal again on the phone
    page.locator("form[action$='/panier/commander/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/panier/$"))
    box = page.locator(".messages").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll
    _shot(page, "refus-panier-360.png")
