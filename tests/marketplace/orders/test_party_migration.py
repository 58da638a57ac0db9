"""Stays booked before adults and minors were asked get them from their guests.

Bookings and cart lines are made with today's code, the database is migrated back to
before ``marketplace`` 0013 (no adults, no minors; only ``guests``), the rows are given
what such a database held, and it is migrated forward again: a stay with a number of
guests has them all as adults and no minor, a stay without one keeps neither, an
activity never has them. Migrates back and forth, so it runs in its own process.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from wagtail.models import Collection, Locale, Page

from marketplace.models import Booking, Cart, CartLine
from tests import factories
from tests.booking_helpers import book
from tests.conftest import make_provider, make_user

pytestmark = pytest.mark.own_process

BEFORE = ("marketplace", "0012_stay_tourist_tax")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _stay_params(**extra) -> dict:
    start = timezone.localdate() + dt.timedelta(days=10)
    return {"start": start.isoformat(), "end": (start + dt.timedelta(days=2)).isoformat(), **extra}


@pytest.fixture
def wagtail_roots(transactional_db):
    """Wagtail's initial rows (locale, root page, root collection), which an earlier
    transactional test of this process may have flushed."""
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root"))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


@pytest.mark.django_db(transaction=True)
def test_stays_booked_before_get_their_guests_as_adults(wagtail_roots, territory, category):
    leaves = _leaf_nodes()
    camping = make_provider(territory, name="Camping des Pins", category=category)
    pitch = factories.stay(camping, units=3, guests_per_unit=4)
    canoe = factories.activity(camping, slots=[(timezone.now() + dt.timedelta(days=5), 8, 0)])
    visitor = make_user("visiteur@example.org")
    counted = book(visitor, pitch, **_stay_params(adults="1")).bookings.get()
    uncounted = book(visitor, pitch, **_stay_params(adults="1")).bookings.get()
    activity = book(visitor, canoe, slot=str(canoe.slots.get().pk), persons="3").bookings.get()
    cart = Cart.objects.create(site=territory)
    line_counted = CartLine.objects.create(cart=cart, offer=pitch, quantity=1)
    line_uncounted = CartLine.objects.create(cart=cart, offer=pitch, quantity=1)
    line_activity = CartLine.objects.create(
        cart=cart, offer=canoe, slot=canoe.slots.get(), quantity=2
    )

    executor = _migrate([BEFORE])
    # Every other app at its end, but those whose migrations need a later marketplace
    # (the invoices): migrating marketplace back unapplied them.
    graph = executor.loader.graph
    before_plan = set(graph.forwards_plan(BEFORE))
    others = [
        node
        for node in leaves
        if node[0] != "marketplace"
        and all(dep[0] != "marketplace" or dep in before_plan for dep in graph.forwards_plan(node))
    ]
    old = executor.loader.project_state([*others, BEFORE]).apps
    OldBooking = old.get_model("marketplace", "Booking")
    OldCartLine = old.get_model("marketplace", "CartLine")
    assert "adults" not in {f.name for f in OldBooking._meta.get_fields()}
    # What a database of before held: a number of guests, or none.
    OldBooking.objects.filter(pk=counted.pk).update(guests=3)
    OldBooking.objects.filter(pk=uncounted.pk).update(guests=None)
    OldCartLine.objects.filter(pk=line_counted.pk).update(guests=2)
    OldCartLine.objects.filter(pk=line_uncounted.pk).update(guests=None)

    _migrate(leaves)

    def party(model, pk):
        return model.objects.values_list("guests", "adults", "minors").get(pk=pk)

    assert party(Booking, counted.pk) == (3, 3, 0)
    assert party(Booking, uncounted.pk) == (None, None, None)
    assert party(Booking, activity.pk) == (None, None, None)
    assert party(CartLine, line_counted.pk) == (2, 2, 0)
    assert party(CartLine, line_uncounted.pk) == (None, None, None)
    assert party(CartLine, line_activity.pk) == (None, None, None)
