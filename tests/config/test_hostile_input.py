"""The server errors an audit found with hostile input, one test each.

A NUL byte, an integer past 64 bits or a date at the end of the calendar is a 400 or a
404 (or a form error), never a 500, on SQLite and on PostgreSQL (where a NUL byte in a
string lookup is an error of the driver). ``tests/config/test_url_walk.py`` walks every URL
pattern with such values; these pin down each finding.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.booking_helpers import activity_in, book, shared_rules
from tests.conftest import make_provider, make_user
from tests.snapshots import Replay

DAY = dt.timedelta(days=1)


def build_club(territory, category):
    shared_rules(territory)
    return make_provider(territory, name="Canoë Club", category=category)


club_replay = Replay(build_club)


@pytest.fixture
def club(territory, category):
    """``build_club``, built once and then replayed (tests/snapshots.py)."""
    return club_replay(territory, category)


def build_offer(club):
    return activity_in(club, ahead=10 * DAY, policy="moderate", title="Descente")


offer_replay = Replay(build_offer)


@pytest.fixture
def offer(club):
    """``build_offer``, built once and then replayed (tests/snapshots.py)."""
    return offer_replay(club)


@pytest.fixture
def superuser(territory):
    return get_user_model().objects.create_superuser(
        username="root", email="root@example.org", password="correct-horse-battery"
    )


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/commandes/%00/"),
        ("get", "/mes-reservations/%00/"),
        ("get", "/mes-reservations/%00/annuler/"),
        ("post", "/mes-reservations/%00/annuler/"),
        ("post", "/paiement/test/%00/"),
        ("get", "/paiement/stripe/%00/"),
        ("get", "/paiement/stripe/%00/annule/"),
        ("get", "/en/commandes/C-%00AAAAAA/"),
    ],
)
def test_a_nul_byte_in_a_reference_is_a_bad_request(visitor, territory, offer, method, path):
    book(visitor, offer)
    response = getattr(_client(visitor), method)(path)
    assert response.status_code == 400


def test_a_nul_byte_in_a_stripe_event_id_is_a_bad_request(superuser):
    response = _client(superuser).get("/admin/stripe_events/inspect/evt_%00/")
    assert response.status_code == 400


def test_a_nul_byte_in_a_query_string_is_a_bad_request(territory):
    response = _client().get("/api/offers/", {"q": "miel\x00"})
    assert response.status_code == 400


def test_a_statement_up_to_the_last_day_of_the_calendar_is_a_form_error(superuser, club):
    response = _client(superuser).get(
        "/admin/provider_statement/", {"provider": club.pk, "until": "9999-12-31"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["until"]


def test_the_page_preview_read_without_a_posted_form_is_no_error(superuser, offer):
    response = _client(superuser).get(f"/admin/pages/{offer.pk}/edit/preview/")
    assert response.status_code < 500


@pytest.mark.parametrize("offer_id", ["9223372036854775808", "99999999999999999999"])
def test_adding_an_offer_id_past_64_bits_is_not_found(territory, offer_id):
    response = _client().post(f"/panier/ajouter/{offer_id}/", {"quantity": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["-99999999999999999999", "9223372036854775808"])
def test_a_booking_filter_on_an_offer_id_past_64_bits_is_a_form_error(
    superuser, offer, visitor, value
):
    book(visitor, offer)
    response = _client(superuser).get("/admin/bookings/", {"offer": value})
    assert response.status_code == 200
    assert response.context["filters"].errors["offer"]


def test_a_booking_filter_on_a_real_offer_still_filters(superuser, offer, club, visitor):
    book(visitor, offer)
    other = activity_in(club, ahead=12 * DAY, policy="moderate", title="Randonnée")
    book(make_user("autre@example.org"), other)
    response = _client(superuser).get("/admin/bookings/", {"offer": offer.pk})
    assert response.status_code == 200
    shown = {booking.offer_id for booking in response.context["object_list"]}
    assert shown == {offer.pk}


@pytest.mark.parametrize(
    "path,query",
    [
        ("/admin/users/", {"group": "9223372036854775808"}),
        ("/admin/images/chooser/chosen-multiple/", {"id": "-99999999999999999999"}),
        ("/admin/pages/", {"content_type": "99999999999999999999"}),
    ],
)
def test_an_integer_past_64_bits_in_wagtails_own_views_is_no_error(superuser, path, query):
    """SQLite's driver cannot bind it; it is sent so that it matches nothing, as on
    PostgreSQL (``marketplace.ids``)."""
    response = _client(superuser).get(path, query)
    assert response.status_code < 500


@pytest.mark.parametrize(
    "path,ordering",
    [
        ("/admin/snippets/commissions/beneficiary/", "name"),
        ("/admin/snippets/commissions/beneficiary/", "-key"),
        ("/admin/snippets/commissions/beneficiary/", "active"),
        ("/admin/snippets/commissions/distributionkey/", "-name"),
        ("/admin/snippets/commissions/distributionkey/", "site"),
        ("/admin/snippets/commissions/commissionrule/", "name"),
        ("/admin/snippets/commissions/commissionrule/", "-valid_until"),
        ("/admin/snippets/commissions/commissionrule/", "distribution"),
    ],
)
def test_a_search_sorted_by_a_column_of_the_commission_listings(superuser, path, ordering):
    response = _client(superuser).get(path, {"q": "fonds", "ordering": ordering})
    assert response.status_code == 200


def test_connecting_a_payout_account_without_stripe_says_so(settings, territory, category):
    """The demo runs the dev gateway: pressing "connect" is a message, not a 500."""
    from django.contrib.messages import get_messages

    settings.STRIPE_SECRET_KEY = ""
    member = make_user("membre@example.org")
    provider = make_provider(territory, name="Camping", category=category, member=member)
    client = _client(member)
    response = client.post(f"/admin/payout_account/{provider.pk}/connect/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/payout_account/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Les virements par Stripe ne sont pas encore mis en place sur cette plateforme."
    ]
    provider.refresh_from_db()
    assert provider.stripe_account_id == ""
