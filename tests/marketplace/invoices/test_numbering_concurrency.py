"""Invoices issued at once by several processes, on PostgreSQL with real threads.

Six issuers start together: three issue October and three November, for the same three
providers (so each provider's documents are fought over). Each provider has a sale in
each month and a partial refund of its November sale in November.

Without the locks (the counter read without ``select_for_update``, the provider not
locked), the issuers read the same last number, or bill the same movements, and the
database's unique constraints refuse the second: the race is real. With them, the
numbers are 1..N in each series, without a gap or a duplicate, and every movement is
billed once.

The movements are read from the ledger by a stand-in for ``commission_movements`` (all
of a movement's commission is the provider's), so no catalogue or checkout is needed in
a transactional test; the reading itself is tested in test_movements.py.
"""

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, close_old_connections, connection
from django.db.models import Sum

from marketplace.books.ledger import ledger_post, ledger_reverse
from marketplace.books.models import LedgerEntry, LedgerTransaction
from marketplace.invoices import services
from marketplace.invoices.models import Invoice, InvoiceCounter, InvoiceLine
from marketplace.invoices.movements import CommissionMovement, commission_accounts_q
from marketplace.models import Provider, ProviderCategory, TerritorySettings

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]

PARIS = ZoneInfo("Europe/Paris")
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
NOW = dt.datetime(2026, 12, 1, 6, tzinfo=PARIS)
SIRETS = ["73282932000074", "55210055400013", "44306184100047"]


@pytest.fixture
def site(transactional_db):
    from wagtail.models import Locale, Page, Site

    # Transactional tests empty every table in between: build what issuing needs.
    Locale.objects.get_or_create(language_code="fr")
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    site, _ = Site.objects.get_or_create(
        hostname="invoices.test", port=80, defaults={"root_page": root}
    )
    TerritorySettings.for_site(site)  # created now, not by the threads at once
    category = ProviderCategory.objects.create(slug="ferme", name="Ferme")
    for index, siret in enumerate(SIRETS):
        provider = Provider.objects.create(
            site=site,
            name=f"Prestataire {index}",
            legal_name=f"Prestataire {index} SARL",
            slug=f"prestataire-{index}",
            category=category,
            commune="Saint-Martin",
            address="1 place de la Mairie",
            postcode="05100",
            siret=siret,
            contact_name="Camille",
            email=f"p{index}@example.org",
            description="—",
        )
        for month in (10, 11):
            sale = ledger_post(
                site=site,
                kind="order_confirmed",
                idempotency_key=f"sale:{provider.pk}:{month}",
                entries=[
                    ("visitor", 10_000),
                    (f"provider:{provider.pk}", -9_000),
                    ("beneficiary:fonds", -1_000),
                ],
                booking_ref=f"B-{provider.pk}-{month}",
                occurred_at=dt.datetime(2026, month, 10 + index, 12, tzinfo=PARIS),
            )
        ledger_reverse(
            transaction=sale,
            idempotency_key=f"refund:{provider.pk}",
            fraction=(1, 4),
            occurred_at=dt.datetime(2026, 11, 20 + index, 12, tzinfo=PARIS),
        )
    return site


def movements_from_the_ledger(*, site, start=None, end=None, **kwargs):
    """All of each confirmation's and refund's commission as the provider's part."""
    rows = (
        LedgerEntry.objects.filter(
            commission_accounts_q(),
            transaction__site=site,
            transaction__kind__in=("order_confirmed", "refund"),
            transaction__occurred_at__gte=start,
            transaction__occurred_at__lt=end,
        )
        .values("transaction_id", "transaction__kind", "transaction__occurred_at")
        .annotate(credited=Sum("amount"))
        .order_by("transaction__occurred_at", "transaction_id")
    )
    movements = []
    for row in rows:
        booking_ref = LedgerTransaction.objects.get(pk=row["transaction_id"]).booking_ref or (
            LedgerTransaction.objects.get(pk=row["transaction_id"]).reverses.booking_ref
        )
        commission = -row["credited"]
        movements.append(
            CommissionMovement(
                transaction_id=row["transaction_id"],
                kind="sale" if row["transaction__kind"] == "order_confirmed" else "refund",
                occurred_at=row["transaction__occurred_at"],
                booking_ref=booking_ref,
                provider_id=int(booking_ref.split("-")[1]),
                commission_cents=commission,
                provider_part=commission,
                visitor_part=0,
            )
        )
    return movements


@pytest.fixture
def slow(monkeypatch):
    """Every issuer reads the movements, then waits, so that all are in flight at once;
    and waits again after taking a number, before writing the invoice."""
    monkeypatch.setattr(services, "commission_movements", movements_from_the_ledger)
    real_next = services.invoice_sequence_next

    def slow_next(**kwargs):
        number = real_next(**kwargs)
        time.sleep(0.2)
        return number

    monkeypatch.setattr(services, "invoice_sequence_next", slow_next)


def _issuers_at_once(site) -> list:
    periods = [OCTOBER, NOVEMBER] * 3
    barrier = threading.Barrier(len(periods))
    results: list = [None] * len(periods)

    def issue(index: int):
        try:
            barrier.wait(timeout=10)
            start, end = periods[index]
            results[index] = services.invoices_issue(
                site=site, period_start=start, period_end=end, now=NOW
            )
        except Exception as exc:  # the test inspects what each thread got
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(len(periods))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def unlocked_sequence_next(*, site, series):
    """The counter read and written without a row lock (the race to show)."""
    counter, _ = InvoiceCounter.objects.get_or_create(site=site, series=series)
    number = counter.last_sequence + 1
    time.sleep(0.2)
    InvoiceCounter.objects.filter(pk=counter.pk).update(last_sequence=number)
    return number


class NoLock:
    """``Provider.objects.select_for_update()`` that locks nothing."""

    def __init__(self, manager):
        self.manager = manager

    def select_for_update(self):
        return self.manager.all()

    def __getattr__(self, name):
        return getattr(self.manager, name)


def test_without_the_locks_issuers_collide(site, slow, monkeypatch):
    monkeypatch.setattr(services, "invoice_sequence_next", unlocked_sequence_next)
    monkeypatch.setattr(services.Provider, "objects", NoLock(Provider.objects))

    results = _issuers_at_once(site)

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors and all(isinstance(e, IntegrityError) for e in errors), results


def test_numbers_are_gapless_and_each_movement_billed_once(site, slow):
    results = _issuers_at_once(site)

    assert not [r for r in results if isinstance(r, Exception)], results
    issued = [invoice for result in results for invoice in result]
    assert len(issued) == 9  # 3 providers × (2 invoices + 1 credit note)
    invoices = Invoice.objects.all()
    for series, count in (("FA-2026", 6), ("AV-2026", 3)):
        sequences = sorted(i.sequence for i in invoices if i.series == series)
        assert sequences == list(range(1, count + 1)), (series, sequences)
        assert InvoiceCounter.objects.get(series=series).last_sequence == count
    assert len({i.number for i in invoices}) == 9
    assert InvoiceLine.objects.count() == 9  # one line per movement: 6 sales, 3 refunds
    assert sorted(i.total_cents for i in invoices if i.series == "FA-2026") == [1_000] * 6
    assert sorted(i.total_cents for i in invoices if i.series == "AV-2026") == [250] * 3
    for credit in invoices.filter(series="AV-2026"):
        assert credit.corrects.period_start == NOVEMBER[0]
        assert credit.corrects.provider_id == credit.provider_id
