"""One migration per test run: the first process migrates, the others copy its database.

Creating a test database runs the project's 218 migrations, about 11 s on SQLite and
25 s on PostgreSQL, almost all of it Django rendering model states in Python. ``make
test`` starts three processes that each need one (two pytest-xdist workers and the
own-process tests beside them), CI does it again on PostgreSQL: on a 2-core machine,
close to a minute of the suite's time was spent building the same database.

Within one run (``COMPTOIR_TEST_RUN``, which ``make test`` sets for all its pytest
processes, or pytest-xdist's ``testrun_uid`` for a bare ``pytest -n``), the first
process to take the lock migrates its own test database as usual and saves a copy as the
run's template; every later process makes its database from that copy, the way Django's
own parallel test runner clones databases:

- PostgreSQL: ``CREATE DATABASE <test db> TEMPLATE <name>_template``; the template's
  comment holds the run's id, so a template left by an earlier run is rebuilt, never
  reused.
- SQLite (an in-memory test database): ``sqlite3``'s backup into a file under
  ``var/test-templates/``, then from that file into each process's in-memory database.

The copy is the migrated database byte for byte (tables, content types, permissions,
Wagtail's root page and locale, our data migrations), so a test cannot tell a copied
database from a migrated one. Without a run id (a single ``pytest`` process), nothing
changes: the process migrates its own database.
"""

import contextlib
import fcntl
import os
import sqlite3
from pathlib import Path

from django.conf import settings
from django.db import connections

RUN_ENV = "COMPTOIR_TEST_RUN"
TEMPLATE_DIR = Path(settings.BASE_DIR) / "var" / "test-templates"


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Postgres:
    def __init__(self, creation, test_name: str):
        self.creation = creation
        self.test_name = test_name
        self.template = f"{test_name.split('_gw')[0]}_template"
        self.quote = creation.connection.ops.quote_name

    def ready(self, run: str) -> bool:
        with self.creation._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [self.template],
            )
            row = cursor.fetchone()
        return bool(row) and row[0] == run

    def save(self, run: str) -> None:
        self.creation.connection.close()
        with self.creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {self.quote(self.template)}")
            cursor.execute(
                f"CREATE DATABASE {self.quote(self.template)} TEMPLATE {self.quote(self.test_name)}"
            )
            cursor.execute(f"COMMENT ON DATABASE {self.quote(self.template)} IS %s", [run])

    def copy(self) -> None:
        with self.creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {self.quote(self.test_name)}")
            cursor.execute(
                f"CREATE DATABASE {self.quote(self.test_name)} TEMPLATE {self.quote(self.template)}"
            )


class _SQLite:
    def __init__(self, creation, test_name: str):
        self.creation = creation
        self.file = TEMPLATE_DIR / f"{creation.connection.alias}.sqlite3"
        self.run_file = self.file.with_suffix(".run")

    def ready(self, run: str) -> bool:
        return self.file.exists() and self.run_file.exists() and self.run_file.read_text() == run

    def save(self, run: str) -> None:
        self.file.unlink(missing_ok=True)
        target = sqlite3.connect(self.file)
        try:
            self.creation.connection.connection.backup(target)
        finally:
            target.close()
        self.run_file.write_text(run)

    def copy(self) -> None:
        connection = self.creation.connection
        connection.ensure_connection()
        source = sqlite3.connect(self.file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()


def _copier(creation, test_name: str):
    vendor = creation.connection.vendor
    if vendor == "postgresql":
        return _Postgres(creation, test_name)
    if vendor == "sqlite" and creation.is_in_memory_db(test_name):
        return _SQLite(creation, test_name)
    return None


def install(run: str | None) -> None:
    """Make every connection's ``create_test_db`` copy the run's template (see above)."""
    if not run:
        return
    for connection in connections.all():
        creation = connection.creation
        migrate = creation.create_test_db

        def create_test_db(*args, creation=creation, migrate=migrate, **kwargs):
            test_name = creation._get_test_db_name()
            copier = _copier(creation, test_name)
            if copier is None or kwargs.get("keepdb"):
                return migrate(*args, **kwargs)
            lock = TEMPLATE_DIR / f"{creation.connection.alias}.{creation.connection.vendor}.lock"
            with _locked(lock):
                if not copier.ready(run):
                    name = migrate(*args, **kwargs)
                    copier.save(run)
                    creation.connection.ensure_connection()
                    return name
                creation.log(f"Copying the run's template into test database {test_name}...")
                creation.connection.close()
                settings.DATABASES[creation.connection.alias]["NAME"] = test_name
                creation.connection.settings_dict["NAME"] = test_name
                copier.copy()
                creation.connection.ensure_connection()
                return test_name

        creation.create_test_db = create_test_db


def run_id(config) -> str | None:
    """The run's id: ``COMPTOIR_TEST_RUN`` or pytest-xdist's shared ``testrun_uid``."""
    workerinput = getattr(config, "workerinput", None)
    return os.environ.get(RUN_ENV) or (workerinput or {}).get("testrunuid")
