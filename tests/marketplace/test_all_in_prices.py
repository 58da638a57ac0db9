"""All-in prices: cards and the API add the live rules' service fee; the offer page breaks
the price of a choice down (fee, total, who gets the commission); budgets stay flat."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from commissions.engine import RuleSpec, Side
from commissions.money import format_cents
from marketplace.commission import (
    offer_commission_line,
    offer_commission_quote,
    offers_all_in_prices,
    price_breakdown,
)
from marketplace.pricing import stay_price
from marketplace.selectors import offers_load
from tests import factories
from tests.booking_helpers import rule, shared_rules, side
from tests.snapshots import Replay


def day(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def fr(cents: int) -> str:
    return format_cents(cents, language="fr")


def en(cents: int) -> str:
    return format_cents(cents, language="en")


@pytest.fixture(autouse=True)
def _french_first():
    """Requests leave their language active in the thread: start each test in French."""
    with translation.override("fr"):
        yield


def build_catalogue(territory):
    """Four providers, offers of each kind, and live rules of four specificities.

    - base rule (anything else): provider 5 %, visitor 1.5 % + 0,50 €;
    - campsites (category ``camping``): provider 3 %, visitor 2 %;
    - the canoe company (provider rule): provider 10 %, visitor 1 %;
    - organic (label ``bio``, on the offer or its provider): visitor 0,25 € flat.

    Every rule shares its commission 60 % to the local fund, 40 % to the tourism office.
    """
    camping = factories.category("camping", "Camping", "Campsite")
    loisirs = factories.category("loisirs", "Loisirs", "Leisure")
    ferme = factories.category("ferme", "Ferme", "Farm")
    epicerie = factories.category("epicerie", "Épicerie", "Grocery")
    bio = factories.label("bio", "Agriculture biologique", "Organic")
    campsite = factories.provider(territory, name="Camping des Érables", category_obj=camping)
    canoes = factories.provider(territory, name="Rivière Aventure", category_obj=loisirs)
    farm = factories.provider(territory, name="Ferme du Bois", category_obj=ferme)
    shop = factories.provider(territory, name="Épicerie Verte", category_obj=epicerie)
    shop.labels.add(bio)
    offers = {
        "stay": factories.stay(campsite, title="Chalet des Érables", price_per_night=6000),
        "activity": factories.activity(
            canoes, title="Descente en canoë", price_per_person=3500,
            slots=[(factories.in_days(3), 8, 0)],
        ),
        "honey": factories.product(farm, title="Miel de châtaignier", price_per_item=850),
        "jam": factories.product(farm, title="Confiture", price_per_item=600, labels=[bio]),
        "soap": factories.product(shop, title="Savon au lait", price_per_item=400),
    }  # fmt: skip
    shared_rules(
        territory,
        rules=[
            rule("base", "Base", provider=side("5.00"), visitor=side("1.50", 50)),
            rule(
                "campings",
                "Campings",
                provider=side("3.00"),
                visitor=side("2.00"),
                categories=["camping"],
            ),
            rule(
                "canoes",
                "Canoës",
                provider=side("10.00"),
                visitor=side("1.00"),
                providers=[canoes.slug],
            ),
            rule("bio", "Bio", provider=side(), visitor=side(fixed=25), labels=["bio"]),
        ],
    )
    return {"site": territory, "campsite": campsite, "canoes": canoes, "farm": farm, **offers}


catalogue_replay = Replay(build_catalogue)


@pytest.fixture
def catalogue(territory):
    """``build_catalogue``, built once and then replayed (tests/snapshots.py)."""
    return catalogue_replay(territory)


# Visitor fee on each offer's lowest price, worked out by hand from the rules above.
EXPECTED_ALL_IN = {
    "stay": 6000 + 120,  # campsites: 2 % of 60,00 €
    "activity": 3500 + 35,  # the canoe company's own rule: 1 % of 35,00 €
    "honey": 850 + 13 + 50,  # base: 1.5 % of 8,50 € = 12.75 → 13 (half up), + 0,50 €
    "jam": 600 + 25,  # its own label "bio"
    "soap": 400 + 25,  # its provider's label "bio"
}


# --- the line and the quote ------------------------------------------------------------


def test_an_offer_line_carries_what_rules_scope_on(catalogue):
    jam = catalogue["jam"]
    line = offer_commission_line(offer=jam, subtotal=600, booked_on=day(0))
    assert line.provider == catalogue["farm"].slug
    assert line.categories == ("ferme",)
    assert line.kind == "product"
    assert line.commune == "Saint-Martin"
    assert line.labels == ("bio",)
    soap = catalogue["soap"]
    assert offer_commission_line(offer=soap, subtotal=1, booked_on=day(0)).labels == ("bio",)


def test_offer_quote_picks_the_most_specific_rule(catalogue):
    expected = {"stay": "campings", "activity": "canoes", "honey": "base", "jam": "bio"}
    for name, key in expected.items():
        offer = catalogue[name]
        result = offer_commission_quote(offer=offer, subtotal=10_000, booked_on=day(0))
        assert result.rule == key, name


def test_all_in_prices_need_no_query_once_loaded(catalogue, django_assert_num_queries):
    offers = offers_load(ids=[catalogue[name].pk for name in EXPECTED_ALL_IN])
    offers_all_in_prices(offers=offers, site_id=catalogue["site"].pk)  # warms the rules cache
    with django_assert_num_queries(0):
        offers_all_in_prices(offers=offers, site_id=catalogue["site"].pk)
    by_title = {offer.title: offer for offer in offers}
    for name, cents in EXPECTED_ALL_IN.items():
        offer = by_title[catalogue[name].title]
        assert offer.price_from_all_in == cents, name
        assert offer.visitor_fee_from == cents - offer.price_from, name


# --- cards and the API -----------------------------------------------------------------


def test_cards_show_the_all_in_price_in_french_and_english(client, catalogue):
    html = client.get("/offres/").content.decode()
    assert f"à partir de {fr(6120)} la nuit tout compris" in html
    assert f"à partir de {fr(3535)} par personne tout compris" in html
    assert f"à partir de {fr(913)} tout compris" in html
    assert f"à partir de {fr(625)} tout compris" in html
    assert fr(6000) not in html  # never the price without the fee
    html = client.get("/en/offres/").content.decode()
    assert f"from {en(6120)} per night all in" in html
    assert f"from {en(425)} all in" in html


def test_cards_say_all_in_when_no_rule_charges_a_fee(client, territory):
    provider = factories.provider(territory, name="Camping libre")
    factories.stay(provider, title="Tente", price_per_night=2500)
    html = client.get("/offres/").content.decode()
    assert f"à partir de {fr(2500)} la nuit tout compris" in html


def test_home_and_provider_pages_show_all_in_prices(client, catalogue):
    assert f"{fr(6120)} la nuit tout compris" in client.get("/").content.decode()
    html = client.get(catalogue["farm"].page.url).content.decode()
    assert f"à partir de {fr(913)} tout compris" in html


def test_api_gives_price_fee_and_all_in(client, catalogue):
    results = client.get("/api/offers/?page_size=50").json()["results"]
    by_id = {item["id"]: item for item in results}
    for name, cents in EXPECTED_ALL_IN.items():
        item = by_id[catalogue[name].pk]
        assert item["price_from_all_in"] == cents, name
        assert item["visitor_fee_from"] == cents - item["price_from"], name
    assert by_id[catalogue["honey"].pk]["price_from"] == 850


def test_publishing_a_rule_changes_the_cached_listing(client, catalogue, settings):
    settings.STOREFRONT_CACHE_SECONDS = 60
    url = "/offres/?kind=stay"
    assert f"{fr(6120)} la nuit" in client.get(url).content.decode()
    assert f"{fr(6120)} la nuit" in client.get(url).content.decode()  # from the cache
    from commissions.models import CommissionRule

    campings = CommissionRule.objects.get(key="campings")
    campings.visitor_rate = Decimal("3.00")
    campings.save_revision().publish()
    assert f"{fr(6180)} la nuit" in client.get(url).content.decode()


# --- query budgets ---------------------------------------------------------------------


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_listing_and_api_budgets_with_live_rules_do_not_grow(
    client, catalogue, django_assert_num_queries
):
    start = day(5)
    urls = [
        "/offres/",
        "/offres/?ordering=price",
        f"/offres/?start={start}&end={start + dt.timedelta(days=2)}&guests=2",
        "/offres/?label=bio",
        "/en/offres/?category=camping",
        "/",
        catalogue["campsite"].page.url,
        "/api/offers/",
        "/api/offers/?page_size=100&ordering=-price",
    ]
    factories.bulk_stay_offers(catalogue["campsite"], 5)
    factories.bulk_stay_offers(catalogue["farm"], 5, price=1234)
    for url in urls:
        client.get(url)  # warm caches (content types, site root paths, the live rules)
    small = {}
    for url in urls:
        sql = _queries(client, url)
        # The live rules come from their cache: no commission table is read.
        assert not [q for q in sql if "commissions_" in q], url
        small[url] = len(sql)
    factories.bulk_stay_offers(catalogue["campsite"], 300)
    factories.bulk_stay_offers(catalogue["farm"], 300, price=1234)
    for url in urls:
        with django_assert_num_queries(small[url]):
            assert client.get(url).status_code == 200
    # And the bulk offers are priced by their own rules: campsites 2 %, base 1.5 % + 0,50 €.
    campsite = client.get("/api/offers/?category=camping&ordering=price").json()["results"]
    assert campsite[0]["price_from_all_in"] == 3000 + 60
    farm = client.get("/api/offers/?category=ferme&ordering=-price").json()["results"]
    assert farm[0]["price_from_all_in"] == 1234 + 19 + 50  # 18.51 → 19


# --- the offer page's breakdown -------------------------------------------------------------


def test_offer_page_breaks_the_price_down_in_french(client, catalogue):
    stay = catalogue["stay"]
    response = client.get(stay.url, {"start": day(8), "end": day(10), "units": 1})
    breakdown = response.context["breakdown"]
    # 2 nights at 60,00 €: campsites charge the visitor 2 % (2,40 €) and the provider
    # 3 % (3,60 €); the 6,00 € of commission go 60 % / 40 %.
    assert (breakdown.price, breakdown.visitor_fee, breakdown.total) == (12000, 240, 12240)
    assert breakdown.beneficiaries == (("Fonds local", 360), ("Office de tourisme", 240))
    html = response.content.decode()
    assert "Frais de service" in html and fr(240) in html
    assert "Total à payer" in html and fr(12240) in html
    assert f"dont {fr(360)} pour Fonds local" in html
    assert f"dont {fr(240)} pour Office de tourisme" in html
    assert 'href="/transparence/"' in html
    assert "add_to_cart" not in html  # the placeholder is only a template comment


def test_offer_page_breaks_the_price_down_in_english(client, catalogue):
    honey = catalogue["honey"]
    html = client.get("/en" + honey.url, {"quantity": 4}).content.decode()
    # 4 × 8,50 € = 34,00 €; base rule: visitor 1.5 % = 0,51 € + 0,50 €, provider 5 % = 1,70 €.
    # Commission 2,71 €: 60 % = 1,626 → 1,63 € and 40 % = 1,084 → 1,08 € (largest remainder).
    assert "Service fee" in html and en(101) in html
    assert "Total to pay" in html and en(3501) in html
    assert f"of which {en(163)} to Fonds local" in html
    assert f"of which {en(108)} to Office de tourisme" in html


def test_offer_page_without_a_choice_shows_no_breakdown(client, catalogue):
    response = client.get(catalogue["stay"].url)
    assert response.context["breakdown"] is None
    assert "Total à payer" not in response.content.decode()


def test_breakdown_names_the_operator_when_a_rule_has_no_distribution(catalogue):
    stay = catalogue["stay"]
    price = stay_price(offer=stay, start=day(8), end=day(9), units=1)
    specs = [RuleSpec(key="x", name="x", visitor_side=Side(fixed=100))]
    with translation.override("en"):
        breakdown = price_breakdown(offer=stay, price_quote=price, booked_on=day(0), specs=specs)
    assert breakdown.total == 6100
    assert breakdown.beneficiaries == (("the operator", 100),)
    no_fee = price_breakdown(offer=stay, price_quote=price, booked_on=day(0), specs=[])
    assert (no_fee.visitor_fee, no_fee.total, no_fee.beneficiaries) == (0, 6000, ())
