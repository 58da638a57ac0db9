"""Dates as the territory reads them, whoever asks.

Wagtail's admin runs each view in its reader's own time zone (their account settings),
but a booking's dates, a season's days and a rule's validity are the territory's
(``settings.TIME_ZONE``), as the storefront sold them: the preview and the tie checks
read them here, so a reader set to another time zone sees the same figures.
"""

import datetime as dt

from django.utils import timezone


def territory_today() -> dt.date:
    """Today in the territory."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def territory_date(moment: dt.datetime) -> dt.date:
    """The territory's calendar day of an aware ``moment``."""
    return timezone.localdate(moment, timezone=timezone.get_default_timezone())


def territory_day_start(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in the territory."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )
