"""Adults a visitor declares exempt from the tourist tax (L. 2333-31), end to end.

The world of ``test_booking_flow`` (Saint-Martin: campsites 3–5★ 0,55 € + the
department's 10 %, a campsite whose professional host mandated the platform, a
professional's chambres d'hôtes paid on site), in a territory that lets visitors declare
seasonal workers (``TouristTaxSettings.exemption_seasonal_workers``), unless said.

- 2 adults of whom 1 declared exempt, 3 nights: half the tax of 2 adults (1,83 € instead
  of 3,66 €), frozen on the booking with the grounds offered, posted to the commune's
  account and counted among the declaration's exempt persons.
- The field is on the offer page only where the territory enables a ground and the
  platform collects the tax; its help text names exactly the grounds enabled.
- A value sent where it is not offered, or more exempt adults than adults, is refused
  with a clear message in French and English; nothing is held.
- The cart, the order page, the confirmation e-mail and the provider's booking detail say
  "dont 1 adulte exonéré" ("including 1 exempt adult").
"""

import html

import pytest
from django.db import IntegrityError, transaction

from marketplace.books.tax_declaration import declaration_for, period_between
from marketplace.models import Booking, Cart, CartLine, Order, StayNight
from marketplace.orders.cart import cart_line_add, cart_lines_priced, cart_restore
from marketplace.orders.errors import BookingError
from marketplace.orders.transitions import booking_cancel, checkout
from marketplace.stay_tax import StayNotBookable, stay_tax_for
from marketplace.tourist_tax.models import TouristTaxSettings
from tests.booking_helpers import book
from tests.conftest import make_user
from tests.marketplace.tourist_tax.test_booking_flow import (
    TAX_ACCOUNT,
    build_world,
    day,
    ledger,
    offer_page,
    stay,
    text,
    url,
    world_replay,
)
from tests.snapshots import Replay

LABEL_FR = "Adultes exonérés de la taxe de séjour"
LABEL_EN = "Adults exempt from the tourist tax"
SEASONAL_FR = "travailleurs saisonniers titulaires d'un contrat de travail dans la commune"
EMERGENCY_FR = "hébergement d'urgence ou d'un relogement temporaire"
PROOF_FR = "Le prestataire vous demandera le justificatif à l'arrivée."
NOT_OFFERED_FR = "Cet hébergement ne permet pas de déclarer des adultes exonérés"
NOT_OFFERED_EN = "This stay does not let you declare adults exempt from the tourist tax."
TOO_MANY_FR = "Il ne peut pas y avoir plus d'adultes exonérés de la taxe de séjour que d'adultes."
TOO_MANY_EN = "There cannot be more adults exempt from the tourist tax than adults."
FIELD = 'name="exempt_adults"'


def tax_settings_set(territory, **values) -> None:
    tax_settings = TouristTaxSettings.for_site(territory)
    for name, value in values.items():
        setattr(tax_settings, name, value)
    tax_settings.save()


def build_exempt_world(territory, category):
    world = build_world(territory, category)
    tax_settings_set(territory, exemption_seasonal_workers=True)
    return world


exempt_replay = Replay(build_exempt_world)


@pytest.fixture
def world(territory, category):
    return exempt_replay(territory, category)


@pytest.fixture
def plain_world(territory, category):
    """The same world in a territory that lets visitors declare nothing."""
    return world_replay(territory, category)


def nothing_held(visitor) -> bool:
    return (
        not Cart.objects.filter(user=visitor, lines__isnull=False).exists()
        and not Order.objects.exists()
        and not StayNight.objects.filter(units_taken__gt=0).exists()
    )


# --- The worked example ------------------------------------------------------------------


def test_two_adults_of_whom_one_declared_exempt_pay_half_the_tax(client, world, territory):
    """2 adults (1 exempt) and a minor, 3 nights: (0,55 + 0,06) × 1 adult × 3 nights
    = 1,83 €, half of the 3,66 € two adults pay."""
    pitch, visitor = world["pitch"], world["visitor"]
    page = text(offer_page(client, pitch, **stay(adults="2", minors="1", exempt_adults="1")))
    assert "Taxe de séjour" in page and "1,83\u00a0€" in page and "3,66\u00a0€" not in page
    order = book(visitor, pitch, **stay(adults="2", minors="1", exempt_adults="1"))
    booking = order.bookings.get()
    assert booking.tax == 183 and order.tax == 183
    assert booking.tax_exempt_persons == 1
    details = booking.tax_details
    assert (details["persons_taxed"], details["exempt_persons"]) == (1, 2)  # + the minor
    assert details["exemption_grounds"] == ["seasonal_workers"]
    assert details["base"] == 165 and details["surcharges"] == {"departmental": 18}
    assert ledger(booking)[TAX_ACCOUNT] == -183
    # Without the declaration, the same stay pays for both adults.
    other = book(visitor, pitch, **stay(start=20, adults="2", minors="1")).bookings.get()
    assert other.tax == 366 and other.tax_exempt_persons == 0
    assert other.tax_details["exemption_grounds"] == []
    # The cancellation gives back what was charged, and no more.
    booking_cancel(booking_id=booking.pk, by_provider=True, reason="Crue")
    assert TAX_ACCOUNT not in ledger(booking)


def test_the_declaration_counts_the_declared_adults_among_the_exempt(world, territory):
    book(world["visitor"], world["pitch"], **stay(adults="2", minors="1", exempt_adults="1"))
    today = day(0)
    declaration = declaration_for(
        site=territory, commune="Saint-Martin", period=period_between(since=today, until=today)
    )
    [line] = declaration.lines
    assert (line.persons, line.persons_taxed, line.exempt_persons) == (3, 1, 2)
    assert line.amount == declaration.total == 183


# --- Where the field is offered --------------------------------------------------------------


def test_the_field_names_exactly_the_grounds_the_territory_enables(client, world, territory):
    page = text(offer_page(client, world["pitch"]))
    assert FIELD in page and LABEL_FR in page
    assert SEASONAL_FR in page and EMERGENCY_FR not in page and PROOF_FR in page
    # Labelled, described by its help text, a number with bounds like the other fields.
    assert '<label for="id_exempt_adults">' in page
    assert 'aria-describedby="id_exempt_adults_helptext"' in page
    assert 'id="id_exempt_adults_helptext"' in page
    assert 'type="number" name="exempt_adults" value="0"' in page
    english = text(offer_page(client, world["pitch"], "en"))
    assert LABEL_EN in english
    assert "seasonal workers with a work contract in the commune" in english
    assert "The provider will ask for the proof on arrival." in english

    tax_settings_set(territory, exemption_emergency_housing=True)
    both = text(offer_page(client, world["pitch"]))
    assert SEASONAL_FR in both and EMERGENCY_FR in both
    tax_settings_set(territory, exemption_seasonal_workers=False)
    emergency = text(offer_page(client, world["pitch"]))
    assert EMERGENCY_FR in emergency and SEASONAL_FR not in emergency


def test_no_field_where_the_territory_enables_nothing(client, plain_world):
    page = text(offer_page(client, plain_world["pitch"]))
    assert "Adultes" in page and FIELD not in page and LABEL_FR not in page


def test_no_field_where_the_host_collects_the_tax_on_site(client, world):
    page = text(offer_page(client, world["room"], **stay(adults="2")))
    assert "Taxe de séjour à régler sur place" in page
    assert FIELD not in page and LABEL_FR not in page


# --- Refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["nothing enabled", "paid on site"])
def test_a_forged_declaration_is_refused_and_nothing_is_held(client, world, territory, where):
    if where == "nothing enabled":
        tax_settings_set(territory, exemption_seasonal_workers=False)
        offer = world["pitch"]
    else:
        offer = world["room"]
    visitor = world["visitor"]
    choice = stay(adults="2", exempt_adults="1")
    assert NOT_OFFERED_FR in text(offer_page(client, offer, **choice))
    assert NOT_OFFERED_EN in text(offer_page(client, offer, "en", **choice))
    client.force_login(visitor)
    added = client.post(url("cart_add", offer.pk), choice, follow=True)
    assert NOT_OFFERED_FR in text(added)
    assert nothing_held(visitor)
    # "0" is no declaration: the same choice is booked.
    assert book(visitor, offer, **stay(adults="2", exempt_adults="0")).bookings.get()


def test_more_exempt_adults_than_adults_are_refused_in_the_visitors_language(client, world):
    pitch, visitor = world["pitch"], world["visitor"]
    choice = stay(adults="1", minors="2", exempt_adults="2")
    french = text(offer_page(client, pitch, **choice))
    assert TOO_MANY_FR in french and 'id="id_exempt_adults_error"' in french
    assert 'aria-invalid="true"' in french and "Taxe de séjour" not in french
    assert TOO_MANY_EN in text(offer_page(client, pitch, "en", **choice))
    negative = text(offer_page(client, pitch, "en", **stay(adults="1", exempt_adults="-1")))
    assert "The number of exempt adults cannot be negative." in negative
    client.force_login(visitor)
    added = client.post(url("cart_add", pitch.pk), choice, follow=True)
    assert TOO_MANY_FR in text(added)
    assert nothing_held(visitor)


def test_a_territory_withdrawing_the_exemption_blocks_the_cart_line_at_checkout(world, territory):
    visitor = world["visitor"]
    cart, _created = Cart.objects.get_or_create(site=territory, user=visitor)
    line = cart_line_add(
        cart=cart, offer=world["pitch"], params=stay(adults="2", exempt_adults="1")
    )
    assert line.tax_exempt_persons == 1
    tax_settings_set(territory, exemption_seasonal_workers=False)
    cart.refresh_from_db()
    priced = cart_lines_priced(cart=cart)
    assert NOT_OFFERED_FR in priced[0].error
    with pytest.raises(BookingError):
        checkout(cart=cart, user=visitor, checkout_key=cart.version, priced_lines=priced)
    assert not Order.objects.exists() and not StayNight.objects.filter(units_taken__gt=0).exists()


def test_the_tax_service_refuses_what_the_form_would_and_tells_finance_nothing(
    world, territory, mailoutbox, django_capture_on_commit_callbacks
):
    pitch, room = world["pitch"], world["room"]
    choice = {"start": day(10), "end": day(13), "price": 6000}
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(StayNotBookable, match="plus d'adultes exonérés"):
            stay_tax_for(offer=pitch, adults=1, exempt_persons=2, **choice)
        with pytest.raises(StayNotBookable, match="ne permet pas de déclarer"):
            stay_tax_for(offer=room, adults=2, exempt_persons=1, **choice)
    assert mailoutbox == []
    assert stay_tax_for(offer=pitch, adults=2, exempt_persons=1, **choice).charged == 183


def test_the_database_keeps_the_exempt_among_the_adults(world, territory):
    cart = Cart.objects.create(site=territory)
    common = {"cart": cart, "offer": world["pitch"], "quantity": 1, "start": day(10)}
    with pytest.raises(IntegrityError), transaction.atomic():
        CartLine.objects.create(
            **common, end=day(12), guests=2, adults=1, minors=1, tax_exempt_persons=2
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CartLine.objects.create(**common, end=day(12), tax_exempt_persons=1)  # no adults


# --- Shown everywhere the party is ------------------------------------------------------------


def test_cart_order_email_and_provider_detail_name_the_exempt_adults(
    client, world, django_capture_on_commit_callbacks, mailoutbox
):
    pitch, visitor = world["pitch"], world["visitor"]
    client.force_login(visitor)
    client.post(url("cart_add", pitch.pk), stay(adults="2", minors="1", exempt_adults="1"))
    cart = text(client.get(url("cart")))
    assert "2 adultes, 1 mineur, dont 1 adulte exonéré" in cart and "1,83\u00a0€" in cart
    Cart.objects.filter(user=visitor).delete()

    with django_capture_on_commit_callbacks(execute=True):
        order = book(visitor, pitch, **stay(adults="3", exempt_adults="2"))
    booking = order.bookings.get()
    assert booking.tax == 183
    order_page = text(client.get(url("order_detail", order.reference)))
    assert "3 adultes, dont 2 adultes exonérés" in order_page
    [confirmation] = [m for m in mailoutbox if m.to == [visitor.email]]
    assert "3 adultes, dont 2 adultes exonérés" in confirmation.body
    [(body_html, _type)] = confirmation.alternatives
    assert "3 adultes, dont 2 adultes exonérés" in html.unescape(body_html)
    client.force_login(world["member"])
    detail = text(client.get(url("bookings:inspect", booking.pk)))
    assert "3 adultes, dont 2 adultes exonérés" in detail
    assert "2 adultes déclarés exonérés : demandez les justificatifs à l'arrivée" in detail
    assert "un contrat de travail saisonnier dans la commune" in detail


def test_english_order_and_email_name_the_exempt_adult(
    client, world, django_capture_on_commit_callbacks, mailoutbox
):
    visitor = make_user("visitor@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        order = book(visitor, world["pitch"], language="en", **stay(adults="2", exempt_adults="1"))
    [confirmation] = [m for m in mailoutbox if m.to == [visitor.email]]
    assert "2 adults, including 1 exempt adult" in confirmation.body
    client.force_login(visitor)
    page = text(client.get("/en" + url("order_detail", order.reference)))
    assert "2 adults, including 1 exempt adult" in page


def test_an_abandoned_order_gives_its_declaration_back_to_the_cart(world, territory):
    visitor = world["visitor"]
    order = book(visitor, world["pitch"], pay=False, **stay(adults="2", exempt_adults="1"))
    Cart.objects.filter(user=visitor).delete()
    assert cart_restore(order=order) == 1
    [line] = Cart.objects.get(user=visitor).lines.all()
    assert (line.adults, line.tax_exempt_persons) == (2, 1)
    assert Booking.objects.get().tax_exempt_persons == 1
