"""Database triggers that keep the ledger append-only, whatever code runs.

UPDATE is refused on both tables, except ``created_by`` on transactions, which
``on_delete=SET_NULL`` clears when a person's account is deleted (the ledger is kept,
anonymised). DELETE is refused on PostgreSQL; not on SQLite, where Django's ``flush``
(used between transactional tests) empties tables with DELETE, whereas PostgreSQL's
TRUNCATE fires no row trigger.

SQLite drops triggers when Django rebuilds a table: a later migration that alters these
tables must run ``_create`` again (and add new columns to ``GUARDED_COLUMNS``);
``tests/marketplace/books/test_ledger.py`` checks the triggers are in place.
"""

from django.db import migrations

GUARDED_COLUMNS = (
    "id, site_id, kind, idempotency_key, currency, memo, order_ref, booking_ref, "
    "external_ref, reverses_id, fraction_numerator, fraction_denominator, occurred_at, "
    "created_at"
)
MESSAGE = "the ledger is append-only"

SQLITE_CREATE = [
    "CREATE TRIGGER IF NOT EXISTS payments_ledgerentry_no_update "
    "BEFORE UPDATE ON payments_ledgerentry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER IF NOT EXISTS payments_ledgertransaction_no_update "
    f"BEFORE UPDATE OF {GUARDED_COLUMNS} ON payments_ledgertransaction "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS payments_ledgerentry_no_update;",
    "DROP TRIGGER IF EXISTS payments_ledgertransaction_no_update;",
]
POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION payments_ledger_append_only() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION USING MESSAGE = '{MESSAGE} (' || TG_OP || ' on ' "
    "|| TG_TABLE_NAME || ')'; END; "
    "$$ LANGUAGE plpgsql;",
    "DROP TRIGGER IF EXISTS payments_ledgerentry_append_only ON payments_ledgerentry;",
    "CREATE TRIGGER payments_ledgerentry_append_only "
    "BEFORE UPDATE OR DELETE ON payments_ledgerentry "
    "FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only();",
    "DROP TRIGGER IF EXISTS payments_ledgertransaction_append_only "
    "ON payments_ledgertransaction;",
    "CREATE TRIGGER payments_ledgertransaction_append_only "
    f"BEFORE UPDATE OF {GUARDED_COLUMNS} OR DELETE ON payments_ledgertransaction "
    "FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only();",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS payments_ledgerentry_append_only ON payments_ledgerentry;",
    "DROP TRIGGER IF EXISTS payments_ledgertransaction_append_only "
    "ON payments_ledgertransaction;",
    "DROP FUNCTION IF EXISTS payments_ledger_append_only();",
]


def _run(schema_editor, statements):
    # A plain cursor: no parameter substitution to trip over in the SQL.
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_CREATE)


def _drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(_create, _drop)]
