"""The documents' world: finance, two providers with a member each, and invoices issued
to them written directly (:func:`issue`: the issuing service has tests of its own, and
conftest's world sells through the real checkout when a test needs it)."""

import datetime as dt
import itertools
from decimal import Decimal

from marketplace.books.models import LedgerTransaction, TransactionKind
from marketplace.invoices.models import Invoice, InvoiceKind, InvoiceLine
from tests.factories import make_provider, make_user

_keys = itertools.count(1)

SELLER = {
    "name": "SPL Vallée Verte",
    "address": "2 place de la Mairie",
    "postcode": "26150",
    "city": "Die",
    "siret": "73282932000074",
    "vat_number": "FR44732829320",
}


def buyer_of(provider) -> dict:
    return {
        "name": provider.legal_name,
        "address": provider.address,
        "postcode": provider.postcode,
        "city": provider.commune,
        "siret": provider.siret,
        "email": provider.email,
    }


def issue(
    provider,
    *,
    number: str,
    month: int = 3,
    commissions=(600,),
    corrects: Invoice | None = None,
    seller: dict | None = None,
) -> Invoice:
    """An issued invoice (or, with ``corrects``, a credit note) of ``provider`` for
    ``month`` of 2027, one line per commission (cents incl. 20 % VAT)."""
    start = dt.date(2027, month, 1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    series, sequence = number.rsplit("-", 1)
    nets = [round(c / Decimal("1.2")) for c in commissions]
    net = sum(nets)
    total = sum(commissions)
    invoice = Invoice.objects.create(
        site=provider.site,
        provider=provider,
        kind=InvoiceKind.CREDIT_NOTE if corrects else InvoiceKind.INVOICE,
        series=series,
        sequence=int(sequence),
        number=number,
        issue_date=end + dt.timedelta(days=1),
        period_start=start,
        period_end=end,
        seller=seller or SELLER,
        buyer=buyer_of(provider),
        subject_to_vat=True,
        vat_rate=Decimal("20.00"),
        net_cents=net,
        vat_cents=total - net,
        total_cents=total,
        corrects=corrects,
    )
    for position, (commission, line_net) in enumerate(zip(commissions, nets, strict=True), 1):
        key = next(_keys)
        transaction = LedgerTransaction.objects.create(
            site=provider.site,
            kind=TransactionKind.REFUND if corrects else TransactionKind.ORDER_CONFIRMED,
            idempotency_key=f"test-invoice-{key}",
            booking_ref=f"CPT-T{key:04d}-1",
        )
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            line_id=str(position),
            description=f"Commission – réservation CPT-T{key:04d}",
            booking_ref=f"CPT-T{key:04d}-1",
            ledger_transaction=transaction,
            net_cents=line_net,
            commission_cents=commission,
            date=start + dt.timedelta(days=position),
        )
    return invoice


def build_docs_world(territory, category):
    """Finance, and two providers with a member each (the admin's roles)."""
    from cms.services import FINANCE_GROUP

    alice = make_user("alice@example.org")
    bob = make_user("bob@example.org")
    canoes = make_provider(
        territory, name="Canoës Alice", category=category, member=alice, email="canoes@example.org"
    )
    ferme = make_provider(
        territory, name="Ferme Bob", category=category, member=bob, email="ferme@example.org"
    )
    return {
        "site": territory,
        "finance": make_user("finances@example.org", groups=(FINANCE_GROUP,)),
        "alice": alice,
        "bob": bob,
        "canoes": canoes,
        "ferme": ferme,
    }
