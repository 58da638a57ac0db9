"""Two refunds of the same order at once, on PostgreSQL with real threads.

Without the row lock both read "nothing refunded yet" and together refund more than was
paid; with it, the second waits, sees the first, and is refused.
"""

import threading
import time

import pytest
from django.db import close_old_connections, connection

from marketplace.books import ledger
from marketplace.books.ledger import LedgerReversalError, ledger_post, ledger_reverse
from marketplace.books.models import LedgerTransaction

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]


def _two_refunds_at_once(sale) -> list:
    """Each thread refunds 2/3 of the sale; both compute their entries at the same time."""
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def refund(index: int):
        try:
            barrier.wait(timeout=10)
            results[index] = ledger_reverse(
                transaction=sale, idempotency_key=f"refund:{index}", fraction=(2, 3)
            )
        except Exception as exc:  # the test inspects what each thread got
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=refund, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def sale(transactional_db):
    from wagtail.models import Locale, Page, Site

    # Transactional tests empty every table in between: build what the ledger needs.
    Locale.objects.get_or_create(language_code="fr")
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    site, _ = Site.objects.get_or_create(
        hostname="ledger.test", port=80, defaults={"root_page": root}
    )
    return ledger_post(
        site=site,
        kind="order_confirmed",
        idempotency_key="order:1:confirmed",
        entries=[("visitor", 9_000), ("provider:1", -8_000), ("beneficiary:fonds", -1_000)],
    )


@pytest.fixture
def slow_entries(monkeypatch):
    """Both threads compute their reversal, then wait, before either writes it."""
    real = ledger.reversal_entries

    def slow(**kwargs):
        entries = real(**kwargs)
        time.sleep(0.5)
        return entries

    monkeypatch.setattr(ledger, "reversal_entries", slow)


def test_without_the_lock_two_refunds_overdraw(sale, slow_entries, monkeypatch):
    manager = LedgerTransaction.objects
    monkeypatch.setattr(type(manager), "select_for_update", lambda self, **kw: self.all())
    results = _two_refunds_at_once(sale)
    assert all(isinstance(r, LedgerTransaction) for r in results), results
    assert sale.reversals.count() == 2  # 4/3 of the sale refunded: the race is real


def test_the_lock_refuses_the_second_refund(sale, slow_entries):
    results = _two_refunds_at_once(sale)
    assert sum(isinstance(r, LedgerTransaction) for r in results) == 1, results
    assert sum(isinstance(r, LedgerReversalError) for r in results) == 1, results
    assert sale.reversals.count() == 1
