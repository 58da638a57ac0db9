"""Background work of the invoices (huey, which finds this module): the period's issue.

Daily at 05:30, :func:`invoices_issue_scheduled` issues, for every territory, the
invoices of the latest period that has ended (last month, or last quarter with quarterly
invoicing). On the 1st of the month that is the month just ended; the other days find
it already issued and issue nothing (idempotent), unless the 1st's run failed or
movements were recorded late, which the next days then catch up.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task
from wagtail.models import Site

from marketplace.invoices.periods import period_last_ended
from marketplace.invoices.services import invoices_issue
from marketplace.models import TerritorySettings

logger = logging.getLogger(__name__)


def invoices_issue_scheduled(*, now=None) -> list:
    """Issue the latest ended period's invoices of every territory; one territory's
    failure (rolled back) is logged and does not keep the others from theirs."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    issued = []
    for site in Site.objects.order_by("pk"):
        kind = TerritorySettings.for_site(site).invoice_period
        start, end = period_last_ended(today, kind)
        try:
            issued += invoices_issue(site=site, period_start=start, period_end=end, now=now)
        except Exception:
            logger.exception("the invoices of %s for %s to %s failed", site, start, end)
    return issued


@db_periodic_task(crontab(hour=5, minute=30))
def invoices_issue_periodic() -> int:
    """Daily: the invoices of the period that has just ended, for every territory."""
    return len(invoices_issue_scheduled())
