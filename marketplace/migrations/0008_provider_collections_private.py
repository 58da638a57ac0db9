"""Make every existing provider's collection private to its group and the territory's staff.

What ``marketplace.services.provider_collection_private`` does for a provider approved
from now on, written with the historical models (no treebeard methods here: the
ancestors of a collection are the prefixes of its path).
"""

from django.db import migrations

STEPLEN = 4  # treebeard's path step, as Wagtail's Collection uses it
FILE_PERMISSIONS = (
    "add_image",
    "change_image",
    "choose_image",
    "add_document",
    "change_document",
    "choose_document",
)


def provider_collections_private(apps, schema_editor):
    Provider = apps.get_model("marketplace", "Provider")
    Collection = apps.get_model("wagtailcore", "Collection")
    CollectionViewRestriction = apps.get_model("wagtailcore", "CollectionViewRestriction")
    Group = apps.get_model("auth", "Group")
    providers = Provider.objects.filter(collection__isnull=False, group__isnull=False)
    for provider in providers.select_related("collection"):
        path = provider.collection.path
        ancestors = Collection.objects.filter(
            path__in=[path[:n] for n in range(STEPLEN, len(path), STEPLEN)]
        )
        staff = Group.objects.filter(
            collection_permissions__collection__in=ancestors,
            collection_permissions__permission__codename__in=FILE_PERMISSIONS,
        ).distinct()
        restriction, _created = CollectionViewRestriction.objects.get_or_create(
            collection_id=provider.collection_id, restriction_type="groups"
        )
        restriction.groups.add(provider.group_id, *staff)


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0007_territory_anonymous_cart_days"),
        ("wagtailcore", "0098_apitoken"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(provider_collections_private, migrations.RunPython.noop),
    ]
