"""Two payout runs prepared at once for one territory, on PostgreSQL with real threads.

Without the lock on the territory's payout settings both read the same payable balance
and together pay it twice; with it, the second waits, sees the first's payouts in the
ledger, and finds nothing left to pay.
"""

import datetime as dt
import threading
import time

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from commissions.models import Beneficiary
from marketplace.books.ledger import ledger_post
from marketplace.books.models import LedgerEntry
from marketplace.models import TerritorySettings
from marketplace.payouts import runs as runs_module
from marketplace.payouts.models import BankAccount, BankAccountStatus, PayoutRun, PayoutSettings
from marketplace.payouts.runs import PayoutRunRefused, payout_run_prepare

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]

ACCOUNT = "beneficiary:fonds"


@pytest.fixture
def site(transactional_db):
    from wagtail.models import Locale, Page, Site

    # Transactional tests empty every table in between: build what a run needs.
    Locale.objects.get_or_create(language_code="fr")
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    site, _ = Site.objects.get_or_create(
        hostname="runs.test", port=80, defaults={"root_page": root}
    )
    Beneficiary.objects.create(site=site, key="fonds", name="Fonds local", kind="local_fund")
    earlier = timezone.now() - dt.timedelta(days=1)
    BankAccount.objects.create(
        site=site,
        account=ACCOUNT,
        holder_name="Fonds local",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        status=BankAccountStatus.APPROVED,
        submitted_at=earlier,
        decided_at=earlier,
    )
    TerritorySettings.for_site(site)  # created now, not by the two threads at once
    settings = PayoutSettings.for_site(site)
    settings.debtor_name = "Communauté de communes"
    settings.debtor_iban = "FR1420041010050500013M02606"
    settings.debtor_bic = "PSSTFRPP"
    settings.save()
    ledger_post(
        site=site,
        kind="adjustment",
        idempotency_key="test:fonds:credit",
        entries=[(ACCOUNT, -10_000), ("platform:operator", 10_000)],
    )
    return site


@pytest.fixture
def slow_plan(monkeypatch):
    """Both threads read what is payable, then wait, before either records its run."""
    real = runs_module.payout_run_plan

    def slow(**kwargs):
        plan = real(**kwargs)
        time.sleep(0.5)
        return plan

    monkeypatch.setattr(runs_module, "payout_run_plan", slow)


def _two_runs_at_once(site) -> list:
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def prepare(index: int):
        try:
            barrier.wait(timeout=10)
            results[index] = payout_run_prepare(site=site, until=timezone.localdate())
        except Exception as exc:  # the test inspects what each thread got
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=prepare, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _paid() -> int:
    return sum(
        LedgerEntry.objects.filter(transaction__kind="payout", account=ACCOUNT).values_list(
            "amount", flat=True
        )
    )


def test_without_the_lock_two_runs_pay_twice(site, slow_plan, monkeypatch):
    monkeypatch.setattr(runs_module, "_settings_locked", lambda site: PayoutSettings.for_site(site))
    results = _two_runs_at_once(site)
    assert all(isinstance(r, PayoutRun) for r in results), results
    assert _paid() == 20_000  # the same 100 € paid twice: the race is real


def test_the_lock_pays_each_euro_once(site, slow_plan):
    results = _two_runs_at_once(site)
    assert sum(isinstance(r, PayoutRun) for r in results) == 1, results
    refused = [r for r in results if isinstance(r, PayoutRunRefused)]
    assert [r.code for r in refused] == ["nothing_to_pay"], results
    assert _paid() == 10_000
