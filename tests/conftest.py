"""Shared fixtures: a territory, its staff and providers, huey in immediate mode."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


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
    test marked ``real_stripe`` (tests/test_stripe_real.py, skipped without a test key)."""
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


@pytest.fixture
def territory(db):
    """The default site with its home page, catalogue, provider index and staff groups."""
    from cms.services import territory_setup

    return territory_setup(hostname="localhost", port=80, site_name="Comptoir test")


def make_user(
    email: str,
    *,
    password: str = "correct-horse-battery",
    verified: bool = True,
    groups: tuple[str, ...] = (),
    **extra,
):
    from allauth.account.models import EmailAddress

    user = get_user_model().objects.create_user(
        username=email.split("@")[0][:150], email=email, password=password, **extra
    )
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


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


def make_siret(seed: int) -> str:
    """A valid (Luhn) SIRET number, different for each seed."""
    body = f"{seed:013d}"[-13:]
    if body.startswith("356000000"):
        body = "4" + body[1:]
    for last in "0123456789":
        digits = body + last
        total = sum(
            (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
            for i, d in enumerate(int(c) for c in reversed(digits))
        )
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


@pytest.fixture
def category(db):
    from marketplace.models import ProviderCategory

    return ProviderCategory.objects.get_or_create(
        slug="camping", defaults={"name": "Camping", "name_en": "Campsite"}
    )[0]


def make_provider(site, *, name: str, category, member=None, approve: bool = True, **fields):
    """A provider of ``site`` applied for by ``member``; approved (page, group) by default."""
    from marketplace.models import Provider
    from marketplace.services import provider_approve, provider_slug_unique

    seed = Provider.objects.count() + 1
    values = {
        "legal_name": f"{name} SARL",
        "commune": "Saint-Martin",
        "address": "1 place de la Mairie",
        "postcode": "07100",
        "siret": make_siret(seed * 7919),
        "contact_name": "Camille Martin",
        "email": f"contact{seed}@example.org",
        "description": f"{name}: une entreprise du territoire.",
    }
    values.update(fields)
    provider = Provider.objects.create(
        site=site,
        name=name,
        slug=provider_slug_unique(name=name),
        category=category,
        applied_by=member,
        **values,
    )
    if approve:
        provider = provider_approve(provider=provider)
    return provider


STRIPE_PLATFORM_SECRET = "whsec_platform_test"
STRIPE_CONNECT_SECRET = "whsec_connect_test"


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
