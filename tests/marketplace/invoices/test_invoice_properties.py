"""The invoices equal the ledger, whatever happens (issue 15 §1), a property test (hypothesis).

Random sales of the three providers' goods (conftest: Chloé's carry no commission of her
own) paid on random days from August to October, partial and full refunds of some of
them up to November, then the four months issued in order. For every provider:

- Σ invoices − Σ credit notes (``total_cents``) == Σ of the provider's part of the
  ledger's commission movements, to the cent;
- Σ provider's parts + Σ visitor's parts == what the confirmations and their refunds put
  on the commission accounts (``beneficiary:*`` and ``platform:operator``);
- every document: base + VAT == total, its lines' nets add up to its base and their
  commissions to its total; every credit note corrects an invoice of its provider;
- numbers run 1..N in each series, without a gap; issuing again issues nothing.

Every example runs in a savepoint rolled back.
"""

import datetime as dt
from collections import defaultdict
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.books.models import LedgerEntry
from marketplace.invoices.models import Invoice, InvoiceKind
from marketplace.invoices.movements import commission_accounts_q, commission_movements
from marketplace.invoices.services import invoices_issue
from marketplace.models import TerritorySettings
from tests.marketplace.invoices.conftest import paris, refund, sell

MONTHS = [(2026, 8, 31), (2026, 9, 30), (2026, 10, 31), (2026, 11, 30)]
FRACTIONS = [(1, 4), (1, 3), (1, 2), (2, 3), (1, 1)]


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


sales = st.lists(
    st.fixed_dictionaries(
        {
            "offer": st.sampled_from(["honey", "cheese", "jam"]),
            "quantity": st.integers(1, 7),
            "day": st.integers(0, 75),  # days after 1 August
            "refunds": st.lists(
                st.tuples(st.sampled_from(FRACTIONS), st.integers(0, 30)), max_size=2
            ),
        }
    ),
    min_size=0,
    max_size=8,
)


def play(world, story):
    start = paris(2026, 8, 1, 10)
    for number, sale in enumerate(story):
        at = start + dt.timedelta(days=sale["day"], minutes=number)
        booking = sell(world, world[sale["offer"]], quantity=sale["quantity"], at=at)
        left = 1.0
        for index, ((numerator, denominator), later) in enumerate(sale["refunds"]):
            left -= numerator / denominator
            if left < -1e-9:
                break
            when = min(at + dt.timedelta(days=later, hours=index + 1), paris(2026, 11, 30, 20))
            refund(booking, fraction=(numerator, denominator), at=when, key=f"p:{number}:{index}")


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(story=sales, subject_to_vat=st.booleans())
def test_the_invoices_equal_the_ledger(world, story, subject_to_vat):
    with rolled_back():
        site = world["site"]
        territory = TerritorySettings.for_site(site)
        territory.subject_to_vat = subject_to_vat
        territory.save()
        play(world, story)
        for year, month, last in MONTHS:
            invoices_issue(
                site=site,
                period_start=dt.date(year, month, 1),
                period_end=dt.date(year, month, last),
                now=paris(2026, 12, 1, 6),
            )

        movements = commission_movements(site=site)
        expected = defaultdict(int)
        for movement in movements:
            expected[movement.provider_id] += movement.provider_part
        invoiced = defaultdict(int)
        documents = list(Invoice.objects.filter(site=site).prefetch_related("lines"))
        for document in documents:
            sign = 1 if document.kind == InvoiceKind.INVOICE else -1
            invoiced[document.provider_id] += sign * document.total_cents
            lines = list(document.lines.all())
            assert document.net_cents + document.vat_cents == document.total_cents
            assert sum(line.net_cents for line in lines) == document.net_cents
            assert sum(line.commission_cents for line in lines) == document.total_cents
            assert document.subject_to_vat == subject_to_vat
            if document.kind == InvoiceKind.CREDIT_NOTE:
                assert document.corrects.kind == InvoiceKind.INVOICE
                assert document.corrects.provider_id == document.provider_id
        assert {k: v for k, v in invoiced.items() if v} == {k: v for k, v in expected.items() if v}

        ledger = LedgerEntry.objects.filter(
            commission_accounts_q(),
            transaction__site=site,
            transaction__kind__in=("order_confirmed", "refund"),
        ).aggregate(total=Sum("amount"))["total"]
        assert sum(m.provider_part + m.visitor_part for m in movements) == -(ledger or 0)

        for series in {d.series for d in documents}:
            sequences = sorted(d.sequence for d in documents if d.series == series)
            assert sequences == list(range(1, len(sequences) + 1))

        for year, month, last in MONTHS:
            assert (
                invoices_issue(
                    site=site,
                    period_start=dt.date(year, month, 1),
                    period_end=dt.date(year, month, last),
                    now=paris(2026, 12, 1, 6),
                )
                == []
            )
