"""Pages still work under the Content-Security-Policy, in a real Chromium.

The maps load their tiles from MAP_TILE_URL's origin (a local tile server here, on
another port than the site: another origin), and Wagtail's admin logs in and opens a
page editor, all without a single CSP violation or script error.
"""

import base64
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# A 1x1 transparent PNG: enough for Leaflet to count a tile as loaded.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + event.blockedURI);
});
"""


@pytest.fixture
def tile_server():
    requests = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            requests.append(self.path)
            try:
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)
            except (BrokenPipeError, ConnectionResetError):
                pass  # Leaflet cancels the tiles it no longer needs when the map zooms

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(live_server):
    from wagtail.models import Site

    from cms.services import territory_setup
    from tests import factories

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    saules = factories.provider(site, name="Camping des Saules", category_obj=factories.category())
    stay = factories.stay(saules, title="Emplacement au bord de l'eau", units=40)
    return {"site": site, "provider": saules, "stay": stay}


def watched(page):
    """Record CSP violations (DOM events and console) and uncaught script errors."""
    problems = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return problems


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def test_maps_load_their_tiles_under_the_policy(page, site, tile_server, settings):
    origin, tile_requests = tile_server
    settings.MAP_TILE_URL = origin + "/{z}/{x}/{y}.png"
    problems = watched(page)
    for url in ("/", "/offres/", site["stay"].url, site["provider"].page.url):
        tile_requests.clear()
        response = page.goto(url)
        assert origin in response.headers["content-security-policy"]
        page.locator(".leaflet-tile-loaded").first.wait_for()
        assert tile_requests, f"{url}: no tile requested"
        marker = page.locator("img.leaflet-marker-icon").first
        marker.wait_for()
        assert marker.evaluate("img => img.complete && img.naturalWidth > 0"), url
        assert violations(page) == [], url
    assert problems == []


def test_admin_logs_in_and_opens_a_page_editor_under_the_policy(page, site):
    from tests.conftest import make_user

    make_user("admin@example.org", is_superuser=True, is_staff=True)
    problems = watched(page)
    response = page.goto("/admin/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert "'unsafe-inline'" not in response.headers.get("content-security-policy", "")
    page.locator("main form input[name=login]").fill("admin@example.org")
    page.locator("main form input[name=password]").fill("correct-horse-battery")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert violations(page) == []

    response = page.goto(f"/admin/pages/{site['stay'].pk}/edit/")
    assert response.status == 200
    assert "content-security-policy" in response.headers
    page.locator("#page-edit-form").wait_for()
    # The editor's scripts ran: its tabs and the title field are live.
    page.get_by_role("tab").first.wait_for()
    assert page.locator("input[name=title]").input_value() == "Emplacement au bord de l'eau"
    page.wait_for_timeout(1000)
    assert violations(page) == []
    assert problems == []
