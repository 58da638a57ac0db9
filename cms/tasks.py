"""Periodic storefront work run by the huey consumer (no cron needed)."""

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def publish_scheduled_content():
    """Publish pages and snippets (commission rules too) whose go-live time has come."""
    call_command("publish_scheduled")
