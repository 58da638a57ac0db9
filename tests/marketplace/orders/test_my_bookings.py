""" "Mes réservations": the sections, a booking's frozen breakdown, cancelling under its policy."""

import datetime as dt
import html as html_lib

import pytest
from django.contrib.messages import get_messages
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone, translation

from commissions.money import format_cents
from marketplace.books.models import LedgerEntry, LedgerTransaction
from marketplace.models import Booking, BookingStatus, Refund
from marketplace.orders import transitions
from tests import factories
from tests.booking_helpers import activity_in, book, shared_rules
from tests.conftest import make_provider, make_user
from tests.snapshots import Replay

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _french_first():
    """Requests leave their language active in the thread: start each test in French."""
    with translation.override("fr"):
        yield


def build_club(territory, category):
    shared_rules(territory)
    return make_provider(territory, name="Canoë Club", category=category)


club_replay = Replay(build_club)


@pytest.fixture
def club(territory, category):
    """``build_club``, built once and then replayed (tests/snapshots.py)."""
    return club_replay(territory, category)


def fr(cents: int) -> str:
    return format_cents(cents, language="fr")


def text_of(response) -> str:
    """The page's HTML with entities decoded (apostrophes are escaped in it)."""
    return html_lib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_pages_need_a_signed_in_person(client, territory):
    for name, args in [
        ("my_bookings", []),
        ("my_booking", ["R-AAAAAAAA"]),
        ("my_booking_cancel", ["R-AAAAAAAA"]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_sections_in_french_and_english(client, club, visitor):
    coming = activity_in(club, ahead=10 * DAY, policy="moderate", title="Descente")
    over = activity_in(club, ahead=12 * DAY, policy="moderate", title="Randonnée")
    dropped = activity_in(club, ahead=14 * DAY, policy="flexible", title="Escalade")
    unpaid = activity_in(club, ahead=16 * DAY, policy="moderate", title="Spéléo")
    for offer in (coming, over, dropped):
        book(visitor, offer)
    book(visitor, unpaid, pay=False)
    past = Booking.objects.get(offer=over)
    Booking.objects.filter(pk=past.pk).update(
        start=timezone.localdate() - 3 * DAY, starts_at=timezone.now() - 3 * DAY
    )
    client.force_login(visitor)
    cancelled = Booking.objects.get(offer=dropped)
    client.post(reverse("my_booking_cancel", args=[cancelled.reference]))

    response = client.get(reverse("my_bookings"))
    assert response.status_code == 200
    # Private: Django's never_cache says both words (and more), never only one.
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}
    sections = response.context["sections"]
    assert [b.offer_title for b in sections.upcoming] == ["Descente"]
    assert [b.offer_title for b in sections.past] == ["Randonnée"]
    assert [b.offer_title for b in sections.cancelled] == ["Escalade"]
    assert [b.offer_title for b in sections.unpaid] == ["Spéléo"]
    html = text_of(response)
    assert '<html lang="fr"' in html
    for text in ("Mes réservations", "À venir", "Passées", "Annulées", "en attente de paiement"):
        assert text in html
    assert reverse("my_booking", args=[sections.upcoming[0].reference]) in html

    english = client.get("/en/mes-reservations/")
    html = text_of(english)
    assert english.status_code == 200 and '<html lang="en"' in html
    for text in ("My bookings", "Upcoming", "Past", "Cancelled", "awaiting payment"):
        assert text in html


def test_detail_shows_the_frozen_breakdown_and_the_policy(client, club, visitor):
    offer = activity_in(club, ahead=10 * DAY, policy="moderate")
    book(visitor, offer, slot=offer.slots.get().pk, persons=2)
    booking = Booking.objects.get()
    # Later price changes never touch what was sold.
    offer.price_per_person = 9900
    offer.save_revision().publish()
    client.force_login(visitor)

    response = client.get(reverse("my_booking", args=[booking.reference]))
    html = text_of(response)
    assert response.status_code == 200
    # 2 × 33,33 € = 66,66 €; fee 2 % = 1,33 €; commission 1,33 + 3,33 = 4,66 € split 60/40.
    assert booking.visitor_total == 6799 and booking.allocations == {"fonds": 280, "ot": 186}
    for cents in (6666, 133, 6799):
        assert fr(cents) in html
    assert f"dont {fr(280)} pour Fonds local" in html
    assert f"dont {fr(186)} pour Office de tourisme" in html
    assert fr(19800) not in html
    assert "Remboursement intégral jusqu'à 5 jours avant le début" in html
    assert reverse("my_booking_cancel", args=[booking.reference]) in html

    english = client.get(f"/en/mes-reservations/{booking.reference}/")
    assert "of which €2.80 to Fonds local" in text_of(english)


def test_another_persons_booking_is_not_found(client, club, visitor):
    offer = activity_in(club, ahead=10 * DAY, policy="flexible")
    book(visitor, offer)
    booking = Booking.objects.get()
    client.force_login(make_user("autre@example.org"))

    assert client.get(reverse("my_booking", args=[booking.reference])).status_code == 404
    assert client.get(reverse("my_booking_cancel", args=[booking.reference])).status_code == 404
    response = client.post(reverse("my_booking_cancel", args=[booking.reference]))
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and not Refund.objects.exists()
    assert client.get(reverse("my_bookings")).context["sections"].empty


@pytest.mark.parametrize(
    ("policy", "ahead", "percent"),
    [
        ("moderate", 10 * DAY, 100),
        ("moderate", 2 * DAY, 50),
        ("strict", 10 * DAY, 50),
        ("strict", 3 * DAY, 0),
        ("flexible", 3 * DAY, 100),
        ("flexible", dt.timedelta(hours=12), 0),
    ],
)
def test_cancel_refunds_what_the_policy_says(client, club, visitor, policy, ahead, percent):
    offer = activity_in(club, ahead=ahead, policy=policy)
    book(visitor, offer)
    booking = Booking.objects.get()
    assert booking.visitor_total == 3400  # 33,33 € + 2 % (0,67 €)
    expected = 3400 * percent // 100
    client.force_login(visitor)

    page = client.get(reverse("my_booking_cancel", args=[booking.reference]))
    assert page.status_code == 200
    assert page.context["refund"] == expected
    html = text_of(page)
    assert 'name="csrfmiddlewaretoken"' in html
    assert (fr(expected) if expected else "vous ne récupérez rien") in html

    response = client.post(
        reverse("my_booking_cancel", args=[booking.reference]), {"reason": "Empêchement"}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED_BY_VISITOR
    assert booking.cancel_reason == "Empêchement" and booking.refunded == expected
    reversal = LedgerTransaction.objects.filter(
        booking_ref=booking.reference, reverses__isnull=False
    )
    if expected:
        refund = Refund.objects.get(booking=booking)
        visitor_entry = LedgerEntry.objects.get(transaction=reversal.get(), account="visitor")
        # What the page showed is what was refunded and what the ledger reversed.
        assert refund.amount == expected == -visitor_entry.amount
        assert fr(expected) in " ".join(messages_of(response))
    else:
        assert not Refund.objects.exists() and not reversal.exists()
    for transaction in LedgerTransaction.objects.all():
        assert sum(transaction.entries.values_list("amount", flat=True)) == 0


def test_cancelling_twice_changes_nothing(client, club, visitor, mailoutbox):
    offer = activity_in(club, ahead=10 * DAY, policy="moderate")
    book(visitor, offer)
    booking = Booking.objects.get()
    client.force_login(visitor)
    url = reverse("my_booking_cancel", args=[booking.reference])
    client.post(url)
    snapshot = (Refund.objects.count(), LedgerTransaction.objects.count(), len(mailoutbox))
    booking.refresh_from_db()

    again = client.post(url)
    assert again.status_code == 302
    assert "déjà annulée" in " ".join(messages_of(again))
    assert (Refund.objects.count(), LedgerTransaction.objects.count(), len(mailoutbox)) == snapshot
    page = client.get(url)
    assert page.context["refusal"] and "Confirmer l'annulation" not in text_of(page)
    unchanged = Booking.objects.get(pk=booking.pk)
    assert (unchanged.refunded, unchanged.cancelled_at) == (booking.refunded, booking.cancelled_at)


def test_a_booking_that_cannot_be_cancelled_gets_a_clear_message(client, club, visitor):
    started = activity_in(club, ahead=10 * DAY, policy="flexible", title="Commencée")
    held = activity_in(club, ahead=10 * DAY, policy="flexible", title="Non payée")
    book(visitor, started)
    book(visitor, held, pay=False)
    Booking.objects.filter(offer=started).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    client.force_login(visitor)
    for offer, text in [(started, "a déjà commencé"), (held, "confirmée")]:
        booking = Booking.objects.get(offer=offer)
        url = reverse("my_booking_cancel", args=[booking.reference])
        page = client.get(url)
        assert page.status_code == 200 and text in text_of(page)
        response = client.post(url)
        assert response.status_code == 302 and text in " ".join(messages_of(response))
        booking.refresh_from_db()
        assert not booking.is_cancelled
    assert not Refund.objects.exists()


def lock_fails(monkeypatch, error: OperationalError) -> None:
    """The booking's row lock fails with ``error`` (the transition's own lock helper)."""

    def row_lock(queryset):
        raise error

    monkeypatch.setattr(transitions, "row_lock", row_lock)


def lock_timeout() -> OperationalError:
    """What PostgreSQL raises when ``lock_timeout`` is reached (SQLSTATE 55P03)."""

    class Timeout(Exception):
        pgcode = "55P03"

    try:
        raise OperationalError("canceling statement due to lock timeout") from Timeout()
    except OperationalError as error:
        return error


def test_a_busy_booking_gets_the_busy_answer_and_nothing_changes(
    client, club, visitor, monkeypatch
):
    """A lock timeout is the transition's BusyError, shown like any refusal."""
    offer = activity_in(club, ahead=10 * DAY, policy="moderate")
    book(visitor, offer)
    booking = Booking.objects.get()
    client.force_login(visitor)
    lock_fails(monkeypatch, lock_timeout())
    response = client.post(reverse("my_booking_cancel", args=[booking.reference]))
    assert response.status_code == 302
    assert response["Location"] == reverse("my_booking", args=[booking.reference])
    assert messages_of(response) == [transitions.BusyError().message]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and not Refund.objects.exists()


def test_a_database_failure_is_not_passed_off_as_busy(client, club, visitor, monkeypatch):
    """Only a lock timeout or a deadlock is "try again": any other database error is a
    fault, for Django's error handling (a 500, logged), not a message."""
    offer = activity_in(club, ahead=10 * DAY, policy="moderate")
    book(visitor, offer)
    booking = Booking.objects.get()
    client.force_login(visitor)
    lock_fails(monkeypatch, OperationalError("server closed the connection unexpectedly"))
    with pytest.raises(OperationalError):
        client.post(reverse("my_booking_cancel", args=[booking.reference]))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_too_long_reason_is_refused_and_nothing_changes(client, club, visitor):
    offer = activity_in(club, ahead=10 * DAY, policy="moderate")
    book(visitor, offer)
    booking = Booking.objects.get()
    client.force_login(visitor)
    response = client.post(
        reverse("my_booking_cancel", args=[booking.reference]), {"reason": "x" * 501}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_header_links_and_anonymous_pages_stay_cacheable(client, territory, visitor):
    home = client.get("/")
    html = text_of(home)
    assert f'href="{reverse("cart")}"' in html and "Mon panier" in html
    assert reverse("my_bookings") not in html
    assert not home.cookies
    client.force_login(visitor)
    html = text_of(client.get("/"))
    assert f'href="{reverse("my_bookings")}"' in html and "Mes réservations" in html


def test_offer_page_shows_the_policy_in_words(client, club):
    offer = factories.activity(club, title="Kayak", cancellation_policy="strict")
    html = text_of(client.get(offer.url))
    assert "Stricte" in html
    assert "50 % remboursés jusqu'à 7 jours avant le début" in html


def test_my_bookings_runs_the_same_queries_for_one_booking_or_many(client, club, visitor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(visitor)
    counts = []
    for n in range(4):
        book(visitor, activity_in(club, ahead=(10 + n) * DAY, policy="moderate", title=f"O{n}"))
        client.get(reverse("my_bookings"))  # warm the per-site caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("my_bookings")).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts
