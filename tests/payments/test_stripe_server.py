"""The Stripe double as a real server, end to end over sockets: what ``make run-stripe`` plays.

No in-process client here: the app reaches the double through ``STRIPE_API_BASE`` over
HTTP, the visitor pays on the double's pay page, the double POSTs signed webhooks to the
live server's two endpoints, and the visitor comes back to the site to a paid order whose
money went out in transfers that the double's balances agree with.
"""

import datetime as dt
import http.client
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from cms.services import territory_setup
from marketplace.models import BookingStatus, Cart, Order, OrderStatus
from payments.models import StripeEvent, StripePayment
from payments.stripe import client as stripe_client
from tests import factories
from tests.booking_helpers import shared_rules
from tests.conftest import make_provider
from tests.stripe_double import DECLINED
from tests.stripe_double.server import serve_in_thread
from tests.stripe_helpers import assert_balances_match

# Transfer mechanics once the services are delivered (see the fixture).
pytestmark = [
    pytest.mark.usefixtures("services_delivered"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def world(double_server, live_server, category, visitor):
    """A territory at the live server's address, a campsite whose payout account was
    onboarded through the double's own pages (Connect events delivered to the app)."""
    address = urlsplit(live_server.url)
    site = territory_setup(hostname=address.hostname, port=address.port, site_name="Comptoir")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    shared_rules(site)
    camping = make_provider(site, name="Camping des Pins", category=category)
    client = stripe_client.stripe_client()
    account = client.v1.accounts.create(
        params={
            "controller": {"stripe_dashboard": {"type": "express"}},
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": live_server.url + "/",
            "return_url": live_server.url + "/",
        }
    )
    status, location, _ = _request("GET", link.url)
    assert (status, location) == (303, live_server.url + "/")
    assert client.v1.accounts.retrieve(account.id).payouts_enabled
    camping.stripe_account_id, camping.payouts_enabled = account.id, True
    camping.save(update_fields=["stripe_account_id", "payouts_enabled"])
    return {
        "site": site,
        "pitch": factories.stay(camping, units=3, price_per_night=2000),
        "account": account.id,
    }


def _request(method: str, url: str, body: str = "", headers=None):
    """One request over a real socket, redirects not followed: (status, Location, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheader("Location"), response.read().decode()
    finally:
        conn.close()


def test_pay_at_the_double_server_comes_back_to_a_paid_order(
    client, world, visitor, double_server, live_server
):
    start = timezone.localdate() + dt.timedelta(days=10)
    client.force_login(visitor)
    client.post(
        reverse("cart_add", args=[world["pitch"].pk]),
        {
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=2)).isoformat(),
            "units": "1",
        },
    )
    cart = Cart.objects.get(user=visitor)
    client.post(reverse("checkout"), {"checkout_key": str(cart.version)})
    order = Order.objects.get(user=visitor)
    assert order.gateway == "stripe"

    # The site creates the Checkout Session at the double, over HTTP, with the live
    # server's address for the way back.
    host = urlsplit(live_server.url).netloc
    response = client.get(reverse("stripe_pay", args=[order.reference]), headers={"host": host})
    pay_url = response["Location"]
    assert pay_url.startswith(double_server.url + "/pay/cs_test_")
    assert StripePayment.objects.get(order=order).session_url == pay_url

    # The double's pay page, as the browser sees it, then its "Pay" button.
    status, _, page = _request("GET", pay_url)
    assert status == 200 and "Pay" in page
    status, back, _ = _request(
        "POST",
        pay_url,
        "card=4242424242424242",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    order_url = reverse("order_detail", args=[order.reference])
    assert (status, back) == (303, f"{live_server.url}{order_url}?paiement=ok")

    # The double delivered checkout.session.completed before sending the visitor back:
    # the order is paid, the camping's net transferred, the balances agree with the ledger.
    event = StripeEvent.objects.get(type="checkout.session.completed")
    assert event.processed_at is not None and not event.error
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert set(order.bookings.values_list("status", flat=True)) == {BookingStatus.CONFIRMED}
    transfers = double_server.double.all("transfer")
    assert [t["destination"] for t in transfers] == [world["account"]]
    assert transfers[0]["amount"] == order.bookings.get().provider_net
    assert_balances_match(double_server.double, world["site"], [world["account"]])

    # Back on the site, with the visitor's session: the order page says paid.
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    status, _, page = _request("GET", back, headers={"Cookie": cookie})
    assert status == 200
    assert "status--paid" in page and "payment is being confirmed" not in page


@pytest.mark.django_db(transaction=False)  # the double alone: no live server to flush for
def test_pay_page_says_a_card_was_declined_and_sends_a_paid_session_back():
    server = serve_in_thread(0)
    try:
        session = server.double.handle(
            "POST",
            "/v1/checkout/sessions",
            {},
            "mode=payment&success_url=http%3A%2F%2Fcomptoir.test%2Fok"
            "&line_items[0][quantity]=1&line_items[0][price_data][currency]=eur"
            "&line_items[0][price_data][unit_amount]=1200",
        ).body
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, back, _ = _request("POST", session["url"], f"card={DECLINED}", form)
        assert (status, back) == (303, f"/pay/{session['id']}?declined=1")
        status, _, page = _request("GET", f"{server.url}{back}")
        assert status == 200 and "declined" in page and "<button" in page
        status, back, _ = _request("POST", session["url"], "card=4242424242424242", form)
        assert (status, back) == (303, "http://comptoir.test/ok")
        # Back on the pay page of a paid session (the browser's back button): sent on.
        assert _request("GET", session["url"])[:2] == (303, "http://comptoir.test/ok")
    finally:
        server.shutdown()
        server.server_close()
