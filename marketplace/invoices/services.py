"""Issuing commission invoices and credit notes (the writes of ``marketplace.invoices``).

:func:`invoices_issue` issues a period's documents for a territory, from the ledger's
commission movements (:mod:`marketplace.invoices.movements`), only their provider's part:

- per provider, one **invoice** for the period's sales (confirmations whose provider's
  part is positive) and one **credit note** per invoice that the period's refunds correct
  (the invoice that billed the refunded confirmation); a zero part is not billed;
- each provider in its own transaction, under a lock on the provider's row: the invoice
  first, then its credit notes, numbered in that order from the territory's gapless
  counters (:func:`invoice_sequence_next`);
- idempotent: a ledger transaction is billed on one line ever (a unique key), so a
  second run, or two runs at once, issue nothing twice;
- a period that has not ended yet is refused (:class:`InvoiceIssueError`).

A refund whose confirmation was never invoiced (its period not issued yet) is left for
later, with a warning: issuing that period and then this one again bills it. Periods are
issued in order by the monthly task, so this only happens when someone issues out of order.

``invoices_issued`` (:mod:`marketplace.invoices.signals`) is sent after commit with what
was issued.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.models import Site

from marketplace.books.models import LedgerTransaction
from marketplace.invoices.document import Party
from marketplace.invoices.models import (
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    number_for,
    series_for,
)
from marketplace.invoices.movements import CommissionMovement, commission_movements
from marketplace.invoices.periods import period_bounds, period_last_ended, territory_zone
from marketplace.invoices.signals import invoices_issued
from marketplace.invoices.vat import line_nets, vat_split
from marketplace.models import Booking, Provider, TerritorySettings

logger = logging.getLogger(__name__)


class InvoiceIssueError(ValueError):
    """A period that cannot be invoiced (not ended yet, or upside down)."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclasses.dataclass(frozen=True)
class _Terms:
    """What the territory says, read once per run and frozen on each document."""

    seller: dict
    currency: str
    subject_to_vat: bool
    vat_rate: Decimal
    exemption_mention: str
    payment_terms: str
    issue_date: dt.date


def seller_party(territory: TerritorySettings) -> Party:
    """The territory's operator as its invoices print it."""
    return Party(
        name=territory.operator_legal_name or territory.site.site_name or "",
        address=territory.operator_address,
        postcode=territory.operator_postcode,
        city=territory.operator_city,
        country=territory.operator_country or "FR",
        siret=territory.operator_siret,
        vat_number=territory.vat_number,
        email=territory.contact_email,
    )


def buyer_party(provider: Provider) -> Party:
    """A provider as its invoices print it (its legal identity, not its public name)."""
    return Party(
        name=provider.legal_name or provider.name,
        address=provider.address,
        postcode=provider.postcode,
        city=provider.commune,
        country="FR",
        siret=provider.siret,
        vat_number=provider.vat_number,
        email=provider.email,
        # A business gets the late-payment mentions (marketplace.invoices.facturx).
        professional=provider.is_professional,
    )


def _terms(site, *, now: dt.datetime) -> _Terms:
    territory = TerritorySettings.for_site(site)
    with translation.override(settings.LANGUAGE_CODE):
        payment_terms = territory.invoice_payment_terms or _(
            "Nothing to pay: the commission was withheld from the sums collected on your behalf."
        )
    return _Terms(
        seller=dataclasses.asdict(seller_party(territory)),
        currency=territory.currency,
        subject_to_vat=territory.subject_to_vat,
        vat_rate=Decimal(territory.vat_rate) if territory.subject_to_vat else Decimal("0"),
        exemption_mention="" if territory.subject_to_vat else territory.vat_exemption_mention,
        payment_terms=payment_terms,
        issue_date=timezone.localdate(now),
    )


def invoice_sequence_next(*, site, series: str) -> int:
    """The next number of ``series`` in ``site``, taken under a row lock held until the
    caller's transaction ends: numbers are gapless, a rolled back issue gives it back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice numbers are taken inside the transaction that issues")
    counter, _created = InvoiceCounter.objects.select_for_update().get_or_create(
        site=site, series=series
    )
    counter.last_sequence += 1
    counter.save(update_fields=["last_sequence"])
    return counter.last_sequence


def invoices_issue(
    *,
    site,
    period_start: dt.date,
    period_end: dt.date,
    by=None,
    now: dt.datetime | None = None,
) -> list[Invoice]:
    """Issue the invoices and credit notes of ``site`` for the period (both dates
    included), and return them in issue order (see the module's docstring). Issues
    nothing for a period without commission, or already issued."""
    now = now or timezone.now()
    if period_end < period_start:
        raise InvoiceIssueError(_("The period ends before it starts."), code="period_upside_down")
    start, end = period_bounds(period_start, period_end)
    if end > now:
        raise InvoiceIssueError(
            _(
                "The period %(start)s to %(end)s has not ended yet: its invoices can be "
                "issued from the next day."
            )
            % {"start": period_start.isoformat(), "end": period_end.isoformat()},
            code="period_not_ended",
        )
    movements = [
        m for m in commission_movements(site=site, start=start, end=end) if m.provider_part
    ]
    # What earlier runs billed of the period, read by instant (no list of ids to pass).
    billed = set(
        InvoiceLine.objects.filter(
            ledger_transaction__site=site,
            ledger_transaction__occurred_at__gte=start,
            ledger_transaction__occurred_at__lt=end,
        ).values_list("ledger_transaction_id", flat=True)
    )
    per_provider: dict[int, list[CommissionMovement]] = defaultdict(list)
    for movement in movements:
        if movement.transaction_id not in billed:
            per_provider[movement.provider_id].append(movement)
    if not per_provider:
        return []
    terms = _terms(site, now=now)
    issued: list[Invoice] = []
    for provider_id in sorted(per_provider):
        issued += _provider_issue(
            site=site,
            provider_id=provider_id,
            movements=per_provider[provider_id],
            terms=terms,
            period=(period_start, period_end),
            by=by,
            now=now,
        )
    if issued:
        transaction.on_commit(
            lambda: invoices_issued.send(sender=Invoice, site=site, invoices=list(issued))
        )
    return issued


def invoices_issue_scheduled(*, now: dt.datetime | None = None) -> list[Invoice]:
    """Issue, for every territory, the latest period that has ended (last month, or last
    quarter with quarterly invoicing). The daily task calls it: on the 1st it issues the
    month just ended; the other days find it issued and issue nothing, unless movements
    were recorded late or the 1st's run failed, which they catch up. One territory's
    failure is logged and does not keep the others from theirs."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    issued: list[Invoice] = []
    for site in Site.objects.order_by("pk"):
        kind = TerritorySettings.for_site(site).invoice_period
        start, end = period_last_ended(today, kind)
        try:
            issued += invoices_issue(site=site, period_start=start, period_end=end, now=now)
        except Exception:
            logger.exception("the invoices of %s for %s to %s failed", site, start, end)
    return issued


def _billed(transaction_ids) -> set[int]:
    return set(
        InvoiceLine.objects.filter(ledger_transaction_id__in=list(transaction_ids)).values_list(
            "ledger_transaction_id", flat=True
        )
    )


@transaction.atomic
def _provider_issue(
    *, site, provider_id: int, movements, terms: _Terms, period, by, now
) -> list[Invoice]:
    # The provider's row is the lock of its invoices: whoever comes second waits, then
    # finds the movements billed and issues nothing for them.
    provider = Provider.objects.select_for_update().get(pk=provider_id)
    billed = _billed(m.transaction_id for m in movements)
    movements = [m for m in movements if m.transaction_id not in billed]
    sales = [m for m in movements if m.provider_part > 0]
    refunds = [m for m in movements if m.provider_part < 0]
    titles = dict(
        Booking.objects.filter(reference__in={m.booking_ref for m in movements}).values_list(
            "reference", "offer_title"
        )
    )
    common = {"site": site, "provider": provider, "terms": terms, "period": period, "by": by}
    issued = []
    if sales:
        issued.append(
            _document_create(**common, movements=sales, corrects=None, titles=titles, now=now)
        )
    for corrected, lines in _refunds_by_invoice(refunds):
        issued.append(
            _document_create(**common, movements=lines, corrects=corrected, titles=titles, now=now)
        )
    return issued


def _refunds_by_invoice(refunds) -> list[tuple[Invoice, list[CommissionMovement]]]:
    """The refunds grouped by the invoice that billed the confirmation each reverses,
    oldest invoice first. A refund of a confirmation never invoiced waits (logged)."""
    if not refunds:
        return []
    reverses = dict(
        LedgerTransaction.objects.filter(pk__in=[m.transaction_id for m in refunds]).values_list(
            "pk", "reverses_id"
        )
    )
    invoice_of = dict(
        InvoiceLine.objects.filter(ledger_transaction_id__in=list(reverses.values())).values_list(
            "ledger_transaction_id", "invoice_id"
        )
    )
    groups: dict[int, list[CommissionMovement]] = defaultdict(list)
    for refund in refunds:
        invoice_id = invoice_of.get(reverses[refund.transaction_id])
        if invoice_id is None:
            logger.warning(
                "refund %s of booking %s: its confirmation is not invoiced yet, no credit note",
                refund.transaction_id,
                refund.booking_ref,
            )
            continue
        groups[invoice_id].append(refund)
    invoices = Invoice.objects.in_bulk(list(groups))
    ordered = sorted(groups, key=lambda pk: (invoices[pk].issue_date, invoices[pk].number))
    return [(invoices[pk], groups[pk]) for pk in ordered]


def _document_create(
    *, site, provider, terms: _Terms, period, by, movements, corrects, titles, now
) -> Invoice:
    """One invoice (``corrects`` None) or credit note, its lines and its number."""
    kind = InvoiceKind.CREDIT_NOTE if corrects is not None else InvoiceKind.INVOICE
    # A credit note gives back VAT at the rate the corrected invoice charged.
    if corrects is not None:
        subject_to_vat, rate = corrects.subject_to_vat, corrects.vat_rate
        mention = corrects.vat_exemption_mention
    else:
        subject_to_vat, rate, mention = (
            terms.subject_to_vat,
            terms.vat_rate,
            terms.exemption_mention,
        )
    commissions = [abs(m.provider_part) for m in movements]
    split = vat_split(sum(commissions), rate if subject_to_vat else Decimal("0"))
    nets = line_nets(split.base_cents, commissions)
    series = series_for(kind, terms.issue_date.year)
    sequence = invoice_sequence_next(site=site, series=series)
    invoice = Invoice.objects.create(
        site=site,
        provider=provider,
        kind=kind,
        series=series,
        sequence=sequence,
        number=number_for(series, sequence),
        issue_date=terms.issue_date,
        period_start=period[0],
        period_end=period[1],
        currency=terms.currency,
        seller=terms.seller,
        buyer=dataclasses.asdict(buyer_party(provider)),
        subject_to_vat=subject_to_vat,
        vat_rate=rate if subject_to_vat else Decimal("0"),
        vat_exemption_mention=mention,
        net_cents=split.base_cents,
        vat_cents=split.vat_cents,
        total_cents=split.total_cents,
        payment_terms=terms.payment_terms,
        corrects=corrects,
        issued_at=now,
        issued_by=by if getattr(by, "is_authenticated", False) else None,
    )
    zone = territory_zone()
    with translation.override(settings.LANGUAGE_CODE):
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                position=position,
                line_id=str(position),
                description=_line_description(kind, movement, titles),
                booking_ref=movement.booking_ref,
                ledger_transaction_id=movement.transaction_id,
                net_cents=net,
                commission_cents=commission,
                date=timezone.localtime(movement.occurred_at, zone).date(),
            )
            for position, (movement, commission, net) in enumerate(
                zip(movements, commissions, nets, strict=True), start=1
            )
        )
    return invoice


def _line_description(kind: str, movement: CommissionMovement, titles) -> str:
    values = {"booking": movement.booking_ref, "offer": titles.get(movement.booking_ref, "")}
    if kind == InvoiceKind.CREDIT_NOTE:
        text = _("Commission refunded on booking %(booking)s") % values
    else:
        text = _("Commission on booking %(booking)s") % values
    if values["offer"]:
        text = f"{text} ({values['offer']})"
    return text[:255]
