"""Hand-made invoice documents: one with VAT, one without (category E), a credit note."""

import datetime as dt
from decimal import Decimal

from marketplace.invoices.document import (
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    Party,
    VatBreakdown,
    VatCategory,
)

SELLER = Party(
    name="SPL Vallée Verte Tourisme",
    address="2 place de la Mairie",
    postcode="26150",
    city="Die",
    siret="73282932000074",
    vat_number="FR44732829320",
    email="compta@vallee-verte.example",
)
BUYER = Party(
    name="Camping des Pins SARL",
    address="Route du Lac",
    postcode="26150",
    city="Die",
    siret="55208131766522",
    vat_number="FR40552081317",
    email="contact@camping-des-pins.example",
)
TWENTY = Decimal("20.00")


def with_vat(**overrides) -> InvoiceDocument:
    lines = (
        DocumentLine(
            line_id="1",
            description="Commission – réservation CPT-A1B2 – Emplacement nature",
            net_cents=1250,
            vat_category=VatCategory.STANDARD,
            vat_rate=TWENTY,
            booking_ref="CPT-A1B2-1",
            service_date=dt.date(2027, 3, 4),
        ),
        DocumentLine(
            line_id="2",
            description="Commission – réservation CPT-C3D4 – Chalet 4 personnes",
            net_cents=3417,
            vat_category=VatCategory.STANDARD,
            vat_rate=TWENTY,
            booking_ref="CPT-C3D4-1",
            service_date=dt.date(2027, 3, 18),
        ),
    )
    values = dict(
        kind=DocumentKind.INVOICE,
        number="FA-2027-000042",
        issue_date=dt.date(2027, 4, 1),
        currency="EUR",
        seller=SELLER,
        buyer=BUYER,
        lines=lines,
        vat=(
            VatBreakdown(
                category=VatCategory.STANDARD, rate=TWENTY, base_cents=4667, vat_cents=933
            ),
        ),
        total_net_cents=4667,
        total_vat_cents=933,
        total_cents=5600,
        period_start=dt.date(2027, 3, 1),
        period_end=dt.date(2027, 3, 31),
    )
    values.update(overrides)
    return InvoiceDocument(**values)


EXEMPTION = "TVA non applicable, art. 293 B du CGI"


def without_vat(**overrides) -> InvoiceDocument:
    line = DocumentLine(
        line_id="1",
        description="Commission – réservation CPT-E5F6 – Canyoning",
        net_cents=880,
        vat_category=VatCategory.EXEMPT,
        vat_rate=Decimal("0"),
        booking_ref="CPT-E5F6-1",
        service_date=dt.date(2027, 3, 9),
    )
    values = dict(
        kind=DocumentKind.INVOICE,
        number="FA-2027-000043",
        issue_date=dt.date(2027, 4, 1),
        currency="EUR",
        seller=Party(
            name="Office de tourisme du Diois",
            address="Rue des Jardins",
            postcode="26150",
            city="Die",
            siret="73282932000074",
            # Under the franchise en base but registered for intra-EU services, as
            # EN 16931 asks of an exempt seller (BR-E-02).
            vat_number="FR44732829320",
        ),
        buyer=BUYER,
        lines=(line,),
        vat=(
            VatBreakdown(
                category=VatCategory.EXEMPT,
                rate=Decimal("0"),
                base_cents=880,
                vat_cents=0,
                exemption_reason=EXEMPTION,
            ),
        ),
        total_net_cents=880,
        total_vat_cents=0,
        total_cents=880,
        period_start=dt.date(2027, 3, 1),
        period_end=dt.date(2027, 3, 31),
    )
    values.update(overrides)
    return InvoiceDocument(**values)


def credit_note(**overrides) -> InvoiceDocument:
    line = DocumentLine(
        line_id="1",
        description="Commission rendue – remboursement CPT-C3D4 – Chalet 4 personnes",
        net_cents=1000,
        vat_category=VatCategory.STANDARD,
        vat_rate=TWENTY,
        booking_ref="CPT-C3D4-1",
        service_date=dt.date(2027, 4, 10),
    )
    values = dict(
        kind=DocumentKind.CREDIT_NOTE,
        number="AV-2027-000003",
        issue_date=dt.date(2027, 5, 1),
        currency="EUR",
        seller=SELLER,
        buyer=BUYER,
        lines=(line,),
        vat=(
            VatBreakdown(
                category=VatCategory.STANDARD, rate=TWENTY, base_cents=1000, vat_cents=200
            ),
        ),
        total_net_cents=1000,
        total_vat_cents=200,
        total_cents=1200,
        period_start=dt.date(2027, 4, 1),
        period_end=dt.date(2027, 4, 30),
        preceding_number="FA-2027-000042",
        preceding_issue_date=dt.date(2027, 4, 1),
    )
    values.update(overrides)
    return InvoiceDocument(**values)
