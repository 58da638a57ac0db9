"""The territory's ledger in the admin: finance reads it, nobody else sees it, nobody
changes it."""

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from wagtail.admin.menu import admin_menu

from cms.services import EDITORS_GROUP, FINANCE_GROUP
from marketplace.books.ledger import ledger_post, ledger_reverse
from marketplace.books.models import LedgerTransaction
from marketplace.books.permissions import ledger_permissions_ensure
from tests import factories
from tests.booking_helpers import book, shared_rules
from tests.conftest import make_provider, make_user

LIST_URL = "/admin/ledger/"
BALANCES_URL = "/admin/ledger_balances/"


@pytest.fixture
def ledger(territory, category):
    ledger_permissions_ensure(finance=Group.objects.get(name=FINANCE_GROUP))
    provider = make_provider(territory, name="Camping des Gorges", category=category)
    sale = ledger_post(
        site=territory,
        kind="order_confirmed",
        idempotency_key="order:42:confirmed",
        entries=[
            ("visitor", 12_345),
            (f"provider:{provider.pk}", -11_000),
            ("beneficiary:fonds", -1_000),
            ("tax:tourist:saint-martin", -345),
        ],
        order_ref=42,
    )
    refund = ledger_reverse(transaction=sale, idempotency_key="order:42:refund", fraction=(1, 2))
    ledger_post(
        site=territory,
        kind="payout",
        idempotency_key="payout:1",
        entries=[(f"provider:{provider.pk}", 5_000), ("platform:clearing", -5_000)],
    )
    return {"sale": sale, "refund": refund, "provider": provider}


def refused(response) -> bool:
    if response.status_code == 403:
        return True
    # Wagtail sends someone without access to the dashboard, or to the login page.
    return response.status_code == 302 and "ledger" not in urlparse(response["Location"]).path


def test_permissions_ensure_is_idempotent(territory):
    group = Group.objects.get(name=FINANCE_GROUP)
    ledger_permissions_ensure(finance=group)
    ledger_permissions_ensure(finance=group)
    assert list(group.permissions.filter(content_type__app_label="books")) == list(
        group.permissions.filter(codename="view_ledger")
    )
    assert make_user("f@example.org", groups=(FINANCE_GROUP,)).has_perm("books.view_ledger")


def test_finance_lists_and_filters_transactions(ledger, finance, client):
    client.force_login(finance)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    body = response.content.decode()
    for key in ("order:42:confirmed", "order:42:refund", "payout:1"):
        assert key in body
    assert "123,45" in body  # the amount moved, in French

    def keys(**params):
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        return {tx.idempotency_key for tx in response.context["object_list"]}

    assert keys(kind="payout") == {"payout:1"}
    assert keys(kind="refund") == {"order:42:refund"}
    assert keys(account="tax") == {"order:42:confirmed", "order:42:refund"}
    assert keys(account="platform:clearing") == {"payout:1"}
    assert keys(account=f"provider:{ledger['provider'].pk}") == {
        "order:42:confirmed",
        "order:42:refund",
        "payout:1",
    }
    assert keys(reference="42") == {"order:42:confirmed", "order:42:refund"}
    # The filter reads dates in the territory's time zone, like the people who type them.
    today = timezone.localdate(ledger["sale"].occurred_at).isoformat()
    assert len(keys(occurred_at_from=today, occurred_at_to=today)) == 3
    assert keys(occurred_at_from="2000-01-01", occurred_at_to="2000-01-02") == set()


def test_finance_inspects_a_transaction_and_its_entries(ledger, finance, client):
    client.force_login(finance)
    sale = ledger["sale"]
    response = client.get(f"{LIST_URL}inspect/{sale.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "tax:tourist:saint-martin" in body and "123,45" in body
    assert f"{LIST_URL}inspect/{ledger['refund'].pk}/" in body  # "reversed by"
    assert f"{LIST_URL}edit/" not in body and f"{LIST_URL}delete/" not in body


def test_balances_page_groups_accounts_by_kind(ledger, finance, client):
    client.force_login(finance)
    response = client.get(BALANCES_URL)
    assert response.status_code == 200
    groups = {g["kind"]: g for g in response.context["groups"]}
    assert list(groups) == ["visitor", "provider", "beneficiary", "tax", "platform"]
    provider_row = groups["provider"]["rows"][0]
    # -11 000 + 5 500 refunded + 5 000 paid out.
    assert provider_row["balance"] == -500
    assert provider_row["name"] == "Camping des Gorges"
    assert groups["visitor"]["rows"][0]["balance"] == 12_345 - 6_173
    body = response.content.decode()
    assert "Camping des Gorges" in body and "beneficiary:fonds" in body
    # Each recipient's balance leads to its statement.
    fonds = next(r for r in groups["beneficiary"]["rows"] if r["account"] == "beneficiary:fonds")
    assert fonds["statement_url"] == (
        f"/admin/statements/?site={response.context['site'].pk}&account=beneficiary%3Afonds"
    )
    assert provider_row["statement_url"].startswith("/admin/provider_statement/?provider=")
    assert groups["visitor"]["rows"][0]["statement_url"] == ""


def test_the_ledger_cannot_be_changed_through_the_admin(ledger, finance, client, django_user_model):
    sale = ledger["sale"]
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-long-enough")
    for user in (finance, admin):
        client.force_login(user)
        assert client.get(f"{LIST_URL}new/").status_code == 404
        assert client.get(f"{LIST_URL}edit/{sale.pk}/").status_code == 404
        assert client.post(f"{LIST_URL}delete/{sale.pk}/").status_code == 404
        body = client.get(LIST_URL).content.decode()
        assert f"{LIST_URL}new/" not in body
    for name in ("add", "edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"ledger:{name}", args=[sale.pk] if name != "add" else [])
    sale.refresh_from_db()
    assert sale.entries.count() == 4


def test_nobody_else_sees_the_ledger(ledger, client, territory):
    editor = make_user("editrice@example.org", groups=(EDITORS_GROUP,))
    provider_member = make_user("membre@example.org")
    provider_member.groups.add(ledger["provider"].group)
    visitor = make_user("visiteur@example.org")
    sale = ledger["sale"]
    for user in (editor, provider_member, visitor):
        client.force_login(user)
        for url in (
            LIST_URL,
            f"{LIST_URL}results/",
            f"{LIST_URL}inspect/{sale.pk}/",
            BALANCES_URL,
        ):
            response = client.get(url)
            assert refused(response), (user.email, url, response.status_code)
    client.force_login(editor)
    dashboard = client.get("/admin/").content.decode()
    assert LIST_URL not in dashboard and BALANCES_URL not in dashboard
    client.logout()
    assert client.get(BALANCES_URL).status_code == 302


def test_finance_sees_the_ledger_menu(ledger, finance, client):
    client.force_login(finance)
    dashboard = client.get("/admin/").content.decode()
    assert LIST_URL in dashboard and BALANCES_URL in dashboard


def _submenu_urls(item) -> list[str]:
    menu = getattr(item, "menu", None)
    if menu is None:
        return []
    return [sub.url for sub in sorted(menu.registered_menu_items, key=lambda sub: sub.order)]


def test_the_ledger_menu_holds_the_books_then_the_finance_lists(territory):
    """The books' transactions and balances come first; the payment provider's finance
    lists join the same menu through its hook, in their order; then the payout runs by bank
    transfer and the recipients' statements; the tourist tax declarations and the FEC
    close it."""
    reverse("ledger:index")  # the admin's URLs, hence its viewsets, are registered
    (urls,) = [
        urls for urls in map(_submenu_urls, admin_menu.registered_menu_items) if LIST_URL in urls
    ]
    assert urls == [
        LIST_URL,
        BALANCES_URL,
        "/admin/stripe_events/",
        "/admin/reconciliation/",
        "/admin/disputes/",
        "/admin/provider_debts/",
        "/admin/failed_refunds/",
        "/admin/failed_transfers/",
        "/admin/payout_runs/",
        "/admin/statements/",
        "/admin/tourist_tax_declarations/",
        "/admin/fec_export/",
    ]


def test_a_booking_s_transaction_says_when_its_money_is_payable(
    territory, category, finance, client, visitor
):
    shared_rules(territory)
    provider = make_provider(territory, name="Camping des Gorges", category=category)
    offer = factories.stay(provider)
    start = timezone.localdate() + dt.timedelta(days=30)
    end = start + dt.timedelta(days=2)
    booking = book(visitor, offer, start=start, end=end, guests=2).bookings.get()
    sale = LedgerTransaction.objects.get(booking_ref=booking.reference)
    client.force_login(finance)
    body = client.get(f"{LIST_URL}inspect/{sale.pk}/").content.decode()
    assert f'data-payable-on="{booking.payable_on:%Y-%m-%d}"' in body
    assert "est dû le" in body or "due on" in body
