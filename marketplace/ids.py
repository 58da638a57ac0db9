"""Integers from the outside world (paths, query strings, forms) past 64 bits.

A value past the database's 64-bit integers is no row id, yet Django's ``int`` path
converter matches any run of digits and a form's model choice looks any string up.
PostgreSQL compares such a value with a ``bigint`` column and finds nothing; SQLite's
driver raises ``OverflowError`` before the query runs (a 500), in our views and in
Wagtail's alike, and Django's own overflow guard covers integer fields only (not a
one-to-one link such as an offer page's id).

- The ``id`` path converter matches only what fits 64 bits: anything larger is a 404
  without a query.
- On SQLite, an integer past 64 bits is sent as a float, which SQLite compares with
  integers as PostgreSQL does: a lookup finds nothing, a range keeps its meaning.

Both are installed when the app is ready, before any URLconf or query.
"""

import sqlite3

from django.db import connections
from django.urls import register_converter

MAX_ID = 2**63 - 1
MIN_ID = -(2**63)


class IdConverter:
    """``<id:name>``: like ``<int:name>``, but only what fits a 64-bit id."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("id out of range")
        return number

    def to_url(self, value) -> str:
        return str(value)


def sqlite_integer(value: int) -> int | float:
    """An integer as SQLite's driver can bind it: past 64 bits, as a float."""
    if MIN_ID <= value <= MAX_ID:
        return value
    return float(value)


def install() -> None:
    register_converter(IdConverter, "id")
    if any(connections[alias].vendor == "sqlite" for alias in connections):
        # The driver then calls this for every integer it binds: one comparison each.
        sqlite3.register_adapter(int, sqlite_integer)
