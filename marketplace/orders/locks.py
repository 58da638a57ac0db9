"""The one row-lock helper of the order life cycle.

Every transition and every change of capacity locks the rows it is about to change with
:func:`rows_lock`, inside :func:`locked_transaction`:

- it refuses to run outside a transaction (a lock taken in autocommit is released at once,
  which would be a silent race);
- it locks in one fixed order (by primary key unless the caller names another total
  order), so two requests wanting the same rows queue instead of deadlocking;
- on PostgreSQL it bounds the wait with ``SET LOCAL lock_timeout``
  (``settings.COMPTOIR_LOCK_TIMEOUT``, 3 s by default);
- :func:`locked_transaction` turns a lock timeout or a broken deadlock into a
  :class:`~marketplace.orders.errors.BusyError` ("busy, try again"), a ``BookingError``
  that views show as a message.

Only locking lives here: no business rule, no model of ours.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, transaction

from marketplace.orders.errors import BusyError

# Tests turn this off to show that, without the row locks, concurrent checkouts overbook.
LOCK_ROWS = True
# PostgreSQL's SQLSTATEs for "lock_timeout reached" and "deadlock detected".
_BUSY_CODES = {"55P03", "40P01"}


class OutsideTransaction(RuntimeError):
    """Rows were to be locked in autocommit mode, where the lock would not hold."""


def lock_timeout() -> str:
    """How long a transition waits for a locked row (PostgreSQL syntax, e.g. ``"3s"``)."""
    return str(getattr(settings, "COMPTOIR_LOCK_TIMEOUT", "3s"))


def _require_transaction(using=None) -> None:
    if not transaction.get_connection(using).in_atomic_block:
        raise OutsideTransaction(
            "Rows of the order life cycle are locked inside transaction.atomic() only."
        )


def _timeout_set(using=None) -> None:
    connection = transaction.get_connection(using)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A literal (SET takes no parameters); lock_timeout() is a setting, not input.
            cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout()}'")


def rows_lock(queryset, *, order_by: tuple[str, ...] = ("pk",)) -> list:
    """``SELECT ... FOR UPDATE`` the rows of ``queryset`` in ``order_by`` order; returns them.

    Raises :class:`OutsideTransaction` when not inside ``transaction.atomic()``.
    """
    _require_transaction(queryset.db)
    _timeout_set(queryset.db)
    if LOCK_ROWS:
        queryset = queryset.select_for_update()
    return list(queryset.order_by(*order_by))


def row_lock(queryset):
    """The one row of ``queryset``, locked (``DoesNotExist`` when there is none)."""
    rows = rows_lock(queryset)
    if not rows:
        raise queryset.model.DoesNotExist
    return rows[0]


def is_busy(error: BaseException) -> bool:
    """A lock wait that timed out, a deadlock PostgreSQL broke, or a locked SQLite file."""
    cause = getattr(error, "__cause__", None)
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    if code in _BUSY_CODES:
        return True
    return "database is locked" in str(error) or "deadlock detected" in str(error)


@contextmanager
def locked_transaction():
    """``transaction.atomic()`` whose lock timeouts and deadlocks become :class:`BusyError`.

    Nested in a caller's transaction it is a savepoint: a timeout rolls back only this
    block, and the caller's transaction stays usable.
    """
    try:
        with transaction.atomic():
            yield
    except OperationalError as error:
        if is_busy(error):
            raise BusyError() from error
        raise
