"""Providers' payout accounts: onboarding from the admin, account and payout events.

Through HTTP with the local Stripe double: a provider's member connects an Express-style
account from "Payout account" and comes back synced; nobody acts on a provider they do
not manage; ``account.updated`` on the Connect endpoint enables payouts, and a provider
paid while it had no account gets its net transferred then, once; ``payout.failed`` is
told to finance and the provider and shown on the page.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from cms.services import EDITORS_GROUP, FINANCE_GROUP
from marketplace.books.selectors import account_balance
from marketplace.models import OrderStatus, Provider
from payments.models import StripeEvent, StripeTransfer
from payments.stripe.account_views import BUTTONS
from payments.stripe.accounts import PayoutStatus
from tests import factories
from tests.booking_helpers import shared_rules
from tests.conftest import make_provider, make_user
from tests.payments.test_stripe_flow import checkout_and_pay
from tests.stripe_helpers import assert_balances_match, deliver

# Transfer mechanics once the services are delivered (see the fixture).
pytestmark = pytest.mark.usefixtures("services_delivered")

PAGE = "/admin/payout_account/"


@pytest.fixture
def world(territory, category, stripe_double, visitor):
    shared_rules(territory)
    alice = make_user("alice@example.org")
    bob = make_user("bob@example.org")
    camping = make_provider(territory, name="Camping des Pins", category=category, member=alice)
    ferme = make_provider(territory, name="Ferme du Coin", category=category, member=bob)
    return {
        "site": territory,
        "alice": alice,
        "bob": bob,
        "camping": camping,
        "ferme": ferme,
        "pitch": factories.stay(camping, units=3, price_per_night=2000),
        "basket": factories.product(ferme, price_per_item=1250, stock=10),
        "double": stripe_double,
    }


def url(name: str, provider: Provider) -> str:
    return reverse(f"payout_account:{name}", args=[provider.pk])


def rows(response) -> dict[int, str]:
    assert response.status_code == 200
    return {row["provider"].pk: row["status"] for row in response.context["rows"]}


def buttons(response) -> dict[int, str]:
    """The button on each provider's row (empty: no action for this user)."""
    return {row["provider"].pk: row["button"] for row in response.context["rows"]}


def levels(response) -> list[str]:
    """The levels of the messages the (followed) response showed."""
    return [message.level_tag for message in response.context["messages"]]


def connect(client, provider: Provider) -> str:
    """Press the connect button; returns the onboarding URL Stripe (the double) gave."""
    response = client.post(url("connect", provider))
    assert response.status_code == 302
    assert "/onboarding/acct_" in response["Location"]
    return response["Location"]


def test_a_member_connects_an_express_account_from_the_admin(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["alice"])
    camping, double = world["camping"], world["double"]
    page = client.get(PAGE)
    assert rows(page) == {camping.pk: "not_connected"}
    assert buttons(page) == {camping.pk: BUTTONS[PayoutStatus.NOT_CONNECTED]}
    html = page.content.decode()
    assert f'action="{url("connect", camping)}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    # Without the form's CSRF token the POST is refused and nothing is created.
    assert client.post(url("connect", camping)).status_code == 403
    assert double.all("account") == []

    token = page.context["csrf_token"]
    response = client.post(url("connect", camping), {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    camping.refresh_from_db()
    assert location.path == f"/onboarding/{camping.stripe_account_id}"
    back = parse_qs(location.query)["return_url"][0]
    assert back == f"http://testserver{url('return', camping)}"

    (account,) = double.all("account")
    assert account["id"] == camping.stripe_account_id
    assert account["controller"]["stripe_dashboard"]["type"] == "express"
    assert account["controller"]["fees"]["payer"] == "application"
    assert account["controller"]["losses"]["payments"] == "application"
    assert account["capabilities"] == {"transfers": "inactive"}
    assert account["country"] == "FR" and account["email"] == camping.email
    assert account["metadata"]["provider_id"] == str(camping.pk)
    assert not camping.payouts_enabled

    # Back without finishing: still incomplete; the button now says so.
    page = client.get(PAGE)
    assert rows(page) == {camping.pk: "incomplete"}
    assert buttons(page) == {camping.pk: BUTTONS[PayoutStatus.INCOMPLETE]}
    # Pressing again (or an expired link) makes a new link for the same account.
    client.post(url("connect", camping), {"csrfmiddlewaretoken": str(token)})
    assert client.get(url("refresh", camping))["Location"].startswith(
        f"{double.base_url}/onboarding/{camping.stripe_account_id}"
    )
    assert len(double.all("account")) == 1


def test_the_return_view_reads_the_status_from_stripe(world, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(world["alice"])
    camping, double = world["camping"], world["double"]
    connect(client, camping)
    camping.refresh_from_db()

    response = client.get(url("return", camping), follow=True)
    assert rows(response) == {camping.pk: "incomplete"}
    assert levels(response) == ["warning"]

    double.account_onboard(camping.stripe_account_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url("return", camping), follow=True)
    assert rows(response) == {camping.pk: "enabled"}
    assert levels(response) == ["success"]
    assert buttons(response) == {camping.pk: ""}
    camping.refresh_from_db()
    assert camping.payouts_enabled
    # The event that follows finds the work done.
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(double) == [200]
    event = StripeEvent.objects.get(type="account.updated")
    assert event.processed_at and event.note == f"provider {camping.pk}: payouts enabled"


def test_nobody_acts_on_a_provider_they_do_not_manage(world, territory):
    camping, double = world["camping"], world["double"]
    client = Client()
    client.force_login(world["bob"])
    assert rows(client.get(PAGE)) == {world["ferme"].pk: "not_connected"}
    for name in ("connect", "return", "refresh"):
        method = client.post if name == "connect" else client.get
        assert method(url(name, camping)).status_code == 404, name
    assert double.all("account") == []

    # Territory staff read every provider's status, and act on none.
    editor = make_user("editrice@example.org", groups=(EDITORS_GROUP,))
    client.force_login(editor)
    page = client.get(PAGE)
    assert rows(page) == {camping.pk: "not_connected", world["ferme"].pk: "not_connected"}
    assert set(buttons(page).values()) == {""}
    assert url("connect", camping) not in page.content.decode()
    assert client.post(url("connect", camping)).status_code == 404
    assert double.all("account") == []

    # Someone who is neither sees no page.
    client.force_login(make_user("passant@example.org", is_staff=True))
    assert client.get(PAGE).status_code in (302, 403)


def test_account_updated_enables_payouts(world, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(world["alice"])
    camping, double = world["camping"], world["double"]
    connect(client, camping)
    camping.refresh_from_db()
    double.account_onboard(camping.stripe_account_id, payouts_enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(double) == [200]
    camping.refresh_from_db()
    assert not camping.payouts_enabled

    double.account_onboard(camping.stripe_account_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(double) == [200]
    camping.refresh_from_db()
    assert camping.payouts_enabled
    assert rows(client.get(PAGE)) == {camping.pk: "enabled"}

    # An account that is no provider's is noted, not an error.
    other = double.handle("POST", "/v1/accounts", {}, "country=FR").body["id"]
    double.account_onboard(other)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    event = StripeEvent.objects.get(account=other)
    assert event.processed_at and not event.error and "no provider's" in event.note


def test_a_provider_without_a_payout_account_is_paid_later(
    client, world, visitor, django_capture_on_commit_callbacks
):
    double, camping = world["double"], world["camping"]
    order = checkout_and_pay(client, world, visitor, django_capture_on_commit_callbacks)
    assert order.status == OrderStatus.PAID
    stay = order.bookings.get(offer=world["pitch"])
    # Paid, but nowhere to send the camping's net: it stays payable, nothing transferred.
    assert account_balance(account=f"provider:{camping.pk}") == -stay.provider_net < 0
    assert double.all("transfer") == []
    assert not StripeTransfer.objects.exists()

    member = Client()
    member.force_login(world["alice"])
    connect(member, camping)
    camping.refresh_from_db()
    account = camping.stripe_account_id
    double.account_onboard(account)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(double) == [200]

    (transfer,) = double.all("transfer")
    assert transfer["destination"] == account
    assert transfer["amount"] == stay.provider_net
    assert transfer["source_transaction"] == double.all("charge")[0]["id"]
    assert transfer["transfer_group"] == order.reference
    assert account_balance(account=f"provider:{camping.pk}") == 0
    # The ferme still has no account: its net is still owed to it.
    basket = order.bookings.get(offer=world["basket"])
    assert account_balance(account=f"provider:{world['ferme'].pk}") == -basket.provider_net
    assert_balances_match(double, world["site"], [account])

    # The same event again, and a new one saying the same: nothing changes.
    event = double.events_of("account.updated")[-1]
    double.emit("account.updated", double.get("account", account), account=account)
    with django_capture_on_commit_callbacks(execute=True):
        statuses = deliver(double, duplicate=3)
    assert set(statuses) == {200}
    assert StripeEvent.objects.filter(type="account.updated").count() == 2
    assert StripeEvent.objects.get(pk=event["id"]).attempts == 1
    assert len(double.all("transfer")) == 1
    assert StripeTransfer.objects.count() == 1
    assert_balances_match(double, world["site"], [account])


def test_a_failed_payout_is_told_and_shown(world, django_capture_on_commit_callbacks):
    finance = make_user("finances@example.org", groups=(FINANCE_GROUP,))
    client = Client()
    client.force_login(world["alice"])
    camping, double = world["camping"], world["double"]
    connect(client, camping)
    camping.refresh_from_db()
    double.account_onboard(camping.stripe_account_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    mail.outbox.clear()

    payout = double.payout(camping.stripe_account_id, 4500, fail=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert set(deliver(double, duplicate=2)) == {200}
    camping.refresh_from_db()
    assert camping.payout_failed_id == payout["id"]
    assert camping.payout_failure == "The bank account has been closed."

    to_finance = [m for m in mail.outbox if m.to == [finance.email]]
    to_provider = [m for m in mail.outbox if m.to == [camping.email]]
    assert len(to_finance) == 1 and len(to_provider) == 1 and len(mail.outbox) == 2
    assert payout["id"] in to_finance[0].body and "Camping des Pins" in to_finance[0].subject
    assert "The bank account has been closed." in to_provider[0].body
    assert "45,00\u00a0€" in to_provider[0].body and "€45.00" in to_provider[0].body
    assert PAGE in to_provider[0].body

    page = client.get(PAGE)
    assert rows(page) == {camping.pk: "failed"}
    assert "The bank account has been closed." in page.content.decode()
    assert buttons(page) == {camping.pk: BUTTONS[PayoutStatus.FAILED]}
    # Finance reads it too.
    finance_client = Client()
    finance_client.force_login(finance)
    assert rows(finance_client.get(PAGE))[camping.pk] == "failed"

    # A later payout that reaches the bank clears it.
    double.payout(camping.stripe_account_id, 1000)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    camping.refresh_from_db()
    assert camping.payout_failed_id == "" and camping.payout_failure == ""
    assert rows(client.get(PAGE)) == {camping.pk: "enabled"}


def test_an_answer_lost_on_account_creation_does_not_make_a_second_account(world):
    client = Client()
    client.force_login(world["alice"])
    camping, double = world["camping"], world["double"]
    # Stripe creates the account, but its answer never comes back.
    double.timeout_next("/v1/accounts", method="POST", after_commit=True)
    response = client.post(url("connect", camping), follow=True)
    assert levels(response) == ["error"]
    assert rows(response) == {camping.pk: "not_connected"}
    assert len(double.all("account")) == 1
    # Pressing again replays the same request (same key): the same account, stored now.
    connect(client, camping)
    camping.refresh_from_db()
    (account,) = double.all("account")
    assert camping.stripe_account_id == account["id"]


def test_the_dashboard_reminds_members_until_payouts_are_enabled(
    world, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(world["alice"])
    camping, double = world["camping"], world["double"]
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'id="payout-account' in home and f'data-provider="{camping.pk}"' in home
    assert PAGE in home

    connect(client, camping)
    camping.refresh_from_db()
    double.account_onboard(camping.stripe_account_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(double)
    assert 'id="payout-account' not in client.get(reverse("wagtailadmin_home")).content.decode()

    # Territory staff who manage no provider get no reminder.
    client.force_login(make_user("editrice@example.org", groups=(EDITORS_GROUP,)))
    assert 'id="payout-account' not in client.get(reverse("wagtailadmin_home")).content.decode()
