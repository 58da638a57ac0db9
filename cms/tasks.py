"""Periodic work run by the huey consumer (no cron needed): publishing, data retention."""

from importlib import import_module

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cms.scheduled import scheduled_content_publish
from marketplace.retention import anonymous_carts_purge, unverified_accounts_purge
from payments.stripe.personal_data import stripe_event_payloads_expire


@db_periodic_task(crontab(minute="*"))
def publish_scheduled_content():
    """Publish pages and snippets (commission rules too) whose go-live time has come.

    One at a time: a revision that cannot go live (a rule that would tie) is skipped
    and reported, and never stops the others (see :mod:`cms.scheduled`).
    """
    return scheduled_content_publish()


@db_periodic_task(crontab(hour=3, minute=40))
def personal_data_purge() -> dict[str, int]:
    """Nightly: delete or scrub the personal data whose retention period is over.

    Unverified accounts, old anonymous carts, expired sessions (what ``clearsessions``
    does), and the personal data of old Stripe webhook payloads (the durations: README,
    "Personal data"). Returns how many of each went (sessions: the engine does not say).
    """
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return {
        "unverified_accounts": unverified_accounts_purge(),
        "anonymous_carts": anonymous_carts_purge(),
        "stripe_event_payloads": stripe_event_payloads_expire(),
    }
