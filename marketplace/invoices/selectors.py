"""Reads of the invoices: a territory's, a provider's, a period's (constant queries)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from marketplace.invoices.models import Invoice, InvoiceKind


def invoices_of_site(site) -> QuerySet[Invoice]:
    """The territory's invoices and credit notes, newest first, with their provider."""
    return (
        Invoice.objects.filter(site=site)
        .select_related("provider", "corrects")
        .order_by("-issue_date", "-series", "-sequence")
    )


def invoices_of_provider(provider) -> QuerySet[Invoice]:
    """One provider's invoices and credit notes, newest first (what its members see)."""
    return invoices_of_site(provider.site_id).filter(provider=provider)


def invoices_of_period(site, *, period_start: dt.date, period_end: dt.date) -> QuerySet[Invoice]:
    """The documents issued for exactly this period, in issue order."""
    return (
        Invoice.objects.filter(site=site, period_start=period_start, period_end=period_end)
        .select_related("provider", "corrects")
        .order_by("issued_at", "series", "sequence")
    )


def invoice_balance(invoice: Invoice) -> int:
    """An invoice's total less the credit notes that correct it (cents)."""
    if invoice.kind != InvoiceKind.INVOICE:
        raise ValueError("a credit note has no balance of its own")
    credited = sum(invoice.credit_notes.values_list("total_cents", flat=True))
    return invoice.total_cents - credited
