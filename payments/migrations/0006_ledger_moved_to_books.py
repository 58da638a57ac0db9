"""The ledger's models leave the payments app's state: they are the books' now
(``marketplace/books/migrations/0001_initial``). State only: the tables, their rows and
their triggers stay as they are, under the same names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_stripe_event_payload_scrubbed"),
        ("books", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="LedgerEntry"),
                migrations.DeleteModel(name="LedgerTransaction"),
            ],
        ),
    ]
