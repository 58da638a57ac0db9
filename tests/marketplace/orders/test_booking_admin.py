"""Bookings and orders in the admin, through their real URLs.

A provider's members see, export and cancel their own bookings only (another provider's
id is a 404 and changes nothing); territory staff search orders and bookings of their
own territory; a member reads its own statement. Bookings are made through the real
services: cart, pricing, checkout, payment.
"""

import csv
import datetime as dt
import io
from urllib.parse import urlparse

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core import mail
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.models import Page, Site

from cms.models import HomePage, ProviderIndexPage
from cms.services import EDITORS_GROUP, FINANCE_GROUP, territory_setup
from commissions.rules_io import rules_import
from marketplace.books.ledger import beneficiary_account, provider_account
from marketplace.books.models import LedgerEntry, LedgerTransaction
from marketplace.books.selectors import account_balance
from marketplace.models import (
    Booking,
    BookingStatus,
    Cart,
    Order,
    OrderStatus,
    Refund,
    TerritorySettings,
)
from marketplace.orders import transitions
from marketplace.orders.access import MEMBER_VISIBLE_STATUSES
from marketplace.orders.cart import cart_line_add, cart_lines_priced
from marketplace.orders.transitions import checkout, order_pay
from tests import factories
from tests.conftest import make_provider, make_user
from tests.marketplace.orders.test_my_bookings import lock_fails, lock_timeout
from tests.snapshots import Replay

BOOKINGS = "/admin/bookings/"
ORDERS = "/admin/orders/"
STATEMENT = "/admin/provider_statement/"

RULES = {
    "beneficiaries": [
        {"key": "fonds", "name": "Fonds local", "kind": "local_fund"},
        {"key": "ot", "name": "Office de tourisme", "kind": "tourism_office"},
    ],
    "distribution_keys": [
        {"key": "moitie", "name": "Moitié-moitié", "shares": {"fonds": "50.00", "ot": "50.00"}}
    ],
    "rules": [
        {
            "key": "base",
            "name": "Règle de base",
            "scope": {},
            "provider": {"rate": "10.00", "fixed": 0, "min": None, "max": None},
            "visitor": {"rate": "5.00", "fixed": 0, "min": None, "max": None},
            "distribution": "moitie",
        }
    ],
}


def book(*, user, lines, pay: bool = True) -> Order:
    """One order through the real services: ``lines`` are ``(offer, params)`` pairs."""
    site = lines[0][0].provider.site
    cart, _created = Cart.objects.get_or_create(site=site, user=user)
    for offer, params in lines:
        cart_line_add(cart=cart, offer=offer, params=params)
    cart.refresh_from_db()
    priced = cart_lines_priced(cart=cart)
    assert all(p.ok for p in priced), [p.error for p in priced]
    order = checkout(
        cart=cart, user=user, checkout_key=cart.version, priced_lines=priced, language="fr"
    )
    if pay:
        order_pay(order_id=order.pk, payment_ref="test")
    order.refresh_from_db()
    return order


def stay_params(days_ahead: int = 20, nights: int = 2, units: int = 1) -> dict:
    start = timezone.localdate() + dt.timedelta(days=days_ahead)
    return {
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=nights)).isoformat(),
        "units": str(units),
    }


def refused(response) -> bool:
    """A 403, or Wagtail's redirect of someone without the right (dashboard or login)."""
    if response.status_code == 403:
        return True
    if response.status_code != 302:
        return False
    where = urlparse(response["Location"]).path
    return where == "/admin/" or where.endswith("/login/")


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def build_world(territory, category):
    rules_import(site=territory, data=RULES, publish=True)
    alice = make_user("alice@example.org")
    bob = make_user("bob@example.org")
    camping = make_provider(territory, name="Camping des Pins", category=category, member=alice)
    farm = make_provider(territory, name="Ferme Bob", category=category, member=bob)
    pitch = factories.stay(camping, title="Emplacement tente", units=5, price_per_night=2000)
    chalet = factories.stay(camping, title="Chalet", units=2, price_per_night=8000)
    honey = factories.product(farm, title="Miel de châtaignier", price_per_item=850, stock=500)
    visitor = make_user("visiteur@example.org", first_name="Vera", last_name="Visiteuse")
    other_visitor = make_user("autre.visiteur@example.org")
    order = book(user=visitor, lines=[(pitch, stay_params()), (honey, {"quantity": "2"})])
    later = book(user=other_visitor, lines=[(chalet, stay_params(days_ahead=40, nights=3))])
    return {
        "territory": territory,
        "alice": alice,
        "bob": bob,
        "camping": camping,
        "farm": farm,
        "pitch": pitch,
        "chalet": chalet,
        "honey": honey,
        "visitor": visitor,
        "order": order,
        "later": later,
        "mine": order.bookings.get(provider=camping),
        "theirs": order.bookings.get(provider=farm),
        "chalet_booking": later.bookings.get(),
    }


world_replay = Replay(build_world)


@pytest.fixture
def world(territory, category):
    """Two providers, three offers and two paid orders, built once and then replayed
    (tests/snapshots.py)."""
    return world_replay(territory, category)


@pytest.fixture
def editor(territory):
    return make_user("editrice@example.org", groups=(EDITORS_GROUP,))


def listed(client, **params) -> set[str]:
    response = client.get(BOOKINGS, params)
    assert response.status_code == 200
    return {booking.reference for booking in response.context["object_list"]}


def snapshot() -> tuple:
    """What a refused request must leave as it was."""
    return (
        sorted(Booking.objects.values_list("pk", "status", "refunded", "cancel_reason")),
        Refund.objects.count(),
        LedgerTransaction.objects.count(),
    )


# --- Permissions ------------------------------------------------------------------------


def test_setup_gives_each_group_its_booking_permissions_idempotently(world):
    territory_setup(hostname="localhost", port=80, site_name="Comptoir test")
    territory_setup(hostname="localhost", port=80, site_name="Comptoir test")
    member_group = world["camping"].group
    assert set(member_group.permissions.values_list("codename", flat=True)) >= {
        "view_booking",
        "cancel_booking",
        "access_admin",
    }
    assert not member_group.permissions.filter(codename="view_order").exists()
    for name in (EDITORS_GROUP, FINANCE_GROUP):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert {"view_order", "view_booking"} <= codenames
        assert "cancel_booking" not in codenames


def test_a_provider_group_missing_the_permissions_gets_them_back_from_setup(world):
    group = world["camping"].group
    group.permissions.clear()
    territory_setup(hostname="localhost", port=80, site_name="Comptoir test")
    assert group.permissions.filter(codename="cancel_booking").exists()


def test_bookings_cannot_be_added_edited_or_deleted_in_the_admin():
    for name in ("add", "edit", "delete", "copy", "usage"):
        with pytest.raises(NoReverseMatch):
            reverse(f"bookings:{name}", args=[] if name == "add" else [1])
        with pytest.raises(NoReverseMatch):
            reverse(f"orders:{name}", args=[] if name == "add" else [1])
    # Issue 12: their history (who made each transition) is shown, read-only: it has no
    # revision to revert to nor anything to edit.
    for name in ("revisions_revert", "revisions_compare", "revisions_unschedule"):
        with pytest.raises(NoReverseMatch):
            reverse(f"bookings:{name}", args=[1, 1])
        with pytest.raises(NoReverseMatch):
            reverse(f"orders:{name}", args=[1, 1])
    assert reverse("bookings:history", args=[1]) and reverse("orders:history", args=[1])


# --- A provider's bookings --------------------------------------------------------------


def test_member_lists_only_own_paid_bookings(client, world):
    # A checkout never paid holds capacity but is no booking for the provider.
    held = book(user=world["visitor"], lines=[(world["pitch"], stay_params(60))], pay=False)
    client.force_login(world["alice"])
    assert listed(client) == {world["mine"].reference, world["chalet_booking"].reference}
    body = client.get(BOOKINGS).content.decode()
    assert world["theirs"].reference not in body
    assert held.bookings.get().reference not in body
    assert "Miel" not in body
    assert "Ferme Bob" not in body
    assert "visiteur<wbr>@example.org" in body
    assert "36,00\u00a0€" in body  # the provider's net: 40 € less 10 %


def test_the_list_is_compact_enough_to_read_at_1280_px(client, world):
    """One line for a reference, short dates, what was booked in one column, the net
    (the price is on the booking's page and in the export)."""
    client.force_login(world["alice"])
    body = client.get(BOOKINGS).content.decode()
    mine = world["mine"]
    same_year = mine.start.year == mine.end.year
    start = mine.start.strftime("%d/%m" if same_year else "%d/%m/%Y")
    end = mine.end.strftime("%d/%m/%Y")
    assert f"{start}\u00a0→ {end}" in body
    assert f"{mine.quantity}\u00a0× " in body
    assert body.count("w-whitespace-nowrap") >= 3  # reference, dates, net
    assert "visiteur<wbr>@example.org" in body  # an address may wrap before its "@"
    assert "<th" in body and "Prix</" not in body and "Quantité</" not in body


def test_bob_sees_his_and_not_alices(client, world):
    client.force_login(world["bob"])
    assert listed(client) == {world["theirs"].reference}


def test_list_filters_by_status_dates_offer_and_search(client, world):
    client.force_login(world["alice"])
    mine, chalet = world["mine"].reference, world["chalet_booking"].reference
    assert listed(client, offer=world["chalet"].pk) == {chalet}
    assert listed(client, offer=world["pitch"].pk) == {mine}
    soon = timezone.localdate() + dt.timedelta(days=20)
    assert listed(client, start_from=soon.isoformat(), start_to=soon.isoformat()) == {mine}
    assert listed(client, start_from=(soon + dt.timedelta(days=1)).isoformat()) == {chalet}
    assert listed(client, status="confirmed") == {mine, chalet}
    assert listed(client, status="cancelled_by_provider") == set()
    assert listed(client, q="chalet") == {chalet}
    assert listed(client, q=world["later"].reference) == {chalet}
    assert listed(client, q="visiteur@example") == {mine, chalet}


def test_another_providers_offer_is_no_filter_choice_and_leaks_nothing(client, world):
    client.force_login(world["alice"])
    response = client.get(BOOKINGS)
    choices = {str(o) for o in response.context["filters"].filters["offer"].queryset}
    assert choices == {"Emplacement tente", "Chalet"}
    assert "provider" not in response.context["filters"].filters
    # Asking for it anyway: the filter is refused, still only her own bookings.
    refs = listed(client, offer=world["honey"].pk)
    assert world["theirs"].reference not in refs


def test_csv_export_of_the_filtered_list(client, world):
    client.force_login(world["alice"])
    rows = csv_rows(client.get(BOOKINGS, {"export": "csv"}))
    header, lines = rows[0], rows[1:]
    assert "Prix (EUR)" in header and "Net prestataire (EUR)" in header
    assert "Prestataire" not in header  # a member's export is about their own provider
    assert {line[0] for line in lines} == {
        world["mine"].reference,
        world["chalet_booking"].reference,
    }
    mine = next(line for line in lines if line[0] == world["mine"].reference)
    row = dict(zip(header, mine, strict=True))
    assert row["Prix (EUR)"] == "40.00"
    assert row["Frais de service (EUR)"] == "2.00"
    assert row["Commission du prestataire (EUR)"] == "4.00"
    assert row["Net prestataire (EUR)"] == "36.00"
    assert row["Payé par le visiteur (EUR)"] == "42.00"
    assert row["E-mail du visiteur"] == "visiteur@example.org"
    assert row["Commande"] == world["order"].reference
    assert row["Début"] == (timezone.localdate() + dt.timedelta(days=20)).isoformat()

    filtered = csv_rows(client.get(BOOKINGS, {"export": "csv", "offer": world["chalet"].pk}))
    assert [line[0] for line in filtered[1:]] == [world["chalet_booking"].reference]


def test_xlsx_export_too(client, world):
    client.force_login(world["alice"])
    response = client.get(BOOKINGS, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_csv_export_defuses_spreadsheet_formulas(client, world):
    Booking.objects.filter(pk=world["mine"].pk).update(offer_title="=HYPERLINK(1)")
    client.force_login(world["alice"])
    rows = csv_rows(client.get(BOOKINGS, {"export": "csv", "q": world["mine"].reference}))
    assert "'=HYPERLINK(1)" in rows[1]


def test_member_sees_the_detail_with_breakdown_and_contact(client, world):
    client.force_login(world["alice"])
    response = client.get(reverse("bookings:inspect", args=[world["mine"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        world["mine"].reference,
        "visiteur@example.org",
        "Vera Visiteuse",
        "40,00\u00a0€",  # price
        "2,00\u00a0€",  # service fee
        "42,00\u00a0€",  # paid by the visitor
        "4,00\u00a0€",  # commission on the provider
        "36,00\u00a0€",  # net
        "Fonds local",
        "Office de tourisme",
        reverse("bookings:cancel", args=[world["mine"].pk]),
    ):
        assert text in body, text
    # A member does not see the order: it holds another provider's booking.
    assert reverse("orders:inspect", args=[world["order"].pk]) not in body


@pytest.mark.parametrize("view", ["bookings:inspect", "bookings:cancel"])
def test_another_providers_booking_is_a_404_and_nothing_changes(client, world, view):
    client.force_login(world["alice"])
    before = snapshot()
    url = reverse(view, args=[world["theirs"].pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Fermé"}).status_code == 404
    missing = reverse(view, args=[999_999])
    assert client.get(missing).status_code == 404
    assert client.post(missing, {"reason": "Fermé"}).status_code == 404
    assert snapshot() == before


def test_cancel_needs_a_reason(client, world):
    client.force_login(world["alice"])
    before = snapshot()
    url = reverse("bookings:cancel", args=[world["mine"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "42,00\u00a0€" in page.content.decode()  # the full refund, shown before
    for reason in ("", "   "):
        response = client.post(url, {"reason": reason})
        assert response.status_code == 200
        assert "Dites pourquoi vous annulez cette réservation." in response.content.decode()
    assert snapshot() == before


def test_member_cancels_with_a_full_refund(client, world, django_capture_on_commit_callbacks):
    booking, camping = world["mine"], world["camping"]
    territory = world["territory"]
    provider = provider_account(camping.pk)
    before_provider = account_balance(account=provider, site=territory)
    assert before_provider == -(3600 + 21600)  # Camping's nets: 40 € and 240 €, less 10 %
    client.force_login(world["alice"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("bookings:cancel", args=[booking.pk]), {"reason": "Inondation du terrain"}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:inspect", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED_BY_PROVIDER
    assert booking.cancel_reason == "Inondation du terrain"
    assert booking.refunded == booking.visitor_total == 4200
    refund = Refund.objects.get(booking=booking)
    assert refund.amount == 4200 and refund.fraction_numerator == refund.fraction_denominator
    # The booking's own money is back to zero on every account it touched.
    refund_tx = LedgerTransaction.objects.get(booking_ref=booking.reference, kind="refund")
    assert refund_tx.created_by == world["alice"]
    assert account_balance(account=provider, site=territory) == before_provider + 3600
    for key in ("fonds", "ot"):
        total = sum(
            LedgerEntry.objects.filter(
                transaction__booking_ref=booking.reference, account=beneficiary_account(key)
            ).values_list("amount", flat=True)
        )
        assert total == 0
    # The visitor and the provider are told.
    recipients = {address for message in mail.outbox for address in message.to}
    assert "visiteur@example.org" in recipients
    assert len(mail.outbox) >= 2
    # The detail page shows it; cancelling again changes nothing.
    detail = client.get(reverse("bookings:inspect", args=[booking.pk])).content.decode()
    assert "Inondation du terrain" in detail and "Annulée par le prestataire" in detail
    before = snapshot()
    again = client.post(reverse("bookings:cancel", args=[booking.pk]), {"reason": "Encore"})
    assert again.status_code == 302
    assert snapshot() == before


def test_a_busy_booking_gets_the_busy_answer_in_the_admin(client, world, monkeypatch):
    """A lock timeout is the transition's BusyError, shown like any refusal."""
    booking = world["mine"]
    client.force_login(world["alice"])
    before = snapshot()
    lock_fails(monkeypatch, lock_timeout())
    response = client.post(reverse("bookings:cancel", args=[booking.pk]), {"reason": "Orage"})
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:inspect", args=[booking.pk])
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == [transitions.BusyError().message]
    assert snapshot() == before


def test_a_database_failure_is_not_passed_off_as_busy_in_the_admin(client, world, monkeypatch):
    client.force_login(world["alice"])
    before = snapshot()
    lock_fails(monkeypatch, OperationalError("server closed the connection unexpectedly"))
    with pytest.raises(OperationalError):
        client.post(reverse("bookings:cancel", args=[world["mine"].pk]), {"reason": "Orage"})
    assert snapshot() == before


def test_staff_see_bookings_but_do_not_cancel(client, world, finance, editor):
    for person in (finance, editor):
        client.force_login(person)
        refs = listed(client)
        assert {world["mine"].reference, world["theirs"].reference} <= refs
        before = snapshot()
        url = reverse("bookings:cancel", args=[world["mine"].pk])
        assert refused(client.get(url))
        assert refused(client.post(url, {"reason": "Non"}))
        assert snapshot() == before
    rows = csv_rows(client.get(BOOKINGS, {"export": "csv"}))
    assert "Prestataire" in rows[0]


def test_people_without_the_right_see_no_booking(client, world):
    client.force_login(world["visitor"])
    assert refused(client.get(BOOKINGS))
    assert refused(client.get(reverse("bookings:inspect", args=[world["mine"].pk])))
    client.logout()
    response = client.get(BOOKINGS)
    assert response.status_code == 302 and "login" in response["Location"]


def test_bookings_list_runs_a_constant_number_of_queries(client, world):
    """5 or 50 bookings: the list, a filtered list and the export cost the same queries."""
    camping = world["camping"]
    logs = factories.product(camping, title="Bûches", price_per_item=500, stock=1000)
    # One visitor places orders of 15 items: above the territory's default hold cap.
    limits = TerritorySettings.for_site(camping.site)
    limits.max_held_per_offer = 100
    limits.save()
    client.force_login(world["alice"])

    def count(params) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(BOOKINGS, params)
            if params.get("export"):
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(queries)

    book(user=world["visitor"], lines=[(logs, {"quantity": "1"})] * 3)
    assert Booking.objects.filter(provider=camping).count() == 5
    views = ({}, {"export": "csv"}, {"status": "confirmed", "q": "R-"}, {"p": "1"})
    small = [count(params) for params in views]
    for _batch in range(3):
        book(user=world["visitor"], lines=[(logs, {"quantity": "1"})] * 15)
    assert Booking.objects.filter(provider=camping).count() == 50
    large = [count(params) for params in views]
    assert large == small


# --- The territory's orders --------------------------------------------------------------


def order_refs(client, **params) -> set[str]:
    response = client.get(ORDERS, params)
    assert response.status_code == 200
    return {order.reference for order in response.context["object_list"]}


def test_finance_searches_orders(client, world, finance):
    client.force_login(finance)
    order, later = world["order"].reference, world["later"].reference
    assert order_refs(client) == {order, later}
    assert order_refs(client, q=order) == {order}
    assert order_refs(client, q=order.lower()) == {order}
    assert order_refs(client, q="autre.visiteur") == {later}
    assert order_refs(client, q=world["theirs"].reference) == {order}
    assert order_refs(client, q="miel") == {order}
    assert order_refs(client, q="Camping des Pins") == {order, later}
    assert order_refs(client, q="nothing-like-it") == set()
    assert order_refs(client, status="paid") == {order, later}
    assert order_refs(client, status="pending") == set()
    today = timezone.localdate().isoformat()
    assert order_refs(client, created_at_from=today, created_at_to=today) == {order, later}
    assert order_refs(client, created_at_to="2000-01-01") == set()


def test_order_detail_lists_its_bookings(client, world, editor):
    client.force_login(editor)
    response = client.get(reverse("orders:inspect", args=[world["order"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for booking in (world["mine"], world["theirs"]):
        assert reverse("bookings:inspect", args=[booking.pk]) in body
        assert booking.reference in body
    assert "Ferme Bob" in body and "Camping des Pins" in body
    assert "visiteur@example.org" in body


def test_the_lists_filter_forms(client, world, finance):
    """Status as radio buttons ("All" first, then the statuses the user may see), dates
    as a range: the same for orders and bookings."""

    def form(url, user):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        return response.context["filters"].form

    def radios(field) -> list[str]:
        assert isinstance(field.widget, forms.RadioSelect)
        return [value for value, _label in field.choices]

    orders = form(ORDERS, finance)
    assert list(orders.fields) == ["status", "created_at"]
    assert radios(orders.fields["status"]) == ["", *OrderStatus.values]
    assert str(orders.fields["status"].choices[0][1]) == gettext("All")
    assert isinstance(orders.fields["created_at"].widget, DateRangePickerWidget)
    staff = form(BOOKINGS, finance)
    assert list(staff.fields) == ["status", "start", "offer", "provider"]
    assert radios(staff.fields["status"]) == ["", *BookingStatus.values]
    assert str(staff.fields["status"].choices[0][1]) == gettext("All")
    assert isinstance(staff.fields["start"].widget, DateRangePickerWidget)
    member = form(BOOKINGS, world["alice"])
    assert list(member.fields) == ["status", "start", "offer"]
    assert radios(member.fields["status"]) == ["", *MEMBER_VISIBLE_STATUSES]


@pytest.fixture
def elsewhere(world):
    """A second territory with a paid order."""
    home = Page.get_first_root_node().add_child(instance=HomePage(title="Autre", slug="autre"))
    home.add_child(instance=ProviderIndexPage(title="Prestataires", slug="prestataires"))
    site = Site.objects.create(hostname="autre.example", port=80, root_page=home)
    provider = factories.provider(site, name="Gite ailleurs")
    gite = factories.stay(provider, title="Gîte d'ailleurs")
    return book(user=world["visitor"], lines=[(gite, stay_params())])


def test_staff_see_only_their_territorys_orders(
    client, settings, world, editor, finance, elsewhere
):
    settings.ALLOWED_HOSTS = ["testserver", "autre.example"]
    far_booking = elsewhere.bookings.get()
    for person in (editor, finance):
        client.force_login(person)
        assert elsewhere.reference not in order_refs(client)
        assert elsewhere.reference not in order_refs(client, q=elsewhere.reference)
        assert far_booking.reference not in listed(client)
        assert client.get(reverse("orders:inspect", args=[elsewhere.pk])).status_code == 404
        assert client.get(reverse("bookings:inspect", args=[far_booking.pk])).status_code == 404
        # The other territory's admin shows it, and not this one's.
        other = client.get(ORDERS, HTTP_HOST="autre.example")
        assert {o.reference for o in other.context["object_list"]} == {elsewhere.reference}


def test_providers_cannot_reach_orders(client, world):
    client.force_login(world["alice"])
    assert refused(client.get(ORDERS))
    # The order exists, but not for her: the same answer as an order that does not.
    for order in (world["order"], world["later"]):
        response = client.get(reverse("orders:inspect", args=[order.pk]))
        assert response.status_code == 404 or refused(response)
    menu = client.get("/admin/").content.decode()
    assert BOOKINGS in menu and ORDERS not in menu


# --- A provider's statement -------------------------------------------------------------


def test_member_reads_own_statement_only(client, world):
    camping, farm = world["camping"], world["farm"]
    client.force_login(world["alice"])
    response = client.get(STATEMENT)
    assert response.status_code == 200
    body = response.content.decode()
    assert response.context["provider"] == camping
    assert response.context["owed_now"] == 3600 + 21600  # both nets, owed to Camping
    assert world["mine"].reference in body and world["chalet_booking"].reference in body
    assert world["theirs"].reference not in body
    assert client.get(STATEMENT, {"provider": farm.pk}).status_code == 404
    assert client.get(STATEMENT, {"provider": "x"}).status_code == 404
    # A period that ends before it starts: a message, the default period.
    bad = client.get(STATEMENT, {"since": "2030-01-10", "until": "2030-01-01"})
    assert bad.status_code == 200
    assert "La fin de la période est avant son début." in bad.content.decode()
    # The bookings' days only: nothing happened in the year 2000.
    empty = client.get(STATEMENT, {"since": "2000-01-01", "until": "2000-12-31"})
    assert empty.context["lines"] == [] and empty.context["closing"] == 0


def test_finance_reads_any_providers_statement_nobody_else_does(client, world, finance, editor):
    client.force_login(finance)
    response = client.get(STATEMENT, {"provider": world["farm"].pk})
    assert response.status_code == 200
    assert response.context["owed_now"] == world["theirs"].provider_net
    client.force_login(editor)
    assert refused(client.get(STATEMENT))
    client.force_login(world["visitor"])
    assert refused(client.get(STATEMENT))
