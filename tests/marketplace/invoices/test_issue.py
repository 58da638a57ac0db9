"""Issuing a period's commission invoices and credit notes (issue 15 §1): worked examples.

The world (conftest): the operator charges 20 % VAT; Canoës Alice sells honey (10 €),
Ferme Bob cheese (15 €), commission 5 % from the provider and 2 % from the visitor;
Gîte Chloé pays no commission of her own. Sales are paid at chosen instants, Paris time.
"""

import datetime as dt
from decimal import Decimal

import pytest

from marketplace.invoices.document import DocumentKind, VatCategory
from marketplace.invoices.models import Invoice, InvoiceCounter, InvoiceKind, InvoiceLine
from marketplace.invoices.services import InvoiceIssueError, invoices_issue
from marketplace.invoices.signals import invoices_issued
from tests.marketplace.invoices.conftest import paris, refund, sell, vat_off

OCTOBER = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 10, 31)}
NOVEMBER = {"period_start": dt.date(2026, 11, 1), "period_end": dt.date(2026, 11, 30)}
DECEMBER = {"period_start": dt.date(2026, 12, 1), "period_end": dt.date(2026, 12, 31)}
AFTER_OCTOBER = paris(2026, 11, 1, 5, 30)
AFTER_NOVEMBER = paris(2026, 12, 1, 5, 30)
AFTER_DECEMBER = paris(2027, 1, 1, 5, 30)


def october_sales(world):
    """Canoës: 2 then 3 jars (provider's commission 100 and 150); Ferme Bob: a cheese
    just before midnight on 31 October, Paris time (75), and one just after (November)."""
    return {
        "honey2": sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10)),
        "honey3": sell(world, world["honey"], quantity=3, at=paris(2026, 10, 20)),
        "cheese_oct": sell(world, world["cheese"], quantity=1, at=paris(2026, 10, 31, 23, 30)),
        "cheese_nov": sell(world, world["cheese"], quantity=1, at=paris(2026, 11, 1, 0, 30)),
    }


def test_worked_example_with_vat(world):
    sales = october_sales(world)
    assert (sales["honey2"].provider_commission, sales["honey2"].visitor_fee) == (100, 40)

    issued = invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER)

    assert [(i.number, i.kind, i.provider) for i in issued] == [
        ("FA-2026-000001", InvoiceKind.INVOICE, world["canoes"]),
        ("FA-2026-000002", InvoiceKind.INVOICE, world["ferme"]),
    ]
    canoes, ferme = issued
    # 250 TTC: the base 208 gives 208 + round(41.6) = 250 exactly.
    assert (canoes.net_cents, canoes.vat_cents, canoes.total_cents) == (208, 42, 250)
    assert canoes.vat_rate == Decimal("20.00") and canoes.subject_to_vat
    lines = list(canoes.lines.order_by("position"))
    assert [(x.line_id, x.commission_cents, x.net_cents) for x in lines] == [
        ("1", 100, 83),
        ("2", 150, 125),
    ]
    assert [x.booking_ref for x in lines] == [sales["honey2"].reference, sales["honey3"].reference]
    assert lines[0].date == dt.date(2026, 10, 10)
    assert lines[0].description == (
        f"Commission sur la réservation {sales['honey2'].reference} (Miel de châtaignier)"
    )
    # 75 TTC has no exact base at 20 % (62 gives 74, 63 gives 76): base 63, VAT 12.
    assert (ferme.net_cents, ferme.vat_cents, ferme.total_cents) == (63, 12, 75)
    assert list(ferme.lines.values_list("booking_ref", flat=True)) == [
        sales["cheese_oct"].reference
    ]
    assert ferme.issue_date == dt.date(2026, 11, 1)
    assert (ferme.period_start, ferme.period_end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))

    document = canoes.document()
    assert document.kind is DocumentKind.INVOICE and document.number == "FA-2026-000001"
    assert document.seller.name == "SPL Haut-Vallon Tourisme"
    assert document.seller.siren == "123456782" and document.seller.vat_number == "FR32123456782"
    assert document.buyer.name == "Canoës Alice SARL"
    assert document.buyer.siret == world["canoes"].siret
    assert (document.total_net_cents, document.total_vat_cents, document.total_cents) == (
        208,
        42,
        250,
    )
    assert [(v.category, v.rate, v.base_cents, v.vat_cents) for v in document.vat] == [
        (VatCategory.STANDARD, Decimal("20.00"), 208, 42)
    ]
    assert sum(line.net_cents for line in document.lines) == document.total_net_cents
    assert document.notes == ()
    assert document.payment_terms.startswith("Rien à payer")
    assert document.amount_due_cents == 0


def test_the_document_is_the_snapshot_not_live_data(world):
    sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    (invoice,) = invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER)
    canoes = world["canoes"]
    canoes.legal_name = "Canoës Alice et fils SAS"
    canoes.save()
    vat_off(world["site"])

    document = Invoice.objects.get(pk=invoice.pk).document()

    assert document.buyer.name == "Canoës Alice SARL"
    assert document.vat[0].category is VatCategory.STANDARD


def test_worked_example_without_vat(world):
    vat_off(world["site"], mention="TVA non applicable, art. 293 B du CGI")
    sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    sell(world, world["honey"], quantity=3, at=paris(2026, 10, 20))

    (invoice,) = invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER)

    assert (invoice.net_cents, invoice.vat_cents, invoice.total_cents) == (250, 0, 250)
    assert not invoice.subject_to_vat and invoice.vat_rate == 0
    assert list(invoice.lines.values_list("net_cents", flat=True)) == [100, 150]
    document = invoice.document()
    assert [
        (v.category, v.rate, v.base_cents, v.vat_cents, v.exemption_reason) for v in document.vat
    ] == [(VatCategory.EXEMPT, Decimal("0"), 250, 0, "TVA non applicable, art. 293 B du CGI")]
    assert {line.vat_category for line in document.lines} == {VatCategory.EXEMPT}
    assert document.notes == ("TVA non applicable, art. 293 B du CGI",)


def test_a_refund_gives_a_credit_note_that_references_the_invoice(world):
    sales = october_sales(world)
    (canoes_invoice, _ferme) = invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER)
    # Half of the three jars given back in November: 105 of commission, 75 the provider's.
    refund(sales["honey3"], fraction=(1, 2), at=paris(2026, 11, 15))

    issued = invoices_issue(site=world["site"], **NOVEMBER, now=AFTER_NOVEMBER)

    credit = next(i for i in issued if i.provider == world["canoes"])
    assert credit.kind == InvoiceKind.CREDIT_NOTE
    assert credit.number == "AV-2026-000001"
    assert credit.corrects == canoes_invoice
    assert (credit.net_cents, credit.vat_cents, credit.total_cents) == (63, 12, 75)
    (line,) = credit.lines.all()
    assert (line.commission_cents, line.booking_ref) == (75, sales["honey3"].reference)
    assert line.description.startswith("Commission remboursée sur la réservation")
    document = credit.document()
    assert document.kind is DocumentKind.CREDIT_NOTE and document.kind.type_code == "381"
    assert document.preceding_number == "FA-2026-000001"
    assert document.preceding_issue_date == canoes_invoice.issue_date
    # Ferme Bob's cheese of 1 November (Paris time) is November's.
    (ferme_nov,) = [i for i in issued if i.provider == world["ferme"]]
    assert ferme_nov.number == "FA-2026-000003"
    assert list(ferme_nov.lines.values_list("booking_ref", flat=True)) == [
        sales["cheese_nov"].reference
    ]


def test_credit_notes_one_per_corrected_invoice_and_after_the_periods_invoice(world):
    october = sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    (oct_invoice,) = invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER)
    november = sell(world, world["honey"], quantity=4, at=paris(2026, 11, 3))
    (nov_invoice,) = invoices_issue(site=world["site"], **NOVEMBER, now=AFTER_NOVEMBER)
    # December: a sale refunded the same month, and both earlier sales refunded.
    december = sell(world, world["honey"], quantity=1, at=paris(2026, 12, 2))
    refund(december, at=paris(2026, 12, 3))
    refund(november, at=paris(2026, 12, 4))
    refund(october, at=paris(2026, 12, 5))

    issued = invoices_issue(site=world["site"], **DECEMBER, now=AFTER_DECEMBER)

    # Issued on 1 January 2027: the series of 2027 start at 1.
    assert [(i.number, i.corrects.number if i.corrects else None) for i in issued] == [
        ("FA-2027-000001", None),
        ("AV-2027-000001", oct_invoice.number),
        ("AV-2027-000002", nov_invoice.number),
        ("AV-2027-000003", "FA-2027-000001"),
    ]
    assert [i.total_cents for i in issued] == [50, 100, 200, 50]


def test_a_month_without_commission_issues_nothing(world):
    october_sales(world)

    assert (
        invoices_issue(
            site=world["site"],
            **{"period_start": dt.date(2026, 9, 1), "period_end": dt.date(2026, 9, 30)},
            now=AFTER_OCTOBER,
        )
        == []
    )
    assert not Invoice.objects.exists()
    assert not InvoiceCounter.objects.exists()


def test_zero_commission_is_not_invoiced(world):
    jam = sell(world, world["jam"], quantity=1, at=paris(2026, 10, 5))
    assert (jam.provider_commission, jam.visitor_fee) == (0, 12)

    assert invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER) == []


def test_issuing_twice_issues_nothing_new(world):
    october_sales(world)
    first = invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER)

    assert invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER) == []
    assert Invoice.objects.count() == len(first) == 2
    assert InvoiceCounter.objects.get(series="FA-2026").last_sequence == 2
    # A sale recorded late in October (back-dated) is billed by the next run, alone.
    late = sell(world, world["honey"], quantity=1, at=paris(2026, 10, 30))
    (extra,) = invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER)
    assert extra.number == "FA-2026-000003"
    assert list(extra.lines.values_list("booking_ref", flat=True)) == [late.reference]
    assert InvoiceLine.objects.count() == 4


def test_a_period_not_ended_is_refused(world):
    sell(world, world["honey"], quantity=2, at=paris(2026, 11, 2))

    with pytest.raises(InvoiceIssueError) as refused:
        invoices_issue(site=world["site"], **NOVEMBER, now=paris(2026, 11, 30, 23, 59))

    assert refused.value.code == "period_not_ended"
    assert "2026-11-30" in str(refused.value)
    assert not Invoice.objects.exists()


def test_the_signal_is_sent_after_commit_with_the_invoices(
    world, django_capture_on_commit_callbacks
):
    october_sales(world)
    received = []

    def receiver(sender, site, invoices, **kwargs):
        received.append((site, [i.number for i in invoices]))

    invoices_issued.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER)
        assert received == []  # not before the commit
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            invoices_issue(site=world["site"], **OCTOBER, now=AFTER_OCTOBER)  # nothing new
    finally:
        invoices_issued.disconnect(receiver)

    assert received == [(world["site"], ["FA-2026-000001", "FA-2026-000002"])]


def test_a_refund_of_a_sale_not_invoiced_yet_waits_for_its_invoice(world, caplog):
    honey = sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    refund(honey, at=paris(2026, 11, 10))

    # November issued before October: the refund corrects no invoice yet.
    assert invoices_issue(site=world["site"], **NOVEMBER, now=AFTER_NOVEMBER) == []
    assert "not invoiced yet" in caplog.text
    (invoice,) = invoices_issue(site=world["site"], **OCTOBER, now=AFTER_NOVEMBER)
    (credit,) = invoices_issue(site=world["site"], **NOVEMBER, now=AFTER_NOVEMBER)

    assert (credit.kind, credit.corrects, credit.total_cents) == (
        InvoiceKind.CREDIT_NOTE,
        invoice,
        invoice.total_cents,
    )
