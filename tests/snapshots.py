"""Replayed set-ups: shared data built once through the real services, then written back
row for row in each test that asks for it.

What lives here: ``Replay``, which runs a builder (``territory_setup``, a test module's
``world``) for real the first time, records the rows it inserted, updated and deleted, and
in later tests writes the same rows back with plain SQL (a few milliseconds instead of the
seconds that pages, revisions, providers and orders take through the services). What must
not: any test data of its own; a builder is always the real service, so the rows are
exactly the ones it writes.

A replay happens only when it is sure to give what the builder would:
- inside a test's transaction (``db``): a transactional test builds for real;
- for the same arguments: recordings are kept per arguments (a model instance counts as
  its model, key and field values; other arguments must be plain values, or lists, tuples
  and dicts of them), so a builder called with another territory or visitor never
  replays the recording of the first; and on the same day (builders date slots and
  stays from today);
- when the database is in the state the recording started from: the tables the builder
  wrote hold the same rows as then, and every other table the same count and largest
  key. Otherwise (a fixture wrote first) the builder runs for real, and that run is
  recorded too, for the tests that start from the same state.

What the builder returned is given back as it was: model instances (a Wagtail page as the
class the builder returned, ``.specific`` or not) are fetched again by key, with the field
values and cached relations the builder's objects held; dicts, lists, tuples, sets,
named tuples, ``SimpleNamespace`` and dataclasses of them, and plain values (numbers,
strings, dates, ``Decimal``), are rebuilt; an object the builder got as an argument is
that same argument. Anything else (a queryset, a lazy string, a client, an object of its
own class) raises ``Unreplayable`` when the builder has run: it is refused loudly rather
than given back different.

What the build did outside the database is done again: the e-mails it sent (copies
appended to ``django.core.mail.outbox``), the files it wrote under ``MEDIA_ROOT``
(written into the test's own), the cache entries it set (local memory or Redis), the
language it left active and the factories' counter (``COUNTERS``), which moves on as far
as the build moved it. A replay fires no signal: ``after_replay`` then does what those
signals would have done to caches (``caches_changed``: Wagtail's site root paths, the
storefront's catalogue version). Huey tasks run in immediate mode during the build: their
rows are recorded with the rest, their e-mails with the outbox. What lives only in Python
elsewhere (the Stripe double's objects) is not restored: a builder that uses it must not
be replayed.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import importlib
import itertools
import os
import re
import time
import types
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.functional import cached_property

MAX_RECORDINGS = 8  # for each arguments
# Arguments recorded for, at most (an argument whose fields change from test to test,
# a user's last login, would otherwise add one each time; beyond, builds are not kept).
MAX_KEYS = 16


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


def _largest_key(model) -> str:
    """The key column for MAX: PostgreSQL has no MAX of a UUID (wagtail-localize's
    translatable objects are keyed by one), so those compare as text."""
    column = _q(_pk_column(model))
    if model._meta.pk.get_internal_type() == "UUIDField":
        return f"CAST({column} AS TEXT)"
    return column


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _rows(cursor, table: str, model) -> dict[Any, tuple]:
    columns = _columns(model)
    cursor.execute(f"SELECT {', '.join(_q(c) for c in columns)} FROM {_q(table)}")
    index = columns.index(_pk_column(model))
    return {row[index]: tuple(row) for row in cursor.fetchall()}


def _rows_many(cursor, tables: dict[str, Any]) -> dict[str, dict[Any, tuple]]:
    """``_rows`` of several tables; on PostgreSQL in one round trip (statements joined,
    one result set each)."""
    if connection.vendor != "postgresql" or len(tables) < 2:
        return {table: _rows(cursor, table, model) for table, model in tables.items()}
    cursor.execute(
        "; ".join(
            f"SELECT {', '.join(_q(c) for c in _columns(model))} FROM {_q(table)}"
            for table, model in tables.items()
        )
    )
    found = {}
    for number, (table, model) in enumerate(tables.items()):
        if number:
            cursor.cursor.nextset()
        index = _columns(model).index(_pk_column(model))
        found[table] = {row[index]: tuple(row) for row in cursor.cursor.fetchall()}
    return found


# Tables no builder reads, whose keys are random (the session of a signed-in client):
# their rows do not decide whether a recording fits. A build that writes one has it
# recorded (and compared) as any table it writes.
UNREAD_TABLES = frozenset({"django_session"})


def _fingerprint(cursor, tables: dict[str, Any]) -> dict[str, tuple]:
    """(row count, largest key) of each table, in one statement."""
    tables = {table: model for table, model in tables.items() if table not in UNREAD_TABLES}
    parts = [
        # As text: keys are integers in most tables, strings in some (Stripe's event ids),
        # and PostgreSQL's UNION wants one type per column.
        f"SELECT '{table}', COUNT(*), CAST(MAX({_largest_key(model)}) AS TEXT) FROM {_q(table)}"
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


class Unreplayable(TypeError):
    """What a recording cannot give back exactly as the builder gave it."""


# Immutable values a result or an argument may hold as they are (datetime is a date).
PLAIN = (type(None), bool, int, float, complex, str, bytes, Decimal, dt.date, dt.time)
PLAIN += (dt.timedelta, uuid.UUID)

# itertools.count objects in the factories (module, attribute): a replay moves each on
# as far as the recorded build did, so later names and numbers never meet replayed rows.
COUNTERS = (("tests.factories", "_counter"),)


@dataclasses.dataclass
class Recording:
    """What one real run of the builder changed, and the state it started from."""

    before: dict[str, dict[Any, tuple]]  # every row of each table it wrote, before
    after: dict[str, dict[Any, tuple]]  # and after
    fingerprint: dict[str, tuple]  # (count, largest key) of every table, before
    result: Any  # what the builder returned, encoded (``_Encoder``)
    effects: SideEffects = None  # what it did outside the database

    def matches(self, cursor, tables) -> bool:
        if _fingerprint(cursor, tables) != self.fingerprint:
            return False
        return _rows_many(cursor, {table: tables[table] for table in self.before}) == self.before

    def replay(self, cursor, tables) -> None:
        # Table by table from what is there to what the builder left. A table that a
        # trigger fills (SQLite's full-text index of Wagtail's search entries) is
        # already right when its turn comes; a second pass catches one filled later.
        # PostgreSQL has no such trigger: its tables hold what ``matches`` just read,
        # and the second pass reads them all at once.
        postgresql = connection.vendor == "postgresql"
        known = self.before if postgresql else None
        for _ in range(2):
            done = True
            for table, target in self.after.items():
                current = known[table] if known else _rows(cursor, table, tables[table])
                if current != target:
                    done = False
                    _write(cursor, table, tables[table], current, target)
            if done:
                break
            if postgresql:
                known = _rows_many(cursor, {table: tables[table] for table in self.after})
        else:
            raise AssertionError(f"replay did not reach the recorded state: {list(self.after)}")
        if postgresql:
            models_ = [tables[table] for table in self.after]
            if statements := connection.ops.sequence_reset_sql(no_style(), models_):
                cursor.execute("; ".join(statement.rstrip(";") for statement in statements))


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


# Arguments: the key of a recording.


def _fields(instance) -> tuple:
    return tuple(
        (field.attname, repr(instance.__dict__.get(field.attname)))
        for field in instance._meta.concrete_fields
    )


def _key(value, where: str = "argument"):
    """A hashable key for an argument, equal only for arguments a builder sees as equal."""
    if isinstance(value, models.Model):
        if value.pk is None:
            raise Unreplayable(f"{where}: an unsaved {type(value).__name__}")
        return ("model", type(value), value.pk, _fields(value))
    if isinstance(value, PLAIN):
        return ("plain", type(value), value)
    if type(value) in (list, tuple):
        return (type(value), tuple(_key(v, f"{where}[{i}]") for i, v in enumerate(value)))
    if type(value) is dict:
        return (dict, tuple((_key(k, where), _key(v, f"{where}[{k!r}]")) for k, v in value.items()))
    raise Unreplayable(f"{where}: a recording cannot be keyed by a {type(value).__name__}")


def _argument_objects(value, path: tuple, found: dict) -> None:
    """Every object reachable in the arguments (by id), with its path from them."""
    if isinstance(value, PLAIN) or id(value) in found:
        return
    found[id(value)] = path
    if type(value) in (list, tuple):
        for index, item in enumerate(value):
            _argument_objects(item, (*path, index), found)
    elif type(value) is dict:
        for key, item in value.items():
            _argument_objects(item, (*path, key), found)


def _follow(arguments, path: tuple):
    value = arguments
    for step in path:
        value = value[step]
    return value


# Results: encoded after the build, decoded at each replay.


def _jsonlike(value) -> bool:
    if isinstance(value, PLAIN):
        return True
    if type(value) in (list, tuple):
        return all(_jsonlike(v) for v in value)
    if type(value) is dict:
        return all(isinstance(k, str) and _jsonlike(v) for k, v in value.items())
    return False


class _Encoder:
    """What the builder returned, as data that gives back the same objects (see the
    module docstring). Each object gets a number, so that one object reached twice (or
    through a cycle of cached relations) is one object again."""

    def __init__(self, arguments):
        self.arguments: dict[int, tuple] = {}
        _argument_objects(arguments, (), self.arguments)
        self.numbers: dict[int, int] = {}
        self.alive: list = []  # keeps ids unique while encoding

    def encode(self, value, where: str):
        if isinstance(value, PLAIN) or isinstance(value, type):  # a class is one object
            return ("plain", value)
        if id(value) in self.arguments:
            return ("argument", self.arguments[id(value)])
        if id(value) in self.numbers:
            return ("same", self.numbers[id(value)])
        number = self.numbers[id(value)] = len(self.numbers)
        self.alive.append(value)
        kind = type(value)
        if isinstance(value, models.Model):
            return self.instance(value, number, where)
        if kind is list:
            return ("list", number, [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)])
        if kind is tuple or (issubclass(kind, tuple) and hasattr(kind, "_fields")):
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return ("tuple", number, kind, items)
        if kind in (set, frozenset):
            return ("set", number, kind, [self.encode(v, f"{where}{{}}") for v in value])
        if kind is dict:
            items = [
                (self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]"))
                for k, v in value.items()
            ]
            return ("dict", number, items)
        if kind is types.SimpleNamespace:
            items = {k: self.encode(v, f"{where}.{k}") for k, v in vars(value).items()}
            return ("namespace", number, items)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            names = [field.name for field in dataclasses.fields(value)]
            extra = set(getattr(value, "__dict__", {})) - set(names)
            if extra:
                raise Unreplayable(f"{where}: {kind.__name__} holds more than its fields: {extra}")
            items = {name: self.encode(getattr(value, name), f"{where}.{name}") for name in names}
            return ("dataclass", number, kind, items)
        raise Unreplayable(f"{where}: a {kind.__name__} cannot be recorded ({value!r:.80})")

    def instance(self, value: models.Model, number: int, where: str):
        kind = type(value)
        if value.pk is None or value._state.adding:
            raise Unreplayable(f"{where}: an unsaved {kind.__name__}")
        if value.get_deferred_fields():
            raise Unreplayable(f"{where}: a {kind.__name__} with deferred fields")
        stored = kind._base_manager.filter(pk=value.pk).first()
        if stored is None:
            raise Unreplayable(f"{where}: a {kind.__name__} whose row the build deleted")
        # Field values that differ from the row (the builder's object is stale, or holds
        # what it did not save) are given back as the builder's object held them.
        fields = {}
        attnames = {field.attname for field in kind._meta.concrete_fields}
        for attname in attnames:
            held, row = value.__dict__[attname], stored.__dict__[attname]
            if isinstance(held, FieldFile) and held.name == row:
                continue  # a file field's value once saved: the same file name
            if held != row or type(held) is not type(row):
                if not _jsonlike(held):
                    raise Unreplayable(f"{where}.{attname}: a {type(held).__name__} unsaved")
                fields[attname] = copy.deepcopy(held)
        # Caches (related objects, cached properties, private attributes) are given back
        # when they can be, else left to be computed again on use; an attribute the
        # builder set (an annotation, a total) is data, and must be recordable.
        cached = {}
        for name, related in value._state.fields_cache.items():
            if (node := self.cache(related, f"{where}.{name}")) is not None:
                cached[name] = node
        others = {}
        for name, held in value.__dict__.items():
            if name in attnames or name == "_state":
                continue
            if name.startswith("_") or isinstance(
                getattr(kind, name, None), functools.cached_property | cached_property
            ):
                if (node := self.cache(held, f"{where}.{name}")) is not None:
                    others[name] = node
            else:
                others[name] = self.encode(held, f"{where}.{name}")
        return ("instance", number, kind, value.pk, fields, cached, others)

    def cache(self, value, where: str):
        numbers = dict(self.numbers)
        alive = len(self.alive)
        try:
            return self.encode(value, where)
        except Unreplayable:
            self.numbers, self.alive[alive:] = numbers, []
            return None


class _Decoder:
    def __init__(self, arguments):
        self.arguments = arguments
        self.objects: dict[int, Any] = {}
        self.fetched: dict[tuple, list] = {}

    def fetch(self, node) -> None:
        """Every instance of the result in one query per model; a second object of the
        same row is a copy of the first as fetched."""
        keys: dict[tuple, int] = {}
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, tuple) and item and item[0] == "instance":
                keys[item[2], item[3]] = keys.get((item[2], item[3]), 0) + 1
            if isinstance(item, list | tuple | dict):
                stack.extend(item.values() if isinstance(item, dict) else item)
        by_model: dict[type, set] = {}
        for kind, pk in keys:
            by_model.setdefault(kind, set()).add(pk)
        for kind, pks in by_model.items():
            for pk, instance in kind._base_manager.in_bulk(pks).items():
                copies = [copy.copy(instance) for _ in range(keys[kind, pk] - 1)]
                self.fetched[kind, pk] = [instance, *copies]

    def decode(self, node):
        tag = node[0]
        if tag == "plain":
            return node[1]
        if tag == "argument":
            return _follow(self.arguments, node[1])
        if tag == "same":
            return self.objects[node[1]]
        number = node[1]
        if tag == "instance":
            _, _, kind, pk, fields, cached, others = node
            fetched = self.fetched.get((kind, pk))
            value = fetched.pop() if fetched else kind._base_manager.get(pk=pk)
            self.objects[number] = value
            attnames = {field.attname for field in kind._meta.concrete_fields}
            for name in [n for n in value.__dict__ if n not in attnames and n != "_state"]:
                if name not in others:
                    del value.__dict__[name]
            value.__dict__.update(copy.deepcopy(fields))
            value._state.fields_cache = {name: self.decode(n) for name, n in cached.items()}
            for name, item in others.items():
                value.__dict__[name] = self.decode(item)
            return value
        if tag == "list":
            value = self.objects[number] = []
            value.extend(self.decode(item) for item in node[2])
            return value
        if tag == "tuple":
            kind, items = node[2], [self.decode(item) for item in node[3]]
            value = self.objects[number] = kind(items) if kind is tuple else kind._make(items)
            return value
        if tag == "set":
            value = self.objects[number] = node[2](self.decode(item) for item in node[3])
            return value
        if tag == "dict":
            value = self.objects[number] = {}
            for key, item in node[2]:
                value[self.decode(key)] = self.decode(item)
            return value
        if tag == "namespace":
            value = self.objects[number] = types.SimpleNamespace()
            for name, item in node[2].items():
                setattr(value, name, self.decode(item))
            return value
        if tag == "dataclass":
            kind = node[2]
            value = self.objects[number] = object.__new__(kind)
            for name, item in node[3].items():
                object.__setattr__(value, name, self.decode(item))
            return value
        raise AssertionError(f"unknown node {tag}")


# Side effects outside the database.


def _media() -> dict[str, tuple]:
    root = Path(settings.MEDIA_ROOT)
    files = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            stat = path.stat()
            files[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return files


def _cache_backend():
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if isinstance(backend, LocMemCache | RedisCache):
        return backend
    return None


def _cache_entries() -> dict[str, tuple]:
    """Each entry of the default cache: (stored bytes, seconds left or None)."""
    from django.core.cache.backends.locmem import LocMemCache

    backend = _cache_backend()
    if backend is None:
        return {}
    now = time.time()
    if isinstance(backend, LocMemCache):
        with backend._lock:
            return {
                key: (
                    value,
                    None
                    if backend._expire_info.get(key) is None
                    else backend._expire_info[key] - now,
                )
                for key, value in backend._cache.items()
            }
    client = backend._cache.get_client(None, write=False)
    entries = {}
    for key in client.keys("*"):
        left = client.pttl(key)
        entries[key] = (client.dump(key), None if left < 0 else left / 1000)
    return entries


def _cache_write(entries: dict[str, tuple], gone: list) -> None:
    from django.core.cache.backends.locmem import LocMemCache

    backend = _cache_backend()
    if backend is None:
        return
    if isinstance(backend, LocMemCache):
        now = time.time()
        with backend._lock:
            for key in gone:
                backend._cache.pop(key, None)
                backend._expire_info.pop(key, None)
            for key, (value, left) in entries.items():
                backend._cache[key] = value
                backend._cache.move_to_end(key, last=False)
                backend._expire_info[key] = None if left is None else now + left
        return
    client = backend._cache.get_client(None, write=True)
    for key in gone:
        client.delete(key)
    for key, (value, left) in entries.items():
        client.restore(key, 0 if left is None else max(1, int(left * 1000)), value, replace=True)


def _counter_value(counter) -> int:
    match = re.fullmatch(r"count\((-?\d+)\)", repr(counter))
    if match is None:
        raise Unreplayable(f"a counter that is not a plain itertools.count: {counter!r}")
    return int(match.group(1))


def _counters() -> dict[tuple, int]:
    values = {}
    for module, name in COUNTERS:
        values[(module, name)] = _counter_value(getattr(importlib.import_module(module), name))
    return values


@dataclasses.dataclass
class SideEffects:
    """What a build did outside the database, to do again at each replay."""

    mails: list = dataclasses.field(default_factory=list)
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)
    files_gone: list[str] = dataclasses.field(default_factory=list)
    cache: dict[str, tuple] = dataclasses.field(default_factory=dict)
    cache_gone: list = dataclasses.field(default_factory=list)
    counters: dict[tuple, tuple[int, int]] = dataclasses.field(default_factory=dict)
    language: tuple | None = None  # (active language) when the build changed it

    @classmethod
    def watch(cls, build: Callable[[], Any]):
        """Run ``build``; return its result and what it did outside the database."""
        from django.core import mail
        from django.utils import translation

        outbox = getattr(mail, "outbox", None)
        sent = len(outbox) if outbox is not None else 0
        media, cache, counters = _media(), _cache_entries(), _counters()
        language = translation.get_language()
        result = build()
        effects = cls()
        if outbox is not None:
            if getattr(mail, "outbox", None) is not outbox or len(outbox) < sent:
                raise Unreplayable("the build emptied or replaced the test outbox")
            effects.mails = [copy.deepcopy(message) for message in outbox[sent:]]
        root, after = Path(settings.MEDIA_ROOT), _media()
        effects.files = {
            name: (root / name).read_bytes()
            for name, stat in after.items()
            if media.get(name) != stat
        }
        effects.files_gone = [name for name in media if name not in after]
        entries = _cache_entries()
        effects.cache = {
            key: entry for key, entry in entries.items() if cache.get(key, (None,))[0] != entry[0]
        }
        effects.cache_gone = [key for key in cache if key not in entries]
        for place, start in counters.items():
            end = _counters()[place]
            if end != start:
                effects.counters[place] = (start, end)
        if translation.get_language() != language:
            effects.language = (translation.get_language(),)
        return result, effects

    def redo(self) -> None:
        from django.core import mail
        from django.utils import translation

        outbox = getattr(mail, "outbox", None)
        if self.mails:
            if outbox is None:
                raise Unreplayable("the recorded build sent e-mails; this test has no outbox")
            outbox.extend(copy.deepcopy(message) for message in self.mails)
        root = Path(settings.MEDIA_ROOT)
        for name, content in self.files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(content)
        for name in self.files_gone:
            (root / name).unlink(missing_ok=True)
        _cache_write(self.cache, self.cache_gone)
        for (module, name), (start, end) in self.counters.items():
            owner = importlib.import_module(module)
            now = _counter_value(getattr(owner, name))
            setattr(owner, name, itertools.count(max(now + end - start, end)))
        if self.language is not None:
            if self.language[0] is None:
                translation.deactivate_all()
            else:
                translation.activate(self.language[0])


_reset_statement: str | None = None


def keys_follow_rows() -> None:
    """PostgreSQL: each table's next key is its largest + 1, as SQLite gives them.

    A sequence moves on when a test's transaction rolls back, so without this the rows a
    test writes before asking for a replayed fixture (a visitor, a category) get new keys
    in every test, the database is never in the recorded state, and the fixture is built
    for real each time. Called at the start of each test (``db`` in tests/conftest.py)."""
    global _reset_statement
    if connection.vendor != "postgresql":
        return
    if _reset_statement is None:
        models_ = list(_tables().values())
        statements = connection.ops.sequence_reset_sql(no_style(), models_)
        _reset_statement = "; ".join(statement.rstrip(";") for statement in statements)
    with connection.cursor() as cursor:
        cursor.execute(_reset_statement)


def caches_changed() -> None:
    """What the saves of a build would have done to caches (no signal fires on a replay)."""
    from wagtail.models import Site

    from cms.cache import catalogue_changed

    Site.clear_site_root_paths_cache()
    catalogue_changed()


class Replay:
    """A builder run for real once, replayed in later tests (see the module docstring).

    ``Replay(build)(*arguments)`` is ``build(*arguments)``, given back from a recording
    when one fits."""

    def __init__(
        self, build: Callable[..., Any], *, after_replay: Callable[[], None] = caches_changed
    ):
        self.build = build
        self.after_replay = after_replay
        self.recordings: dict[Any, list[Recording]] = {}
        self.replays = 0
        self.builds = 0

    def __call__(self, *args, **kwargs) -> Any:
        if not connection.in_atomic_block:  # a transactional test: its writes commit
            self.builds += 1
            return self.build(*args, **kwargs)
        arguments = (list(args), dict(kwargs))
        # Today's date too: builders draw dates from it (slots in three days).
        key = (_key(arguments), timezone.localdate())
        recordings = self.recordings.get(key, [])
        if key not in self.recordings and len(self.recordings) < MAX_KEYS:
            self.recordings[key] = recordings
        tables = _tables()
        with connection.cursor() as cursor:
            for recording in recordings:
                if recording.matches(cursor, tables):
                    with transaction.atomic():
                        recording.replay(cursor, tables)
                        decoder = _Decoder(arguments)
                        decoder.fetch(recording.result)
                        result = decoder.decode(recording.result)
                    self.replays += 1
                    recording.effects.redo()
                    self.after_replay()
                    return result
            fingerprint = _fingerprint(cursor, tables)
            before = _dump(cursor, tables)
            result, effects = SideEffects.watch(lambda: self.build(*args, **kwargs))
            self.builds += 1
            after = _dump(cursor, tables)
        if _key(arguments) != key[0]:
            raise Unreplayable(f"{self.build.__name__} changed its arguments in memory")
        encoded = _Encoder(arguments).encode(result, self.build.__name__)
        if len(recordings) < MAX_RECORDINGS:
            touched = [table for table in tables if before[table] != after[table]]
            recordings.append(
                Recording(
                    before={table: before[table] for table in touched},
                    after={table: after[table] for table in touched},
                    fingerprint=fingerprint,
                    result=encoded,
                    effects=effects,
                )
            )
        return result
