"""Production settings: refuse to start without their secrets, pass ``check --deploy``.

Each case runs ``manage.py`` in a fresh process, because settings are read once at start.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``manage.py`` with only the given environment (plus PATH and a scratch var dir)."""
    clean_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "COMPTOIR_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides: str) -> dict[str, str]:
    """Everything production needs; nothing is contacted at start (no Redis, no Stripe)."""
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "comptoir.example.org",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "STRIPE_SECRET_KEY": "sk_test_not_a_real_key",
        "STRIPE_WEBHOOK_SECRET": "whsec_not_a_real_secret",
        "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_not_a_real_connect_secret",
        "ALLAUTH_TRUSTED_PROXY_COUNT": "1",
        "PUBLIC_URL": "https://comptoir.example.org",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value}


@pytest.mark.parametrize(
    ("unset", "missing"),
    [
        (("SECRET_KEY", "ALLOWED_HOSTS"), "SECRET_KEY, ALLOWED_HOSTS"),
        (("ALLOWED_HOSTS",), "ALLOWED_HOSTS"),
        (("SECRET_KEY",), "SECRET_KEY"),
        (("REDIS_URL",), "REDIS_URL"),
        (("STRIPE_SECRET_KEY",), "STRIPE_SECRET_KEY"),
        (("PUBLIC_URL",), "PUBLIC_URL"),
        (
            ("SECRET_KEY", "REDIS_URL", "STRIPE_SECRET_KEY"),
            "SECRET_KEY, REDIS_URL, STRIPE_SECRET_KEY",
        ),
    ],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path, unset, missing):
    env = production_env(**dict.fromkeys(unset, ""))

    result = manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert f"Production settings need these environment variables: {missing}" in result.stderr


def test_production_says_why_redis_and_stripe_are_required(tmp_path):
    env = production_env(REDIS_URL="", STRIPE_SECRET_KEY="")

    result = manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "shared between processes" in result.stderr
    assert "dev payment gateway" in result.stderr


@pytest.mark.parametrize(
    "public_url",
    ["http://comptoir.example.org", "https://comptoir.example.org/shop", "comptoir.example.org"],
)
def test_production_refuses_a_public_url_that_is_not_an_https_origin(tmp_path, public_url):
    result = manage("check", env=production_env(PUBLIC_URL=public_url), tmp_path=tmp_path)

    assert result.returncode != 0
    assert "PUBLIC_URL must be the site's public address" in result.stderr


def test_a_deployment_that_set_base_url_keeps_its_address(tmp_path):
    """BASE_URL was the name before PUBLIC_URL: still read when PUBLIC_URL is not set."""
    env = production_env(PUBLIC_URL="", BASE_URL="https://ancienne.example.org")
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PUBLIC_URL)",
        env=env,
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("https://ancienne.example.org")


def test_production_refuses_the_stripe_double(tmp_path):
    env = production_env(STRIPE_API_BASE="http://127.0.0.1:12111")

    result = manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "STRIPE_API_BASE" in result.stderr


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """``collectstatic`` with the production storage (hashed names, a manifest)."""
    tmp_path = tmp_path_factory.mktemp("production")
    result = manage("collectstatic", "--no-input", env=production_env(), tmp_path=tmp_path)
    return tmp_path, result


def test_collectstatic_builds_the_production_manifest(collected):
    tmp_path, result = collected

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert (tmp_path / "var" / "staticfiles" / "staticfiles.json").exists()


def test_production_settings_pass_the_deploy_checks(collected):
    tmp_path, _ = collected

    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(), tmp_path=tmp_path
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_warn_when_production_trusts_no_proxy(collected):
    """Behind the proxy, with a count of 0, every visitor has the proxy's address: one
    attacker's failed logins would lock everyone out."""
    tmp_path, _ = collected
    env = production_env(ALLAUTH_TRUSTED_PROXY_COUNT="")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "cms.W001" in result.stderr and "ALLAUTH_TRUSTED_PROXY_COUNT" in result.stderr


def test_deploy_checks_fail_without_the_collected_manifest(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(), tmp_path=tmp_path
    )

    assert result.returncode != 0
    assert "cms.E001" in result.stderr
    assert "collectstatic" in result.stderr


def test_development_defaults_need_no_environment(tmp_path):
    result = manage("check", env={}, tmp_path=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_render_with_the_collected_manifest(collected, client, settings, territory):
    """Every page type, served with the production static storage and what collectstatic
    built: each static URL is a hashed name that exists on disk."""
    from django.urls import reverse
    from django.utils import translation

    from cms.models import OfferIndexPage, ProviderIndexPage, TransparencyPage
    from tests import factories

    tmp_path, result = collected
    assert result.returncode == 0, result.stderr[-4000:]
    static_root = tmp_path / "var" / "staticfiles"
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    campsite = factories.provider(territory, name="Camping des Érables")
    offers = [
        factories.stay(campsite, title="Chalet des Érables"),
        factories.activity(campsite, title="Balade", slots=[(factories.in_days(3), 8, 0)]),
        factories.product(campsite, title="Confiture"),
    ]
    with translation.override("fr"):
        urls = [
            "/",
            OfferIndexPage.objects.get().url,
            OfferIndexPage.objects.get().url + "?kind=stay",
            ProviderIndexPage.objects.get().url,
            TransparencyPage.objects.get().url,
            campsite.page.url,
            *(offer.url for offer in offers),
            reverse("cart"),
            reverse("account_login"),
            reverse("account_signup"),
            reverse("wagtailadmin_login"),
        ]
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        referenced = set(re.findall(r'/static/([^"\'?#\s)]+)', response.content.decode()))
        assert referenced, url
        if 'class="map"' in response.content.decode():
            assert any(name.startswith("vendor/leaflet/images/marker-icon.") for name in referenced)
        for name in referenced:
            assert (static_root / name).is_file(), f"{url} names /static/{name}, not collected"
            assert re.search(r"\.[0-9a-f]{12}\.", name), f"{url}: /static/{name} is not hashed"


def test_a_template_naming_a_missing_static_file_fails_the_check(tmp_path):
    from cms.checks import missing_static_names, static_references_check

    assert static_references_check() == []
    (tmp_path / "page.html").write_text(
        "{% load static %}<link href=\"{% static 'css/comptoir.css' %}\">"
        "<script src=\"{% static 'vendor/leaflet/leaflet.min.js' %}\"></script>"
    )
    assert missing_static_names([tmp_path]) == [("page.html", "vendor/leaflet/leaflet.min.js")]


def test_whitenoise_starts_without_warning_before_any_collectstatic():
    """The static root exists from the settings on (collectstatic fills it in production),
    so each request handler WhiteNoise wraps does not warn "No directory at" (make test
    printed it for every test client)."""
    import warnings

    from django.conf import settings
    from whitenoise.middleware import WhiteNoiseMiddleware

    assert Path(settings.STATIC_ROOT).is_dir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        WhiteNoiseMiddleware(lambda request: None)
    assert not [w for w in caught if "No directory at" in str(w.message)]


def test_settings_and_admin_forms_load_without_a_deprecation_warning(tmp_path):
    """No transitional setting (FORMS_URLFIELD_ASSUME_HTTPS warned at every start of
    Django 5.x and goes away in 6.0), and the admin's forms, built with the URLs, say
    their URL fields' scheme: Django starts clean with deprecations as errors."""
    code = (
        "import django; django.setup(); "
        "from django.urls import get_resolver; get_resolver().url_patterns"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        cwd=BASE_DIR,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "COMPTOIR_VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_every_url_field_of_ours_assumes_https_by_itself():
    """Without the transitional setting, each form's URL field says its scheme: a web
    address typed without one is taken as https, and Django does not warn (it would
    with a field that says none)."""
    import warnings

    from django.apps import apps
    from django.db import models
    from wagtail.admin.forms.models import WagtailAdminModelForm
    from wagtail.contrib.forms.forms import FormBuilder

    from marketplace.forms import ProviderApplicationForm

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        fields = [ProviderApplicationForm().fields["website"]]
        for model in apps.get_models():
            names = [
                f.name
                for f in model._meta.get_fields()
                if isinstance(f, models.URLField) and f.editable
            ]
            if names:
                form = type(
                    "Form",
                    (WagtailAdminModelForm,),
                    {
                        "Meta": type(
                            "Meta",
                            (WagtailAdminModelForm.Meta,),
                            {"model": model, "fields": names},
                        )
                    },
                )
                fields += [form().fields[name] for name in names]
        builder = FormBuilder([])
        fields.append(builder.create_url_field(None, {}))
    assert len(fields) > 3
    assert {field.assume_scheme for field in fields} == {"https"}
