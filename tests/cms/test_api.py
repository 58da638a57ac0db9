"""The public JSON API: shape, filters shared with /offres/, errors, pages, budgets."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from tests import factories
from tests.snapshots import Replay


@pytest.fixture(autouse=True)
def _french_first():
    """Requests leave their language active in the thread: start each test in French,
    so ``page.url`` means the French URL."""
    with translation.override("fr"):
        yield


def build_catalogue(territory):
    camping = factories.category("camping", "Camping", "Campsite")
    loisirs = factories.category("loisirs", "Loisirs", "Leisure")
    campsite = factories.provider(territory, name="Camping des Érables", category_obj=camping)
    river = factories.provider(
        territory, name="Rivière Aventure", category_obj=loisirs, latitude=None, longitude=None
    )
    factories.provider(territory, name="En attente", approve=False)
    return {
        "campsite": campsite,
        "river": river,
        "stay": factories.stay(campsite, title="Chalet", price_per_night=6000),
        "activity": factories.activity(
            river, title="Canoë", slots=[(factories.in_days(2), 8, 0)], price_per_person=3000
        ),
    }


catalogue_replay = Replay(build_catalogue)


@pytest.fixture
def catalogue(territory):
    """``build_catalogue``, built once and then replayed (tests/snapshots.py)."""
    return catalogue_replay(territory)


def test_offers_shape(client, catalogue):
    response = client.get("/api/offers/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["count"] == 2
    assert data["next"] is None and data["previous"] is None
    by_title = {item["title"]: item for item in data["results"]}
    stay = by_title["Chalet"]
    assert set(stay) >= {
        "id",
        "title",
        "url",
        "kind",
        "category",
        "provider",
        "commune",
        "coordinates",
        "price_from",
    }
    assert stay["id"] == catalogue["stay"].pk
    assert stay["url"] == "http://testserver" + catalogue["stay"].url
    assert stay["kind"] == "stay"
    assert stay["category"] == {"slug": "camping", "name": "Camping"}
    assert stay["provider"] == {"id": catalogue["campsite"].pk, "name": "Camping des Érables"}
    assert stay["commune"] == "Saint-Martin"
    assert stay["coordinates"] == {"lat": 45.1, "lng": 4.2}
    assert stay["price_from"] == 6000
    assert by_title["Canoë"]["coordinates"] is None


def test_offers_use_the_listing_filters(client, catalogue):
    assert client.get("/api/offers/?kind=activity").json()["count"] == 1
    assert client.get("/api/offers/?category=camping&price_max=70").json()["count"] == 1
    assert client.get("/api/offers/?q=canoe").json()["results"][0]["title"] == "Canoë"
    start = timezone.localdate() + dt.timedelta(days=2)
    end = start + dt.timedelta(days=1)
    data = client.get(f"/api/offers/?start={start}&end={end}&guests=2&ordering=-price").json()
    assert [item["title"] for item in data["results"]] == ["Chalet", "Canoë"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("price_min=abc", "price_min"),
        ("category=nope", "category"),
        ("start={in10}&end={in5}", "end"),
        ("guests=0", "guests"),
        ("page=99", "page"),
        ("page=x", "page"),
        ("page_size=1000", "page_size"),
        ("q=" + "y" * 10_000, "q"),
    ],
)
def test_bad_values_give_400_with_errors(client, catalogue, query, field):
    today = timezone.localdate()
    query = query.format(in10=today + dt.timedelta(days=10), in5=today + dt.timedelta(days=5))
    response = client.get(f"/api/offers/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unknown_parameters_are_ignored(client, catalogue):
    assert client.get("/api/offers/?_=12345").status_code == 200


def test_pages_link_to_each_other(client, catalogue):
    factories.bulk_stay_offers(catalogue["campsite"], 30)
    first = client.get("/api/offers/?kind=stay").json()
    assert first["count"] == 31 and len(first["results"]) == 24
    assert first["next"] == "http://testserver/api/offers/?kind=stay&page=2"
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 7
    assert second["previous"] == "http://testserver/api/offers/?kind=stay&page=1"
    assert client.get("/api/offers/?page_size=5").json()["next"].endswith("page_size=5&page=2")


def test_providers(client, catalogue):
    data = client.get("/api/providers/").json()
    assert data["count"] == 2
    first = data["results"][0]
    assert first == {
        "id": catalogue["campsite"].pk,
        "name": "Camping des Érables",
        "url": "http://testserver" + catalogue["campsite"].page.url,
        "category": {"slug": "camping", "name": "Camping"},
        "commune": "Saint-Martin",
        "coordinates": {"lat": 45.1, "lng": 4.2},
    }
    assert data["results"][1]["coordinates"] is None
    assert client.get("/api/providers/?page=3").status_code == 400


def test_api_is_read_only(client, catalogue):
    assert client.post("/api/offers/").status_code == 405


def test_api_query_budget_is_constant(client, catalogue, django_assert_num_queries):
    start = timezone.localdate() + dt.timedelta(days=2)
    urls = [
        "/api/offers/",
        f"/api/offers/?start={start}&end={start + dt.timedelta(days=2)}&guests=2&category=camping",
        "/api/offers/?q=lot&ordering=price&page_size=50",
        "/api/providers/",
    ]
    factories.bulk_stay_offers(catalogue["campsite"], 10)
    for url in urls:
        client.get(url)
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        counts[url] = len(captured.captured_queries)
    factories.bulk_stay_offers(catalogue["river"], 1000)
    for index in range(40):
        factories.provider(catalogue["campsite"].site, name=f"Boutique {index}")
    for url in urls:
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_results_cache_serves_repeats_and_forgets_on_changes(client, catalogue, settings):
    settings.STOREFRONT_CACHE_SECONDS = 30
    assert client.get("/api/offers/").json()["count"] == 2
    with CaptureQueriesContext(connection) as warm:
        assert client.get("/api/offers/").json()["count"] == 2
    assert len(warm.captured_queries) <= 8  # form checks only, no result query
    factories.product(catalogue["campsite"], title="Confiture")
    assert client.get("/api/offers/").json()["count"] == 3
    assert client.get("/api/offers/?price_min=abc").status_code == 400
