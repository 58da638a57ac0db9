"""The ledger moves from the ``payments`` app to the books (``books``): state only.

Its tables keep their names (``payments_ledgertransaction``, ``payments_ledgerentry``, see
the models' ``db_table``), their rows and the append-only triggers of
``payments/migrations/0002_ledger_append_only_triggers``: nothing is done to the database's
tables here. ``payments/migrations/0006_ledger_moved_to_books`` removes the models from
the payments app's state, after this one.

The content types of the two models (and so the ``view_ledger`` permission and every
group or user given it) are renamed from ``payments`` to ``books``: the permission is
``books.view_ledger`` from now on. On a new database there is nothing to rename yet (the
content types are created after the migrations).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("ledgertransaction", "ledgerentry")


def _relabel(apps, schema_editor, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        source = content_types.filter(app_label=old, model=model).first()
        if source is None:
            continue
        target = content_types.filter(app_label=new, model=model).first()
        if target is None:
            # The usual case: same row, same id, so permissions and grants follow.
            source.app_label = new
            source.save(update_fields=["app_label"])
            continue
        # Both exist (a post_migrate ran in between, e.g. after migrating back and forth):
        # give the grants of the old permissions to the new ones, then drop the old type.
        for permission in Permission.objects.filter(content_type=source):
            kept, _created = Permission.objects.get_or_create(
                content_type=target,
                codename=permission.codename,
                defaults={"name": permission.name},
            )
            for group in permission.group_set.all():
                group.permissions.add(kept)
            for user in permission.user_set.all():
                user.user_permissions.add(kept)
        source.delete()
    # The manager caches content types by natural key: forget the old labels.
    ContentType.objects.clear_cache()


def content_types_to_books(apps, schema_editor):
    _relabel(apps, schema_editor, "payments", "books")


def content_types_to_payments(apps, schema_editor):
    _relabel(apps, schema_editor, "books", "payments")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        # The tables and their triggers exist before the books take them over.
        ("payments", "0002_ledger_append_only_triggers"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="LedgerTransaction",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("order_confirmed", "Order confirmed"),
                                    ("refund", "Refund"),
                                    ("payout", "Payout"),
                                    ("transfer", "Transfer"),
                                    ("fee", "Payment provider fee"),
                                    ("adjustment", "Adjustment"),
                                    ("reversal", "Reversal"),
                                ],
                                max_length=20,
                                verbose_name="kind",
                            ),
                        ),
                        (
                            "idempotency_key",
                            models.CharField(
                                max_length=200, unique=True, verbose_name="idempotency key"
                            ),
                        ),
                        (
                            "currency",
                            models.CharField(default="EUR", max_length=3, verbose_name="currency"),
                        ),
                        ("memo", models.CharField(blank=True, max_length=255, verbose_name="memo")),
                        (
                            "order_ref",
                            models.CharField(
                                blank=True, db_index=True, max_length=64, verbose_name="order"
                            ),
                        ),
                        (
                            "booking_ref",
                            models.CharField(
                                blank=True, db_index=True, max_length=64, verbose_name="booking"
                            ),
                        ),
                        (
                            "external_ref",
                            models.CharField(
                                blank=True,
                                max_length=255,
                                verbose_name="payment provider reference",
                            ),
                        ),
                        (
                            "fraction_numerator",
                            models.PositiveBigIntegerField(blank=True, null=True),
                        ),
                        (
                            "fraction_denominator",
                            models.PositiveBigIntegerField(blank=True, null=True),
                        ),
                        (
                            "occurred_at",
                            models.DateTimeField(
                                db_index=True,
                                default=django.utils.timezone.now,
                                verbose_name="date",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="recorded at"
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="recorded by",
                            ),
                        ),
                        (
                            "reverses",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="reversals",
                                to="books.ledgertransaction",
                                verbose_name="reverses",
                            ),
                        ),
                        (
                            "site",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="ledger_transactions",
                                to="wagtailcore.site",
                                verbose_name="territory",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "ledger transaction",
                        "verbose_name_plural": "ledger transactions",
                        "db_table": "payments_ledgertransaction",
                        "ordering": ["-occurred_at", "-id"],
                        "permissions": [("view_ledger", "Can view the territory's ledger")],
                        "default_permissions": (),
                    },
                ),
                migrations.CreateModel(
                    name="LedgerEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "account",
                            models.CharField(db_index=True, max_length=120, verbose_name="account"),
                        ),
                        (
                            "amount",
                            models.BigIntegerField(verbose_name="amount (cents, debit positive)"),
                        ),
                        (
                            "transaction",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="entries",
                                to="books.ledgertransaction",
                                verbose_name="transaction",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "ledger entry",
                        "verbose_name_plural": "ledger entries",
                        "db_table": "payments_ledgerentry",
                        "ordering": ["transaction_id", "id"],
                        "default_permissions": (),
                    },
                ),
                migrations.AddIndex(
                    model_name="ledgertransaction",
                    index=models.Index(fields=["site", "occurred_at"], name="ledger_tx_site_date"),
                ),
                migrations.AddConstraint(
                    model_name="ledgertransaction",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("fraction_denominator__isnull", True),
                                ("fraction_numerator__isnull", True),
                            ),
                            models.Q(
                                ("fraction_denominator__gte", models.F("fraction_numerator")),
                                ("fraction_numerator__gt", 0),
                                ("reverses__isnull", False),
                            ),
                            _connector="OR",
                        ),
                        name="ledger_tx_fraction_of_a_reversal",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="ledgerentry",
                    constraint=models.UniqueConstraint(
                        fields=("transaction", "account"), name="ledger_entry_one_per_account"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="ledgerentry",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("amount", 0), _negated=True),
                        name="ledger_entry_amount_not_zero",
                    ),
                ),
            ],
        ),
        migrations.RunPython(content_types_to_books, content_types_to_payments),
    ]
