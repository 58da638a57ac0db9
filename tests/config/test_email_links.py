"""Every absolute link in every e-mail points to the configured public address (issue 14).

``settings.PUBLIC_URL`` is the one source: never the Wagtail site's host and port (the
demo's site is "localhost", port 80, served on 127.0.0.1:$PORT), never port 8000 whatever
``PORT`` is. Each test sends one family of e-mails through the code that sends them in
production (transitions, tasks, webhooks, allauth's pages) and reads every ``http(s)://``
address in their subject, text and HTML.
"""

import datetime as dt
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from cms.services import FINANCE_GROUP
from marketplace.models import ProviderStatus
from marketplace.orders.transitions import booking_cancel, holds_expire, order_pay
from marketplace.payouts.models import PayoutRun
from marketplace.payouts.notify import payout_run_prepared_notify, statement_send
from marketplace.payouts.services import bank_account_approve, bank_account_submit
from marketplace.provider_notify import provider_application_notify, provider_decision_notify
from marketplace.stay_tax import tax_missing_notify
from payments.stripe.notify import _finance_send
from tests.booking_helpers import activity_in, book, shared_rules
from tests.conftest import make_provider, make_user
from tests.marketplace.payouts.conftest import IBAN_OLD, bank_world_replay
from tests.marketplace.payouts.statement_world import money_replay
from tests.payments.test_stripe_accounts import connect
from tests.stripe_helpers import deliver

PUBLIC = "https://place.example.org"
URL = re.compile(r"https?://[^\s\"'<>]+")
BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _public_address(settings):
    settings.PUBLIC_URL = PUBLIC


def links(message) -> list[str]:
    texts = [message.subject, message.body]
    texts += [html.unescape(content) for content, _type in getattr(message, "alternatives", [])]
    return [url for text in texts for url in URL.findall(text)]


def assert_links_public(messages, *, each_has_one: bool = True) -> None:
    """Each message carries at least one link (unless told it has none), and every link
    is on the public address."""
    assert messages
    for message in messages:
        found = links(message)
        assert found or not each_has_one, f"no link in {message.subject!r}"
        wrong = [url for url in found if url != PUBLIC and not url.startswith(PUBLIC + "/")]
        assert not wrong, f"{message.subject!r} links elsewhere: {wrong}"


def test_public_url_is_the_setting_for_the_default_site_and_the_admin(territory):
    from marketplace.web import public_url

    assert public_url("/admin/") == f"{PUBLIC}/admin/"
    assert public_url("/offres/", site=territory) == f"{PUBLIC}/offres/"
    with pytest.raises(ValueError):
        public_url("offres/")


def test_another_territory_keeps_the_scheme_and_port_with_its_own_host(territory, settings):
    from marketplace.web import public_url

    settings.PUBLIC_URL = "http://127.0.0.1:8080"
    other = Site(hostname="vallee.example.org", port=80, root_page=territory.root_page)
    assert public_url("/offres/", site=other) == "http://vallee.example.org:8080/offres/"
    settings.PUBLIC_URL = PUBLIC
    assert public_url("/offres/", site=other) == "https://vallee.example.org/offres/"


# --- Visitors and providers: bookings ------------------------------------------------------


@pytest.fixture
def club(territory, category):
    shared_rules(territory)
    return make_provider(territory, name="Canoë Club", category=category, email="club@example.org")


def test_booking_confirmation_and_cancellation_mails(
    club, visitor, django_capture_on_commit_callbacks
):
    offer = activity_in(club, ahead=dt.timedelta(days=10), policy="flexible", title="Descente")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order = book(visitor, offer, language="en", slot=offer.slots.get().pk, persons=1)
    # The visitor's confirmation and the provider's "new booking".
    assert {m.to[0] for m in mail.outbox} >= {visitor.email, "club@example.org"}
    assert_links_public(mail.outbox)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=order.bookings.get().pk, by_provider=True, reason="Crue")
    assert {m.to[0] for m in mail.outbox} >= {visitor.email, "club@example.org"}
    assert_links_public(mail.outbox)


def test_late_payment_refunded_mail(club, django_capture_on_commit_callbacks):
    offer = activity_in(club, ahead=dt.timedelta(days=10), policy="moderate")
    offer.slots.update(places=1)
    order = book(make_user("tard@example.org"), offer, language="fr", pay=False)
    holds_expire(now=timezone.now() + dt.timedelta(hours=1))
    book(make_user("rapide@example.org"), offer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_pay(order_id=order.pk, payment_ref="late")
    assert [m.to for m in mail.outbox] == [["tard@example.org"]]
    assert_links_public(mail.outbox)


# --- Providers' applications, the territory's staff -------------------------------------------


def test_provider_application_and_decision_mails(territory, category, editor):
    applicant = make_user("candidat@example.org")
    provider = make_provider(
        territory, name="Ferme", category=category, member=applicant, approve=False
    )
    assert provider.status == ProviderStatus.APPLIED
    mail.outbox.clear()
    provider_application_notify(provider.pk)
    assert [m.to for m in mail.outbox] == [[editor.email]]
    assert_links_public(mail.outbox)

    make_provider(territory, name="Forge", category=category, member=applicant)
    mail.outbox.clear()
    provider_decision_notify(provider.__class__.objects.get(name="Forge").pk)
    assert_links_public(mail.outbox)


def test_tourist_tax_and_finance_mails(territory, finance):
    mail.outbox.clear()
    tax_missing_notify(
        {
            "commune": "Saint-Martin",
            "category": "camping_1_2",
            "category_label": "Camping 1 et 2 étoiles",
            "offer_title": "Emplacement",
            "offer_id": 1,
            "provider_name": "Camping",
            "on_date": "2026-07-01",
            "date": "2026-06-01",
        }
    )
    _finance_send(
        "refund_failed",
        {"order_reference": "C-1", "refund_id": "re_1", "amount": "10 €", "reason": "closed"},
    )
    _finance_send(
        "dispute_opened",
        {"order_reference": "C-1", "dispute_id": "dp_1", "amount": "10 €", "reason": "fraud"},
    )
    assert len(mail.outbox) == 3 and all(m.to == [finance.email] for m in mail.outbox)
    assert_links_public(mail.outbox)


def test_payout_failed_mails_to_finance_and_the_provider(
    territory, category, stripe_double, services_delivered, django_capture_on_commit_callbacks
):
    make_user("finances@example.org", groups=(FINANCE_GROUP,))
    alice = make_user("alice@example.org")
    camping = make_provider(territory, name="Camping", category=category, member=alice)
    client = Client()
    client.force_login(alice)
    connect(client, camping)
    camping.refresh_from_db()
    stripe_double.account_onboard(camping.stripe_account_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(stripe_double)
    mail.outbox.clear()
    stripe_double.payout(camping.stripe_account_id, 4500, fail=True)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(stripe_double)
    assert {m.to[0] for m in mail.outbox} == {"finances@example.org", camping.email}
    assert_links_public(mail.outbox)


# --- Payouts: bank details, runs ----------------------------------------------------------------


def test_bank_details_decision_and_payout_run_mails(
    territory, category, django_capture_on_commit_callbacks
):
    world = bank_world_replay(territory, category)
    row = bank_account_submit(
        site=territory,
        account=f"provider:{world['canoes'].pk}",
        holder_name="Canoës Alice SARL",
        iban=IBAN_OLD,
        bic="",
        by=world["alice"],
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bank_account_approve(bank_account=row, by=world["finance"])
    assert {m.to[0] for m in mail.outbox} == {"alice@example.org", "canoes@example.org"}
    assert_links_public(mail.outbox)

    run = PayoutRun.objects.create(
        site=territory,
        reference="VIR-TEST-1",
        until=timezone.localdate(),
        automatic=True,
        debtor_name="Communauté de communes",
        debtor_iban=IBAN_OLD,
        debtor_bic="",
        prepared_at=timezone.now(),
    )
    mail.outbox.clear()
    payout_run_prepared_notify(run.pk)
    assert {m.to[0] for m in mail.outbox} == {"finances@example.org", "finances2@example.org"}
    assert_links_public(mail.outbox)


def test_statement_mail(territory, category, visitor):
    """The statement e-mail carries no link today (its PDF is attached): any it gets must
    be on the public address."""
    money = money_replay(bank_world_replay(territory, category), visitor)
    mail.outbox.clear()
    assert statement_send(
        site=money["site"], account=money["account"], since=money["since"], until=money["today"]
    )
    assert_links_public(mail.outbox, each_has_one=False)


# --- Accounts (allauth) -------------------------------------------------------------------------


def test_allauth_mails_link_to_the_public_address_not_the_requests_host(territory):
    client = Client()
    mail.outbox.clear()
    response = client.post(
        reverse("account_signup"),
        {
            "email": "nouveau@example.org",
            "password1": "un-mot-de-passe-long",
            "password2": "un-mot-de-passe-long",
        },
    )
    assert response.status_code == 302
    make_user("ancien@example.org")
    client.post(reverse("account_reset_password"), {"email": "ancien@example.org"})
    client.post(reverse("account_reset_password"), {"email": "inconnu@example.org"})
    assert [m.to[0] for m in mail.outbox] == [
        "nouveau@example.org",
        "ancien@example.org",
        "inconnu@example.org",
    ]
    assert_links_public(mail.outbox)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_allauth_mail_links_to_the_public_address(territory, language):
    """Each account e-mail (confirmations, password, addresses, login code, two-factor
    notifications...), sent by allauth's own flows (tests/cms/test_account_mail.py):
    its links, and its signature's link to the home page, on the public address."""
    from tests.cms.test_account_mail import EVERY_MAIL, account_mails

    mails = account_mails(language, tag=f"links-{language}")
    assert set(mails) == EVERY_MAIL
    assert_links_public(list(mails.values()))
    home = f"{PUBLIC}/" if language == "fr" else f"{PUBLIC}/en/"
    for name, message in mails.items():
        assert home in links(message), name


# --- The setting itself -------------------------------------------------------------------------


def settings_of(tmp_path, **env) -> list[str]:
    """PUBLIC_URL and WAGTAILADMIN_BASE_URL as a fresh process reads them from ``env``."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.PUBLIC_URL); print(settings.WAGTAILADMIN_BASE_URL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "COMPTOIR_VAR_DIR": str(tmp_path / "var"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_demo_links_follow_port_and_public_url_wins(tmp_path):
    assert settings_of(tmp_path) == ["http://127.0.0.1:8000"] * 2
    assert settings_of(tmp_path, PORT="8080") == ["http://127.0.0.1:8080"] * 2
    assert (
        settings_of(tmp_path, PORT="8080", PUBLIC_URL="https://place.example.org/") == [PUBLIC] * 2
    )


def test_make_run_passes_its_port_to_the_settings():
    makefile = (BASE_DIR / "Makefile").read_text()
    assert re.search(r"^PORT \?= 8000\n(#.*\n)*export PORT$", makefile, re.M)


# --- Stripe's return addresses, made outside a request ------------------------------------------


def test_stripe_return_addresses_without_a_request_are_on_the_public_address(club, visitor):
    from payments.stripe.checkout import _session_params

    offer = activity_in(club, ahead=dt.timedelta(days=10), policy="flexible")
    order = book(visitor, offer, slot=offer.slots.get().pk, persons=1, pay=False)
    params = _session_params(order=order, request=None)
    assert params["success_url"].startswith(f"{PUBLIC}/")
    assert params["cancel_url"].startswith(f"{PUBLIC}/")
