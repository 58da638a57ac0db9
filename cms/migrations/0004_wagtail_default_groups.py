"""Wagtail's default "Editors" and "Moderators" groups lose their site-wide rights.

Wagtail's first migrations create them with the right to add, edit and publish any page
under the root page, and to add and change every image and document of the root
collection (which holds every provider's). Comptoir's staff groups are its own
(``cms.services.groups_setup``), scoped to the territory's home page. A default group
nobody belongs to is deleted; one that an installation put people in is kept with its
members, without its permissions on the root page and the root collection.
"""

from django.db import migrations

WAGTAIL_DEFAULT_GROUPS = ("Editors", "Moderators")


def wagtail_default_groups_restrict(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    for group in Group.objects.filter(name__in=WAGTAIL_DEFAULT_GROUPS):
        if not group.user_set.exists():
            group.delete()
            continue
        GroupPagePermission.objects.filter(group=group, page__depth=1).delete()
        GroupCollectionPermission.objects.filter(group=group, collection__depth=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_transparencypage"),
        # After every Wagtail migration that gives these groups a permission.
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [
        migrations.RunPython(wagtail_default_groups_restrict, migrations.RunPython.noop),
    ]
