"""Booking e-mails: in the person's language (providers' in French), text and HTML, with
each booking's breakdown, "dont X € pour <bénéficiaire>" to the cent, and absolute links."""

import datetime as dt
import html

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from commissions.money import format_cents
from marketplace.models import Booking, Order, OrderStatus
from marketplace.orders.transitions import booking_cancel, holds_expire, order_pay
from tests.booking_helpers import activity_in, book, shared_rules
from tests.conftest import make_provider, make_user

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _french_first():
    with translation.override("fr"):
        yield


@pytest.fixture
def club(territory, category):
    shared_rules(territory)
    return make_provider(territory, name="Canoë Club", category=category, email="club@example.org")


def html_of(message) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html.unescape(content)


def paid(visitor, offer, capture, *, language: str, persons: int = 2) -> Order:
    with capture(execute=True):
        return book(visitor, offer, language=language, slot=offer.slots.get().pk, persons=persons)


def test_french_confirmation_and_the_providers_mail(
    club, visitor, mailoutbox, django_capture_on_commit_callbacks
):
    offer = activity_in(club, ahead=10 * DAY, policy="moderate", title="Descente")
    order = paid(visitor, offer, django_capture_on_commit_callbacks, language="fr")
    booking = order.bookings.get()
    assert booking.allocations == {"fonds": 280, "ot": 186}
    by_recipient = {tuple(m.to): m for m in mailoutbox}
    confirmation = by_recipient[(visitor.email,)]
    provider_mail = by_recipient[("club@example.org",)]

    assert confirmation.subject == f"Votre réservation est confirmée (commande {order.reference})"
    link = f"{settings.PUBLIC_URL}/mes-reservations/{booking.reference}/"
    for body in (confirmation.body, html_of(confirmation)):
        assert f"dont {format_cents(280)} pour Fonds local" in body
        assert f"dont {format_cents(186)} pour Office de tourisme" in body
        assert format_cents(6799) in body and format_cents(133) in body
        assert "Remboursement intégral jusqu'à 5 jours avant le début" in body
        assert link in body
        assert "Descente" in body
    assert '<html lang="fr">' in html_of(confirmation)

    assert provider_mail.subject == (
        f"Nouvelle réservation pour Canoë Club (commande {order.reference})"
    )
    for body in (provider_mail.body, html_of(provider_mail)):
        assert format_cents(booking.provider_net) in body  # 66,66 − 3,33 = 63,33 €
        assert booking.provider_net == 6333
        assert "2 personnes" in body
        assert visitor.email in body


def test_english_order_gets_english_mails_and_the_provider_french_ones(
    club, mailoutbox, django_capture_on_commit_callbacks
):
    traveller = make_user("traveller@example.org")
    offer = activity_in(club, ahead=10 * DAY, policy="strict", title="Canoe trip")
    order = paid(traveller, offer, django_capture_on_commit_callbacks, language="en")
    booking = order.bookings.get()
    by_recipient = {tuple(m.to): m for m in mailoutbox}
    confirmation = by_recipient[("traveller@example.org",)]

    assert confirmation.subject == f"Your booking is confirmed (order {order.reference})"
    for body in (confirmation.body, html_of(confirmation)):
        assert "of which €2.80 to Fonds local" in body
        assert "of which €1.86 to Office de tourisme" in body
        assert "50 % refund until 7 days before the start" in body
        assert f"{settings.PUBLIC_URL}/en/mes-reservations/{booking.reference}/" in body
    assert '<html lang="en">' in html_of(confirmation)
    provider_mail = by_recipient[("club@example.org",)]
    assert provider_mail.subject.startswith("Nouvelle réservation pour Canoë Club")
    assert '<html lang="fr">' in html_of(provider_mail)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_cancellation_mails_tell_both_the_refund(
    client, club, mailoutbox, django_capture_on_commit_callbacks, language
):
    person = make_user(f"annule-{language}@example.org")
    offer = activity_in(club, ahead=2 * DAY, policy="moderate", title="Descente")
    order = paid(person, offer, django_capture_on_commit_callbacks, language=language, persons=1)
    booking = order.bookings.get()
    mailoutbox.clear()
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("my_booking_cancel", args=[booking.reference]), {"reason": "Pluie"})
    refund = booking.refunds.get()
    assert refund.amount == 1700  # 50 % of 34,00 €
    by_recipient = {tuple(m.to): m for m in mailoutbox}
    visitor_mail = by_recipient[(person.email,)]
    provider_mail = by_recipient[("club@example.org",)]
    amount = format_cents(1700, language=language)
    if language == "fr":
        assert visitor_mail.subject == f"Réservation annulée : Descente ({booking.reference})"
        expected = f"Remboursement : {amount}"
    else:
        assert visitor_mail.subject == f"Booking cancelled: Descente ({booking.reference})"
        expected = f"Refund: {amount}"
    for body in (visitor_mail.body, html_of(visitor_mail)):
        assert expected in body
    assert provider_mail.subject == f"Réservation annulée : Descente ({booking.reference})"
    for body in (provider_mail.body, html_of(provider_mail)):
        assert format_cents(1700) in body and "50 %" in body and "Pluie" in body


def test_a_provider_cancellation_says_so_and_refunds_in_full(
    club, visitor, mailoutbox, django_capture_on_commit_callbacks
):
    offer = activity_in(club, ahead=2 * DAY, policy="strict")
    order = paid(visitor, offer, django_capture_on_commit_callbacks, language="fr", persons=1)
    booking = order.bookings.get()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=booking.pk, by_provider=True, reason="Crue de la rivière")
    visitor_mail = next(m for m in mailoutbox if m.to == [visitor.email])
    assert "Canoë Club a dû annuler votre réservation" in visitor_mail.body
    assert "Crue de la rivière" in visitor_mail.body
    assert f"Remboursement : {format_cents(3400)}" in visitor_mail.body


def test_a_late_payment_refunded_is_told_in_the_orders_language(
    club, mailoutbox, django_capture_on_commit_callbacks
):
    late = make_user("tard@example.org")
    offer = activity_in(club, ahead=10 * DAY, policy="moderate", title="Descente")
    offer.slots.update(places=1)
    order = book(late, offer, language="fr", pay=False)
    holds_expire(now=timezone.now() + dt.timedelta(hours=1))
    book(make_user("rapide@example.org"), offer)  # takes the only place
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_pay(order_id=order.pk, payment_ref="late")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    [message] = mailoutbox
    assert message.to == ["tard@example.org"]
    assert message.subject.startswith("Paiement remboursé")
    assert format_cents(order.total) in message.body and "Descente" in message.body
    assert format_cents(order.total) in html_of(message)
    assert Booking.objects.filter(order=order, refunded=order.total).exists()
