"""Issued invoices are rendered and stored once, and e-mailed once on issue (issue 15 §4)."""

import datetime as dt
import hashlib

import facturx
import pytest
from django.core import mail

from marketplace.invoices.delivery import invoice_email, invoice_file_ensure
from marketplace.invoices.facturx import cii_xml
from marketplace.invoices.models import (
    DeliveryReason,
    Invoice,
    InvoiceDelivery,
    InvoiceFile,
    InvoiceImmutableError,
)
from marketplace.invoices.services import invoices_issue
from marketplace.invoices.signals import invoices_issued
from tests.marketplace.invoices.conftest import paris, sell
from tests.marketplace.invoices.issued import issue

pytestmark = pytest.mark.django_db


def test_the_files_are_rendered_once_and_kept(docs_world):
    invoice = issue(docs_world["canoes"], number="FA-2027-000001")

    stored = invoice_file_ensure(invoice=invoice)
    again = invoice_file_ensure(invoice=invoice)

    assert InvoiceFile.objects.count() == 1
    assert bytes(again.pdf) == bytes(stored.pdf)
    assert stored.sha256 == hashlib.sha256(bytes(stored.pdf)).hexdigest()
    assert bytes(stored.xml) == cii_xml(invoice.document())
    name, embedded = facturx.get_facturx_xml_from_pdf(bytes(stored.pdf))
    assert name == "factur-x.xml" and embedded == bytes(stored.xml)
    with pytest.raises(InvoiceImmutableError):
        stored.save()
    with pytest.raises(InvoiceImmutableError):
        stored.delete()


def test_issuing_emails_each_document_once_with_its_pdf(
    docs_world, django_capture_on_commit_callbacks
):
    invoice = issue(docs_world["canoes"], number="FA-2027-000001", commissions=(600, 1200))
    note = issue(docs_world["canoes"], number="AV-2027-000001", month=4, corrects=invoice)

    # The signal comes after the commit that issued them; a second run, or a retried
    # task, sends it again: nothing new goes out.
    for _run in range(2):
        invoices_issued.send(sender=Invoice, site=docs_world["site"], invoices=[invoice, note])

    assert len(mail.outbox) == 2
    first, second = mail.outbox
    assert first.to == ["canoes@example.org"]
    assert "Facture n° FA-2027-000001" in first.subject
    assert "Avoir n° AV-2027-000001" in second.subject
    assert "la facture n° FA-2027-000001 (18,00" in first.body
    assert "il corrige la facture n° FA-2027-000001" in second.body
    name, content, mimetype = first.attachments[0]
    assert (name, mimetype) == ("facture-FA-2027-000001.pdf", "application/pdf")
    assert content == bytes(InvoiceFile.objects.get(invoice=invoice).pdf)
    assert first.alternatives[0][1] == "text/html"
    assert list(InvoiceDelivery.objects.values_list("invoice__number", "reason", "address")) == [
        ("FA-2027-000001", "issued", "canoes@example.org"),
        ("AV-2027-000001", "issued", "canoes@example.org"),
    ]


def test_a_failed_send_records_nothing_and_is_retried(docs_world, monkeypatch):
    invoice = issue(docs_world["canoes"], number="FA-2027-000001")

    def refuse(self, *args, **kwargs):
        raise OSError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.EmailMessage.send", refuse)
        with pytest.raises(OSError):
            invoice_email(invoice=invoice)
    assert not InvoiceDelivery.objects.exists()

    assert invoice_email(invoice=invoice) is not None
    assert len(mail.outbox) == 1


def test_no_address_no_email(docs_world):
    provider = docs_world["canoes"]
    invoice = issue(provider, number="FA-2027-000001")
    type(provider).objects.filter(pk=provider.pk).update(email="")
    invoice = Invoice.objects.get(pk=invoice.pk)
    buyer_without_email = {**invoice.buyer, "email": ""}
    assert invoice_email(invoice=invoice) is not None  # the frozen buyer's address
    invoice.buyer = buyer_without_email  # what an invoice without any address looks like
    assert invoice_email(invoice=invoice, reason=DeliveryReason.RESENT) is None
    assert len(mail.outbox) == 1


def test_issuing_a_period_twice_emails_once(world, django_capture_on_commit_callbacks):
    """Through the real issue: sales paid in October, the period issued, then issued again
    (the second run issues nothing new): one e-mail per provider, the stored PDF attached."""
    sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    sell(world, world["cheese"], quantity=1, at=paris(2026, 10, 20))
    october = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 10, 31)}

    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            invoices_issue(site=world["site"], **october, now=paris(2026, 11, 1, 5, 30))

    issued = list(Invoice.objects.order_by("number"))
    assert [i.number for i in issued] == ["FA-2026-000001", "FA-2026-000002"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world["canoes"].email, world["ferme"].email]
    )
    assert InvoiceDelivery.objects.filter(reason=DeliveryReason.ISSUED).count() == 2
    for message in mail.outbox:
        invoice = next(i for i in issued if i.number in message.subject)
        assert message.attachments[0][1] == bytes(InvoiceFile.objects.get(invoice=invoice).pdf)


def test_the_database_refuses_to_change_a_stored_file(docs_world):
    from django.db import DatabaseError, connection, transaction

    stored = invoice_file_ensure(invoice=issue(docs_world["canoes"], number="FA-2027-000001"))
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE invoices_invoicefile SET sha256 = 'x' WHERE invoice_id = %s",
                [stored.pk],
            )
    assert InvoiceFile.objects.get().sha256 == stored.sha256


def test_a_provider_that_is_not_a_business_gets_no_b2b_mentions(docs_world):
    from marketplace.invoices.services import buyer_party

    provider = docs_world["ferme"]
    assert buyer_party(provider).professional
    provider.is_professional = False
    assert not buyer_party(provider).professional
