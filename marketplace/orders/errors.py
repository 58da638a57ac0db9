"""The errors of the order life cycle, for the person who asked.

Only exception classes live here (every module of :mod:`marketplace.orders` raises them),
no logic.
"""

from django.utils.translation import gettext as _


class BookingError(Exception):
    """A request that cannot be carried out; ``message`` is for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BusyError(BookingError):
    """The rows a transition needs are locked by another request for too long (or a
    deadlock was broken): nothing was changed, trying again shortly should work."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or _(
                "Many people are booking the same thing right now: nothing was changed, try again."
            )
        )
