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


# A hit answers with the headers of the miss it replays: the response headers that the
# view and every middleware set (clickjacking, CORS on the API, a security policy added
# later), and ``Vary: Cookie``, since whether the page comes from the cache depends on
# the cookies. Only the cache marker and the date-like headers may differ.
UNCOMPARED_HEADERS = {HEADER.lower(), "date", "expires", "last-modified", "age"}


def comparable_headers(response) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in response.headers.items()
        if name.lower() not in UNCOMPARED_HEADERS
    }


@pytest.mark.parametrize("path", ["/", "/offres/?q=miel", "/en/offres/", "/api/offers/"])
def test_a_hit_carries_the_headers_of_the_miss(client, cached, path):
    miss = client.get(path)
    hit = client.get(path)
    assert (miss[HEADER], hit[HEADER]) == ("miss", "hit")
    assert hit.content == miss.content
    assert comparable_headers(hit) == comparable_headers(miss)
    assert hit["X-Frame-Options"] == "DENY"
    assert "Cookie" in hit["Vary"]
    if path.startswith("/api/"):
        assert hit["Access-Control-Allow-Origin"] == "*"


def test_a_head_hit_is_headed_like_the_miss(client, cached):
    miss = client.get("/api/offers/")
    hit = client.head("/api/offers/")
    assert (miss[HEADER], hit[HEADER]) == ("miss", "hit")
    assert comparable_headers(hit) == comparable_headers(miss)


def policy_middleware(get_response):
    """Stands for a middleware that adds a header after the cache (a CSP, say)."""

    def middleware(request):
        response = get_response(request)
        response["Content-Security-Policy"] = "default-src 'self'"
        response["X-Other"] = "set inside the cache"
        return response

    return middleware


def test_headers_set_by_middleware_inside_the_cache_are_replayed(client, cached, settings):
    position = settings.MIDDLEWARE.index("cms.middleware.AnonymousPageCacheMiddleware")
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[: position + 1],
        "tests.cms.test_page_cache.policy_middleware",
        *settings.MIDDLEWARE[position + 1 :],
    ]
    client.get("/offres/")
    hit = client.get("/offres/")
    assert hit[HEADER] == "hit"
    assert hit["Content-Security-Policy"] == "default-src 'self'"
    assert hit["X-Other"] == "set inside the cache"
