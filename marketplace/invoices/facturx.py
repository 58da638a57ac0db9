"""Factur-X: an :class:`~marketplace.invoices.document.InvoiceDocument` as an electronic
invoice (issue 15 §1).

A Factur-X invoice is a PDF/A-3 whose pages are the invoice a person reads and whose
embedded file ``factur-x.xml`` is the same invoice for a machine: UN/CEFACT Cross
Industry Invoice (CII) XML, here at the **EN 16931** profile (the European standard's
full semantic model; guideline ``urn:cen.eu:en16931:2017``). France requires companies to
receive such invoices since September 2026 and small ones to issue them from September
2027.

- :func:`cii_xml` builds the XML with lxml, element by element in the order the Factur-X
  XSD (shipped by the ``factur-x`` library) demands; the tests validate it against that
  XSD and, where Saxon is installed, against the EN 16931 schematron too.
- :func:`invoice_pdf` renders ``invoices/invoice_pdf.html`` with WeasyPrint as PDF/A-3b
  and embeds the XML with the maintained ``factur-x`` library (akretion), which also
  writes the XMP metadata that names the file and the conformance level (``EN 16931``).

The commission was **withheld** from the sums the operator collected for the provider:
the invoice is settled when issued, so ``TotalPrepaidAmount`` is the total and
``DuePayableAmount`` zero, and the payment means is UNTDID 4461 code 97, clearing
between partners. Credit notes (type code 381) carry positive amounts and name the
invoice they correct (BG-3).

Texts are in the document's language (French, the legal language of French invoices),
through gettext so that they stay translatable.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from lxml import etree

from marketplace.invoices.document import DocumentKind, InvoiceDocument, VatCategory

GUIDELINE = "urn:cen.eu:en16931:2017"
FACTURX_LEVEL = "en16931"
FACTURX_FILENAME = "factur-x.xml"
# The recovery indemnity owed by a business paying late (code de commerce, D441-5).
RECOVERY_INDEMNITY_CENTS = 4000

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

# UNTDID 4451 subject codes of the notes (BT-21) that French e-invoices carry: the
# recovery indemnity (PMT), the late-payment penalties (PMD), the early-payment
# discount (AAB); other mentions are general information (AAI) or regulatory (REG).
NOTE_INDEMNITY, NOTE_PENALTIES, NOTE_DISCOUNT, NOTE_GENERAL, NOTE_REGULATORY = (
    "PMT",
    "PMD",
    "AAB",
    "AAI",
    "REG",
)
PAYMENT_MEANS_CLEARING = "97"  # UNTDID 4461: clearing between partners
# The franchise en base (art. 293 B du CGI), VATEX code of the French e-invoicing rules.
FRANCHISE_CODE = "VATEX-FR-FRANCHISE"
SIREN_SCHEME = "0002"  # ISO 6523 ICD of the French SIRENE register
VAT_SCHEME = "VA"


def _amount(cents: int) -> str:
    """Cents as a decimal amount with two places and a point: ``1234.50``."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units}.{rest:02d}"


def _rate(rate: Decimal) -> str:
    return f"{Decimal(rate):.2f}"


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


# --- Texts ---------------------------------------------------------------------------------


def payment_terms_text(document: InvoiceDocument) -> str:
    """BT-20: the territory's terms, or the plain fact that nothing is left to pay."""
    if document.payment_terms:
        return document.payment_terms
    if document.kind == DocumentKind.CREDIT_NOTE:
        return _(
            "Settled against the sums collected and refunded on your behalf: nothing left to pay."
        )
    return _("Commission withheld from the sums collected on your behalf: nothing left to pay.")


def legal_notes(document: InvoiceDocument) -> list[tuple[str, str]]:
    """The mentions French law asks of the invoice, as ``(subject code, text)`` pairs, in
    the active language: the document's own notes first, then the exemption mention
    when VAT is not charged, then (to a business) the late-payment terms."""
    notes = [(NOTE_GENERAL, note) for note in document.notes if note]
    for breakdown in document.vat:
        if breakdown.category == VatCategory.EXEMPT and breakdown.exemption_reason:
            # Invoice.document() may carry it among the notes already: printed once.
            if all(text != breakdown.exemption_reason for _code, text in notes):
                notes.append((NOTE_REGULATORY, breakdown.exemption_reason))
    if document.buyer.professional:
        notes.append(
            (
                NOTE_PENALTIES,
                _(
                    "Late payment penalties: three times the French legal interest rate "
                    "(art. L441-10 of the Code de commerce)."
                ),
            )
        )
        notes.append(
            (
                NOTE_INDEMNITY,
                _(
                    "Fixed indemnity for recovery costs in case of late payment: "
                    "%(amount)s (art. D441-5 of the Code de commerce)."
                )
                % {"amount": "40 €" if document.language == "fr" else "€40"},
            )
        )
    notes.append((NOTE_DISCOUNT, _("No discount for early payment.")))
    return notes


def en16931_problems(document: InvoiceDocument) -> list[str]:
    """What would make the document fail EN 16931's business rules (the schematron the
    tests run where Saxon is installed), checked in Python: missing identities that only
    the territory's or provider's settings can supply, and totals that do not add up.
    Empty when the document is sound."""
    problems = []
    if not document.seller.vat_number:
        # BR-S-02 and BR-E-02: VAT charged, or exempt, needs the seller's VAT number.
        problems.append("BR-S-02/BR-E-02: the seller has no VAT number")
    if not document.seller.siren:
        problems.append("the seller has no SIRET (its SIREN identifies it)")
    if not document.lines:
        problems.append("BR-16: no invoice line")
    if sum(line.net_cents for line in document.lines) != document.total_net_cents:
        problems.append("BR-CO-10: the lines do not add up to the total excluding VAT")
    if sum(b.vat_cents for b in document.vat) != document.total_vat_cents:
        problems.append("BR-CO-14: the VAT breakdown does not add up to the total VAT")
    if document.total_net_cents + document.total_vat_cents != document.total_cents:
        problems.append("BR-CO-15: total excluding VAT plus VAT is not the total")
    for breakdown in document.vat:
        base = sum(
            line.net_cents
            for line in document.lines
            if line.vat_category == breakdown.category and line.vat_rate == breakdown.rate
        )
        if base != breakdown.base_cents:
            problems.append(f"BR-{breakdown.category}-08: the VAT base at {breakdown.rate} %")
        if breakdown.category == VatCategory.EXEMPT and not breakdown.exemption_reason:
            problems.append("BR-E-10: an exemption without its reason")
    if document.kind == DocumentKind.CREDIT_NOTE and not document.preceding_number:
        problems.append("a credit note must name the invoice it corrects")
    return problems


# --- XML -----------------------------------------------------------------------------------


def _el(parent, tag: str, text: str | None = None, **attrib):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrib)
    if text is not None:
        element.text = text
    return element


def _date_el(parent, tag: str, day: dt.date, *, qualified: bool = False) -> None:
    holder = _el(parent, tag)
    _el(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString", _date(day)).set(
        "format", "102"
    )


def _party(parent, tag: str, party) -> None:
    element = _el(parent, tag)
    _el(element, "ram:Name", party.name)
    if party.siren:
        organisation = _el(element, "ram:SpecifiedLegalOrganization")
        _el(organisation, "ram:ID", party.siren, schemeID=SIREN_SCHEME)
    address = _el(element, "ram:PostalTradeAddress")
    if party.postcode:
        _el(address, "ram:PostcodeCode", party.postcode)
    if party.address:
        _el(address, "ram:LineOne", party.address)
    if party.city:
        _el(address, "ram:CityName", party.city)
    _el(address, "ram:CountryID", party.country or "FR")
    if party.email:
        communication = _el(element, "ram:URIUniversalCommunication")
        _el(communication, "ram:URIID", party.email, schemeID="EM")
    if party.vat_number:
        registration = _el(element, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", party.vat_number, schemeID=VAT_SCHEME)


def _period(parent, tag: str, start: dt.date, end: dt.date) -> None:
    period = _el(parent, tag)
    _date_el(period, "ram:StartDateTime", start)
    _date_el(period, "ram:EndDateTime", end)


def cii_xml(document: InvoiceDocument) -> bytes:
    """The document as Factur-X CII XML at the EN 16931 profile (UTF-8 bytes)."""
    currency = document.currency
    with translation.override(document.language):
        notes = legal_notes(document)
        terms = payment_terms_text(document)
        means = _("Commission withheld from the sums collected for the buyer")

    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)

    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", document.number)
    _el(header, "ram:TypeCode", document.kind.type_code)
    _date_el(header, "ram:IssueDateTime", document.issue_date)
    for code, text in notes:
        note = _el(header, "ram:IncludedNote")
        _el(note, "ram:Content", text)
        _el(note, "ram:SubjectCode", code)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in document.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.line_id)
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        price = _el(agreement, "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", _amount(line.net_cents))
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", "1", unitCode="C62")  # C62: one (unit)
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", str(line.vat_category))
        _el(tax, "ram:RateApplicablePercent", _rate(line.vat_rate))
        if line.service_date:
            _period(settlement, "ram:BillingSpecifiedPeriod", line.service_date, line.service_date)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line.net_cents))
        if line.booking_ref:
            # BT-128, the invoiced object: the booking the commission was charged on.
            reference = _el(settlement, "ram:AdditionalReferencedDocument")
            _el(reference, "ram:IssuerAssignedID", line.booking_ref)
            _el(reference, "ram:TypeCode", "130")

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", document.seller)
    _party(agreement, "ram:BuyerTradeParty", document.buyer)

    # The service is the period's intermediation: no goods, no delivery address.
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", currency)
    payment = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    _el(payment, "ram:TypeCode", PAYMENT_MEANS_CLEARING)
    _el(payment, "ram:Information", means)
    for breakdown in document.vat:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(breakdown.vat_cents))
        _el(tax, "ram:TypeCode", "VAT")
        if breakdown.category == VatCategory.EXEMPT:
            _el(tax, "ram:ExemptionReason", breakdown.exemption_reason)
        _el(tax, "ram:BasisAmount", _amount(breakdown.base_cents))
        _el(tax, "ram:CategoryCode", str(breakdown.category))
        if breakdown.category == VatCategory.EXEMPT and "293 B" in breakdown.exemption_reason:
            _el(tax, "ram:ExemptionReasonCode", FRANCHISE_CODE)
        _el(tax, "ram:RateApplicablePercent", _rate(breakdown.rate))
    _period(settlement, "ram:BillingSpecifiedPeriod", document.period_start, document.period_end)
    terms_element = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms_element, "ram:Description", terms)
    if document.due_date:
        _date_el(terms_element, "ram:DueDateDateTime", document.due_date)
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", _amount(document.total_net_cents))
    _el(totals, "ram:TaxBasisTotalAmount", _amount(document.total_net_cents))
    _el(totals, "ram:TaxTotalAmount", _amount(document.total_vat_cents), currencyID=currency)
    _el(totals, "ram:GrandTotalAmount", _amount(document.total_cents))
    _el(totals, "ram:TotalPrepaidAmount", _amount(document.total_cents - document.amount_due_cents))
    _el(totals, "ram:DuePayableAmount", _amount(document.amount_due_cents))
    if document.preceding_number:
        preceding = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(preceding, "ram:IssuerAssignedID", document.preceding_number)
        if document.preceding_issue_date:
            _date_el(
                preceding,
                "ram:FormattedIssueDateTime",
                document.preceding_issue_date,
                qualified=True,
            )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- PDF -----------------------------------------------------------------------------------


def document_title(document: InvoiceDocument) -> str:
    """``Facture FA-2026-000042`` or ``Avoir AV-2026-000003``, in the active language."""
    if document.kind == DocumentKind.CREDIT_NOTE:
        return _("Credit note %(number)s") % {"number": document.number}
    return _("Invoice %(number)s") % {"number": document.number}


def invoice_html(document: InvoiceDocument) -> str:
    """The printable invoice (the PDF's source), in the document's language."""
    with translation.override(document.language):
        return render_to_string(
            "invoices/invoice_pdf.html",
            {
                "document": document,
                "title": document_title(document),
                "is_credit_note": document.kind == DocumentKind.CREDIT_NOTE,
                "notes": legal_notes(document),
                "payment_terms": payment_terms_text(document),
                "language": document.language,
            },
        )


def invoice_pdf(document: InvoiceDocument, *, xml: bytes | None = None) -> bytes:
    """The Factur-X PDF: the printed invoice as PDF/A-3b with ``factur-x.xml`` embedded
    (``xml``, or :func:`cii_xml` of the document), checked against the XSD on the way."""
    from facturx import generate_from_binary  # heavy: loaded only when a PDF is made
    from weasyprint import HTML

    xml = xml if xml is not None else cii_xml(document)
    pdf = HTML(string=invoice_html(document)).write_pdf(pdf_variant="pdf/a-3b")
    with translation.override(document.language):
        title = document_title(document)
    return generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level=FACTURX_LEVEL,
        check_xsd=True,
        pdf_metadata={
            "author": document.seller.name,
            "keywords": "Factur-X",
            "title": f"{document.seller.name}: {title}",
            "subject": f"{title} – {document.buyer.name}",
        },
        lang="fr-FR" if document.language == "fr" else document.language,
    )


def invoice_filename(document: InvoiceDocument, extension: str) -> str:
    """``facture-FA-2026-000042.pdf``, ``avoir-AV-2026-000003.xml``."""
    stem = "avoir" if document.kind == DocumentKind.CREDIT_NOTE else "facture"
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in document.number)
    return f"{stem}-{safe}.{extension}"
