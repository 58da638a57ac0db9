"""Content-Security-Policy: on every page (storefront, account, admin), and the storefront
and account pages run no inline script, no inline style, no event handler attribute.

That the pages still work under the policy (maps load their tiles, the admin edits a
page) is shown in a real browser: tests/browser/test_csp.py.
"""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

from cms.csp import tile_origin
from cms.models import OfferIndexPage, ProviderIndexPage, TransparencyPage
from commissions.rules_io import rules_import
from tests import factories
from tests.commissions.test_commissions import RULES
from tests.conftest import make_user

# JSON data islands (json_script, JSON-LD) are data: the browser never executes them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineCodeFinder(HTMLParser):
    """Collects what a strict policy would block: inline scripts, style attributes and
    elements, on* handlers, javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            if (attributes.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
                self.found.append(f"inline <script {attrs}>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"style attribute on <{tag}>: {value}")
            if name.startswith("on"):
                self.found.append(f"{name} handler on <{tag}>")
            if name in {"href", "src", "action"} and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"javascript: URL on <{tag}>")


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    policy = {}
    for part in header.split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


@pytest.fixture
def storefront(territory):
    factories.category("camping")
    rules_import(site=territory, data=RULES, publish=True)  # the transparency page's keys
    campsite = factories.provider(territory, name="Camping des Érables")
    offers = [
        factories.stay(campsite, title="Chalet des Érables"),
        factories.activity(campsite, title="Balade", slots=[(factories.in_days(3), 8, 0)]),
        factories.product(campsite, title="Confiture"),
    ]
    with translation.override("fr"):
        return [
            "/",
            "/en/",
            OfferIndexPage.objects.get().url,
            OfferIndexPage.objects.get().url + "?kind=stay&category=camping",
            ProviderIndexPage.objects.get().url,
            TransparencyPage.objects.get().url,
            campsite.page.url,
            *(offer.url for offer in offers),
            reverse("cart"),
            reverse("account_login"),
            reverse("account_signup"),
            reverse("account_reset_password"),
            "/api/offers/",
        ]


def test_every_storefront_and_account_page_has_a_strict_policy(client, storefront):
    for url in storefront:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"], url
        assert policy["base-uri"] == ["'self'"], url
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], url
        assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"], url


def test_storefront_and_account_pages_hold_no_inline_code(client, storefront):
    for url in storefront:
        response = client.get(url)
        if "html" not in response.headers["Content-Type"]:
            continue
        finder = InlineCodeFinder()
        finder.feed(response.content.decode())
        assert finder.found == [], url


def test_json_ld_and_map_data_stay_data_islands(client, storefront):
    html = client.get(storefront[7]).content.decode()  # the stay's page
    assert '<script type="application/ld+json">' in html
    home = client.get("/").content.decode()
    assert re.search(r'<script id="home-map-data" type="application/json">', home)


def test_logged_in_pages_and_the_admin_have_a_policy(client, storefront):
    user = make_user("ana@example.org", is_superuser=True, is_staff=True)
    client.force_login(user)
    for url in (reverse("my_bookings"), reverse("account_email"), reverse("provider_apply")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response)["script-src"] == ["'self'"], url
    offer = OfferIndexPage.objects.get().get_children().first() or TransparencyPage.objects.get()
    for url in ("/admin/", "/admin/pages/", f"/admin/pages/{offer.pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = directives(response)
        # Wagtail's admin writes inline scripts: allowed there, and only there.
        assert policy["script-src"] == ["'self'", "'unsafe-inline'"], url
        assert policy["object-src"] == ["'none'"], url
        assert policy["frame-ancestors"] == ["'self'"], url


def test_the_admin_login_leads_to_the_strict_account_login(client, territory):
    response = client.get("/admin/login/")
    assert "Content-Security-Policy" in response.headers
    response = client.get("/admin/login/", follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("account_login")
    assert directives(response)["script-src"] == ["'self'"]


def test_map_tiles_origin_comes_from_the_setting(client, storefront, settings):
    settings.MAP_TILE_URL = "https://{s}.tiles.example.org/osm/{z}/{x}/{y}.png"
    policy = directives(client.get("/"))
    assert policy["img-src"] == ["'self'", "data:", "https://*.tiles.example.org"]


@pytest.mark.parametrize(
    ("template", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.fr:8443/{z}/{x}/{y}.png", "https://*.tile.example.fr:8443"),
        ("http://127.0.0.1:9000/{z}/{x}/{y}.png", "http://127.0.0.1:9000"),
        ("/tiles/{z}/{x}/{y}.png", None),
    ],
)
def test_tile_origin(template, origin):
    assert tile_origin(template) == origin


def test_a_cached_page_keeps_its_policy(client, storefront, settings):
    settings.STOREFRONT_CACHE_SECONDS = 60
    first = client.get("/")
    second = client.get("/")
    assert directives(first) == directives(second)
