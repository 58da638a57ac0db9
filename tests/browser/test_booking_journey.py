"""The whole visitor journey in a real browser (issue 4): search the catalogue, choose
dates on a stay, add it and an activity of a second provider to the cart, log in by a
code read from the e-mail, check out, pay on the test payment page, receive the
confirmation e-mail, then cancel the stay from "Mes réservations" and see the refund.
axe-core checks the cart and the order page on the way.

The live server runs in a thread of this process, so the e-mails it sends (the login
code, the confirmation) land in ``django.core.mail.outbox`` (locmem backend under
pytest-django; huey is immediate, see tests/conftest.py).
"""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from commissions.money import format_cents
from tests.browser.test_storefront import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VISITOR = "voyageuse@example.org"
RULES = {
    "beneficiaries": [
        {"key": "fonds", "name": "Fonds des Gorges", "kind": "local_fund", "stripe_account": ""},
    ],
    "distribution_keys": [
        {"key": "tout-au-fonds", "name": "Tout au fonds", "shares": {"fonds": "100.00"}}
    ],
    "rules": [
        {
            "key": "base",
            "name": "Règle de base",
            "explanation": "",
            "scope": {"categories": [], "kinds": [], "providers": [], "communes": [], "labels": []},
            "valid_from": None,
            "valid_until": None,
            "provider": {"rate": "6.00", "fixed": 0, "min": None, "max": None},
            "visitor": {"rate": "2.00", "fixed": 0, "min": None, "max": None},
            "distribution": "tout-au-fonds",
        }
    ],
}


@pytest.fixture
def territory_with_offers(live_server):
    """A territory at the live server's address: a campsite's stay (flexible policy) and
    a canoe club's activity with one slot, a live commission rule, a verified visitor."""
    from wagtail.models import Site

    from cms.services import territory_setup
    from commissions.rules_io import rules_import
    from tests import factories
    from tests.conftest import make_user

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    rules_import(site=site, data=RULES, publish=True)
    saules = factories.provider(site, name="Camping des Saules", category_obj=factories.category())
    canoe = factories.provider(
        site, name="Canoë Vallon", category_obj=factories.category("loisirs", "Loisirs", "Leisure")
    )
    stay = factories.stay(
        saules,
        title="Emplacement au bord de l'eau",
        summary="Un emplacement ombragé pour tente ou caravane.",
        units=20,
        guests_per_unit=6,
        price_per_night=2400,
        cancellation_policy="flexible",
    )
    activity = factories.activity(
        canoe,
        title="Descente des gorges en canoë",
        summary="Huit kilomètres de rivière, accessibles aux familles.",
        price_per_person=3500,
        places_per_slot=12,
        slots=[(factories.in_days(15, 10), 12, 0)],
    )
    make_user(VISITOR)
    return {"site": site, "stay": stay, "activity": activity}


def _euros(cents: int) -> str:
    return _spaces(format_cents(cents, currency="EUR", language="fr"))


def _spaces(text: str) -> str:
    """Non-breaking and narrow spaces as plain ones, to compare amounts as read."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


def _main_text(page) -> str:
    return _spaces(page.locator("main").inner_text())


def _assert_accessible(page, what: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"axe-core on {what}:\n  " + "\n  ".join(violations)


def _login_code(email: str) -> str:
    """The code of the last login-by-code e-mail sent to ``email``."""
    for message in reversed(mail.outbox):
        if email in message.to:
            match = re.search(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})*)\s*$", message.body, re.M)
            if match:
                return match.group(1)
    raise AssertionError(f"no login code e-mailed to {email}: {[m.subject for m in mail.outbox]}")


def test_visitor_books_two_providers_pays_and_cancels(page, territory_with_offers):
    stay, activity = territory_with_offers["stay"], territory_with_offers["activity"]
    start = timezone.localdate() + dt.timedelta(days=20)
    end = start + dt.timedelta(days=2)

    # Search the catalogue and open the stay.
    page.goto("/offres/")
    page.locator("form.filter-form [name=q]").fill("bord de l'eau")
    page.locator("form.filter-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]q="))
    page.locator(".offer-card .card__title a", has_text="Emplacement au bord de l'eau").click()
    page.wait_for_url(re.compile(re.escape(stay.url) + "$"))

    # Choose dates, see the price, add it to the cart.
    form = page.locator("form.quote-form")
    form.locator("[name=start]").fill(start.isoformat())
    form.locator("[name=end]").fill(end.isoformat())
    form.locator("[name=adults]").fill("2")
    form.locator("[name=minors]").fill("1")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]start="))
    stay_subtotal, stay_fee = 2 * 2400, 96  # two nights, 2 % service fee
    assert _euros(stay_subtotal + stay_fee) in _spaces(page.locator(".price-panel").inner_text())
    page.locator("form.add-to-cart button[type=submit]").click()
    page.wait_for_url(re.compile(r"/panier/$"))
    assert "Emplacement au bord de l'eau" in _main_text(page)
    assert "2 adultes, 1 mineur" in _main_text(page)

    # An activity of a second provider: a slot and two persons.
    page.goto(activity.url)
    form = page.locator("form.quote-form")
    slot = activity.slots.get()
    form.locator("select[name=slot]").select_option(str(slot.pk))
    form.locator("[name=persons]").fill("2")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]slot="))
    page.locator("form.add-to-cart button[type=submit]").click()
    page.wait_for_url(re.compile(r"/panier/$"))

    # The cart groups the two lines by provider, with the total to pay.
    providers = page.locator("section.cart__provider h2").all_inner_texts()
    assert [name.split("·")[0].strip() for name in providers] == [
        "Camping des Saules",
        "Canoë Vallon",
    ]
    activity_subtotal, activity_fee = 2 * 3500, 140
    total = stay_subtotal + stay_fee + activity_subtotal + activity_fee
    assert _euros(total) in _spaces(page.locator("section.cart__total").inner_text())
    _assert_accessible(page, "the cart")

    # Log in by code: the cart sends to the login page, which offers a code by e-mail.
    page.locator("section.cart__total a[href*='/accounts/login/']").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.locator("main a[href*='/accounts/login/code/']").click()
    page.wait_for_url(re.compile(r"/accounts/login/code/"))
    page.locator("main form input[name=email]").fill(VISITOR)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    page.locator("main form input[name=code]").fill(_login_code(VISITOR))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/panier/$"))
    assert VISITOR in page.locator("header").inner_text()
    assert page.locator("section.cart__provider").count() == 2  # the cart followed the login

    # Check out: both lines held under one order, then the test payment page.
    mail.outbox.clear()
    page.locator("section.cart__total form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/commandes/C-[A-Z0-9]+/$"))
    reference = page.url.rstrip("/").rsplit("/", 1)[1]
    assert _euros(total) in _main_text(page)
    _assert_accessible(page, "the order page (awaiting payment)")
    page.locator("main a.button[href*='/paiement/test/']").click()
    page.wait_for_url(re.compile(r"/paiement/test/"))
    page.locator("button[name=action][value=pay]").click()
    page.wait_for_url(re.compile(rf"/commandes/{reference}/$"))
    assert "Payée" in _main_text(page) or "Paid" in _main_text(page)
    _assert_accessible(page, "the order page (paid)")

    # The confirmation e-mail, in French, to the visitor.
    confirmations = [m for m in mail.outbox if VISITOR in m.to and reference in m.subject]
    assert len(confirmations) == 1, [m.subject for m in mail.outbox]
    assert "confirmée" in confirmations[0].subject
    assert "Emplacement au bord de l'eau" in confirmations[0].body

    # "Mes réservations": cancel the stay, see the refund before and after confirming.
    page.locator("header a[href$='/mes-reservations/']").click()
    page.wait_for_url(re.compile(r"/mes-reservations/$"))
    page.locator("main a", has_text="Emplacement au bord de l'eau").first.click()
    page.wait_for_url(re.compile(r"/mes-reservations/R-[A-Z0-9]+/$"))
    page.locator("main a[href$='/annuler/']").click()
    page.wait_for_url(re.compile(r"/annuler/$"))
    refund = _euros(stay_subtotal + stay_fee)  # flexible, 20 days ahead: everything back
    assert refund in _main_text(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/mes-reservations/R-[A-Z0-9]+/$"))
    text = _main_text(page)
    assert "Annulée" in text or "annulée" in text
    assert page.locator("main h3", has_text="Remboursements").count() == 1
    assert refund in _spaces(page.locator("main section.panel").last.inner_text())

    # The canoe trip is still booked; the stay is listed as cancelled with its refund.
    page.locator("main a[href$='/mes-reservations/']").first.click()
    page.wait_for_url(re.compile(r"/mes-reservations/$"))
    upcoming = _spaces(page.locator("section[aria-labelledby=upcoming-title]").inner_text())
    cancelled = _spaces(page.locator("section[aria-labelledby=cancelled-title]").inner_text())
    assert "Descente des gorges en canoë" in upcoming
    assert "Emplacement au bord de l'eau" in cancelled and refund in cancelled
