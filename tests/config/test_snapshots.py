"""The replayed territory (tests/snapshots.py) is the one ``territory_setup`` builds, and a
replayed module fixture gives back what its builder gave: for its own arguments only, the
same objects, the same e-mails and files, or a loud refusal."""

import dataclasses
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection, transaction
from wagtail.models import Page, Site

from cms.models import HomePage
from cms.services import EDITORS_GROUP, territory_setup
from marketplace.models import Label
from tests import factories
from tests.conftest import make_user, territory_replay
from tests.snapshots import Replay, Unreplayable, _dump, _tables


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


# --- Replayed module fixtures: arguments, results, what the build did outside the database


def recorded_then_replayed(replay, *args):
    """Build (and record) with ``args``, undo the rows, then call again: a replay."""
    start = transaction.savepoint()
    built = replay(*args)
    transaction.savepoint_rollback(start)
    replays = replay.replays
    replayed = replay(*args)
    assert replay.replays == replays + 1
    return built, replayed


def _labelled(category, suffix):
    return Label.objects.create(
        name=f"{category.name} {suffix}", name_en=category.name_en, slug=f"{category.slug}-{suffix}"
    )


@pytest.mark.django_db
def test_a_recording_is_kept_for_its_arguments_only():
    replay = Replay(_labelled)
    camping = factories.category()
    farm = factories.category("ferme", name="Ferme", name_en="Farm")
    start = transaction.savepoint()
    replay(camping, "a")
    transaction.savepoint_rollback(start)

    other_category = replay(farm, "a")
    transaction.savepoint_rollback(start)
    other_suffix = replay(camping, "b")
    transaction.savepoint_rollback(start)
    same = replay(camping, "a")

    assert (replay.builds, replay.replays) == (3, 1)
    assert other_category.slug == "ferme-a"
    assert other_suffix.slug == "camping-b"
    assert same.slug == "camping-a"
    assert list(Label.objects.values_list("slug", flat=True)) == ["camping-a"]


@dataclasses.dataclass
class Pair:
    user: object
    count: int


def _structured(category):
    user = make_user("structure@example.org", first_name="Rita")
    user.last_name = "Pas enregistré"  # held by the object, not saved
    home = Page.get_first_root_node().add_child(instance=HomePage(title="Autre", slug="autre"))
    return {
        "category": category,
        "users": [user, user],
        "plain": (3, "trois", Decimal("3.50"), dt.date(2026, 1, 3), None),
        "namespace": SimpleNamespace(user=user, when=dt.datetime(2026, 1, 3, 10, tzinfo=dt.UTC)),
        "pair": Pair(user=user, count=2),
        "home": home,
        "page": Page.objects.get(pk=home.pk),
    }


@pytest.mark.django_db
def test_a_structured_result_is_given_back_as_built():
    category = factories.category()
    built, replayed = recorded_then_replayed(Replay(_structured), category)

    assert replayed["category"] is category  # an argument is that argument
    user = replayed["users"][0]
    assert replayed["users"][1] is user  # one object twice is one object again
    assert replayed["namespace"].user is user and replayed["pair"].user is user
    assert (user.pk, user.first_name, user.last_name) == (
        built["users"][0].pk,
        "Rita",
        "Pas enregistré",
    )
    assert replayed["plain"] == built["plain"]
    assert replayed["namespace"].when == built["namespace"].when
    assert replayed["pair"] == Pair(user=user, count=2)
    assert type(replayed["home"]) is HomePage and type(replayed["page"]) is Page
    assert replayed["home"].pk == built["home"].pk
    assert replayed["home"].title == "Autre"


def _mailed_and_filed():
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    mail.send_mail("Bienvenue", "Bonjour", "noreply@example.org", ["a@example.org"])
    Group.objects.create(name="Avec un courriel")
    return default_storage.save("documents/note.txt", ContentFile(b"contenu"))


@pytest.mark.django_db
def test_a_replay_sends_the_mails_again_and_writes_the_files_into_this_media_root(
    settings, tmp_path
):
    replay = Replay(_mailed_and_filed)
    start = transaction.savepoint()
    name = replay()
    assert len(mail.outbox) == 1
    transaction.savepoint_rollback(start)
    settings.MEDIA_ROOT = str(tmp_path / "another")  # as the next test's own

    assert replay() == name
    assert replay.replays == 1
    assert [message.subject for message in mail.outbox] == ["Bienvenue", "Bienvenue"]
    assert mail.outbox[0] is not mail.outbox[1]
    assert (tmp_path / "another" / name).read_bytes() == b"contenu"


@pytest.mark.parametrize(
    ("result", "refusal"),
    [
        (lambda: object(), r"build: a object cannot be recorded"),
        (lambda: {"groups": Group.objects.all()}, r"build\['groups'\]: a QuerySet cannot"),
        (lambda: [Group(name="Jamais enregistré")], r"build\[0\]: an unsaved Group"),
        (lambda: SimpleNamespace(anything=lambda: None), r"build.anything: a function cannot"),
    ],
    ids=["object", "queryset", "unsaved", "function"],
)
@pytest.mark.django_db
def test_a_result_the_recording_cannot_give_back_is_refused_loudly(result, refusal):
    def build():
        Group.objects.create(name="Construit")
        return result()

    with pytest.raises(Unreplayable, match=refusal):
        Replay(build)()


@pytest.mark.django_db
def test_an_argument_the_recording_cannot_key_is_refused_loudly():
    replay = Replay(lambda anything: Group.objects.create(name="Construit"))

    with pytest.raises(Unreplayable, match="cannot be keyed by a object"):
        replay(object())


def _numbered_provider(site):
    return factories.provider(site, name=None)


@pytest.mark.django_db
def test_a_replay_moves_the_factories_counter_past_the_replayed_rows(territory):
    built, replayed = recorded_then_replayed(Replay(_numbered_provider), territory)

    assert replayed.slug == built.slug
    after = factories.provider(territory)  # the next number: no slug, SIRET or e-mail met
    assert after.slug != replayed.slug and after.siret != replayed.siret
