"""A person's data: the JSON export (theirs only) and the deletion of their account
(personal data erased; amounts, bookings and the ledger kept)."""

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.accounts import AccountEraseError, account_erase
from marketplace.books.models import LedgerEntry, LedgerTransaction
from marketplace.books.selectors import balances
from marketplace.models import (
    Booking,
    BookingStatus,
    Cart,
    Order,
    ProviderMembership,
    Refund,
)
from tests import factories
from tests.booking_helpers import activity_in, book, shared_rules
from tests.conftest import make_provider, make_user, reauthenticate

DAY = dt.timedelta(days=1)
User = get_user_model()


@pytest.fixture(autouse=True)
def _french_first():
    with translation.override("fr"):
        yield


@pytest.fixture
def club(territory, category):
    shared_rules(territory)
    return make_provider(territory, name="Canoë Club", category=category)


def cancel(client, booking, reason=""):
    return client.post(reverse("my_booking_cancel", args=[booking.reference]), {"reason": reason})


def ledger_snapshot():
    return sorted(
        LedgerEntry.objects.values_list(
            "transaction__idempotency_key", "account", "amount", "transaction__memo"
        )
    )


# --- Export --------------------------------------------------------------------------------


def test_export_needs_a_signed_in_person(client, territory):
    response = client.get(reverse("my_data_export"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_export_asks_to_reauthenticate_first(client, visitor):
    """Card digits, addresses, sessions' IPs: a session left open somewhere is not enough."""
    client.force_login(visitor)
    response = client.get(reverse("my_data_export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(client)
    response = client.get(reverse("my_data_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")


def test_export_is_a_json_download_of_their_data_only(client, club, visitor):
    visitor.first_name, visitor.last_name = "Camille", "Durand"
    visitor.save()
    mine = activity_in(club, ahead=10 * DAY, policy="moderate", title="Descente")
    theirs = activity_in(club, ahead=10 * DAY, policy="moderate", title="Autre sortie")
    book(visitor, mine, slot=mine.slots.get().pk, persons=2)
    other = make_user("voisine@example.org")
    other_order = book(other, theirs)
    client.force_login(visitor)
    booking = Booking.objects.get(offer=mine)
    cancel(client, booking, reason="Changement de programme")

    reauthenticate(client)  # the export asks for it (allauth)
    response = client.get(reverse("my_data_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    # Private: Django's never_cache says both words (and more), never only one.
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}
    data = json.loads(response.content)
    assert data["account"]["email"] == visitor.email
    assert data["account"]["first_name"] == "Camille"
    assert data["account"]["date_joined"]
    assert data["email_addresses"] == [{"email": visitor.email, "verified": True, "primary": True}]
    [order] = data["orders"]
    assert order["total"] == 6799 and order["currency"] == "EUR"
    [exported] = order["bookings"]
    assert exported["reference"] == booking.reference
    assert exported["price"] == 6666 and exported["service_fee"] == 133
    assert exported["total"] == 6799
    assert exported["commission_shares"] == [
        {"beneficiary": "Fonds local", "amount": 280},
        {"beneficiary": "Office de tourisme", "amount": 186},
    ]
    assert exported["status"] == BookingStatus.CANCELLED_BY_VISITOR
    assert exported["cancel_reason"] == "Changement de programme"
    assert [r["amount"] for r in exported["refunds"]] == [6799]
    text = response.content.decode()
    assert "voisine@example.org" not in text
    assert other_order.reference not in text and "Autre sortie" not in text


# --- Deletion ------------------------------------------------------------------------------


def test_delete_page_in_french_and_english(client, visitor, territory):
    client.force_login(visitor)
    reauthenticate(client)  # deleting asks for it (allauth)
    french = client.get(reverse("account_delete"))
    assert french.status_code == 200
    html = french.content.decode()
    assert "Supprimer mon compte" in html and 'name="csrfmiddlewaretoken"' in html
    english = client.get("/en/compte/supprimer/")
    assert "Delete my account" in english.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"email": "quelquun@example.org", "confirm": "on"},
        {"email": "visiteur@example.org"},
        {},
    ],
)
def test_deletion_must_be_deliberate(client, visitor, territory, data):
    client.force_login(visitor)
    reauthenticate(client)  # deleting asks for it (allauth)
    response = client.post(reverse("account_delete"), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert User.objects.filter(pk=visitor.pk, is_active=True).exists()
    assert EmailAddress.objects.filter(user=visitor).exists()


def test_deletion_erases_personal_data_and_keeps_amounts_and_the_ledger(client, club, visitor):
    past = activity_in(club, ahead=10 * DAY, policy="moderate", title="Passée")
    dropped = activity_in(club, ahead=10 * DAY, policy="strict", title="Annulée")
    goods = factories.product(club, title="Miel", price_per_item=850)
    book(visitor, past)
    book(visitor, dropped)
    book(visitor, goods)  # click and collect: no date, does not hold the deletion back
    Booking.objects.filter(offer=past).update(
        start=timezone.localdate() - 3 * DAY, starts_at=timezone.now() - 3 * DAY
    )
    client.force_login(visitor)
    reauthenticate(client)  # deleting asks for it (allauth)
    cancel(client, Booking.objects.get(offer=dropped), reason="Mon enfant est malade")
    cart = Cart.objects.get(site=club.site, user=visitor)  # emptied by checkout, still there
    other = make_user("voisine@example.org")
    other_order = book(other, activity_in(club, ahead=5 * DAY, policy="moderate"))
    ledger = ledger_snapshot()
    sums = balances(site=club.site)
    totals = list(Order.objects.order_by("pk").values_list("pk", "total", "subtotal"))
    bookings = list(Booking.objects.order_by("pk").values_list("pk", "status", "subtotal"))
    refunds = list(Refund.objects.order_by("pk").values_list("pk", "amount"))

    response = client.post(
        reverse("account_delete"), {"email": "VISITEUR@example.org", "confirm": "on"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert not User.objects.filter(pk=visitor.pk).exists()
    assert not EmailAddress.objects.filter(email=visitor.email).exists()
    assert not Cart.objects.filter(pk=cart.pk).exists()
    orders = Order.objects.exclude(pk=other_order.pk)
    assert orders.count() == 3
    assert all(o.email == "" and o.anonymised and o.user_id is None for o in orders)
    cancelled = Booking.objects.get(offer=dropped)
    assert cancelled.cancel_reason == "" and cancelled.refunds.get().reason == ""
    assert visitor.email not in json.dumps(list(Order.objects.values()), default=str)
    # Amounts, bookings, refunds and the ledger are kept as they were.
    assert ledger_snapshot() == ledger
    assert balances(site=club.site) == sums
    assert list(Order.objects.order_by("pk").values_list("pk", "total", "subtotal")) == totals
    assert list(Booking.objects.order_by("pk").values_list("pk", "status", "subtotal")) == bookings
    assert list(Refund.objects.order_by("pk").values_list("pk", "amount")) == refunds
    # Someone else's order is untouched, and the person is signed out.
    other_order.refresh_from_db()
    assert other_order.email == "voisine@example.org" and other_order.user == other
    assert client.get(reverse("my_bookings")).status_code == 302


def test_deletion_is_refused_while_something_is_still_to_come(client, club, visitor):
    book(visitor, activity_in(club, ahead=10 * DAY, policy="moderate"))
    client.force_login(visitor)
    reauthenticate(client)  # deleting asks for it (allauth)
    page = client.get(reverse("account_delete"))
    assert "encore à venir" in page.content.decode()
    response = client.post(reverse("account_delete"), {"email": visitor.email, "confirm": "on"})
    assert response.status_code == 400
    assert User.objects.filter(pk=visitor.pk).exists()
    assert Order.objects.get().email == visitor.email


def test_deletion_is_refused_while_an_order_awaits_payment(club, visitor):
    book(visitor, activity_in(club, ahead=10 * DAY, policy="moderate"), pay=False)
    with pytest.raises(AccountEraseError, match="attente de paiement"):
        account_erase(user=visitor)
    assert User.objects.filter(pk=visitor.pk).exists()


def test_staff_accounts_are_deleted_by_an_administrator(territory):
    staff = make_user("equipe@example.org", is_staff=True)
    with pytest.raises(AccountEraseError):
        account_erase(user=staff)
    assert User.objects.get(pk=staff.pk).is_active


def test_a_provider_member_is_deactivated_and_scrubbed(club, territory):
    member = make_user("gerante@example.org", first_name="Alex")
    ProviderMembership.objects.create(provider=club, user=member)
    order = book(member, activity_in(club, ahead=10 * DAY, policy="moderate"))
    Booking.objects.filter(order=order).update(status=BookingStatus.COMPLETED)
    ledger = ledger_snapshot()

    deleted = account_erase(user=member)
    assert deleted is False
    member.refresh_from_db()
    assert not member.is_active and not member.has_usable_password()
    assert (member.email, member.first_name, member.username) == ("", "", f"deleted-{member.pk}")
    assert not ProviderMembership.objects.filter(user=member).exists()
    assert not EmailAddress.objects.filter(user=member).exists()
    order.refresh_from_db()
    assert order.email == "" and order.anonymised and order.user is None
    assert ledger_snapshot() == ledger
    assert LedgerTransaction.objects.count() == 1


def test_a_territory_team_member_is_scrubbed_not_deleted(editor):
    assert account_erase(user=editor) is False
    editor.refresh_from_db()
    assert not editor.is_active and editor.email == "" and not editor.groups.exists()
