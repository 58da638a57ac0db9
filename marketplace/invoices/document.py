"""An invoice or credit note as plain data: what the PDF, the Factur-X XML and the admin show.

``marketplace.invoices`` builds an :class:`InvoiceDocument` from an issued invoice (a
frozen snapshot taken at issue, never recomputed); ``marketplace.invoices.facturx`` turns
it into the CII XML (EN 16931 profile) and the PDF/A-3 that embeds it. No ORM here, so
the rendering can be tested on hand-made documents.

Amounts are integer cents, positive on credit notes too (the type code says "credit").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class DocumentKind(StrEnum):
    INVOICE = "invoice"  # UNTDID 1001 code 380, commercial invoice
    CREDIT_NOTE = "credit_note"  # code 381, credit note

    @property
    def type_code(self) -> str:
        return "380" if self is DocumentKind.INVOICE else "381"


class VatCategory(StrEnum):
    """UNCL 5305 codes that EN 16931 uses (BT-118, BT-151)."""

    STANDARD = "S"
    EXEMPT = "E"  # with an exemption reason (BT-120), e.g. art. 293 B du CGI


@dataclass(frozen=True)
class Party:
    """The seller (the territory's operator) or the buyer (a provider)."""

    name: str  # legal name (BT-27 / BT-44)
    address: str
    postcode: str
    city: str
    country: str = "FR"  # ISO 3166-1 alpha-2
    siret: str = ""  # 14 digits; the SIREN (BT-30 / BT-47, scheme 0002) is its first 9
    vat_number: str = ""  # intra-EU VAT number (BT-31 / BT-48)
    email: str = ""
    # A business buyer (B2B): the invoice then states the late-payment penalties and
    # the 40 EUR recovery indemnity (code de commerce, art. L441-10 and D441-5).
    professional: bool = True

    @property
    def siren(self) -> str:
        return self.siret[:9] if len(self.siret) == 14 else ""


@dataclass(frozen=True)
class DocumentLine:
    line_id: str  # BT-126, "1", "2", ...
    description: str  # BT-153, e.g. "Commission - réservation CPT-... - Camping des Pins"
    net_cents: int  # BT-131, the line's amount excluding VAT (quantity 1)
    vat_category: VatCategory
    vat_rate: Decimal  # percent (BT-152); Decimal("0") when exempt
    booking_ref: str = ""  # the booking this commission was charged on
    service_date: date | None = None  # when the booking was confirmed (or refunded)


@dataclass(frozen=True)
class VatBreakdown:
    """One VAT category and rate (BG-23): its base, its VAT, an exemption reason if any."""

    category: VatCategory
    rate: Decimal
    base_cents: int  # BT-116
    vat_cents: int  # BT-117
    exemption_reason: str = ""  # BT-120, required for category E


@dataclass(frozen=True)
class InvoiceDocument:
    kind: DocumentKind
    number: str  # BT-1, gapless per territory and series, e.g. "FA-2026-000042"
    issue_date: date  # BT-2
    currency: str  # BT-5, "EUR"
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    vat: tuple[VatBreakdown, ...]
    total_net_cents: int  # BT-109 = sum of the lines' net amounts
    total_vat_cents: int  # BT-110 = sum of the breakdown's VAT
    total_cents: int  # BT-112 = net + VAT; equals the commission in the ledger
    period_start: date  # BG-14, the invoicing period
    period_end: date
    due_date: date | None = None  # BT-9
    payment_terms: str = ""  # BT-20
    # A credit note names the invoice it corrects (BG-3).
    preceding_number: str = ""
    preceding_issue_date: date | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)  # BT-22: legal mentions
    language: str = "fr"

    @property
    def amount_due_cents(self) -> int:
        """BT-115: nothing is due, the commission was withheld from the sums collected."""
        return 0
