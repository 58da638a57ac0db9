"""Replayed set-ups: shared data built once through the real services, then written back
row for row in each test that asks for it.

What lives here: ``Replay``, which runs a builder (``territory_setup``) for real the first
time, records the rows it inserted, updated and deleted, and in later tests writes the
same rows back with plain SQL (a few milliseconds instead of the half second the Wagtail
page tree, groups, permissions and workflow take). What must not: any test data of its
own; a builder is always the real service, so the rows are exactly the ones it writes.

A replay happens only when it is sure to give what the builder would:
- inside a test's transaction (``db``): a transactional test builds for real;
- when the database is in the state the recording started from: the tables the builder
  wrote hold the same rows as then, and every other table the same count and largest
  key. Otherwise (a fixture wrote first) the builder runs for real, and that run is
  recorded too, for the tests that start from the same state.

A replay fires no signal, so it does what the signals of those saves would have done to
caches: Wagtail's site root paths and the storefront's catalogue version.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

MAX_RECORDINGS = 5


def _tables() -> dict[str, Any]:
    """Each table of a concrete model (auto-created M2M tables included), by name."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in tables:
            continue
        tables[meta.db_table] = model
    return tables


def _columns(model) -> list[str]:
    return [field.column for field in model._meta.local_concrete_fields]


def _pk_column(model) -> str:
    return model._meta.pk.column


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _rows(cursor, table: str, model) -> dict[Any, tuple]:
    columns = _columns(model)
    cursor.execute(f"SELECT {', '.join(_q(c) for c in columns)} FROM {_q(table)}")
    index = columns.index(_pk_column(model))
    return {row[index]: tuple(row) for row in cursor.fetchall()}


def _fingerprint(cursor, tables: dict[str, Any]) -> dict[str, tuple]:
    """(row count, largest key) of each table, in one statement."""
    parts = [
        # As text: keys are integers in most tables, strings in some (Stripe's event ids),
        # and PostgreSQL's UNION wants one type per column.
        f"SELECT '{table}', COUNT(*), CAST(MAX({_q(_pk_column(model))}) AS TEXT) FROM {_q(table)}"
        for table, model in tables.items()
    ]
    cursor.execute(" UNION ALL ".join(parts))
    return {name: (count, largest) for name, count, largest in cursor.fetchall()}


def _dump(cursor, tables: dict[str, Any]) -> dict[str, dict[Any, tuple]]:
    return {table: _rows(cursor, table, model) for table, model in tables.items()}


def _adapt(value):
    if connection.vendor == "postgresql" and isinstance(value, dict | list):
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value


@dataclasses.dataclass
class Recording:
    """What one real run of the builder changed, and the state it started from."""

    before: dict[str, dict[Any, tuple]]  # every row of each table it wrote, before
    after: dict[str, dict[Any, tuple]]  # and after
    fingerprint: dict[str, tuple]  # (count, largest key) of every table, before
    result: tuple[Any, Any]  # (model, pk) of what the builder returned

    def matches(self, cursor, tables) -> bool:
        if _fingerprint(cursor, tables) != self.fingerprint:
            return False
        return all(
            _rows(cursor, table, tables[table]) == rows for table, rows in self.before.items()
        )

    def replay(self, cursor, tables) -> Any:
        # Table by table from what is there to what the builder left. A table that a
        # trigger fills (SQLite's full-text index of Wagtail's search entries) is
        # already right when its turn comes; a second pass catches one filled later.
        for _ in range(2):
            done = True
            for table, target in self.after.items():
                current = _rows(cursor, table, tables[table])
                if current != target:
                    done = False
                    _write(cursor, table, tables[table], current, target)
            if done:
                break
        else:
            raise AssertionError(f"replay did not reach the recorded state: {self.result}")
        if connection.vendor == "postgresql":
            models = [tables[table] for table in self.after]
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        model, pk = self.result
        return model._base_manager.get(pk=pk)


def _write(cursor, table, model, current: dict, target: dict) -> None:
    columns, pk = _columns(model), _pk_column(model)
    if gone := [key for key in current if key not in target]:
        cursor.executemany(f"DELETE FROM {_q(table)} WHERE {_q(pk)} = %s", [(key,) for key in gone])
    if changed := [row for key, row in target.items() if key in current and current[key] != row]:
        assignments = ", ".join(f"{_q(c)} = %s" for c in columns)
        cursor.executemany(
            f"UPDATE {_q(table)} SET {assignments} WHERE {_q(pk)} = %s",
            [[_adapt(v) for v in row] + [row[columns.index(pk)]] for row in changed],
        )
    if new := [row for key, row in target.items() if key not in current]:
        cursor.executemany(
            f"INSERT INTO {_q(table)} ({', '.join(_q(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            [[_adapt(v) for v in row] for row in new],
        )


class Replay:
    """A builder run for real once, replayed in later tests (see the module docstring)."""

    def __init__(self, build: Callable[[], Any], *, after_replay: Callable[[], None]):
        self.build = build
        self.after_replay = after_replay
        self.recordings: list[Recording] = []
        self.replays = 0
        self.builds = 0

    def __call__(self) -> Any:
        if not connection.in_atomic_block:  # a transactional test: its writes commit
            self.builds += 1
            return self.build()
        tables = _tables()
        with connection.cursor() as cursor:
            for recording in self.recordings:
                if recording.matches(cursor, tables):
                    with transaction.atomic():
                        result = recording.replay(cursor, tables)
                    self.replays += 1
                    self.after_replay()
                    return result
            fingerprint = _fingerprint(cursor, tables)
            before = _dump(cursor, tables)
            result = self.build()
            self.builds += 1
            after = _dump(cursor, tables)
        if len(self.recordings) < MAX_RECORDINGS:
            self.recordings.append(self._recording(tables, fingerprint, before, after, result))
        return result

    @staticmethod
    def _recording(tables, fingerprint, before, after, result) -> Recording:
        touched = [table for table in tables if before[table] != after[table]]
        return Recording(
            before={table: before[table] for table in touched},
            after={table: after[table] for table in touched},
            fingerprint=fingerprint,
            result=(type(result), result.pk),
        )
