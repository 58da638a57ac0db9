"""Receipts for visitors (issue 15 §2): what a paid order cost, and what a refund gave back.

A receipt is not an invoice: it is the operator's acknowledgement that it collected the
visitor's payment, as the intermediary, for the providers (the price), for itself (the
service fee) and for the communes (the tourist tax). Every amount is read from the
ledger, never recomputed from the order:

- a booking's line: the visitor's debit of its confirmation (``order_confirmed``), its
  tourist tax (the credit of its ``tax:tourist:<commune>`` account) and its service fee
  (the visitor's side of the commission the confirmation credited,
  :func:`marketplace.invoices.movements.commission_movements`); the price is what is
  left. "Of which X to <beneficiary>" lines are the commission's split frozen on the
  booking (``Booking.allocations``, the same amounts the ledger credited);
- a refund: the confirmation's reversal (price, service fee and tax given back in the
  policy's proportion, the fee again split by
  :func:`~marketplace.invoices.movements.commission_sides`) and the rest of the tourist
  tax given back (:func:`marketplace.orders.accounting.tax_refund_post`).

So the receipts, the commission invoices and the DAC7 figures agree to the cent. Reads
only; the pages and the PDF (WeasyPrint, like the payout statements) are rendered here
from plain data, in the active language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from commissions.selectors import beneficiary_names
from marketplace.books.ledger import VISITOR_ACCOUNT
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.commission import beneficiary_shares
from marketplace.invoices.movements import REFUND, SALE, commission_movements
from marketplace.models import Booking, Order, OrderStatus, Refund, TerritorySettings
from marketplace.orders.accounting import confirmed_key, refund_key, tax_refund_key, vat_key
from marketplace.orders.policies import policy_for
from marketplace.selectors import bookings_localise

# How the visitor paid, by payment provider (``Order.gateway``). A provider not named
# here reads as "the means of payment used for the order".
PAYMENT_MEANS = {
    "stripe": _("Bank card, paid online (Stripe)"),
    "dev": _("Test payment (no real money)"),
}


@dataclass(frozen=True)
class Operator:
    """Who collected the payment: the territory's operator, as its settings name it."""

    name: str
    address: str = ""
    postcode: str = ""
    city: str = ""
    siret: str = ""
    vat_number: str = ""
    travel_operator_number: str = ""
    subject_to_vat: bool = False
    vat_rate: Decimal | None = None  # percent
    vat_exemption_mention: str = ""

    @classmethod
    def of_site(cls, site) -> Operator:
        territory = TerritorySettings.for_site(site)
        return cls(
            name=territory.operator_legal_name or site.site_name or site.hostname,
            address=territory.operator_address,
            postcode=territory.operator_postcode,
            city=territory.operator_city,
            siret=territory.operator_siret,
            vat_number=territory.vat_number,
            travel_operator_number=territory.travel_operator_number,
            subject_to_vat=territory.subject_to_vat,
            vat_rate=territory.vat_rate,
            vat_exemption_mention=territory.vat_exemption_mention,
        )


@dataclass(frozen=True)
class Amounts:
    """What the visitor paid (or got back) for one booking, split; cents, positive."""

    price: int = 0
    service_fee: int = 0
    tax: int = 0

    @property
    def total(self) -> int:
        return self.price + self.service_fee + self.tax

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.price + other.price, self.service_fee + other.service_fee, self.tax + other.tax
        )

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.price - other.price, self.service_fee - other.service_fee, self.tax - other.tax
        )


@dataclass(frozen=True)
class ReceiptLine:
    booking: Booking
    paid: Amounts
    tax_commune: str  # whom the tourist tax was collected for ("" when none)
    tax_on_site: bool  # the host collects the stay's tourist tax on site
    shares: tuple[tuple[str, int], ...]  # what the commission funds: (name, cents)

    @property
    def commission(self) -> int:
        return sum(cents for _name, cents in self.shares)


@dataclass(frozen=True)
class Receipt:
    order: Order
    operator: Operator
    lines: list[ReceiptLine]
    payment_means: str
    refunds: list[Refund] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.order.currency

    @property
    def totals(self) -> Amounts:
        return sum((line.paid for line in self.lines), Amounts())

    @property
    def total(self) -> int:
        return self.totals.total


@dataclass(frozen=True)
class RefundReceipt:
    order: Order
    operator: Operator
    refund: Refund
    booking: Booking
    refunded: Amounts
    paid: Amounts
    refunded_at: dt.datetime
    payment_means: str
    policy_summary: str
    percent: int  # the policy's share refunded of the price and fee, in percent

    @property
    def currency(self) -> str:
        return self.order.currency

    @property
    def kept(self) -> Amounts:
        return self.paid - self.refunded


# --- Reading ---------------------------------------------------------------------------------


def _payment_means(order: Order) -> str:
    return str(PAYMENT_MEANS.get(order.gateway, _("The means of payment used for the order")))


def _tax_commune(booking: Booking) -> str:
    return (booking.tax_details or {}).get("commune") or booking.provider.commune


def _entries_by_key(*, order: Order, booking_refs) -> dict[str, dict[str, int]]:
    """The ledger's entries of these bookings, ``{idempotency key: {account: cents}}``."""
    by_key: dict[str, dict[str, int]] = {}
    rows = LedgerEntry.objects.filter(
        transaction__site_id=order.site_id,
        transaction__booking_ref__in=list(booking_refs),
        transaction__kind__in=(
            TransactionKind.ORDER_CONFIRMED,
            TransactionKind.REFUND,
            TransactionKind.VAT,
        ),
    ).values_list("transaction__idempotency_key", "account", "amount")
    for key, account, amount in rows:
        by_key.setdefault(key, {})[account] = amount
    return by_key


def _tax_of(entries: dict[str, int]) -> int:
    """The tourist tax moved by a transaction, signed as the visitor's side."""
    return -sum(amount for account, amount in entries.items() if account.startswith("tax:"))


def _sale_amounts(booking: Booking, *, entries: dict[str, int], fee: int) -> Amounts:
    """What the visitor paid for ``booking``: its confirmation, split (from the ledger)."""
    visitor = entries.get(VISITOR_ACCOUNT, 0)
    tax = _tax_of(entries)
    return Amounts(price=visitor - fee - tax, service_fee=fee, tax=tax)


def receipt_order(*, reference: str, user) -> Order | None:
    """``user``'s paid order ``reference``, or ``None``: only a paid order has a receipt,
    and only its owner sees it (the order page's rule)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Order.objects.select_related("site")
        .filter(reference=reference, user=user, status=OrderStatus.PAID)
        .first()
    )


def order_receipt(order: Order, *, language: str | None = None) -> Receipt:
    """The receipt of a paid order, every amount read from the ledger."""
    bookings = bookings_localise(
        order.bookings.select_related("provider").order_by("pk"), language=language
    )
    refs = [booking.reference for booking in bookings]
    ledger = _entries_by_key(order=order, booking_refs=refs)
    fees = {
        movement.booking_ref: movement.visitor_part
        for movement in commission_movements(site=order.site, booking_refs=refs)
        if movement.kind == SALE
    }
    keys = {key for booking in bookings for key in booking.allocations}
    names = beneficiary_names(site_id=order.site_id, keys=keys)
    lines = []
    for booking in bookings:
        paid = _sale_amounts(
            booking,
            entries=ledger.get(confirmed_key(booking), {}),
            fee=fees.get(booking.reference, 0),
        )
        details = booking.tax_details or {}
        shares = beneficiary_shares(
            allocations=dict(booking.allocations),
            site_id=None,
            names=names,
            vat=ledger.get(vat_key(booking), {}),
        )
        lines.append(
            ReceiptLine(
                booking=booking,
                paid=paid,
                tax_commune=_tax_commune(booking) if paid.tax else "",
                tax_on_site=bool(details) and not details.get("collected_by_platform"),
                shares=shares,
            )
        )
    return Receipt(
        order=order,
        operator=Operator.of_site(order.site),
        lines=lines,
        payment_means=_payment_means(order),
        refunds=order_refunds(order),
    )


def refund_has_receipt(refund: Refund, *, ledger: dict[str, dict[str, int]]) -> bool:
    """A refund the ledger recorded (a cancellation's): a late payment refunded whole
    never entered the books, and its order has no receipt either."""
    booking = refund.booking
    return refund_key(booking) in ledger or tax_refund_key(booking) in ledger


def order_refunds(order: Order) -> list[Refund]:
    """The refunds of a paid order that have a receipt, oldest first (two queries)."""
    if order.status != OrderStatus.PAID:
        return []
    refunds = list(
        Refund.objects.filter(booking__order=order)
        .select_related("booking")
        .order_by("created_at", "pk")
    )
    if not refunds:
        return []
    keys = set(
        LedgerTransaction.objects.filter(
            site_id=order.site_id, booking_ref__in={r.booking.reference for r in refunds}
        ).values_list("idempotency_key", flat=True)
    )
    return [
        r for r in refunds if refund_key(r.booking) in keys or tax_refund_key(r.booking) in keys
    ]


def order_refund_receipt(
    order: Order, *, refund_id: int, language: str | None = None
) -> RefundReceipt | None:
    """The receipt of one refund of ``order``, read from the ledger (``None``: no such
    refund, or none the ledger recorded)."""
    refund = (
        Refund.objects.filter(pk=refund_id, booking__order=order)
        .select_related("booking__provider")
        .first()
    )
    if refund is None:
        return None
    booking = refund.booking
    bookings_localise([booking], language=language)
    ledger = _entries_by_key(order=order, booking_refs=[booking.reference])
    if not refund_has_receipt(refund, ledger=ledger):
        return None
    fee_paid = fee_back = 0
    for movement in commission_movements(site=order.site, booking_refs=[booking.reference]):
        if movement.kind == SALE:
            fee_paid += movement.visitor_part
        elif movement.kind == REFUND:
            fee_back -= movement.visitor_part  # a refund's movement is negative
    paid = _sale_amounts(booking, entries=ledger.get(confirmed_key(booking), {}), fee=fee_paid)
    reversal = ledger.get(refund_key(booking), {})
    tax_back = ledger.get(tax_refund_key(booking), {})
    visitor_back = -reversal.get(VISITOR_ACCOUNT, 0)
    reversal_tax = -_tax_of(reversal)
    refunded = Amounts(
        price=visitor_back - fee_back - reversal_tax,
        service_fee=fee_back,
        tax=reversal_tax - tax_back.get(VISITOR_ACCOUNT, 0),
    )
    denominator = refund.fraction_denominator or 1
    return RefundReceipt(
        order=order,
        operator=Operator.of_site(order.site),
        refund=refund,
        booking=booking,
        refunded=refunded,
        paid=paid,
        refunded_at=refund.created_at,
        payment_means=_payment_means(order),
        policy_summary=str(policy_for(booking.cancellation_policy).summary),
        percent=round(100 * refund.fraction_numerator / denominator),
    )


def ledger_visitor_debit(order: Order) -> int:
    """What the ledger debited the visitor for ``order``'s confirmations (cents)."""
    return sum(
        LedgerEntry.objects.filter(
            transaction__site_id=order.site_id,
            transaction__order_ref=order.reference,
            transaction__kind=TransactionKind.ORDER_CONFIRMED,
            account=VISITOR_ACCOUNT,
        ).values_list("amount", flat=True)
    )


# --- Files -----------------------------------------------------------------------------------


def _language(language: str | None) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    return language if language in available else settings.LANGUAGE_CODE


def receipt_pdf(template: str, context: dict, *, language: str | None = None) -> bytes:
    """A receipt (``template`` rendered with ``context``) as an A4 PDF, in ``language``."""
    from weasyprint import HTML  # heavy: loaded only when a PDF is made

    language = _language(language)
    with translation.override(language):
        html = render_to_string(template, {**context, "language": language})
    return HTML(string=html).write_pdf()
