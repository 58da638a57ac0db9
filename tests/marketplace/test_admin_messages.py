"""Every admin message a provider reads says what really happened (issue 14).

Each test here is a message that claimed something that did not happen: an offer
scheduled for later announced as "submitted for moderation", a free booking's
cancellation announced as "already cancelled", a refund asked of the payment provider
announced as done, bank details submitted "while transfers go to the details in force"
when there are none.
"""

import datetime as dt
import html

import pytest
from django.contrib.messages import constants
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from tests.commissions.test_commission_messages import (
    build_member,
    lands_cleanly,
    messages_of,
    texts,
)
from tests.marketplace.test_workflow import require_approval
from tests.snapshots import Replay

member_replay = Replay(build_member)


@pytest.fixture(params=["fr", "en"])
def language(request):
    return request.param


@pytest.fixture
def member(territory, category, language):
    return member_replay(territory, category, language)


@pytest.fixture
def provider_page(member):
    from cms.models import ProviderPage

    return ProviderPage.objects.get(provider__applied_by=member)


# --- An offer submitted with a go-live date ---------------------------------------------


def submit_offer_response(client, parent, **extra):
    """A member's new activity, submitted through the admin's real form."""
    from tests.config.test_admin_isolation import add_form

    data = add_form(client, "activityofferpage", parent)
    data.update(
        {
            "title": "Descente en canoë",
            "slug": "descente",
            "summary": "Huit kilomètres entre les gorges.",
            "price_per_person": "25",
            "duration_minutes": "180",
            "places_per_slot": "12",
            "action-submit": "1",
            **extra,
        }
    )
    url = reverse("wagtailadmin_pages:add", args=("marketplace", "activityofferpage", parent.pk))
    return client.post(url, data)


def test_offer_scheduled_for_later_is_announced_with_its_date(
    client, territory, member, provider_page, language
):
    """The workflow passes on its own and publishes the revision for its go-live date:
    nobody moderates it, and visitors see it only from then on."""
    require_approval(territory, False)
    client.force_login(member)
    go_live = (timezone.localtime() + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    response = submit_offer_response(
        client, provider_page, go_live_at=go_live.strftime("%Y-%m-%d %H:%M")
    )
    from marketplace.models import ActivityOfferPage

    offer = ActivityOfferPage.objects.get(slug="descente")
    assert not offer.live and offer.scheduled_revision is not None
    with translation.override(language):
        when = date_format(timezone.localtime(go_live), "DATETIME_FORMAT")
    assert texts(response) == [
        {
            "fr": f"La page « Descente en canoë » sera publiée le {when} : les visiteurs "
            "la verront à partir de cette date.",
            "en": f"The page “Descente en canoë” will be published on {when}: visitors "
            "will see it from then on.",
        }[language]
    ]
    assert not [m for m in messages_of(response) if "modération" in m[1] or "moderation" in m[1]]
    lands_cleanly(client, response)


def test_changes_scheduled_for_later_say_the_live_page_stays_until_then(
    client, territory, member, provider_page, language
):
    from marketplace.models import ActivityOfferPage
    from tests.config.test_admin_isolation import edit_form

    require_approval(territory, False)
    client.force_login(member)
    submit_offer_response(client, provider_page)
    offer = ActivityOfferPage.objects.get(slug="descente")
    assert offer.live
    go_live = (timezone.localtime() + dt.timedelta(days=5)).replace(second=0, microsecond=0)
    data = edit_form(client, offer)
    data.update(
        {
            "summary": "Dix kilomètres.",
            "go_live_at": go_live.strftime("%Y-%m-%d %H:%M"),
            "action-submit": "1",
        }
    )
    response = client.post(reverse("wagtailadmin_pages:edit", args=[offer.pk]), data)
    offer.refresh_from_db()
    assert offer.live and offer.summary == "Huit kilomètres entre les gorges."
    with translation.override(language):
        when = date_format(timezone.localtime(go_live), "DATETIME_FORMAT")
    assert texts(response) == [
        {
            "fr": f"Les modifications de la page « Descente en canoë » seront publiées le "
            f"{when} ; d'ici là, les visiteurs voient la page telle qu'elle est.",
            "en": f"The changes to the page “Descente en canoë” will be published on {when}; "
            "until then, visitors see the page as it is.",
        }[language]
    ]


# --- A provider cancels a booking -------------------------------------------------------


def build_bookings(territory, category, language):
    from commissions.rules_io import rules_import
    from tests import factories
    from tests.commissions.test_commission_messages import speaking
    from tests.conftest import make_provider, make_user
    from tests.marketplace.orders.test_booking_admin import RULES, book, stay_params

    rules_import(site=territory, data=RULES, publish=True)
    alice = speaking(make_user("alice@example.org"), language)
    camping = make_provider(territory, name="Camping des Pins", category=category, member=alice)
    pitch = factories.stay(camping, title="Emplacement tente", units=5, price_per_night=2000)
    gift = factories.product(camping, title="Plan du camping", price_per_item=0, stock=50)
    visitor = make_user("visiteur@example.org")
    paid = book(user=visitor, lines=[(pitch, stay_params())]).bookings.get()
    free = book(user=visitor, lines=[(gift, {"quantity": "1"})]).bookings.get()
    return {"alice": alice, "paid": paid, "free": free}


bookings_replay = Replay(build_bookings)


@pytest.fixture
def bookings(territory, category, language):
    return bookings_replay(territory, category, language)


def cancel(client, booking):
    return client.post(reverse("bookings:cancel", args=[booking.pk]), {"reason": "Inondation"})


def test_a_cancelled_booking_says_its_refund_is_on_its_way(client, bookings, language):
    from commissions.money import money

    booking = bookings["paid"]
    client.force_login(bookings["alice"])
    response = cancel(client, booking)
    booking.refresh_from_db()
    assert booking.status == "cancelled_by_provider" and booking.refunded == 4200
    with translation.override(language):
        amount = money(4200, "EUR").replace("\u00a0", " ")  # as messages_of reads it
    assert texts(response) == [
        {
            "fr": f"La réservation {booking.reference} est annulée ; {amount} seront "
            "remboursés sur le moyen de paiement du visiteur.",
            "en": f"Booking {booking.reference} is cancelled; {amount} will be refunded to "
            "the visitor's means of payment.",
        }[language]
    ]
    # Cancelling it again changes nothing, and says so.
    again = cancel(client, booking)
    assert texts(again, constants.WARNING) == [
        {
            "fr": "Cette réservation était déjà annulée.",
            "en": "This booking was already cancelled.",
        }[language]
    ]
    assert texts(again) == []


def test_a_free_booking_cancelled_is_not_called_already_cancelled(client, bookings, language):
    booking = bookings["free"]
    assert booking.visitor_total == 0
    client.force_login(bookings["alice"])
    response = cancel(client, booking)
    booking.refresh_from_db()
    assert booking.status == "cancelled_by_provider" and booking.refunded == 0
    assert messages_of(response) == [
        (
            constants.SUCCESS,
            {
                "fr": f"La réservation {booking.reference} est annulée. Rien n'a été payé "
                "pour elle : il n'y a rien à rembourser.",
                "en": f"Booking {booking.reference} is cancelled. Nothing was paid for it: "
                "there is nothing to refund.",
            }[language],
        )
    ]


def test_a_free_bookings_cancel_page_promises_no_refund(client, bookings, language):
    client.force_login(bookings["alice"])

    def page(booking):
        url = reverse("bookings:cancel", args=[booking.pk])
        return html.unescape(client.get(url).content.decode())

    free, paid = page(bookings["free"]), page(bookings["paid"])
    nothing = {
        "fr": "Rien n'a été payé pour cette réservation : il n'y a rien à rembourser.",
        "en": "Nothing was paid for this booking: there is nothing to refund.",
    }[language]
    refund_button = {
        "fr": "Annuler la réservation et rembourser le visiteur",
        "en": "Cancel the booking and refund the visitor",
    }[language]
    assert nothing in free and refund_button not in free
    assert nothing not in paid and refund_button in paid


def test_a_free_bookings_cancellation_tells_the_visitor_nothing_was_paid(
    client, bookings, language, mailoutbox, django_capture_on_commit_callbacks
):
    """The visitor's e-mail does not invoke a policy that refused a refund: nothing was
    paid. Nor does the message a visitor gets when cancelling a free booking themselves."""
    from marketplace.models import Booking

    nothing = {
        "fr": "Rien n'a été payé pour cette réservation : il n'y a rien à rembourser.",
        "en": "Nothing was paid for this booking: there is nothing to refund.",
    }[language]
    free = bookings["free"]
    free.order.language = language
    free.order.save(update_fields=["language"])
    client.force_login(bookings["alice"])
    with django_capture_on_commit_callbacks(execute=True):
        cancel(client, free)
    [mail] = [m for m in mailoutbox if m.to == [free.order.email]]
    [(body_html, _type)] = mail.alternatives
    for body in (mail.body, html.unescape(body_html)):
        assert nothing in body and "no refund" not in body and "aucun remboursement" not in body

    # The visitor cancels another free booking from their account.
    from tests.marketplace.orders.test_booking_admin import book

    gift = Booking.objects.get(pk=free.pk).offer.specific
    visitor = free.order.user
    other = book(user=visitor, lines=[(gift, {"quantity": "1"})]).bookings.get()
    client.force_login(visitor)
    with translation.override(language):
        url = reverse("my_booking_cancel", args=[other.reference])
    response = client.post(url, {"reason": ""}, follow=True)
    other.refresh_from_db()
    assert other.is_cancelled
    said = [str(m) for m in response.context["messages"]]
    assert said[-1:] == [
        {
            "fr": "Votre réservation est annulée. Rien n'a été payé pour elle : il n'y a "
            "rien à rembourser.",
            "en": "Your booking is cancelled. Nothing was paid for it: there is nothing to refund.",
        }[language]
    ]
