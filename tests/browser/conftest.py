"""Browser tests: Playwright's sync API driving Debian's Chromium against a live server.

Playwright's own browser download does not work here, so the tests use the system
Chromium (``/usr/bin/chromium``, or ``COMPTOIR_CHROMIUM``). Without it every browser test
is skipped with the reason, unless ``COMPTOIR_REQUIRE_BROWSER=1`` (set by ``.ci/run``):
then a missing browser is a failure, never a silent skip.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the live server's database
# calls from the test thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("COMPTOIR_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("COMPTOIR_REQUIRE_BROWSER", "") not in {"", "0", "false"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With COMPTOIR_REQUIRE_BROWSER, a skipped browser test is a failed one."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_BROWSER and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"COMPTOIR_REQUIRE_BROWSER is set, yet a browser test skipped: {reason}"


def pytest_collection_modifyitems(config, items):
    """Mark everything under tests/browser/ as ``browser`` (so ``-m "not browser"`` works)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(django_db_setup):
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install chromium)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # The test database's initial contents (Wagtail's root page, collection, locale...),
    # which pytest-django keeps on each connection object to restore them after a
    # transactional test empties the tables.
    initial_contents = {
        connection.alias: connection._test_serialized_contents
        for connection in connections.all()
        if hasattr(connection, "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        # Playwright's sync API moves this thread onto a greenlet with its own context,
        # where Django opens new connection objects: give them the initial contents too,
        # or the tables stay empty (no root page) from the second browser test on.
        for alias, contents in initial_contents.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test (no cookies carried over), French by default."""
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
