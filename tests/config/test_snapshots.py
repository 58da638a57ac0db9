"""The replayed territory (tests/snapshots.py) is the one ``territory_setup`` builds."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from wagtail.models import Page, Site

from cms.services import EDITORS_GROUP, territory_setup
from tests.conftest import territory_replay
from tests.snapshots import _dump, _tables


def contents() -> dict:
    """What a test can see of a territory, ids aside: pages, the site, groups' rights."""
    return {
        "pages": sorted(Page.objects.values_list("path", "title", "slug", "live", "depth")),
        "sites": sorted(
            Site.objects.values_list(
                "hostname", "port", "site_name", "is_default_site", "root_page__path"
            )
        ),
        "groups": {
            group.name: sorted(group.permissions.values_list("codename", flat=True))
            for group in Group.objects.all()
        },
        "page_rights": sorted(
            (right.group.name, right.page.path, right.permission.codename)
            for right in Group.objects.get(name=EDITORS_GROUP).page_permissions.all()
        ),
    }


def keys() -> dict:
    """The primary keys in every table (each build draws new translation keys and log
    entry times: a replay has the recorded run's)."""
    return {table: set(rows) for table, rows in _dump(connection.cursor(), _tables()).items()}


@pytest.mark.django_db
def test_a_replayed_territory_is_the_built_one():
    start = transaction.savepoint()
    territory_replay()  # built and recorded, if no test did yet
    transaction.savepoint_rollback(start)
    replays = territory_replay.replays

    site = territory_replay()

    assert territory_replay.replays == replays + 1
    replayed, replayed_keys = contents(), keys()
    transaction.savepoint_rollback(start)
    built = territory_setup(hostname="localhost", port=80, site_name="Comptoir test")
    assert contents() == replayed
    assert built.pk == site.pk  # Wagtail's default site, completed
    if connection.vendor == "sqlite":  # the same ids too (PostgreSQL's sequences move on)
        assert keys() == replayed_keys


@pytest.mark.django_db
def test_a_database_not_in_the_recorded_state_gets_a_real_build():
    territory_replay()
    Group.objects.create(name="Un groupe d'abord")
    builds, replays = territory_replay.builds, territory_replay.replays

    site = territory_replay()

    assert (territory_replay.builds, territory_replay.replays) == (builds + 1, replays)
    assert site.root_page.specific.title == "Accueil"
    assert Group.objects.filter(name=EDITORS_GROUP).exists()


@pytest.mark.django_db
def test_a_replay_empties_the_cached_site_root_paths():
    recorded = transaction.savepoint()
    territory_replay()
    transaction.savepoint_rollback(recorded)
    welcome = Site.get_site_root_paths()  # cached: Wagtail's welcome page
    replays = territory_replay.replays

    site = territory_replay()

    assert territory_replay.replays == replays + 1
    paths = Site.get_site_root_paths()
    assert paths != welcome
    assert [path.root_path for path in paths] == [site.root_page.url_path]
