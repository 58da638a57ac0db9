"""Offer pages: content, availability, the price form, JSON-LD, and pricing itself."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from marketplace.models import StayOfferPage
from marketplace.pricing import activity_price, product_price, stay_price
from marketplace.selectors import offer_availability
from tests import factories
from tests.snapshots import Replay


def day(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def _french_first():
    """Requests leave their language active in the thread: start each test in French,
    so ``page.url`` means the French URL."""
    with translation.override("fr"):
        yield


def build_offers(territory):
    camping = factories.category("camping", "Camping", "Campsite")
    campsite = factories.provider(territory, name="Camping des Érables", category_obj=camping)
    chalet = factories.stay(
        campsite,
        title="Chalet des Érables",
        units=3,
        guests_per_unit=5,
        min_nights=2,
        price_per_night=8000,
        seasons=[(day(10), day(12), 12000)],
        closures=[(day(30), day(31))],
    )
    canoe = factories.activity(
        campsite,
        title="Descente en canoë",
        price_per_person=3500,
        slots=[(factories.in_days(3), 8, 6), (factories.in_days(90), 8, 0)],
        meeting_point="Pont de Vallon",
    )
    honey = factories.product(campsite, title="Miel", price_per_item=850, stock=4)
    return {"campsite": campsite, "chalet": chalet, "canoe": canoe, "honey": honey}


offers_replay = Replay(build_offers)


@pytest.fixture
def offers(territory):
    """``build_offers``, built once and then replayed (tests/snapshots.py)."""
    return offers_replay(territory)


def jsonld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD"
    return json.loads(match.group(1))


# --- pricing -------------------------------------------------------------------------------


def test_stay_price_sums_nights_with_seasons_times_units(offers):
    chalet = offers["chalet"]
    quote = stay_price(offer=chalet, start=day(8), end=day(12), units=2)
    # Nights 8, 9 at 80 €; nights 10, 11 at the season's 120 €.
    assert quote.total == (2 * 8000 + 2 * 12000) * 2
    assert sum(line.total for line in quote.lines) == quote.total
    assert len(quote.lines) == 2


def test_activity_and_product_prices(offers):
    assert activity_price(offer=offers["canoe"], persons=3).total == 10500
    assert product_price(offer=offers["honey"], quantity=4).total == 3400


# --- availability --------------------------------------------------------------------------


def test_stay_availability_for_60_days(offers):
    chalet = offers["chalet"]
    factories.take_nights(chalet, day(5), 2, 3)
    factories.take_nights(chalet, day(7), 1, 1)
    availability = offer_availability(offer=chalet, days=60)
    nights = {night.date: night for night in availability.nights}
    assert len(nights) == 60
    assert nights[day(0)].free_units == 3
    assert nights[day(5)].free_units == 0 and not nights[day(5)].available
    assert nights[day(7)].free_units == 2
    assert nights[day(30)].closed and nights[day(31)].closed and not nights[day(32)].closed
    assert nights[day(10)].price == 12000 and nights[day(9)].price == 8000
    assert all(len(week) == 7 for week in availability.weeks)


def test_activity_availability_lists_open_slots_of_the_next_60_days(offers):
    availability = offer_availability(offer=offers["canoe"], days=60)
    assert [slot.places_left for slot in availability.slots] == [2]


# --- the pages -----------------------------------------------------------------------------


def test_stay_page(client, offers):
    response = client.get(offers["chalet"].url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "<title>Chalet des Érables · Camping des Érables" in html
    assert re.search(r'<meta name="description" content="[^"]+">', html)
    assert 'class="calendar"' in html
    assert 'id="offer-map-data"' in html
    data = jsonld(html)
    assert data["@type"] == "Product"
    assert data["offers"]["price"] == "80.00"
    assert data["offers"]["priceCurrency"] == "EUR"
    assert data["offers"]["seller"]["@type"] == "LodgingBusiness"


def test_activity_page_has_events_in_json_ld(client, offers):
    html = client.get(offers["canoe"].url).content.decode()
    data = jsonld(html)
    assert data["subjectOf"][0]["@type"] == "Event"
    assert "Pont de Vallon" in html


def test_product_page(client, offers):
    html = client.get(offers["honey"].url).content.decode()
    assert jsonld(html)["offers"]["availability"] == "https://schema.org/InStock"
    assert "4" in html


def test_offer_page_in_english(client, offers):
    response = client.get("/en" + offers["chalet"].url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Availability" in html


def test_stay_price_form(client, offers):
    url = offers["chalet"].url
    response = client.get(url, {"start": day(8), "end": day(12), "units": 2})
    assert response.status_code == 200
    quote = response.context["quote"]
    assert quote.quote is not None, quote.form.errors
    assert quote.quote.total == 80000


@pytest.mark.parametrize(
    "params, message",
    [
        ({"start": "{d8}", "end": "{d9}", "units": 1}, "2"),  # minimum two nights
        ({"start": "{d12}", "end": "{d8}", "units": 1}, ""),
        ({"start": "{past}", "end": "{d2}", "units": 1}, ""),
        ({"start": "{d29}", "end": "{d32}", "units": 1}, ""),  # closed
        ({"start": "{d8}", "end": "{d10}", "units": 9}, ""),
        ({"start": "n'importe", "end": "quoi", "units": "x"}, ""),
    ],
)
def test_stay_price_form_refuses_bad_choices(client, offers, params, message):
    values = {"d2": day(2), "d8": day(8), "d9": day(9), "d10": day(10), "d12": day(12)}
    values.update({"d29": day(29), "d32": day(32), "past": day(-3)})
    query = {key: str(value).format(**values) for key, value in params.items()}
    response = client.get(offers["chalet"].url, query)
    assert response.status_code == 200
    result = response.context["quote"]
    assert result.quote is None
    assert result.form.errors
    html = response.content.decode()
    assert 'class="field__errors"' in html or 'id="quote-errors"' in html


def test_stay_price_form_refuses_full_nights(client, offers):
    factories.take_nights(offers["chalet"], day(9), 1, 2)
    response = client.get(offers["chalet"].url, {"start": day(8), "end": day(10), "units": 2})
    assert response.context["quote"].quote is None
    response = client.get(offers["chalet"].url, {"start": day(8), "end": day(10), "units": 1})
    assert response.context["quote"].quote.total == 16000


def test_activity_price_form(client, offers):
    canoe = offers["canoe"]
    slot = canoe.slots.order_by("starts_at").first()
    response = client.get(canoe.url, {"slot": slot.pk, "persons": 2})
    assert response.context["quote"].quote.total == 7000
    response = client.get(canoe.url, {"slot": slot.pk, "persons": 3})
    assert response.context["quote"].quote is None
    assert response.context["quote"].form.errors
    response = client.get(canoe.url, {"slot": 999999, "persons": 1})
    assert "slot" in response.context["quote"].form.errors


def test_product_price_form(client, offers):
    honey = offers["honey"]
    assert client.get(honey.url, {"quantity": 3}).context["quote"].quote.total == 2550
    response = client.get(honey.url, {"quantity": 5})
    assert "quantity" in response.context["quote"].form.errors
    response = client.get(honey.url, {"quantity": "beaucoup"})
    assert response.status_code == 200
    assert "quantity" in response.context["quote"].form.errors


def test_offer_page_without_price_form_input_shows_no_error(client, offers):
    response = client.get(offers["chalet"].url)
    assert not response.context["quote"].form.errors
    assert response.context["quote"].quote is None


# --- query budget --------------------------------------------------------------------------


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_offer_page_query_budget_does_not_grow(client, offers, django_assert_num_queries):
    chalet = offers["chalet"]
    params = {"start": day(8), "end": day(12), "units": 1}
    client.get(chalet.url, params)
    small = _count(client, chalet.url, params)
    canoe_small = _count(client, offers["canoe"].url)
    # A bigger catalogue, more booked nights, more slots: same number of queries.
    factories.bulk_stay_offers(offers["campsite"], 300)
    for n in range(40):
        factories.take_nights(chalet, day(n), 1, 1)
    for n in range(20):
        offers["canoe"].slots.create(
            starts_at=factories.in_days(n + 1, hour=15),
            ends_at=factories.in_days(n + 1, hour=17),
            places=5,
        )
    with django_assert_num_queries(small):
        client.get(chalet.url, params)
    with django_assert_num_queries(canoe_small):
        client.get(offers["canoe"].url)
    assert StayOfferPage.objects.count() == 301
