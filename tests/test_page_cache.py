"""Whole pages from the cache for anonymous visitors, fresh for everyone else."""

import pytest

from cms.middleware import HEADER
from marketplace.models import TerritorySettings
from tests import factories
from tests.conftest import make_user


@pytest.fixture
def cached(settings, territory):
    settings.STOREFRONT_CACHE_SECONDS = 30
    TerritorySettings.for_site(territory)  # created on first read, which counts as a change
    provider = factories.provider(territory, name="Ferme des Tilleuls")
    return factories.product(provider, title="Miel de tilleul")


def test_anonymous_pages_are_served_from_the_cache_until_the_catalogue_changes(client, cached):
    first = client.get("/offres/?q=miel")
    assert first.status_code == 200 and first[HEADER] == "miss"
    second = client.get("/offres/?q=miel")
    assert second[HEADER] == "hit"
    assert second.content == first.content
    assert "Miel de tilleul" in second.content.decode()
    assert client.get("/offres/?q=miel&kind=product")[HEADER] == "miss"  # other query string
    assert client.get("/en/offres/?q=miel")[HEADER] == "miss"  # other language

    cached.title = "Miel de châtaignier"
    cached.save_revision().publish()
    third = client.get("/offres/?q=miel")
    assert third[HEADER] == "miss"
    assert "Miel de châtaignier" in third.content.decode()


def test_signed_in_people_and_posts_are_never_cached(client, cached):
    client.get("/offres/")
    client.force_login(make_user("visiteur@example.org"))
    response = client.get("/offres/")
    assert HEADER not in response
    assert "visiteur@example.org" in response.content.decode()
    client.logout()
    response = client.post("/offres/")
    assert HEADER not in response


def test_pages_that_set_a_cookie_are_not_shared(client, cached):
    response = client.get("/accounts/login/")
    assert HEADER not in response
    assert client.get("/accounts/login/").get(HEADER) is None


def test_the_api_is_cached_too(client, cached):
    assert client.get("/api/offers/")[HEADER] == "miss"
    response = client.get("/api/offers/")
    assert response[HEADER] == "hit"
    assert response.json()["count"] == 1
