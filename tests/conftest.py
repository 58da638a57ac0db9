"""Shared fixtures: a territory, its staff and providers, huey in immediate mode.

What lives here: fixtures every test module may use, and the suite's speed settings
(MD5 password hashing, the replayed territory). Builders of data (users, providers,
offers) live in tests/factories.py; the replay machinery in tests/snapshots.py.
"""

import datetime as dt
import os
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.factories import make_provider, make_siret, make_user
from tests.snapshots import Replay, keys_follow_rows

# make_user, make_siret and make_provider live in tests/factories.py (the one set of
# builders); they stay importable from here, where many test modules import them.
__all__ = ["make_provider", "make_siret", "make_user"]


# Modules whose tests share one expensive module-scoped fixture (the demo seeded once)
# and are quick once it is there: under pytest-xdist (``make test`` runs ``-n auto
# --dist loadgroup``) such a module runs whole on one worker instead of seeding on each.
# pytest-xdist's loadgroup sends the groups out first, the largest first, then the single
# tests in their order: a group must hold no transactional test (pytest-django runs those
# last on a worker, since each empties the tables for the tests after it), which
# pytest_collection_modifyitems checks.
XDIST_GROUPS = {
    # The two modules that seed the whole demo (module fixtures), on one worker: the
    # other never seeds. Together about a quarter of the suite.
    "test_seed.py": "seed_demo",
    "test_url_walk.py": "seed_demo",
}


def pytest_configure(config):
    # Declared here too, so that a run without xdist (-p no:xdist) accepts the marks
    # pytest_collection_modifyitems adds (the suite runs with --strict-markers).
    config.addinivalue_line("markers", "xdist_group(name): run on one xdist worker")


def pytest_addoption(parser):
    parser.addoption(
        "--own-process",
        action="store_true",
        help="run only the tests marked own_process (make test runs them after the suite)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Groups and order for pytest-xdist (pytest-django then moves transactional tests
    last, keeping this order otherwise).

    Tests marked ``own_process`` migrate the test database back and forth: beside other
    tests (another worker's serialized rollback, the territory snapshot) they would see or
    leave content types that moved. They run in a process of their own, ``--own-process``,
    which ``make test`` starts beside the suite; the suite itself deselects them."""
    own = config.getoption("--own-process")
    kept = [item for item in items if bool(item.get_closest_marker("own_process")) == own]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
    for item in items:
        group = XDIST_GROUPS.get(item.path.name)
        if group is not None:
            if _transactional(item):
                raise pytest.UsageError(
                    f"{item.nodeid} is transactional: it cannot join the xdist group "
                    f"{group!r} (tests/conftest.py, XDIST_GROUPS)"
                )
            item.add_marker(pytest.mark.xdist_group(group))


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """Refuse to run if pytest-xdist's loadgroup scheduler would ignore the groups.

    The scheduler keeps a group on one worker by an ``@<group>`` suffix that pytest-xdist
    3.8 writes into each test's id; pytest 9.2 no longer reads it (pytest-dev/pytest-xdist
    issue 1386), and the groups were silently spread over the workers: test_seed.py seeded
    on each, the many-connection modules ran side by side. pytest is pinned below 9.2 in
    pyproject.toml for that reason; this check says so if an upgrade brings it back."""
    if node.config.getoption("dist", None) != "loadgroup":
        return
    lost = [i for i in ids if i.split("::")[0].rsplit("/", 1)[-1] in XDIST_GROUPS and "@" not in i]
    if lost:
        pytest.exit(
            f"pytest-xdist's loadgroup ignores the groups ({lost[0]} has no @<group>): "
            "pytest-dev/pytest-xdist issue 1386; keep pytest below 9.2.",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


def xdist_worker_number(worker_id: str) -> int:
    """0 for the first pytest-xdist worker (``gw0``) and without xdist ("master")."""
    return int(worker_id[2:]) if worker_id.startswith("gw") else 0


def worker_port(worker_id: str, offset: int = 0) -> int:
    """A fixed local port of this worker's own, for a test that cannot take port 0:
    18200 + 20 per worker + ``offset`` (0-19), so workers never share one."""
    assert 0 <= offset < 20, offset
    return 18200 + 20 * xdist_worker_number(worker_id) + offset


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, request):
    """The processes of one run migrate once and copy the result (tests/db_template.py)."""
    from tests import db_template

    db_template.install(db_template.run_id(request.config))


@pytest.fixture(autouse=True, scope="session")
def _redis_database_per_worker():
    """Under xdist with REDIS_URL, each worker caches in its own Redis database (8 + its
    number): every test empties the cache (``cache.clear()`` is Redis' FLUSHDB), which
    must not empty another worker's in the middle of its test."""
    from django.conf import settings
    from django.test import override_settings

    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "master")
    cache = settings.CACHES["default"]
    if worker_id == "master" or not cache["BACKEND"].endswith("RedisCache"):
        yield
        return
    number = 8 + xdist_worker_number(worker_id)
    assert number < 15, "at most 7 xdist workers with REDIS_URL (database 15 is the smoke's)"
    location = urlunsplit(urlsplit(cache["LOCATION"])._replace(path=f"/{number}"))
    with override_settings(CACHES={"default": {**cache, "LOCATION": location}}):
        yield


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Tests hash with MD5: PBKDF2's 1,000,000 iterations cost half a second a user, and
    the suite creates thousands of users. What hashing must do in production is checked
    on the settings themselves (tests/config/test_settings.py), not by paying for it here."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (French), as the first test of a process
    does: a request leaves its language active in the thread (LocaleMiddleware), and
    under pytest-xdist any test may come after one that ended in English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _huey_immediate():
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture(autouse=True)
def _no_real_stripe(request, monkeypatch):
    """Tests never reach Stripe: any stripe-python call to a non-local host fails the test
    (the local double, in-process or on 127.0.0.1, is allowed). The one exception is a
    test marked ``real_stripe`` (tests/payments/test_stripe_real.py, skipped without a test key)."""
    from tests.stripe_double.guard import block_real_stripe

    if request.node.get_closest_marker("real_stripe") is None:
        block_real_stripe(monkeypatch)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded files and image renditions go to a temporary directory, never var/media."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Each test starts with an empty cache (locmem, or Redis when REDIS_URL is set).

    Storefront caching is off unless a test turns it on: tests change data with bulk
    updates that no signal sees, and read pages right after.
    """
    from django.core.cache import cache

    settings.STOREFRONT_CACHE_SECONDS = 0
    cache.clear()
    yield


def _territory_build():
    from cms.services import territory_setup

    return territory_setup(hostname="localhost", port=80, site_name="Comptoir test")


def _territory_replayed():
    """What the saves of ``territory_setup`` would have done to caches (no signal fires)."""
    from wagtail.models import Site

    from cms.cache import catalogue_changed

    Site.clear_site_root_paths_cache()
    catalogue_changed()


territory_replay = Replay(_territory_build, after_replay=_territory_replayed)


@pytest.fixture
def db(db):
    """pytest-django's ``db``, with keys that do not depend on the tests before (on
    PostgreSQL, ``keys_follow_rows``): replayed fixtures then find their recorded state."""
    keys_follow_rows()


@pytest.fixture
def territory(db):
    """The default site with its home page, catalogue, provider index and staff groups.

    Built by ``territory_setup`` in the first test that asks for it, then replayed row
    for row (tests/snapshots.py): the same rows, in a few milliseconds.
    """
    return territory_replay()


def reauthenticate(client, password: str = "correct-horse-battery"):
    """Re-enter the password on allauth's page, as a sensitive page (deletion) asks."""
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, response
    return response


@pytest.fixture
def editor(territory):
    from cms.services import EDITORS_GROUP

    return make_user("editrice@example.org", groups=(EDITORS_GROUP,))


@pytest.fixture
def finance(territory):
    from cms.services import FINANCE_GROUP

    return make_user("finances@example.org", groups=(FINANCE_GROUP,))


@pytest.fixture
def council(territory):
    from cms.services import COUNCIL_GROUP

    return make_user("conseil@example.org", groups=(COUNCIL_GROUP,))


@pytest.fixture
def visitor(db):
    return make_user("visiteur@example.org")


@pytest.fixture
def category(db):
    from marketplace.models import ProviderCategory

    return ProviderCategory.objects.get_or_create(
        slug="camping", defaults={"name": "Camping", "name_en": "Campsite"}
    )[0]


STRIPE_PLATFORM_SECRET = "whsec_platform_test"
STRIPE_CONNECT_SECRET = "whsec_connect_test"


@pytest.fixture
def services_delivered(monkeypatch):
    """Every booking's service is behind us: Stripe transfers are made at payment, as
    they were before providers were paid after the service (issue 13 §2). For the tests
    of transfer mechanics (retries, refunds, reversals, disputes, reconciliation); the
    waiting itself is tested in tests/payments/test_stripe_payable.py."""
    from django.utils import timezone

    from payments.stripe import transfers

    far = timezone.localdate() + dt.timedelta(days=3 * 366)
    monkeypatch.setattr(transfers, "local_today", lambda: far)
    return far


@pytest.fixture
def stripe_double(settings, monkeypatch):
    """Stripe configured and answered by an in-process double (``tests.stripe_double``)."""
    from payments.stripe import client as stripe_client
    from tests.stripe_double import DoubleHTTPClient, StripeDouble

    double = StripeDouble(base_url="http://127.0.0.1:12111")
    settings.STRIPE_SECRET_KEY = "sk_test_double"
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_PLATFORM_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = STRIPE_CONNECT_SECRET
    monkeypatch.setattr(stripe_client, "HTTP_CLIENT", DoubleHTTPClient(double))
    return double


@pytest.fixture
def double_server(settings, monkeypatch, live_server):
    """The double as a real server on a free local port, reached over sockets (no
    in-process shortcut), delivering its signed webhooks to the live server: what
    ``make run-stripe`` runs."""
    from django.urls import reverse

    from payments.stripe import client as stripe_client
    from tests.stripe_double.server import serve_in_thread

    monkeypatch.setattr(stripe_client, "HTTP_CLIENT", None)
    server = serve_in_thread(
        0,
        webhooks={
            "platform": (live_server.url + reverse("stripe_webhook"), STRIPE_PLATFORM_SECRET),
            "connect": (
                live_server.url + reverse("stripe_connect_webhook"),
                STRIPE_CONNECT_SECRET,
            ),
        },
    )
    settings.STRIPE_SECRET_KEY = "sk_test_double"
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_PLATFORM_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = STRIPE_CONNECT_SECRET
    yield server
    server.shutdown()
    server.server_close()
