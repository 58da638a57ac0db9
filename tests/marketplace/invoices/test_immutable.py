"""An issued invoice is immutable, like the ledger: the ORM refuses, the database too
(triggers, migration invoices 0002); deleting the person who issued it keeps it."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError

from marketplace.books.models import LedgerImmutableError
from marketplace.invoices.models import Invoice, InvoiceImmutableError, InvoiceLine
from marketplace.invoices.services import invoices_issue
from tests.factories import make_user
from tests.marketplace.invoices.conftest import paris, sell

OCTOBER = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 10, 31)}


@pytest.fixture
def invoice(world):
    sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    (issued,) = invoices_issue(
        site=world["site"], **OCTOBER, now=paris(2026, 11, 1, 6), by=world["issuer"]
    )
    return issued


@pytest.fixture
def world(world):
    return {**world, "issuer": make_user("comptable@example.org")}


def test_an_issued_invoice_cannot_be_changed_or_deleted_through_the_orm(invoice):
    line = invoice.lines.get()
    invoice.total_cents = 1
    with pytest.raises(InvoiceImmutableError):
        invoice.save()
    line.net_cents = 1
    with pytest.raises(InvoiceImmutableError):
        line.save()
    with pytest.raises(InvoiceImmutableError):
        line.delete()
    with pytest.raises(InvoiceImmutableError):
        invoice.delete()
    with pytest.raises(InvoiceImmutableError):
        Invoice.objects.filter(pk=invoice.pk).update(total_cents=1)
    with pytest.raises(InvoiceImmutableError):
        Invoice.objects.all().delete()
    with pytest.raises(InvoiceImmutableError):
        InvoiceLine.objects.bulk_update([line], ["net_cents"])
    with pytest.raises(InvoiceImmutableError):
        InvoiceLine.objects.update_or_create(pk=line.pk, defaults={"net_cents": 1})
    # The same family of errors as the ledger's, for callers that catch those.
    assert issubclass(InvoiceImmutableError, LedgerImmutableError)
    invoice.refresh_from_db()
    assert (invoice.total_cents, invoice.lines.get().net_cents) == (100, 83)


def test_the_database_refuses_updates_too(invoice):
    """Triggers stop raw SQL as well; if a table rebuild dropped them, this fails."""
    for sql in (
        f"UPDATE {Invoice._meta.db_table} SET total_cents = 1, net_cents = 1, vat_cents = 0",  # noqa: S608
        f"UPDATE {Invoice._meta.db_table} SET number = 'FA-2026-999999'",  # noqa: S608
        f"UPDATE {InvoiceLine._meta.db_table} SET net_cents = net_cents + 1",  # noqa: S608
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        for table in (InvoiceLine._meta.db_table, Invoice._meta.db_table):
            with pytest.raises(DatabaseError), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    invoice.refresh_from_db()
    assert (invoice.number, invoice.total_cents) == ("FA-2026-000001", 100)


def test_deleting_the_issuer_keeps_the_invoice(invoice, world):
    world["issuer"].delete()

    invoice.refresh_from_db()
    assert invoice.issued_by is None
    assert invoice.total_cents == 100


def test_a_provider_with_invoices_cannot_be_deleted(invoice):
    with pytest.raises(ProtectedError):
        invoice.provider.delete()
