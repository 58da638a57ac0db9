"""The ledger's move from ``payments`` to the books keeps an existing database whole.

A database migrated before the move (payments up to 0005, no books app) with a posted
transaction and a finance group allowed to read the ledger is migrated to the end: the
rows are still there under the same tables, the append-only triggers still refuse raw
changes, the content types are renamed to ``books`` (same ids, so the permission and its
group grant follow) and a finance user reads the ledger as ``books.view_ledger``.
Run on SQLite and, with ``DATABASE_URL`` set, on PostgreSQL.
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from wagtail.models import Locale, Page, Site

from cms.services import FINANCE_GROUP
from marketplace.books.models import LedgerEntry, LedgerTransaction
from marketplace.books.permissions import LEDGER_PERMISSION
from tests.conftest import make_user

pytestmark = pytest.mark.own_process

BEFORE = [("payments", "0005_stripe_event_payload_scrubbed"), ("books", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _seed_before_the_move(apps):
    """What main's database held: the ledger's content types and permission (made by
    post_migrate), a finance group given it, one posted transaction."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Site = apps.get_model("wagtailcore", "Site")
    Transaction = apps.get_model("payments", "LedgerTransaction")
    Entry = apps.get_model("payments", "LedgerEntry")
    tx_type = ContentType.objects.create(app_label="payments", model="ledgertransaction")
    entry_type = ContentType.objects.create(app_label="payments", model="ledgerentry")
    permission = Permission.objects.create(
        content_type=tx_type, codename="view_ledger", name="Can view the territory's ledger"
    )
    group = Group.objects.create(name="Finances (before the move)")
    group.permissions.add(permission)
    site = Site.objects.get(is_default_site=True)
    sale = Transaction.objects.create(
        site_id=site.pk, kind="order_confirmed", idempotency_key="order:1:confirmed"
    )
    Entry.objects.create(transaction=sale, account="visitor", amount=1_000)
    Entry.objects.create(transaction=sale, account="provider:1", amount=-1_000)
    return {
        "tx_type": tx_type.pk,
        "entry_type": entry_type.pk,
        "permission": permission.pk,
        "group": group.name,
        "sale": sale.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_an_existing_database_migrates_with_its_ledger_and_grants():
    leaves = _leaf_nodes()
    ContentType.objects.clear_cache()
    # No content type of the ledger yet, as in a database that never ran post_migrate
    # for the books; the test database's own rows are put back by the flush after.
    ContentType.objects.filter(model__in=["ledgertransaction", "ledgerentry"]).delete()
    if not Site.objects.filter(is_default_site=True).exists():
        # An earlier transactional test flushed wagtail's initial rows.
        Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root"))
        Site.objects.create(hostname="localhost", root_page=root, is_default_site=True)
    executor = _migrate(BEFORE)
    # Every app at its end, except the two the move concerns.
    others = [node for node in leaves if node[0] not in ("payments", "books")]
    old_apps = executor.loader.project_state([*others, BEFORE[0]]).apps
    before = _seed_before_the_move(old_apps)

    _migrate(leaves)
    ContentType.objects.clear_cache()

    # The rows, under the same tables.
    assert LedgerTransaction._meta.db_table == "payments_ledgertransaction"
    assert LedgerEntry._meta.db_table == "payments_ledgerentry"
    sale = LedgerTransaction.objects.get(pk=before["sale"])
    assert sorted(sale.entries.values_list("account", "amount")) == [
        ("provider:1", -1_000),
        ("visitor", 1_000),
    ]
    # The content types renamed, same ids: the permission and its grant follow.
    assert ContentType.objects.get_for_model(LedgerTransaction).pk == before["tx_type"]
    assert ContentType.objects.get_for_model(LedgerEntry).pk == before["entry_type"]
    assert not ContentType.objects.filter(app_label="payments", model__startswith="ledger")
    permission = Permission.objects.get(codename="view_ledger")
    assert permission.pk == before["permission"]
    assert permission.content_type.app_label == "books"
    assert LEDGER_PERMISSION == "books.view_ledger"
    assert Group.objects.get(name=before["group"]).permissions.get() == permission

    # A member of that group (who may also enter the admin) reads the ledger there.
    finance = make_user("finance@example.org", groups=(before["group"],))
    finance.user_permissions.add(Permission.objects.get(codename="access_admin"))
    assert finance.has_perm("books.view_ledger")
    client = Client()
    client.force_login(finance)
    response = client.get("/admin/ledger/")
    assert response.status_code == 200
    assert "order:1:confirmed" in response.content.decode()

    # The triggers of payments 0002 still guard the tables.
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE payments_ledgerentry SET amount = amount + 1")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE payments_ledgertransaction SET memo = 'x'")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM payments_ledgerentry")
    assert LedgerEntry.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_undone_and_redone():
    """Migrating back before the move gives the content types back to payments."""
    leaves = _leaf_nodes()
    ContentType.objects.clear_cache()
    tx_type = ContentType.objects.get_for_model(LedgerTransaction)
    assert tx_type.app_label == "books"
    _migrate(BEFORE)
    tx_type.refresh_from_db()
    assert tx_type.app_label == "payments"
    _migrate(leaves)
    tx_type.refresh_from_db()
    assert tx_type.app_label == "books"
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_grants_follow_when_both_content_types_exist():
    """Back before the move, a post_migrate (of this code) makes the books' content types
    again; migrating forward keeps them and moves the old permission's grants over."""
    leaves = _leaf_nodes()
    ContentType.objects.clear_cache()
    _migrate(BEFORE)
    old_permission = Permission.objects.get(
        codename="view_ledger", content_type__app_label="payments"
    )
    group = Group.objects.create(name="Finances (granted before the move)")
    group.permissions.add(old_permission)
    user = make_user("direct@example.org")
    user.user_permissions.add(old_permission)
    new_type = ContentType.objects.create(app_label="books", model="ledgertransaction")
    new_permission = Permission.objects.create(
        content_type=new_type, codename="view_ledger", name="Can view the territory's ledger"
    )

    _migrate(leaves)
    ContentType.objects.clear_cache()

    assert not ContentType.objects.filter(app_label="payments", model__startswith="ledger")
    assert ContentType.objects.get_for_model(LedgerTransaction) == new_type
    assert list(group.permissions.all()) == [new_permission]
    assert list(user.user_permissions.all()) == [new_permission]
    assert Permission.objects.filter(codename="view_ledger").count() == 1


def test_the_finance_group_of_the_setup_reads_the_ledger(territory):
    """The territory's setup gives its finance group ``books.view_ledger``."""
    group = Group.objects.get(name=FINANCE_GROUP)
    assert group.permissions.filter(
        codename="view_ledger", content_type__app_label="books"
    ).exists()
    assert make_user("f2@example.org", groups=(FINANCE_GROUP,)).has_perm(LEDGER_PERMISSION)
