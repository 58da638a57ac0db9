"""The contact page in a real browser (issue 14): no serious accessibility violation
(axe-core) on the form, nor once a wrong message shows its errors, on a desktop and a
360 px wide screen with no sideways scroll; sent with the keyboard alone, the robots'
trap never in the way. ``COMPTOIR_SCREENSHOTS=dir`` keeps screenshots."""

import pytest

from cms.models import HomePage
from cms.services import contact_page_ensure, territory_setup
from tests.browser.test_mfa_pages import look

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_contact_form_is_accessible_and_sent_with_the_keyboard(page):
    from wagtail.contrib.forms.models import FormSubmission

    territory_setup(hostname="localhost", port=80, site_name="Comptoir test")
    contact = contact_page_ensure(home=HomePage.objects.get(), to_address="t@example.org")
    found: dict = {}
    page.goto(contact.url)
    look(page, "contact", found)

    page.fill("#id_adresse_e_mail", "pas-une-adresse")
    page.click("button[type=submit]")
    page.wait_for_selector("[role=alert]")
    look(page, "contact-errors", found)
    assert page.locator("#id_adresse_e_mail").get_attribute("aria-invalid") == "true"

    # Keyboard only: from the first field, Tab reaches each field then the button.
    page.focus("#id_nom")
    for selector, value in (
        ("#id_nom", "Jeanne"),
        ("#id_adresse_e_mail", "jeanne@example.org"),
        ("#id_objet", "Question"),
        ("#id_message", "Bonjour !"),
    ):
        assert page.evaluate("document.activeElement.id") == selector[1:]
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=status]")
    assert FormSubmission.objects.count() == 1
    assert not found, found
