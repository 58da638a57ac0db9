"""Stays carry the adults the visitor declares exempt from the tourist tax (L. 2333-31:
seasonal workers employed in the commune, emergency housing), 0 for every existing row;
a check keeps them among the adults."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('marketplace', '0016_booking_payable_on_and_payout_delay'),
    ]

    operations = [
        migrations.AddField(
            model_name='booking',
            name='tax_exempt_persons',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='adults exempt from the tourist tax'),
        ),
        migrations.AddField(
            model_name='cartline',
            name='tax_exempt_persons',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name='booking',
            constraint=models.CheckConstraint(condition=models.Q(('tax_exempt_persons', 0), models.Q(('adults__isnull', False), ('tax_exempt_persons__lte', models.F('adults'))), _connector='OR'), name='booking_exempt_persons_are_adults'),
        ),
        migrations.AddConstraint(
            model_name='cartline',
            constraint=models.CheckConstraint(condition=models.Q(('tax_exempt_persons', 0), models.Q(('adults__isnull', False), ('tax_exempt_persons__lte', models.F('adults'))), _connector='OR'), name='cart_line_exempt_persons_are_adults'),
        ),
    ]
