"""A stay's guests are adults and minors (the tourist tax exempts minors).

The offer page's form asks for both, checks them (at least one adult, the total within
what was chosen and within the offer) with clear messages in French and English that
change nothing; the cart line, the checkout's booking and a restored cart line carry
them; ``guests`` stays their total; the listing's ``guests`` filter fills in the adults;
and everywhere guests are shown (cart, order page, my bookings, e-mails, the admin and
its export, the personal data export) reads "2 adultes, 1 mineur".
"""

import csv
import datetime as dt
import html
import io
import json

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.models import Booking, Cart, CartLine, Order, OrderStatus
from marketplace.orders.cart import cart_restore
from tests import factories
from tests.booking_helpers import book, shared_rules
from tests.conftest import make_provider, make_user, reauthenticate
from tests.snapshots import Replay


def build_camping(territory, category):
    shared_rules(territory)
    member = make_user("gerant@example.org")
    camping = make_provider(
        territory,
        name="Camping des Pins",
        category=category,
        email="pins@example.org",
        member=member,
    )
    # Three pitches of four guests: twelve guests at most.
    pitch = factories.stay(camping, units=3, guests_per_unit=4, min_nights=2, price_per_night=2000)
    return {"camping": camping, "pitch": pitch, "member": member}


camping_replay = Replay(build_camping)


@pytest.fixture
def world(territory, category):
    """``build_camping``, built once and then replayed (tests/snapshots.py)."""
    return camping_replay(territory, category)


@pytest.fixture
def pitch(world):
    return world["pitch"]


def day(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def stay(**extra) -> dict:
    return {"start": day(10), "end": day(12), **extra}


def add(client, offer, language="en", **params):
    with translation.override(language):
        url = reverse("cart_add", args=[offer.pk])
    return client.post(url, params, follow=True)


def flashed(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def offer_page(client, offer, language="fr", **params):
    with translation.override("fr"):  # the page's own URL; English is under /en/
        url = offer.url
    return client.get(("/en" if language == "en" else "") + url, params)


# --- The form ---------------------------------------------------------------------------


def test_the_stay_form_asks_adults_and_minors_in_both_languages(client, pitch):
    french = offer_page(client, pitch).content.decode()
    assert '<label for="id_adults">Adultes</label>' in french
    assert '<label for="id_minors">Mineurs (moins de 18 ans)</label>' in french
    assert 'name="guests"' not in french
    english = offer_page(client, pitch, "en").content.decode()
    assert '<label for="id_adults">Adults</label>' in english
    assert '<label for="id_minors">Minors (under 18)</label>' in english


BAD = [
    ({"adults": "0"}, "Choose at least one adult.", "Choisissez au moins un adulte."),
    ({"adults": "-2"}, "Choose at least one adult.", "Choisissez au moins un adulte."),
    (
        {"adults": "deux"},
        "Enter a whole number of adults.",
        "Saisissez un nombre entier d'adultes.",
    ),
    (
        {"adults": "2", "minors": "-1"},
        "The number of minors cannot be negative.",
        "Le nombre de mineurs ne peut pas être négatif.",
    ),
    (
        {"adults": "2", "minors": "trois"},
        "Enter a whole number of minors.",
        "Saisissez un nombre entier de mineurs.",
    ),
    (
        {"adults": "99999999999999999999"},
        "This offer takes at most 12 guests, adults and minors together.",
        "Cette offre accueille au plus 12 personnes, adultes et mineurs compris.",
    ),
    (
        {"adults": "1", "minors": "99999999999999999999"},
        "This offer takes at most 12 guests, adults and minors together.",
        "Cette offre accueille au plus 12 personnes, adultes et mineurs compris.",
    ),
    (
        {"units": "3", "adults": "8", "minors": "5"},
        "This offer takes at most 12 guests, adults and minors together.",
        "Cette offre accueille au plus 12 personnes, adultes et mineurs compris.",
    ),
    (
        {"units": "1", "adults": "3", "minors": "2"},
        "At most 4 guests fit in what you chose.",
        "Au plus 4 personnes tiennent dans ce que vous avez choisi.",
    ),
]


@pytest.mark.parametrize("params, english, french", BAD)
def test_bad_numbers_of_guests_are_refused_in_the_cart_and_change_nothing(
    client, pitch, visitor, params, english, french
):
    client.force_login(visitor)
    response = add(client, pitch, **stay(**params))
    assert response.status_code == 200
    assert english in flashed(response)
    response = add(client, pitch, "fr", **stay(**params))
    assert french in flashed(response)
    assert not CartLine.objects.exists()
    assert not Cart.objects.filter(lines__isnull=False).exists()


@pytest.mark.parametrize("params, english, french", BAD)
def test_bad_numbers_of_guests_are_explained_on_the_offer_page(
    client, pitch, params, english, french
):
    for language, message in (("en", english), ("fr", french)):
        response = offer_page(client, pitch, language, **stay(**params))
        assert response.status_code == 200
        assert response.context["quote"].quote is None
        assert message in html.unescape(response.content.decode())
        assert "add-to-cart" not in response.content.decode()


def test_capacity_counts_adults_and_minors_together(client, pitch, visitor):
    # One pitch takes four: 2 + 2 fits, 2 + 3 does not, and 2 + 3 on two pitches does.
    assert (
        offer_page(client, pitch, **stay(units="1", adults="2", minors="2")).context["quote"].quote
    )
    assert (
        not offer_page(client, pitch, **stay(units="1", adults="2", minors="3"))
        .context["quote"]
        .quote
    )
    client.force_login(visitor)
    add(client, pitch, **stay(units="2", adults="2", minors="3"))
    line = CartLine.objects.get()
    assert (line.quantity, line.adults, line.minors, line.guests) == (2, 2, 3, 5)


def test_without_units_the_guests_get_as_many_pitches_as_they_need(client, pitch):
    response = offer_page(client, pitch, **stay(adults="3", minors="3"))
    quote = response.context["quote"]
    assert quote.form.cleaned_data["units"] == 2
    assert quote.quote.total == 2 * 2 * 2000  # two pitches, two nights


def test_dates_alone_still_mean_one_adult_on_one_pitch(client, pitch, visitor):
    client.force_login(visitor)
    add(client, pitch, **stay())
    line = CartLine.objects.get()
    assert (line.quantity, line.adults, line.minors, line.guests) == (1, 1, 0, 1)


def test_the_listings_guests_fill_in_the_adults(client, pitch):
    # With dates: priced at once, the adults being the searched guests.
    response = offer_page(client, pitch, **stay(guests="6"))
    quote = response.context["quote"]
    assert quote.quote is not None
    assert quote.form.cleaned_data["adults"] == 6
    assert quote.form.cleaned_data["minors"] == 0
    assert 'name="adults" value="6"' in response.content.decode()
    # Alone: only prefilled, no error for the dates not chosen yet.
    response = offer_page(client, pitch, guests="3")
    quote = response.context["quote"]
    assert not quote.asked and not quote.form.errors
    assert 'name="adults" value="3"' in response.content.decode()
    # Adults given win over the listing's guests.
    response = offer_page(client, pitch, **stay(guests="6", adults="2"))
    assert response.context["quote"].form.cleaned_data["adults"] == 2


def test_the_listing_links_stays_with_the_searched_guests(client, pitch):
    with translation.override("fr"):
        url = pitch.url
    listing = client.get("/offres/", {"start": day(10), "end": day(12), "guests": "3"})
    body = html.unescape(listing.content.decode())
    assert f"{url}?start={day(10)}&end={day(12)}&guests=3" in body
    listing = client.get("/offres/", {"guests": "3"})
    assert f"{url}?guests=3" in html.unescape(listing.content.decode())


# --- Carried from the cart to the booking, and back -------------------------------------


def test_checkout_and_restore_carry_adults_and_minors(client, pitch, visitor):
    order = book(visitor, pitch, pay=False, **stay(adults="2", minors="1"))
    booking = order.bookings.get()
    assert (booking.adults, booking.minors, booking.guests) == (2, 1, 3)

    client.force_login(visitor)
    client.post(reverse("dev_pay", args=[order.reference]), {"action": "abandon"})
    order.refresh_from_db()
    assert order.status == OrderStatus.ABANDONED
    line = CartLine.objects.get(cart__user=visitor)
    assert (line.adults, line.minors, line.guests) == (2, 1, 3)
    # Shown and priced again as they were.
    assert "2 adultes, 1 mineur" in client.get(reverse("cart")).content.decode()


def test_restore_copies_them_from_the_booking(pitch, visitor):
    order = book(visitor, pitch, pay=False, **stay(adults="1", minors="2"))
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.ABANDONED)
    assert cart_restore(order=order) == 1
    line = CartLine.objects.get()
    assert (line.adults, line.minors, line.guests) == (1, 2, 3)


def test_a_line_without_guests_from_before_is_booked_as_the_cart_shows_it(client, pitch, visitor):
    cart = Cart.objects.create(site=pitch.provider.site, user=visitor)
    CartLine.objects.create(
        cart=cart,
        offer=pitch,
        start=dt.date.fromisoformat(day(10)),
        end=dt.date.fromisoformat(day(12)),
        quantity=1,
    )
    client.force_login(visitor)
    assert "1 adulte" in client.get(reverse("cart")).content.decode()
    cart.refresh_from_db()
    client.post(reverse("checkout"), {"checkout_key": str(cart.version)})
    booking = Booking.objects.get()
    assert (booking.adults, booking.minors, booking.guests) == (1, 0, 1)


def test_activities_and_products_carry_no_adults_or_minors(world, visitor, territory):
    canoe = factories.activity(
        world["camping"], slots=[(timezone.now() + dt.timedelta(days=5), 8, 0)]
    )
    order = book(visitor, canoe, slot=str(canoe.slots.get().pk), persons="3")
    booking = order.bookings.get()
    assert (booking.quantity, booking.adults, booking.minors, booking.guests) == (
        3,
        None,
        None,
        None,
    )


def test_the_database_keeps_guests_the_sum_of_adults_and_minors(pitch, visitor):
    booking = book(visitor, pitch, **stay(adults="2", minors="1")).bookings.get()
    for change in (
        {"guests": 4},
        {"adults": 0, "minors": 3},
        {"minors": None},
        {"adults": None},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Booking.objects.filter(pk=booking.pk).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(kind="activity")
    line = CartLine.objects.create(
        cart=Cart.objects.create(site=pitch.provider.site),
        offer=pitch,
        quantity=1,
        adults=1,
        minors=0,
        guests=1,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CartLine.objects.filter(pk=line.pk).update(minors=1)


# --- Shown wherever guests are ----------------------------------------------------------


@pytest.fixture
def paid(world, visitor, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        order = book(visitor, world["pitch"], language="en", **stay(adults="2", minors="1"))
    return order


def test_order_page_and_my_bookings_show_them_in_each_language(client, paid, visitor):
    client.force_login(visitor)
    booking = paid.bookings.get()
    for language, text in (("fr", "2 adultes, 1 mineur"), ("en", "2 adults, 1 minor")):
        with translation.override(language):
            pages = (
                reverse("order_detail", args=[paid.reference]),
                reverse("my_bookings"),
                reverse("my_booking", args=[booking.reference]),
            )
        for url in pages:
            assert text in client.get(url).content.decode(), url


def test_one_adult_and_several_minors_use_the_plural_forms(client, world, visitor):
    order = book(visitor, world["pitch"], **stay(units="2", adults="1", minors="3"))
    client.force_login(visitor)
    for language, text in (("fr", "1 adulte, 3 mineurs"), ("en", "1 adult, 3 minors")):
        with translation.override(language):
            url = reverse("order_detail", args=[order.reference])
        assert text in client.get(url).content.decode()


def test_e_mails_show_them_to_the_visitor_and_the_provider(paid, mailoutbox, visitor):
    [confirmation] = [m for m in mailoutbox if m.to == [visitor.email]]  # placed in English
    [provider_mail] = [m for m in mailoutbox if "pins@example.org" in m.to]  # in French
    [(confirmation_html, _type)] = confirmation.alternatives
    [(provider_html, _type)] = provider_mail.alternatives
    assert "1 unit, 2 adults, 1 minor" in confirmation.body
    assert "1 unit, 2 adults, 1 minor" in html.unescape(confirmation_html)
    assert "1 unité, 2 adultes, 1 mineur" in provider_mail.body
    assert "1 unité, 2 adultes, 1 mineur" in html.unescape(provider_html)


def test_the_providers_admin_shows_and_exports_them(client, paid, world):
    booking = paid.bookings.get()
    client.force_login(world["member"])
    listing = client.get("/admin/bookings/").content.decode()
    assert "2 adultes, 1 mineur" in listing
    detail = client.get(reverse("bookings:inspect", args=[booking.pk])).content.decode()
    assert "2 adultes, 1 mineur" in detail
    response = client.get("/admin/bookings/", {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Personnes"], row["Adultes"], row["Mineurs"]) == ("3", "2", "1")


def test_the_territorys_admin_shows_them_too(client, paid, finance):
    booking = paid.bookings.get()
    client.force_login(finance)
    detail = client.get(reverse("bookings:inspect", args=[booking.pk])).content.decode()
    assert "2 adultes, 1 mineur" in detail


def test_the_personal_data_export_has_them(client, paid, visitor, pitch):
    book(visitor, pitch, pay=False, **stay(adults="1", minors="1"))  # a checked out order
    Cart.objects.filter(user=visitor).delete()
    cart = Cart.objects.create(site=pitch.provider.site, user=visitor)
    CartLine.objects.create(cart=cart, offer=pitch, quantity=1, adults=3, minors=1, guests=4)
    client.force_login(visitor)
    reauthenticate(client)
    data = json.loads(client.get(reverse("my_data_export")).content)
    bookings = {b["reference"]: b for o in data["orders"] for b in o["bookings"]}
    first = bookings[paid.bookings.get().reference]
    assert (first["guests"], first["adults"], first["minors"]) == (3, 2, 1)
    [line] = data["carts"][0]["lines"]
    assert (line["guests"], line["adults"], line["minors"]) == (4, 3, 1)
