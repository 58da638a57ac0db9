"""The Stripe flow in a real browser, with the Stripe double running as a server (what
``make run-stripe`` plays): the visitor logs in with a password, adds a stay to the cart,
checks out, clicks "Payer", pays on the double's pay page, and comes back to the order
page, which shows the order paid. The double delivered its signed webhooks to the live
server's endpoints on the way; the camping's share is transferred the day after check-in,
and the double's balances agree with the ledger. axe-core checks the paid order page.
"""

import datetime as dt
import re
import time
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from commissions.money import format_cents
from marketplace.models import BookingStatus, Order, OrderStatus
from payments.stripe import client as stripe_client
from payments.stripe.transfers import transfers_pending
from tests.browser.test_storefront import serious_violations
from tests.stripe_helpers import assert_balances_match

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VISITOR = "randonneuse@example.org"
PASSWORD = "correct-horse-battery"
PAID_WITHIN_SECONDS = 10


@pytest.fixture
def world(double_server, live_server):
    """A territory at the live server's address, a camping whose payout account is
    onboarded at the double, one of its stays, and a visitor with a verified e-mail."""
    from wagtail.models import Site

    from cms.services import territory_setup
    from tests import factories
    from tests.booking_helpers import shared_rules
    from tests.conftest import make_provider, make_user

    address = urlsplit(live_server.url)
    site = territory_setup(hostname=address.hostname, port=address.port, site_name="Comptoir")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    shared_rules(site)
    camping = make_provider(site, name="Camping des Pins", category=factories.category())
    client = stripe_client.stripe_client()
    account = client.v1.accounts.create(
        params={
            "controller": {"stripe_dashboard": {"type": "express"}},
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    double_server.double.account_onboard(account.id)
    double_server.flush_webhooks()
    assert client.v1.accounts.retrieve(account.id).payouts_enabled
    camping.stripe_account_id, camping.payouts_enabled = account.id, True
    camping.save(update_fields=["stripe_account_id", "payouts_enabled"])
    make_user(VISITOR, password=PASSWORD)
    return {
        "site": site,
        "pitch": factories.stay(
            camping, title="Emplacement sous les pins", units=3, price_per_night=2000
        ),
        "account": account.id,
    }


def _spaces(text: str) -> str:
    """Non-breaking and narrow spaces as plain ones, to compare amounts as read."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


def _euros(cents: int) -> str:
    return _spaces(format_cents(cents, currency="EUR", language="fr"))


def _main_text(page) -> str:
    return _spaces(page.locator("main").inner_text())


def test_visitor_pays_at_the_double_server_in_a_browser(page, world, double_server, live_server):
    pitch = world["pitch"]
    start = timezone.localdate() + dt.timedelta(days=12)
    end = start + dt.timedelta(days=2)

    # Log in with a password through allauth's form.
    page.goto("/accounts/login/?next=/panier/")
    form = page.locator("main form", has=page.locator("input[name=password]"))
    form.locator("input[name=login]").fill(VISITOR)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/panier/$"))
    assert VISITOR in page.locator("header").inner_text()

    # Choose dates on the stay, add it to the cart, check out.
    page.goto(pitch.url)
    form = page.locator("form.quote-form")
    form.locator("[name=start]").fill(start.isoformat())
    form.locator("[name=end]").fill(end.isoformat())
    form.locator("[name=adults]").fill("2")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]start="))
    page.locator("form.add-to-cart button[type=submit]").click()
    page.wait_for_url(re.compile(r"/panier/$"))
    assert "Emplacement sous les pins" in _main_text(page)
    page.locator("section.cart__total form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/commandes/C-[A-Z0-9]+/$"))
    order_url = page.url
    reference = order_url.rstrip("/").rsplit("/", 1)[1]
    order = Order.objects.get(reference=reference)
    assert order.gateway == "stripe"
    total = 2 * 2000 + 80  # two nights, 2 % service fee
    assert order.total == total

    # "Payer": the site creates the Checkout Session at the double, which shows its page.
    pay = page.locator("main a.button", has_text="Payer")
    assert _euros(total) in _spaces(pay.inner_text())
    pay.click()
    page.wait_for_url(re.compile(re.escape(double_server.url) + r"/pay/cs_test_\w+$"))
    page.locator("button[name=card][value='4242424242424242']").click()

    # Back on the order page; the notice may come first, until the webhook is processed.
    page.wait_for_url(re.compile(re.escape(order_url) + r"(\?paiement=ok)?$"))
    deadline = time.monotonic() + PAID_WITHIN_SECONDS
    while page.locator("main .status--paid").count() == 0:
        assert "en cours de confirmation" in _main_text(page), _main_text(page)
        assert time.monotonic() < deadline, "the order was not shown as paid in time"
        time.sleep(0.5)
        page.reload()
    text = _main_text(page)
    assert "Payée" in page.locator("main .status--paid").inner_text()
    assert "Confirmée" in text and "en cours de confirmation" not in text
    assert page.locator("main a.button", has_text="Payer").count() == 0
    violations = serious_violations(page)
    assert not violations, "axe-core on the paid order page:\n  " + "\n  ".join(violations)

    # The order is paid; the camping's net waits for the day after check-in, then goes to
    # its account (the periodic transfers_pending), and the balances agree.
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    booking = order.bookings.get()
    assert booking.status == BookingStatus.CONFIRMED
    assert double_server.double.all("transfer") == []
    transfers_pending(today=booking.payable_on)
    transfers = double_server.double.all("transfer")
    assert [t["destination"] for t in transfers] == [world["account"]]
    assert transfers[0]["amount"] == booking.provider_net
    assert_balances_match(double_server.double, world["site"], [world["account"]])
