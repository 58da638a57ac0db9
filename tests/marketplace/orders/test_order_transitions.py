"""The order life cycle has one door: marketplace.orders.transitions (issue 12).

- exactly one public cancel, pay, abandon, expire and complete function in the project,
  and the views, tasks and webhooks call those;
- the lock helper refuses to run outside a transaction;
- each transition leaves one entry in Wagtail's audit log naming its actor, shown in the
  order's and booking's admin history and in the site history report.
"""

import ast
import datetime as dt
import pathlib
import re

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from marketplace.models import Booking, BookingStatus, Order, OrderStatus
from marketplace.orders import admin as order_admin
from marketplace.orders import audit, locks, transitions, views_account
from marketplace.orders import tasks as order_tasks
from marketplace.orders import views as order_views
from marketplace.orders.capacity import Claims, capacity_release
from payments.providers import dev as dev_payment
from payments.stripe import checkout as stripe_checkout
from tests.booking_helpers import activity_in, book, shared_rules
from tests.conftest import make_provider, make_user
from tests.payments.test_stripe_flow import checkout_and_pay
from tests.payments.test_stripe_flow import world as stripe_world  # noqa: F401  (a fixture)

ROOT = pathlib.Path(__file__).resolve().parents[3]
TRANSITIONS = ROOT / "marketplace" / "orders" / "transitions.py"
# A public function with one of these names changes an order's or a booking's state.
TRANSITION_NAME = re.compile(
    r"^(checkout|checkout_create|order_pay|order_paid|order_confirm|order_abandon|order_release"
    r"|order_expire|holds_expire|booking_cancel|bookings_complete)$"
)
# Periodic huey tasks: named apart, their body is one call of a transition.
TASK_WRAPPERS = {
    "holds_expire_every_minute": "holds_expire",
    "bookings_complete_daily": "bookings_complete",
}


def _our_sources():
    for package in ("marketplace", "payments", "cms", "commissions", "config"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def _public_functions(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith(
            "_"
        ):
            yield node


def test_there_is_one_public_function_per_transition_and_it_is_in_transitions():
    found = {}
    for path in _our_sources():
        for node in _public_functions(path):
            if TRANSITION_NAME.match(node.name) or (
                "cancel" in node.name
                and node.name.startswith(("booking_cancel", "order_cancel", "cancel_"))
                and not node.name.endswith(("_refusal", "_notify", "_view"))
            ):
                found.setdefault(node.name, []).append(path.relative_to(ROOT).as_posix())
    assert found == {
        "checkout": ["marketplace/orders/transitions.py"],
        "order_pay": ["marketplace/orders/transitions.py"],
        "order_abandon": ["marketplace/orders/transitions.py"],
        "order_expire": ["marketplace/orders/transitions.py"],
        "holds_expire": ["marketplace/orders/transitions.py"],
        "booking_cancel": ["marketplace/orders/transitions.py"],
        "bookings_complete": ["marketplace/orders/transitions.py"],
    }


def test_the_periodic_tasks_only_call_the_transitions_and_do_not_shadow_them():
    tree = ast.parse((ROOT / "marketplace" / "orders" / "tasks.py").read_text())
    tasks = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert set(tasks) == set(TASK_WRAPPERS)
    for name, transition in TASK_WRAPPERS.items():
        calls = [
            n.func.id
            for statement in tasks[name].body
            for n in ast.walk(statement)
            if isinstance(n, ast.Call)
        ]
        assert calls == [transition]
        assert getattr(order_tasks, transition) is getattr(transitions, transition)


def test_views_and_tasks_call_the_transitions_themselves():
    """The names the callers use are the transitions' own functions (not copies)."""
    assert order_views.checkout is transitions.checkout
    assert views_account.booking_cancel is transitions.booking_cancel
    assert dev_payment.order_pay is transitions.order_pay
    assert dev_payment.order_abandon is transitions.order_abandon
    assert order_admin.booking_cancel is transitions.booking_cancel


# --- Locks ---------------------------------------------------------------------------------


def test_the_lock_helper_refuses_to_run_outside_a_transaction():
    with pytest.raises(locks.OutsideTransaction):
        locks.rows_lock(Order.objects.all())
    with pytest.raises(locks.OutsideTransaction):
        capacity_release(Claims(slots={1: 1}))


def test_a_lock_timeout_becomes_a_busy_answer(db):
    class Timeout(Exception):
        pgcode = "55P03"

    def boom():
        raise OperationalError("canceling statement due to lock timeout") from Timeout()

    with pytest.raises(transitions.BusyError) as caught:
        with locks.locked_transaction():
            boom()
    assert isinstance(caught.value, transitions.BookingError)
    assert caught.value.message


# --- Who did what: the audit log -----------------------------------------------------------


@pytest.fixture
def club(territory, category):
    shared_rules(territory)
    member = make_user("membre@example.org")
    provider = make_provider(territory, name="Club Nautique", category=category, member=member)
    return {"provider": provider, "member": member, "site": territory}


def entries(instance, action):
    return list(
        ModelLogEntry.objects.filter(
            content_type__model=instance._meta.model_name, object_id=str(instance.pk), action=action
        )
    )


def one_entry(instance, action, *, actor, user=None):
    found = entries(instance, action)
    assert len(found) == 1, found
    assert found[0].data["actor"] == actor
    assert found[0].user_id == (user.pk if user else None)
    return found[0]


def test_checkout_and_webhook_payment_are_logged(club, visitor):
    offer = activity_in(club["provider"], ahead=dt.timedelta(days=20), policy="flexible")
    order = book(visitor, offer)
    one_entry(order, audit.ORDER_PLACED, actor=audit.VISITOR, user=visitor)
    one_entry(order, audit.ORDER_PAID, actor=audit.WEBHOOK)
    # Paying again changes nothing and logs nothing.
    transitions.order_pay(order_id=order.pk)
    assert len(entries(order, audit.ORDER_PAID)) == 1


def test_dev_page_payment_and_abandon_are_the_visitors(client, club, visitor):
    offer = activity_in(club["provider"], ahead=dt.timedelta(days=20), policy="flexible")
    paid = book(visitor, offer, pay=False)
    client.force_login(visitor)
    client.post(reverse("dev_pay", args=[paid.reference]), {"action": "pay"})
    one_entry(paid, audit.ORDER_PAID, actor=audit.VISITOR, user=visitor)
    given_up = book(visitor, offer, pay=False)
    client.post(reverse("dev_pay", args=[given_up.reference]), {"action": "abandon"})
    given_up.refresh_from_db()
    assert given_up.status == OrderStatus.ABANDONED
    one_entry(given_up, audit.ORDER_ABANDONED, actor=audit.VISITOR, user=visitor)


def test_the_periodic_tasks_expire_and_complete_as_the_task(club, visitor):
    offer = activity_in(club["provider"], ahead=dt.timedelta(days=20), policy="flexible")
    late = book(visitor, offer, pay=False)
    Order.objects.filter(pk=late.pk).update(
        hold_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert order_tasks.holds_expire_every_minute.call_local() == 1
    one_entry(late, audit.ORDER_EXPIRED, actor=audit.TASK)
    # Another visitor: this one may not hold the same slot again so soon (the cool-down).
    done = book(make_user("autre@example.org"), offer).bookings.get()
    Booking.objects.filter(pk=done.pk).update(start=timezone.localdate() - dt.timedelta(days=2))
    assert order_tasks.bookings_complete_daily.call_local() == 1
    assert Booking.objects.get(pk=done.pk).status == BookingStatus.COMPLETED
    one_entry(done, audit.BOOKING_COMPLETED, actor=audit.TASK)


def test_cancellations_name_the_visitor_or_the_providers_member(client, club, visitor):
    offer = activity_in(club["provider"], ahead=dt.timedelta(days=20), policy="flexible")
    mine = book(visitor, offer).bookings.get()
    client.force_login(visitor)
    client.post(reverse("my_booking_cancel", args=[mine.reference]), {"reason": "Empêchement"})
    entry = one_entry(mine, audit.BOOKING_CANCELLED, actor=audit.VISITOR, user=visitor)
    assert entry.data["refund"] == Booking.objects.get(pk=mine.pk).refunded > 0
    theirs = book(visitor, offer).bookings.get()
    client.force_login(club["member"])
    client.post(reverse("bookings:cancel", args=[theirs.pk]), {"reason": "Tempête"})
    one_entry(theirs, audit.BOOKING_CANCELLED, actor=audit.PROVIDER, user=club["member"])


def test_the_admin_history_and_the_site_history_show_the_transitions(admin_client, club, visitor):
    offer = activity_in(club["provider"], ahead=dt.timedelta(days=20), policy="flexible")
    order = book(visitor, offer)
    booking = order.bookings.get()
    transitions.booking_cancel(booking_id=booking.pk, by_provider=True, actor=audit.STAFF)
    with_history = admin_client.get(reverse("orders:history", args=[order.pk]))
    assert with_history.status_code == 200
    assert "Order paid" in with_history.content.decode() or "Commande payée" in (
        with_history.content.decode()
    )
    inspect = admin_client.get(reverse("orders:inspect", args=[order.pk])).content.decode()
    assert reverse("orders:history", args=[order.pk]) in inspect
    booking_history = admin_client.get(reverse("bookings:history", args=[booking.pk]))
    assert booking_history.status_code == 200
    site = admin_client.get(reverse("wagtailadmin_reports:site_history")).content.decode()
    assert order.reference in site and booking.reference in site


def test_a_webhook_payment_goes_through_order_pay(monkeypatch, client, visitor, request):
    """The Stripe handler calls the transition (patched here), not a copy of it."""
    world = request.getfixturevalue("stripe_world")
    capture = request.getfixturevalue("django_capture_on_commit_callbacks")
    calls = []
    real = transitions.order_pay
    # The handler imported the transition by name: the spy replaces that very name.
    assert stripe_checkout.order_pay is real
    monkeypatch.setattr(
        stripe_checkout, "order_pay", lambda **kwargs: calls.append(kwargs) or real(**kwargs)
    )
    order = checkout_and_pay(client, world, visitor, capture)
    assert [call["order_id"] for call in calls] == [order.pk]
    one_entry(order, audit.ORDER_PAID, actor=audit.WEBHOOK)


def test_a_providers_member_sees_only_their_own_bookings_history(client, club, visitor):
    """Wagtail's site history shows every booking's entries to anyone with a booking
    permission: here a member sees their provider's bookings only, and no order."""
    other = make_provider(club["site"], name="Ferme Bob", category=club["provider"].category)
    theirs = book(visitor, activity_in(other, ahead=dt.timedelta(days=20), policy="flexible"))
    ours = book(
        visitor, activity_in(club["provider"], ahead=dt.timedelta(days=21), policy="flexible")
    )
    for order in (theirs, ours):
        transitions.booking_cancel(booking_id=order.bookings.get().pk, by_provider=True)
    client.force_login(club["member"])
    page = client.get(reverse("wagtailadmin_reports:site_history"))
    assert page.status_code == 200
    body = page.content.decode()
    assert ours.bookings.get().reference in body
    assert theirs.bookings.get().reference not in body
    assert ours.reference not in body and theirs.reference not in body
    assert (
        client.get(reverse("bookings:history", args=[theirs.bookings.get().pk])).status_code == 404
    )


def test_the_cancel_page_and_the_periodic_task_call_the_transitions(
    monkeypatch, client, club, visitor
):
    """Patched where the callers find them: the visitor's cancel page and the periodic
    task call the transitions (which the tests above show are the only ones)."""
    offer = activity_in(club["provider"], ahead=dt.timedelta(days=20), policy="flexible")
    booking = book(visitor, offer).bookings.get()
    cancels, expiries = [], []
    monkeypatch.setattr(views_account, "booking_cancel", lambda **kw: cancels.append(kw))
    monkeypatch.setattr(order_tasks, "holds_expire", lambda **kw: expiries.append(kw) or 0)
    client.force_login(visitor)
    client.post(reverse("my_booking_cancel", args=[booking.reference]), {"reason": "Pluie"})
    assert [(c["booking_id"], c["by_provider"], c["by"]) for c in cancels] == [
        (booking.pk, False, visitor)
    ]
    order_tasks.holds_expire_every_minute.call_local()
    assert expiries == [{"actor": audit.TASK}]
