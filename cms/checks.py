"""System checks for the production build.

With the manifest storage (production), a page that names a static file missing from
``staticfiles.json`` answers 500. ``check --deploy``, run after ``collectstatic`` on each
release (README, "Production"), fails instead, before any page is served; and ``check``
(every run, ``make lint``) fails on a template naming a static file that does not exist.
"""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, Tags, Warning, register
from django.core.files.storage import storages
from django.template import engines

# The same patterns collectstatic ignores by default.
IGNORE_PATTERNS = ["CVS", ".*", "*~"]


@register(Tags.staticfiles, deploy=True)
def static_manifest_check(app_configs=None, **kwargs):
    storage = storages.create_storage(storages.backends["staticfiles"])
    if not isinstance(storage, ManifestFilesMixin):
        return []
    paths, _ = storage.load_manifest()
    if not paths:
        return [
            Error(
                f"No static files manifest ({storage.manifest_name}) in {storage.location}: "
                "every page would answer 500.",
                hint="Run `python manage.py collectstatic --no-input` before serving.",
                id="cms.E001",
            )
        ]
    missing = sorted(
        {
            path
            for finder in get_finders()
            for path, _storage in finder.list(IGNORE_PATTERNS)
            if path not in paths
        }
    )
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        return [
            Error(
                f"{len(missing)} static files are not in the manifest: {shown}",
                hint="Run `python manage.py collectstatic --no-input` again for this release.",
                id="cms.E002",
            )
        ]
    return []


STATIC_TAG = re.compile(r"""{%\s*static\s+["']([^"']+)["']""")


def project_template_dirs() -> list[Path]:
    """The template directories of this project (not of installed packages)."""
    base = Path(settings.BASE_DIR).resolve()
    found = []
    for engine in engines.all():
        for directory in getattr(engine, "template_dirs", ()):
            path = Path(directory).resolve()
            if path.is_relative_to(base) and not path.is_relative_to(base / ".venv"):
                found.append(path)
    return list(dict.fromkeys(found))  # DIRS and APP_DIRS can name one directory twice


def missing_static_names(directories) -> list[tuple[str, str]]:
    """(template, name) for each ``{% static 'name' %}`` that no static finder finds."""
    missing = []
    for directory in directories:
        for template in sorted(Path(directory).rglob("*.html")):
            for name in STATIC_TAG.findall(template.read_text(encoding="utf-8")):
                if not finders.find(name):
                    missing.append((str(template.relative_to(directory)), name))
    return missing


@register(Tags.staticfiles, Tags.templates)
def static_references_check(app_configs=None, **kwargs):
    """A template naming a static file that does not exist fails ``check`` (and the
    build), not the page: with the manifest storage such a page answers 500."""
    return [
        Error(
            f"{template} names the static file {name!r}, which does not exist.",
            hint="Fix the name, or add the file under static/.",
            id="cms.E003",
        )
        for template, name in missing_static_names(project_template_dirs())
    ]


@register(Tags.security, deploy=True)
def trusted_proxy_check(app_configs=None, **kwargs):
    """Production runs behind a reverse proxy: with no proxy trusted, every visitor has the
    proxy's address, and one client's failed logins lock everyone out."""
    if not settings.PRODUCTION or settings.ALLAUTH_TRUSTED_PROXY_COUNT > 0:
        return []
    if getattr(settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None):
        return []
    return [
        Warning(
            "ALLAUTH_TRUSTED_PROXY_COUNT is 0 in production: behind the reverse proxy every "
            "visitor would share the proxy's address in the rate limits.",
            hint="Set ALLAUTH_TRUSTED_PROXY_COUNT to the number of proxies in front of "
            "gunicorn (1 for the README's recipe).",
            id="cms.W001",
        )
    ]
