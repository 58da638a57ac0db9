"""Issued invoices reach their providers (issue 15 §4): the files stored once, the e-mails.

- :func:`invoice_file_ensure` renders an invoice's Factur-X PDF and XML from its frozen
  snapshot (:meth:`~marketplace.invoices.models.Invoice.document`) and stores them
  (:class:`~marketplace.invoices.models.InvoiceFile`) the first time only: every later
  download and e-mail carries those same bytes.
- :func:`invoice_email` e-mails one invoice or credit note to its provider, the PDF
  attached, and records it (:class:`~marketplace.invoices.models.InvoiceDelivery`):
  once on issue, whatever runs twice (a unique constraint, and the e-mail is sent inside
  the transaction that records it, so a failed send records nothing and is retried);
  again each time finance re-sends it.
- :func:`invoices_issued_deliver` receives ``invoices_issued`` (sent after the commit
  that issued them) and queues :func:`invoice_issued_send` per document, a huey task.

Where it goes: the provider's contact e-mail, else the e-mail frozen on the invoice's
buyer. In French, the language of the invoice (providers have no language of their own).
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from huey.contrib.djhuey import db_task

from commissions.money import money
from marketplace.invoices.facturx import cii_xml, document_title, invoice_filename, invoice_pdf
from marketplace.invoices.models import DeliveryReason, Invoice, InvoiceDelivery, InvoiceFile
from marketplace.invoices.signals import invoices_issued
from marketplace.web import public_url

logger = logging.getLogger(__name__)


def invoice_file_ensure(*, invoice: Invoice) -> InvoiceFile:
    """The invoice's stored files, rendered and stored now if they are not yet (then never
    again: two renderings racing store one, the other is dropped)."""
    found = InvoiceFile.objects.filter(invoice=invoice).first()
    if found is not None:
        return found
    document = invoice.document()
    xml = cii_xml(document)
    pdf = invoice_pdf(document, xml=xml)
    try:
        with transaction.atomic():
            return InvoiceFile.objects.create(
                invoice=invoice, pdf=pdf, xml=xml, sha256=hashlib.sha256(pdf).hexdigest()
            )
    except IntegrityError:
        return InvoiceFile.objects.get(invoice=invoice)


def invoice_address(invoice: Invoice) -> str:
    """Where the provider receives its invoices: its contact e-mail, else the buyer's
    e-mail frozen on the invoice; ``""`` when there is none."""
    return (invoice.provider.email or invoice.buyer.get("email") or "").strip()


def invoice_message(invoice: Invoice, stored: InvoiceFile, *, address: str):
    """The e-mail carrying ``invoice`` (text and HTML, its PDF attached), in French."""
    document = invoice.document()
    with translation.override(document.language):
        context = {
            "invoice": invoice,
            "document": document,
            "title": document_title(document),
            "total": money(invoice.total_cents, currency=invoice.currency),
            "seller_name": document.seller.name,
            "url": public_url(reverse("invoices:detail", args=[invoice.pk])),
        }
        subject = render_to_string("invoices/emails/invoice_subject.txt", context)
        text = render_to_string("invoices/emails/invoice.txt", context)
        html = render_to_string("invoices/emails/invoice.html", context)
    message = EmailMultiAlternatives(
        " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, [address]
    )
    message.attach_alternative(html, "text/html")
    message.attach(invoice_filename(document, "pdf"), bytes(stored.pdf), "application/pdf")
    return message


def invoice_email(
    *, invoice: Invoice, reason: str = DeliveryReason.ISSUED, by=None
) -> InvoiceDelivery | None:
    """E-mail ``invoice`` to its provider and record it; None when nothing was sent: no
    address, or (on issue) it was already sent. Raises what the mail server raises, and
    then records nothing."""
    stored = invoice_file_ensure(invoice=invoice)
    address = invoice_address(invoice)
    if not address:
        logger.warning("invoice %s: the provider has no e-mail address", invoice.number)
        return None
    message = invoice_message(invoice, stored, address=address)
    try:
        with transaction.atomic():
            delivery = InvoiceDelivery.objects.create(
                invoice=invoice, reason=reason, address=address, sent_by=by
            )
            message.send()
    except IntegrityError:
        return None  # on issue: sent already
    return delivery


@db_task(retries=3, retry_delay=300)
def invoice_issued_send(invoice_id: int) -> bool:
    """Render, store and e-mail a newly issued invoice (once, however often it runs)."""
    invoice = Invoice.objects.select_related("provider", "corrects").filter(pk=invoice_id).first()
    if invoice is None:
        return False
    return invoice_email(invoice=invoice, reason=DeliveryReason.ISSUED) is not None


@receiver(invoices_issued, dispatch_uid="invoices_issued_deliver")
def invoices_issued_deliver(sender, *, site, invoices, **kwargs) -> None:
    """Each document just issued is rendered, stored and e-mailed, one task each (the
    signal is sent after commit: the rows are there for the tasks)."""
    for invoice in invoices:
        invoice_issued_send(invoice.pk)
