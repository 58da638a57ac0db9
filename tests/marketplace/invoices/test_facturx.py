"""Factur-X (issue 15 §1): the CII XML validates against the EN 16931 profile's XSD (and
its schematron, where Saxon is installed), and the PDF is a PDF/A-3 that carries it and
prints the legal mentions."""

import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import facturx
import pytest
import xmlschema
from lxml import etree
from pypdf import PdfReader

from marketplace.invoices.facturx import (
    FACTURX_FILENAME,
    GUIDELINE,
    cii_xml,
    en16931_problems,
    invoice_filename,
    invoice_pdf,
)
from tests.marketplace.invoices.documents import (
    BUYER,
    EXEMPTION,
    credit_note,
    with_vat,
    without_vat,
)

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
SCHEMAS = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931"
SAXON = Path("/usr/share/java/Saxon-HE.jar")
DOCUMENTS = {"with_vat": with_vat, "without_vat": without_vat, "credit_note": credit_note}


def xpath(xml: bytes, path: str) -> list[str]:
    return [
        node if isinstance(node, str) else node.text
        for node in etree.fromstring(xml).xpath(path, namespaces=NS)
    ]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_xml_validates_against_the_en16931_xsd(name):
    xml = cii_xml(DOCUMENTS[name]())
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"
    # A second, independent validator on the same published schema.
    xmlschema.XMLSchema(str(SCHEMAS / "Factur-X_EN16931.xsd")).validate(xml)


def test_an_invoice_with_vat():
    xml = cii_xml(with_vat())
    assert xpath(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [GUIDELINE]
    assert xpath(xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert xpath(xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID") == [
        "FA-2027-000042"
    ]
    assert xpath(xml, "//ram:IssueDateTime/udt:DateTimeString") == ["20270401"]
    # Seller and buyer: SIREN under scheme 0002, VAT numbers under VA, addresses.
    seller = "//ram:SellerTradeParty"
    assert xpath(xml, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID") == ["732829320"]
    assert xpath(xml, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID/@schemeID") == ["0002"]
    assert xpath(xml, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == [
        "FR44732829320"
    ]
    buyer = "//ram:BuyerTradeParty"
    assert xpath(xml, f"{buyer}/ram:Name") == [BUYER.name]
    assert xpath(xml, f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID") == ["552081317"]
    assert xpath(xml, f"{buyer}/ram:PostalTradeAddress/ram:CityName") == ["Die"]
    assert xpath(xml, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID") == ["FR40552081317"]
    # Lines: the booking as the invoiced object (BT-128), 20 % VAT on each.
    assert xpath(
        xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
    ) == [
        "12.50",
        "34.17",
    ]
    assert xpath(
        xml,
        "//ram:SpecifiedLineTradeSettlement/ram:AdditionalReferencedDocument/ram:IssuerAssignedID",
    ) == ["CPT-A1B2-1", "CPT-C3D4-1"]
    assert xpath(
        xml, "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"
    ) == [
        "S",
        "S",
    ]
    # The breakdown and the totals: nothing is due, the commission was withheld.
    settlement = "//ram:ApplicableHeaderTradeSettlement"
    assert xpath(xml, f"{settlement}/ram:ApplicableTradeTax/ram:CalculatedAmount") == ["9.33"]
    assert xpath(xml, f"{settlement}/ram:ApplicableTradeTax/ram:RateApplicablePercent") == ["20.00"]
    totals = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert xpath(xml, f"{totals}/ram:TaxBasisTotalAmount") == ["46.67"]
    assert xpath(xml, f"{totals}/ram:TaxTotalAmount") == ["9.33"]
    assert xpath(xml, f"{totals}/ram:TaxTotalAmount/@currencyID") == ["EUR"]
    assert xpath(xml, f"{totals}/ram:GrandTotalAmount") == ["56.00"]
    assert xpath(xml, f"{totals}/ram:TotalPrepaidAmount") == ["56.00"]
    assert xpath(xml, f"{totals}/ram:DuePayableAmount") == ["0.00"]
    assert xpath(xml, f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == [
        "97"
    ]
    assert xpath(xml, f"{settlement}/ram:SpecifiedTradePaymentTerms/ram:Description") == [
        "Commission retenue sur les sommes encaissées pour votre compte : "
        "aucun paiement à effectuer."
    ]
    assert xpath(xml, f"{settlement}/ram:BillingSpecifiedPeriod//udt:DateTimeString") == [
        "20270301",
        "20270331",
    ]
    # French notes: penalties (PMD), recovery indemnity (PMT), no discount (AAB).
    assert xpath(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode") == [
        "PMD",
        "PMT",
        "AAB",
    ]
    assert not xpath(xml, "//ram:InvoiceReferencedDocument")


def test_an_invoice_without_vat_is_exempt_with_its_reason():
    xml = cii_xml(without_vat())
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    assert xpath(xml, f"{tax}/ram:CategoryCode") == ["E"]
    assert xpath(xml, f"{tax}/ram:ExemptionReason") == [EXEMPTION]
    assert xpath(xml, f"{tax}/ram:ExemptionReasonCode") == ["VATEX-FR-FRANCHISE"]
    assert xpath(xml, f"{tax}/ram:CalculatedAmount") == ["0.00"]
    assert xpath(xml, "//ram:GrandTotalAmount") == ["8.80"]
    assert xpath(xml, "//ram:TaxTotalAmount") == ["0.00"]
    # The mention is printed too (a regulatory note), once even when it is a note already.
    assert EXEMPTION in xpath(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content")
    noted = cii_xml(without_vat(notes=(EXEMPTION,)))
    assert xpath(noted, "//ram:IncludedNote/ram:Content").count(EXEMPTION) == 1


def test_a_credit_note_names_the_invoice_it_corrects():
    xml = cii_xml(credit_note())
    assert xpath(xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    reference = "//ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument"
    assert xpath(xml, f"{reference}/ram:IssuerAssignedID") == ["FA-2027-000042"]
    assert xpath(xml, f"{reference}/ram:FormattedIssueDateTime/qdt:DateTimeString") == ["20270401"]
    # Amounts stay positive: the type code says "credit".
    assert xpath(xml, "//ram:GrandTotalAmount") == ["12.00"]


def test_a_buyer_who_is_not_a_business_gets_no_b2b_penalty_mentions():
    document = with_vat(buyer=BUYER.__class__(**{**BUYER.__dict__, "professional": False}))
    assert xpath(cii_xml(document), "//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode") == [
        "AAB"
    ]


def test_business_rules_checked_in_python():
    for build in DOCUMENTS.values():
        assert en16931_problems(build()) == []
    seller = with_vat().seller
    anonymous = with_vat(seller=seller.__class__(**{**seller.__dict__, "vat_number": ""}))
    assert en16931_problems(anonymous) == ["BR-S-02/BR-E-02: the seller has no VAT number"]
    assert en16931_problems(with_vat(total_cents=5601)) == [
        "BR-CO-15: total excluding VAT plus VAT is not the total"
    ]
    assert en16931_problems(credit_note(preceding_number="")) == [
        "a credit note must name the invoice it corrects"
    ]


def schematron_errors(xml: bytes, tmp_path) -> list[str]:
    source = tmp_path / "invoice.xml"
    source.write_bytes(xml)
    report = subprocess.run(  # noqa: S603 (fixed arguments, a local file)
        [
            shutil.which("java"),
            "-cp",
            str(SAXON),
            "net.sf.saxon.Transform",
            f"-s:{source}",
            f"-xsl:{SCHEMAS / 'FACTUR-X_EN16931.xslt'}",
        ],
        capture_output=True,
        check=True,
    ).stdout.decode()
    failed = re.findall(r"<svrl:failed-assert\b(.*?)</svrl:failed-assert>", report, re.S)
    return [
        " ".join(re.sub(r"<[^>]+>", " ", f).split())
        for f in failed
        if 'flag="warning"' not in f.split(">", 1)[0]
    ]


@pytest.mark.skipif(
    not (SAXON.exists() and shutil.which("java")),
    reason="the EN 16931 schematron is XSLT 2.0: Java and Saxon-HE (libsaxonhe-java)",
)
@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_xml_passes_the_en16931_schematron(name, tmp_path):
    assert schematron_errors(cii_xml(DOCUMENTS[name]()), tmp_path) == []


@pytest.fixture(scope="module")
def pdfs():
    return {name: invoice_pdf(build()) for name, build in DOCUMENTS.items()}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_pdf_embeds_the_xml(pdfs, name):
    filename, xml = facturx.get_facturx_xml_from_pdf(pdfs[name], check_xsd=True)
    assert filename == FACTURX_FILENAME
    assert xml == cii_xml(DOCUMENTS[name]())


def xmp(pdf: bytes) -> str:
    return PdfReader(BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_data().decode()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_pdf_is_a_pdfa3_at_the_en16931_conformance_level(pdfs, name):
    metadata = xmp(pdfs[name])
    assert re.search(r"<pdfaid:part>3</pdfaid:part>", metadata)
    assert re.search(r"<pdfaid:conformance>B</pdfaid:conformance>", metadata)
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in metadata
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in metadata
    assert "<fx:DocumentType>INVOICE</fx:DocumentType>" in metadata
    root = PdfReader(BytesIO(pdfs[name])).trailer["/Root"]
    # PDF/A: an output intent (WeasyPrint's sRGB profile), the XML as associated file.
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    assert root["/AF"][0].get_object()["/AFRelationship"] == "/Data"


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(  # noqa: S603 (fixed arguments, a local file)
        [shutil.which("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def test_the_printed_invoice_carries_the_legal_mentions(pdfs, tmp_path):
    text = pdf_text(pdfs["with_vat"], tmp_path)
    for expected in [
        "Facture n° FA-2027-000042",
        "Date d'émission : 1 avril 2027",
        "du 1 mars 2027 au 31 mars 2027",
        "SPL Vallée Verte Tourisme",
        "SIRET : 73282932000074",
        "SIREN : 732829320",
        "N° de TVA intracommunautaire : FR44732829320",
        "Camping des Pins SARL",
        "SIRET : 55208131766522",
        "FR40552081317",
        "CPT-A1B2-1",
        "Commission – réservation CPT-A1B2 – Emplacement",
        "20 %",
        "12,50 €",
        "Total HT 46,67 €",
        "TVA 9,33 €",
        "Total TTC 56,00 €",
        "Net à payer 0,00 €",
        "Commission retenue sur les sommes encaissées pour votre compte",
        "Pénalités de retard : trois fois le taux d'intérêt légal",
        "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €",
        "Pas d'escompte pour paiement anticipé",
        "Factur-X",
    ]:
        assert expected in text, expected
    assert "TVA non applicable" not in text


def test_the_printed_exempt_invoice_says_why_there_is_no_vat(pdfs, tmp_path):
    text = pdf_text(pdfs["without_vat"], tmp_path)
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert "Total TTC 8,80 €" in text


def test_the_printed_credit_note_names_the_corrected_invoice(pdfs, tmp_path):
    text = pdf_text(pdfs["credit_note"], tmp_path)
    assert "Avoir n° AV-2027-000003" in text
    assert "Avoir relatif à la facture n° FA-2027-000042 du 1 avril 2027" in text
    assert "Total TTC 12,00 €" in text
    assert "Facture n°" not in text


def test_file_names():
    assert invoice_filename(with_vat(), "pdf") == "facture-FA-2027-000042.pdf"
    assert invoice_filename(credit_note(), "xml") == "avoir-AV-2027-000003.xml"
