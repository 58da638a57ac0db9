"""The hold limits under concurrent checkouts of one account, on PostgreSQL with threads.

One account checks out several carts at the same moment (a barrier). The checkout locks
the account's row before counting what it holds, so the checkouts are counted one after
the other: exactly as many pass as the limits allow. Without the row locks
(:data:`marketplace.orders.locks.LOCK_ROWS`) every thread counts before any writes and the
same run goes past the limits.
"""

import time

import pytest
from django.db import connection

from marketplace.models import Cart, Order, OrderStatus, ProductStock, TerritorySettings
from marketplace.orders import capacity, locks
from tests import factories
from tests.conftest import make_provider, make_user
from tests.marketplace.orders.test_booking_concurrency import checkouts_at_once, outcome

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]

CARTS = 8


@pytest.fixture
def territory(transactional_db):
    """The territory, after putting back what the flush between tests removed."""
    from wagtail.models import Collection, Locale, Page

    from cms.services import territory_setup

    Locale.objects.get_or_create(language_code="fr")
    if Page.get_first_root_node() is None:
        Page.add_root(title="Root", slug="root")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    return territory_setup(hostname="localhost", port=80, site_name="Comptoir test")


@pytest.fixture
def slow_write(monkeypatch):
    """Every checkout pauses between reading the capacity rows and writing them back."""
    monkeypatch.setattr(capacity, "_between_read_and_write", lambda: time.sleep(0.3))


def _carts(site, person, offer, quantity: int) -> list[tuple]:
    """The account's own cart and anonymous ones, each with ``quantity`` items, priced."""
    from marketplace.orders.cart import cart_line_add, cart_lines_priced

    prepared = []
    for index in range(CARTS):
        cart = Cart.objects.create(site=site, user=person if index == 0 else None)
        cart_line_add(cart=cart, offer=offer, params={"quantity": str(quantity)})
        cart.refresh_from_db()
        prepared.append((cart, person, cart_lines_priced(cart=cart)))
    return prepared


@pytest.fixture
def honey(territory, category):
    shop = make_provider(territory, name="Rucher", category=category)
    offer = factories.product(shop, stock=100)
    ProductStock.objects.create(offer=offer, taken=0)
    return offer


def _limits(site, **values):
    limits = TerritorySettings.for_site(site)
    for name, value in values.items():
        setattr(limits, name, value)
    limits.save()


@pytest.mark.parametrize("locked", [True, False], ids=["locked", "unlocked"])
def test_concurrent_checkouts_of_one_account_respect_the_unpaid_orders_cap(
    territory, honey, slow_write, monkeypatch, locked
):
    monkeypatch.setattr(locks, "LOCK_ROWS", locked)
    person = make_user("pirate@example.org", password=None)
    held, refused, other = outcome(checkouts_at_once(_carts(territory, person, honey, 1)))
    assert other == []
    pending = Order.objects.filter(user=person, status=OrderStatus.PENDING).count()
    if locked:
        assert (held, refused, pending) == (2, CARTS - 2, 2)
    else:
        assert pending > 2  # the race is real: the lock is what keeps the cap


@pytest.mark.parametrize("locked", [True, False], ids=["locked", "unlocked"])
def test_concurrent_checkouts_of_one_account_respect_the_items_cap(
    territory, honey, slow_write, monkeypatch, locked
):
    monkeypatch.setattr(locks, "LOCK_ROWS", locked)
    _limits(territory, max_unpaid_orders=CARTS)
    person = make_user("pirate@example.org", password=None)
    held, refused, other = outcome(checkouts_at_once(_carts(territory, person, honey, 3)))
    assert other == []
    if locked:
        # 3 + 3 + 3 = 9 items; a fourth order would make 12 > 10.
        assert (held, refused) == (3, CARTS - 3)
    else:
        assert held > 3
