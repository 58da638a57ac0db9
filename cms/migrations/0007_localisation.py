"""Content translation (wagtail-localize): the English locale beside the default French
one, and provider pages whose translations name no provider (only the source does)."""

from django.db import migrations, models
import django.db.models.deletion


def english_locale_add(apps, schema_editor):
    Locale = apps.get_model("wagtailcore", "Locale")
    Locale.objects.get_or_create(language_code="en")


class Migration(migrations.Migration):

    dependencies = [
        ("cms", "0006_contactpage"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.AlterField(
            model_name="providerpage",
            name="provider",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="page",
                to="marketplace.provider",
                verbose_name="provider",
            ),
        ),
        migrations.RunPython(english_locale_add, migrations.RunPython.noop),
    ]
