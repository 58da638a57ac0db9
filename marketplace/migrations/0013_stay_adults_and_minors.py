"""Stays carry adults and minors (the tourist tax exempts minors), beside their total.

A stay booked or put in a cart before they were asked had only a number of guests:
they all count as adults (adults = guests, minors = 0). One booked without a number of
guests keeps neither (none is invented); activities and products never have them.
"""

import django.db.models.expressions
from django.db import migrations, models


def guests_become_adults(apps, schema_editor):
    Booking = apps.get_model("marketplace", "Booking")
    CartLine = apps.get_model("marketplace", "CartLine")
    Booking.objects.filter(kind="stay", guests__gte=1).update(
        adults=models.F("guests"), minors=0
    )
    CartLine.objects.filter(offer__kind="stay", guests__gte=1).update(
        adults=models.F("guests"), minors=0
    )


class Migration(migrations.Migration):

    dependencies = [
        ('marketplace', '0012_stay_tourist_tax'),
    ]

    operations = [
        migrations.AddField(
            model_name='booking',
            name='adults',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='adults'),
        ),
        migrations.AddField(
            model_name='booking',
            name='minors',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='minors'),
        ),
        migrations.AddField(
            model_name='cartline',
            name='adults',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='cartline',
            name='minors',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(guests_become_adults, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name='booking',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('adults__isnull', True), ('minors__isnull', True)), models.Q(('adults__gte', 1), ('adults__isnull', False), ('guests', django.db.models.expressions.CombinedExpression(models.F('adults'), '+', models.F('minors'))), ('guests__isnull', False), ('minors__isnull', False)), _connector='OR'), name='booking_guests_are_adults_and_minors'),
        ),
        migrations.AddConstraint(
            model_name='booking',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'stay'), models.Q(('adults__isnull', True), ('minors__isnull', True)), _connector='OR'), name='booking_adults_and_minors_only_for_stays'),
        ),
        migrations.AddConstraint(
            model_name='cartline',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('adults__isnull', True), ('minors__isnull', True)), models.Q(('adults__gte', 1), ('adults__isnull', False), ('guests', django.db.models.expressions.CombinedExpression(models.F('adults'), '+', models.F('minors'))), ('guests__isnull', False), ('minors__isnull', False)), _connector='OR'), name='cart_line_guests_are_adults_and_minors'),
        ),
    ]
