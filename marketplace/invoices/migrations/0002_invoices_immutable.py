"""Database triggers that keep issued invoices immutable, whatever code runs (like the
ledger's, ``payments/migrations/0002``).

UPDATE is refused on both tables, except ``issued_by`` on invoices, which
``on_delete=SET_NULL`` clears when a person's account is deleted (the invoice is kept).
DELETE is refused on PostgreSQL; not on SQLite, where Django's ``flush`` (between
transactional tests) empties tables with DELETE, whereas PostgreSQL's TRUNCATE fires no
row trigger.

SQLite drops triggers when Django rebuilds a table: a later migration that alters these
tables must run ``_create`` again (and add new columns to ``GUARDED_COLUMNS``);
``tests/marketplace/invoices/test_immutable.py`` checks the triggers are in place.
"""

from django.db import migrations

GUARDED_COLUMNS = (
    "id, site_id, provider_id, kind, series, sequence, number, issue_date, period_start, "
    "period_end, currency, seller, buyer, subject_to_vat, vat_rate, vat_exemption_mention, "
    "net_cents, vat_cents, total_cents, payment_terms, corrects_id, issued_at"
)
MESSAGE = "an issued invoice is immutable"

SQLITE_CREATE = [
    "CREATE TRIGGER IF NOT EXISTS invoices_invoiceline_no_update "
    "BEFORE UPDATE ON invoices_invoiceline "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER IF NOT EXISTS invoices_invoice_no_update "
    f"BEFORE UPDATE OF {GUARDED_COLUMNS} ON invoices_invoice "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS invoices_invoiceline_no_update;",
    "DROP TRIGGER IF EXISTS invoices_invoice_no_update;",
]
POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION invoices_immutable() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION USING MESSAGE = '{MESSAGE} (' || TG_OP || ' on ' "
    "|| TG_TABLE_NAME || ')'; END; "
    "$$ LANGUAGE plpgsql;",
    "DROP TRIGGER IF EXISTS invoices_invoiceline_immutable ON invoices_invoiceline;",
    "CREATE TRIGGER invoices_invoiceline_immutable "
    "BEFORE UPDATE OR DELETE ON invoices_invoiceline "
    "FOR EACH ROW EXECUTE FUNCTION invoices_immutable();",
    "DROP TRIGGER IF EXISTS invoices_invoice_immutable ON invoices_invoice;",
    "CREATE TRIGGER invoices_invoice_immutable "
    f"BEFORE UPDATE OF {GUARDED_COLUMNS} OR DELETE ON invoices_invoice "
    "FOR EACH ROW EXECUTE FUNCTION invoices_immutable();",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS invoices_invoiceline_immutable ON invoices_invoiceline;",
    "DROP TRIGGER IF EXISTS invoices_invoice_immutable ON invoices_invoice;",
    "DROP FUNCTION IF EXISTS invoices_immutable();",
]


def _run(schema_editor, statements):
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
    dependencies = [("invoices", "0001_initial")]

    operations = [migrations.RunPython(_create, _drop)]
