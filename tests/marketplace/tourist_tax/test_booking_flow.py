"""The tourist tax through the booking flow, end to end (issue 13 §1).

Worked examples in the commune of Saint-Martin, whose grid (entered by finance) says:
campsites 3–5★ 0,55 € per person per night plus the department's 10 % (0,06 €);
unclassified lets 5 % of the price per person per night, capped at 2,30 €, plus 10 %;
chambres d'hôtes 0,80 €. Commission: provider 5 %, visitor 2 % (``shared_rules``).

- A classified campsite whose professional host mandated the platform, and a private
  host's unclassified gîte: the offer page, the cart, the order page, the e-mails, the
  visitor's bookings and the admin show "Taxe de séjour"; the visitor pays it (the order's
  total, Stripe's line items); the ledger credits ``tax:tourist:saint-martin``; the
  provider's net and the commission are computed on the price alone.
- Minors are exempt; the departmental surcharge is its own part.
- A cancellation gives the tax back in full, whatever the policy does with the price;
  the commune's account is back to zero.
- No rate (or no category): the stay cannot be booked, with a clear message in French and
  English, nothing is held, finance is e-mailed once a day.
- A professional host without mandate: "Taxe de séjour à régler sur place", nothing
  charged, nothing in the ledger.
"""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation

from cms.services import FINANCE_GROUP
from marketplace.books.models import LedgerEntry
from marketplace.models import Booking, Cart, Order, StayNight
from marketplace.orders.cart import cart_line_add, cart_lines_priced
from marketplace.orders.errors import BookingError
from marketplace.orders.transitions import booking_cancel, checkout
from marketplace.stay_tax import DETAIL_KEYS
from marketplace.tourist_tax.models import TouristTaxRate, TouristTaxSettings
from payments.stripe.checkout import _session_params
from tests import factories
from tests.booking_helpers import book, shared_rules
from tests.conftest import make_provider, make_user
from tests.snapshots import Replay

TAX_ACCOUNT = "tax:tourist:saint-martin"


def day(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def build_world(territory, category):
    shared_rules(territory)
    for category_code, values in (
        ("camping_3_5", {"rate": 55}),
        ("unclassified", {"percent": Decimal("5"), "cap": 230}),
        ("chambres_hotes", {"rate": 80}),
    ):
        TouristTaxRate.objects.create(
            site=territory,
            commune="Saint-Martin",
            category=category_code,
            valid_from=day(-100),
            departmental_percent=Decimal("10") if category_code != "chambres_hotes" else 0,
            **values,
        )
    member = make_user("gerant@example.org")
    camping = make_provider(
        territory,
        name="Camping des Pins",
        category=category,
        email="pins@example.org",
        address="3 chemin du Lac",
        postcode="07100",
        member=member,
    )
    gites = make_provider(territory, name="Gîte du Pré", category=category)
    moulin = make_provider(territory, name="Chambres du Moulin", category=category)
    elsewhere = make_provider(territory, name="Hôtel du Col", category=category, commune="Le Col")
    pitch = factories.stay(
        camping,
        title="Emplacement",
        units=5,
        guests_per_unit=6,
        price_per_night=2000,
        cancellation_policy="moderate",
        tax_category="camping_3_5",
        tax_collection_mandate=True,  # a professional who mandated the platform
        registration_number="07100 000123 7K",
    )
    gite = factories.stay(
        gites,
        title="Gîte",
        units=1,
        guests_per_unit=6,
        price_per_night=12000,
        cancellation_policy="strict",
        tax_category="unclassified",
        host_is_professional=False,  # a private host: the platform must collect
    )
    room = factories.stay(
        moulin,
        title="Chambre",
        units=1,
        guests_per_unit=4,
        price_per_night=7000,
        tax_category="chambres_hotes",  # professional, no mandate: paid on site
    )
    hotel = factories.stay(
        elsewhere, title="Chambre au col", tax_category="2_stars", host_is_professional=False
    )
    uncategorised = factories.stay(gites, title="Roulotte", host_is_professional=False)
    studios = factories.stay(
        gites,
        title="Studios",
        units=3,
        guests_per_unit=2,
        price_per_night=5000,
        tax_category="unclassified",
        host_is_professional=False,
    )
    finance = make_user("finances@example.org")
    finance.groups.add(Group.objects.get(name=FINANCE_GROUP))
    visitor = make_user("visiteur@example.org")
    return {
        "member": member,
        "camping": camping,
        "pitch": pitch,
        "gite": gite,
        "room": room,
        "hotel": hotel,
        "uncategorised": uncategorised,
        "studios": studios,
        "visitor": visitor,
    }


world_replay = Replay(build_world)


@pytest.fixture
def world(territory, category):
    return world_replay(territory, category)


def stay(start=10, nights=3, **extra) -> dict:
    return {"start": day(start).isoformat(), "end": day(start + nights).isoformat(), **extra}


def ledger(booking) -> dict[str, int]:
    rows = (
        LedgerEntry.objects.filter(transaction__booking_ref=booking.reference)
        .values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    return {account: total for account, total in rows if total}


def offer_page(client, offer, language="fr", **params):
    with translation.override("fr"):
        url = offer.url
    return client.get(("/en" if language == "en" else "") + url, params)


def url(name: str, *args) -> str:
    """A French (unprefixed) URL, whatever language the last request left active."""
    with translation.override("fr"):
        return reverse(name, args=args)


def text(response) -> str:
    return html.unescape(response.content.decode())


# --- A classified campsite -----------------------------------------------------------------


def test_a_classified_campsite_quotes_charges_and_posts_the_tax(
    client, world, django_capture_on_commit_callbacks, mailoutbox
):
    """2 adults and a minor, 3 nights at 20 €: 60 € + 1,20 € fee + tax (0,55 + 0,06) × 2
    adults × 3 nights = 3,66 €, of which 0,36 € departmental."""
    pitch, visitor = world["pitch"], world["visitor"]
    page = text(offer_page(client, pitch, **stay(adults="2", minors="1")))
    assert "Taxe de séjour" in page and "3,66\u00a0€" in page
    assert "64,86\u00a0€" in page  # the total to pay includes it
    english = text(offer_page(client, pitch, "en", **stay(adults="2", minors="1")))
    assert "Tourist tax" in english and "€3.66" in english

    with django_capture_on_commit_callbacks(execute=True):
        order = book(visitor, pitch, **stay(adults="2", minors="1"))
    booking = order.bookings.get()
    assert (booking.subtotal, booking.visitor_fee, booking.tax) == (6000, 120, 366)
    assert (order.tax, order.total) == (366, 6486)
    assert booking.visitor_total == 6486
    # Commission on the price alone; the provider's net excludes the tax.
    assert booking.provider_commission == 300 and booking.provider_net == 5700
    assert sum(booking.allocations.values()) == 420
    assert booking.tax_details == {
        "commune": "Saint-Martin",
        "category": "camping_3_5",
        "rate_id": TouristTaxRate.objects.get(category="camping_3_5").pk,
        "rate_per_person_night": 55,
        "persons_taxed": 2,
        "exempt_persons": 1,
        "exemption_grounds": [],
        "nights": 3,
        "base": 330,
        "surcharges": {"departmental": 36},
        "surcharge_rates": {"departmental": 6},
        "proportional": False,
        "price_per_night": None,
        "registration_number": "071000001237K",
        "host_is_professional": True,
        "collected_by_platform": True,
        "address": "3 chemin du Lac, 07100 Saint-Martin",
    }
    assert sorted(booking.tax_details) == sorted(DETAIL_KEYS)  # jsonb keeps no key order
    books = ledger(booking)
    assert books["visitor"] == 6486
    assert books[TAX_ACCOUNT] == -366
    assert books[f"provider:{world['camping'].pk}"] == -5700

    # The visitor sees it on the order page and their bookings, in the e-mail too.
    client.force_login(visitor)
    order_page = text(client.get(url("order_detail", order.reference)))
    assert "Taxe de séjour" in order_page and "3,66\u00a0€" in order_page
    mine = text(client.get(url("my_booking", booking.reference)))
    assert "Taxe de séjour" in mine and "3,66\u00a0€" in mine
    listing = text(client.get(url("my_bookings")))
    assert "dont taxe de séjour : 3,66\u00a0€" in listing
    [confirmation] = [m for m in mailoutbox if m.to == [visitor.email]]
    [(body_html, _type)] = confirmation.alternatives
    assert "Taxe de séjour : 3,66\u00a0€" in confirmation.body
    assert "Taxe de séjour" in html.unescape(body_html)
    assert "3,66\u00a0€" in html.unescape(body_html)
    # The provider's admin detail shows it apart from its net.
    client.force_login(world["member"])
    detail = text(client.get(url("bookings:inspect", booking.pk)))
    assert 'data-cents="366"' in detail and "Taxe de séjour" in detail
    # Counts read as words, with the language's plural forms.
    assert "2 personnes taxées, 1 exonérée, 3 nuits." in detail
    solo = book(make_user("solo@example.org"), pitch, **stay(start=30, nights=1))
    solo_detail = text(client.get(url("bookings:inspect", solo.bookings.get().pk)))
    assert "1 personne taxée, 0 exonérée, 1 nuit." in solo_detail


def test_the_cart_shows_the_tax_and_stripe_charges_it_on_its_own_line(client, world):
    pitch, visitor = world["pitch"], world["visitor"]
    client.force_login(visitor)
    client.post(url("cart_add", pitch.pk), stay(adults="2", minors="1"))
    cart = text(client.get(url("cart")))
    assert "Taxe de séjour" in cart and "3,66\u00a0€" in cart and "64,86\u00a0€" in cart
    other = make_user("autre@example.org")
    order = book(other, world["gite"], pay=False, **stay(start=20, nights=2, adults="2"))
    order.gateway = "stripe"
    items = _session_params(order=order, request=None)["line_items"]
    amounts = [item["price_data"]["unit_amount"] for item in items]
    assert sum(amounts) == order.total
    assert items[-1]["price_data"]["product_data"]["name"].startswith("Taxe de séjour (R")
    assert amounts[-1] == order.bookings.get().tax > 0


# --- An unclassified gîte, at a percentage ---------------------------------------------------


def test_an_unclassified_gite_pays_the_percentage_per_person_capped(world):
    """120 € a night: 2 adults and 2 minors share it (30 € each, 5 % = 1,50 €, + 0,15 €);
    2 adults alone (60 € each, 5 % = 3 €) are capped at 2,30 € (+ 0,23 €)."""
    visitor = world["visitor"]
    family = book(visitor, world["gite"], **stay(start=10, nights=2, adults="2", minors="2"))
    booking = family.bookings.get()
    assert booking.tax == 2 * 2 * (150 + 15) == 660
    details = booking.tax_details
    assert details["proportional"] is True and details["price_per_night"] == 12000
    assert (details["rate_per_person_night"], details["persons_taxed"]) == (150, 2)
    assert details["host_is_professional"] is False and details["collected_by_platform"]
    couple = book(visitor, world["gite"], **stay(start=20, nights=2, adults="2"))
    booking = couple.bookings.get()
    assert booking.tax_details["rate_per_person_night"] == 230  # the cap
    assert booking.tax == 2 * 2 * (230 + 23) == 1012
    assert booking.provider_net == booking.subtotal - booking.provider_commission == 22800
    assert ledger(booking)[TAX_ACCOUNT] == -1012


def test_several_units_are_one_stay_with_all_their_occupants(world):
    """Two studios at 50 € for 3 adults and a minor: the night of both (100 €) is shared
    by the four (25 € each, 5 % = 1,25 €, + 10 % = 0,13 €), owed by the 3 adults."""
    order = book(
        world["visitor"], world["studios"], **stay(nights=2, units="2", adults="3", minors="1")
    )
    booking = order.bookings.get()
    assert booking.subtotal == 2 * 2 * 5000
    details = booking.tax_details
    assert details["price_per_night"] == 10000
    assert (details["rate_per_person_night"], details["surcharge_rates"]) == (
        125,
        {"departmental": 13},
    )
    assert booking.tax == (125 + 13) * 3 * 2 == 828


def test_minors_are_exempt_end_to_end(world):
    visitor = world["visitor"]
    alone = book(visitor, world["pitch"], **stay(start=10, adults="2")).bookings.get()
    family = book(visitor, world["pitch"], **stay(start=20, adults="2", minors="4")).bookings.get()
    assert alone.tax == family.tax == 366
    assert family.tax_details["exempt_persons"] == 4
    assert ledger(family)[TAX_ACCOUNT] == -366


# --- Cancellations -------------------------------------------------------------------------


def test_a_cancellation_by_the_provider_gives_all_the_tax_back(world):
    order = book(world["visitor"], world["pitch"], **stay(adults="2", minors="1"))
    booking = order.bookings.get()
    refund = booking_cancel(booking_id=booking.pk, by_provider=True, reason="Crue")
    assert refund.amount == 6486
    assert ledger(booking) == {}  # every account back to zero, the commune's too


def test_a_partial_refund_by_policy_still_gives_all_the_tax_back(world):
    """Moderate, 2 days before: half of the price and fee (30,60 €) and all the tax."""
    order = book(world["visitor"], world["pitch"], **stay(adults="2", minors="1"))
    booking = order.bookings.get()
    when = booking.starts_at - dt.timedelta(days=2)
    refund = booking_cancel(booking_id=booking.pk, by_provider=False, now=when)
    assert refund.amount == 3060 + 366
    booking.refresh_from_db()
    assert booking.refunded == 3426
    books = ledger(booking)
    assert TAX_ACCOUNT not in books
    assert books["visitor"] == 6486 - 3426
    assert books[f"provider:{world['camping'].pk}"] == -2850


def test_a_cancellation_with_nothing_back_by_policy_still_gives_the_tax_back(world):
    """Strict, the day before: nothing of the price, but no stay, no tax."""
    order = book(world["visitor"], world["gite"], **stay(start=3, nights=2, adults="2"))
    booking = order.bookings.get()
    when = booking.starts_at - dt.timedelta(hours=20)
    refund = booking_cancel(booking_id=booking.pk, by_provider=False, now=when)
    assert refund.amount == booking.tax == 1012
    assert TAX_ACCOUNT not in ledger(booking)
    assert ledger(booking)["visitor"] == booking.visitor_total - 1012


# --- No rate: cannot be booked -------------------------------------------------------------

MESSAGE_FR = "Cette offre ne peut pas être réservée pour le moment"
MESSAGE_EN = "This offer cannot be booked at the moment"


@pytest.mark.parametrize("offer_key", ["hotel", "uncategorised"])
def test_a_stay_without_rate_cannot_be_booked_and_finance_is_told_once(
    client, world, offer_key, django_capture_on_commit_callbacks, mailoutbox
):
    offer, visitor = world[offer_key], world["visitor"]
    with django_capture_on_commit_callbacks(execute=True):
        french = text(offer_page(client, offer, **stay(adults="2")))
        english = text(offer_page(client, offer, "en", **stay(adults="2")))
        client.force_login(visitor)
        added = client.post(url("cart_add", offer.pk), stay(adults="2"), follow=True)
    assert MESSAGE_FR in french and "Taxe de séjour" not in french
    assert MESSAGE_EN in english
    assert MESSAGE_FR in text(added)
    assert not Cart.objects.filter(user=visitor, lines__isnull=False).exists()
    assert not Order.objects.exists() and not StayNight.objects.filter(units_taken__gt=0).exists()
    [alert] = [m for m in mailoutbox if m.to == ["finances@example.org"]]
    commune = {"hotel": "Le Col", "uncategorised": "Saint-Martin"}[offer_key]
    assert alert.subject == f"Taxe de séjour : un hébergement à {commune} ne peut pas être réservé"
    assert offer.title in alert.body
    assert len(mailoutbox) == 1  # three refusals, one e-mail today


def test_a_rate_ended_after_the_cart_blocks_checkout_and_holds_nothing(world):
    visitor = world["visitor"]
    cart, _created = Cart.objects.get_or_create(site=world["pitch"].provider.site, user=visitor)
    cart_line_add(cart=cart, offer=world["pitch"], params=stay(adults="2"))
    TouristTaxRate.objects.filter(category="camping_3_5").update(valid_to=day(5))
    cart.refresh_from_db()
    priced = cart_lines_priced(cart=cart)
    assert MESSAGE_FR in priced[0].error
    with pytest.raises(BookingError):
        checkout(cart=cart, user=visitor, checkout_key=cart.version, priced_lines=priced)
    assert not Order.objects.exists() and not StayNight.objects.filter(units_taken__gt=0).exists()


def test_a_territory_allowing_zero_books_without_tax(world, territory):
    tax_settings = TouristTaxSettings.for_site(territory)
    tax_settings.allow_zero_without_rate = True
    tax_settings.save()
    booking = book(world["visitor"], world["hotel"], **stay(adults="2")).bookings.get()
    assert booking.tax == 0 and booking.tax_details["rate_id"] is None
    assert booking.tax_details["collected_by_platform"] is True


# --- A professional host without mandate ------------------------------------------------------


def test_a_professional_host_without_mandate_shows_the_tax_payable_on_site(
    client, world, django_capture_on_commit_callbacks, mailoutbox
):
    """0,80 € × 2 adults × 3 nights = 4,80 €, to pay the host: nothing charged."""
    room, visitor = world["room"], world["visitor"]
    page = text(offer_page(client, room, **stay(adults="2")))
    assert "Taxe de séjour à régler sur place : 4,80\u00a0€" in page
    english = text(offer_page(client, room, "en", **stay(adults="2")))
    assert "Tourist tax payable on site: €4.80" in english
    with django_capture_on_commit_callbacks(execute=True):
        order = book(visitor, room, **stay(adults="2"))
    booking = order.bookings.get()
    assert booking.tax == 0 and order.tax == 0
    assert order.total == booking.subtotal + booking.visitor_fee
    assert booking.tax_details["collected_by_platform"] is False
    assert booking.tax_details["base"] == 480
    assert not any(account.startswith("tax:") for account in ledger(booking))
    [confirmation] = [m for m in mailoutbox if m.to == [visitor.email]]
    assert "Taxe de séjour à régler sur place : 4,80\u00a0€" in confirmation.body
    # Without a rate it stays bookable (the host collects), with no amount shown.
    TouristTaxRate.objects.filter(category="chambres_hotes").delete()
    page = text(offer_page(client, room, **stay(start=20, adults="2")))
    assert "Taxe de séjour à régler sur place" in page and MESSAGE_FR not in page
    assert Booking.objects.count() == 1


def test_finance_dashboard_lists_the_stays_a_missing_rate_blocks(client, world):
    from django.contrib.auth import get_user_model

    finance = get_user_model().objects.get(email="finances@example.org")
    client.force_login(finance)
    dashboard = text(client.get("/admin/"))
    assert "Hébergements impossibles à réserver : taxe de séjour manquante" in dashboard
    assert "Chambre au col" in dashboard and "Roulotte" in dashboard
    assert "Sans catégorie" in dashboard
    assert "Studios" not in dashboard  # its rate is in force
    assert "Chambre</a>" not in dashboard  # its host collects the tax on site
    client.force_login(world["member"])
    assert "taxe de séjour manquante" not in text(client.get("/admin/"))
