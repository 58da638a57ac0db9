"""scripts/prod_smoke.py (`make prod-smoke`): it runs the README's release steps, and its
checks catch what they are for. The smoke itself runs in .ci/run (PostgreSQL + Redis)."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("prod_smoke", BASE_DIR / "scripts" / "prod_smoke.py")
prod_smoke = importlib.util.module_from_spec(spec)
sys.modules["prod_smoke"] = prod_smoke  # its dataclasses look their module up there
spec.loader.exec_module(prod_smoke)

GOOD_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'",
}


def test_the_readme_lists_the_release_steps_the_issue_names():
    steps = prod_smoke.release_steps((BASE_DIR / "README.md").read_text())

    assert steps == [
        ["compilemessages", "--ignore=.venv"],
        ["collectstatic", "--no-input"],
        ["migrate", "--no-input"],
        ["check", "--deploy", "--fail-level", "WARNING"],
    ]


def test_the_smoke_runs_the_readme_steps_in_order(monkeypatch):
    ran = []
    smoke = prod_smoke.Smoke.__new__(prod_smoke.Smoke)
    monkeypatch.setattr(smoke, "manage", lambda name, *args, env=None: ran.append(list(args)))

    smoke.build()

    readme_steps = prod_smoke.release_steps((BASE_DIR / "README.md").read_text())
    assert ran[: len(readme_steps)] == readme_steps
    assert ran[len(readme_steps)] == ["seed_demo", "--past-orders", "0"]


def test_a_readme_without_the_block_stops_the_smoke():
    with pytest.raises(prod_smoke.SmokeError, match="Production"):
        prod_smoke.release_steps("# Comptoir\n\n## Other\n")
    with pytest.raises(prod_smoke.SmokeError, match="manage.py"):
        prod_smoke.release_steps("## Production\n\n```sh\npip install .\n```\n\n## Next\n")


def test_every_security_header_is_required():
    assert prod_smoke.header_problems(GOOD_HEADERS) == []
    lowercase = {name.lower(): value for name, value in GOOD_HEADERS.items()}
    assert prod_smoke.header_problems(lowercase) == []
    for name in GOOD_HEADERS:
        headers = {key: value for key, value in GOOD_HEADERS.items() if key != name}
        assert prod_smoke.header_problems(headers) == [f"no {name}"]
    assert prod_smoke.header_problems({**GOOD_HEADERS, "X-Content-Type-Options": "x"}) == [
        "X-Content-Type-Options: 'x' lacks 'nosniff'"
    ]


def test_static_references_of_a_page_and_of_a_stylesheet():
    html = (
        '<link rel="stylesheet" href="/static/css/comptoir.abc123def456.css">'
        "<script src='/static/vendor/leaflet/leaflet.js' defer></script>"
        '<a href="/offres/">x</a><img src="/media/a.png">'
        '<div class="map" data-marker-icon="/static/vendor/leaflet/images/marker-icon.png">'
    )
    assert prod_smoke.static_references(html) == {
        "/static/css/comptoir.abc123def456.css",
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/images/marker-icon.png",
    }
    css = (
        ".a{background:url(images/layers.png)} .b{background:url('../img/x.svg#icon')}"
        '.c{background:url("data:image/png;base64,AAAA")}'
    )
    assert prod_smoke.css_references(css, "/static/vendor/leaflet/leaflet.css") == {
        "/static/vendor/leaflet/images/layers.png",
        "/static/vendor/img/x.svg",
    }


def test_make_and_ci_run_the_smoke():
    makefile = (BASE_DIR / "Makefile").read_text()
    assert re.search(r"^prod-smoke: install\n\t\$\(PY\) scripts/prod_smoke.py$", makefile, re.M)
    ci = (BASE_DIR / ".ci" / "run").read_text()
    assert ci.index("\nmake prod-smoke\n") > ci.index('step "Tests on PostgreSQL + Redis"')


def test_the_readme_recipe_trusts_the_proxy_and_binds_gunicorn_behind_it():
    readme = (BASE_DIR / "README.md").read_text()
    assert prod_smoke.release_exports(readme)["ALLAUTH_TRUSTED_PROXY_COUNT"] == "1"
    production = readme[readme.index("## Production") :]
    assert "--bind 127.0.0.1:" in production and "--bind 0." not in production


def test_the_smoke_runs_with_the_readmes_proxy_count_and_sends_the_proxys_header(monkeypatch):
    import shutil

    smoke = prod_smoke.Smoke()
    shutil.rmtree(smoke.workdir)
    assert smoke.env["ALLAUTH_TRUSTED_PROXY_COUNT"] == "1"
    assert smoke.env["ALLOWED_HOSTS"] == "127.0.0.1,localhost"  # its own, not the README's

    sent = {}

    class Connection:
        def __init__(self, *args, **kwargs):
            pass

        def request(self, method, path, headers):
            sent.update(headers)

        def getresponse(self):
            raise OSError("not connected")

        def close(self):
            pass

    monkeypatch.setattr(prod_smoke.http.client, "HTTPConnection", Connection)
    with pytest.raises(OSError):
        smoke.get("/")
    assert sent["X-Forwarded-For"] == prod_smoke.CRAWLER_IP
