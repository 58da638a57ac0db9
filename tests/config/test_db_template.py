"""The test database a process copies from the run's template (tests/db_template.py) is
the migrated one, and a template is only ever used by the run that made it."""

import sqlite3
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from wagtail.models import Locale, Page

from tests import db_template


@pytest.mark.django_db
def test_the_test_database_is_fully_migrated_with_its_data():
    """Copied or migrated, every migration is applied and what migrating writes is there:
    content types and permissions of every model, Wagtail's root page and locale."""
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    for model in apps.get_models():
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        assert content_type.pk, model
        if model._meta.default_permissions and not model._meta.proxy:
            assert Permission.objects.filter(content_type=content_type).exists(), model
    assert Page.objects.filter(depth=1).exists()
    assert Locale.objects.exists()


class _Connection:
    def __init__(self):
        self.alias = "default"
        self.connection = sqlite3.connect(":memory:")

    def ensure_connection(self):
        pass


def test_a_sqlite_template_is_copied_whole_and_only_for_its_own_run(tmp_path, monkeypatch):
    monkeypatch.setattr(db_template, "TEMPLATE_DIR", tmp_path)
    first = SimpleNamespace(connection=_Connection())
    first.connection.connection.executescript(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'a');"
    )
    saved = db_template._SQLite(first, "file:memorydb_default?mode=memory&cache=shared")
    assert not saved.ready("run-1")
    saved.save("run-1")
    assert saved.ready("run-1")
    assert not saved.ready("run-2"), "a template left by another run is never reused"

    second = SimpleNamespace(connection=_Connection())
    db_template._SQLite(second, "file:memorydb_default?mode=memory&cache=shared").copy()
    assert second.connection.connection.execute("SELECT id, name FROM t").fetchall() == [(1, "a")]


def test_without_a_run_id_each_process_migrates_its_own(monkeypatch):
    monkeypatch.delenv(db_template.RUN_ENV, raising=False)
    assert db_template.run_id(SimpleNamespace()) is None
    assert db_template.run_id(SimpleNamespace(workerinput={"testrunuid": "abc"})) == "abc"
    monkeypatch.setenv(db_template.RUN_ENV, "make-1")
    assert db_template.run_id(SimpleNamespace(workerinput={"testrunuid": "abc"})) == "make-1"
