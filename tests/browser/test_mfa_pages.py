"""Two-factor authentication in a real browser: setting up an authenticator app (after
re-entering the password), the recovery codes, then the second factor at the next login;
every page in the storefront's layout with no serious accessibility violation (axe-core),
on a desktop and a 360 px wide screen. ``COMPTOIR_SCREENSHOTS=dir`` keeps screenshots."""

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_storefront import serious_violations
from tests.cms.test_mfa import totp_code

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct-horse-battery"
SHOTS = os.environ.get("COMPTOIR_SCREENSHOTS", "")


def look(page, name: str, found: dict):
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
        # Nothing wider than the screen (the page does not scroll sideways).
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        if violations := serious_violations(page):
            found[f"{name} at {width} px"] = violations
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def person(live_server):
    from wagtail.models import Site

    from cms.services import territory_setup
    from tests.conftest import make_user

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    return make_user("voyageuse@example.org", password=PASSWORD)


def log_in(page, found=None):
    page.goto("/accounts/login/")
    if found is not None:
        look(page, "login", found)
    page.locator("main form input[name=login]").fill("voyageuse@example.org")
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_setting_up_an_authenticator_app_then_logging_in_with_a_second_factor(page, person):
    found = {}
    log_in(page, found)
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    page.get_by_role("link", name="Double authentification").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/$"))
    look(page, "mfa-index", found)
    page.goto("/accounts/2fa/totp/activate/")
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    look(page, "reauthenticate", found)
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    assert page.locator("main img[src^='data:image/svg+xml']").is_visible()  # the QR code
    look(page, "mfa-totp-activate", found)

    secret = page.locator("main #authenticator_secret").input_value()
    page.locator("main form input[name=code]").fill(totp_code(secret))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    look(page, "mfa-recovery-codes", found)
    recovery = page.locator("main textarea#recovery_codes").input_value().split()
    assert len(recovery) >= 10

    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_load_state()
    log_in(page)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
    look(page, "mfa-authenticate", found)
    page.locator("main form input[name=code]").fill(recovery[0])
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/)"))
    assert page.get_by_role("link", name="Mes réservations").is_visible()

    assert not found, "axe-core, serious or critical violations:\n" + "\n".join(
        f"{name}\n  " + "\n  ".join(violations) for name, violations in found.items()
    )
