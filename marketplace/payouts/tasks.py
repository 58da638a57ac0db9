"""Background work of the payouts (huey, which finds this module): the monthly payout runs.

Daily at 06:00, :func:`marketplace.payouts.runs.payout_runs_scheduled` prepares the run of
each territory whose payout settings name today's day, once a month, and e-mails finance
that it awaits review (:mod:`marketplace.payouts.notify`). Safe to run twice.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from marketplace.payouts.runs import payout_runs_scheduled


@db_periodic_task(crontab(hour=6, minute=0))
def payout_runs_monthly() -> int:
    """Daily: the territories' monthly payout runs, for finance to review."""
    return len(payout_runs_scheduled())
