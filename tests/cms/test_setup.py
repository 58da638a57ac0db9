from wagtail.models import Site

from cms.models import HomePage, OfferIndexPage, ProviderIndexPage
from cms.services import territory_setup


def test_territory_setup_is_idempotent(territory):
    territory_setup(hostname="localhost", port=80, site_name="Comptoir test")
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert OfferIndexPage.objects.get().url_path.endswith("/offres/")
    assert ProviderIndexPage.objects.count() == 1
    assert HomePage.objects.count() == 1


# Wagtail's first migration creates "Editors" and "Moderators" with the right to add,
# edit and publish anywhere under the root page, and every image and document. Comptoir
# has its own groups, scoped to the territory's home page and to a provider's page: no
# other group may hold a permission on the root page or the root collection.
WAGTAIL_DEFAULT_GROUPS = ("Editors", "Moderators")


def test_only_the_territory_groups_hold_permissions_on_the_page_tree(territory):
    from django.contrib.auth.models import Group
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

    from cms.services import EDITORS_GROUP
    from tests import factories

    provider = factories.provider(territory, name="Ferme des Tilleuls")
    territory_setup(hostname="localhost", port=80, site_name="Comptoir test")

    assert not Group.objects.filter(name__in=WAGTAIL_DEFAULT_GROUPS).exists()
    assert not GroupPagePermission.objects.filter(page__depth=1).exists()
    on_home = GroupPagePermission.objects.filter(page=territory.root_page)
    assert set(on_home.values_list("group__name", flat=True)) == {EDITORS_GROUP}
    elsewhere = GroupPagePermission.objects.exclude(page=territory.root_page)
    assert set(elsewhere.values_list("group_id", flat=True)) <= {provider.group_id}
    on_root_collection = GroupCollectionPermission.objects.filter(
        collection=Collection.get_first_root_node()
    )
    assert set(on_root_collection.values_list("group__name", flat=True)) == {EDITORS_GROUP}


def test_the_migration_keeps_a_default_group_that_has_members_but_not_its_root_rights(db):
    """An installation that put people in "Editors" keeps the group and its members; the
    group loses what covered the whole site."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    from tests.conftest import make_user

    migration = importlib.import_module("cms.migrations.0004_wagtail_default_groups")
    root = Page.get_first_root_node()
    editors = Group.objects.create(name="Editors")
    moderators = Group.objects.create(name="Moderators")
    for group in (editors, moderators):
        GroupPagePermission.objects.create(
            group=group, page=root, permission=Permission.objects.get(codename="publish_page")
        )
        GroupCollectionPermission.objects.create(
            group=group,
            collection=Collection.get_first_root_node(),
            permission=Permission.objects.get(codename="change_image"),
        )
    member = make_user("ancienne@example.org", groups=("Editors",))

    migration.wagtail_default_groups_restrict(apps, None)

    assert not Group.objects.filter(name="Moderators").exists()
    assert list(member.groups.all()) == [editors]
    assert not GroupPagePermission.objects.filter(group=editors).exists()
    assert not GroupCollectionPermission.objects.filter(group=editors).exists()
