"""System checks for the production build.

With the manifest storage (production), a page that names a static file missing from
``staticfiles.json`` answers 500. ``check --deploy``, run after ``collectstatic`` on each
release (README, "Production"), fails instead, before any page is served.
"""

from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, Tags, register
from django.core.files.storage import storages

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
