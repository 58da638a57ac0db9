"""Huey finds a queued task by "<module>.<function>", the name written in the message.

A task that moves to another module must keep the name it was queued under, or the
messages already queued at deploy time (retries run for up to 2 h, e-mails wait for the
consumer) are dropped with "not found in TaskRegistry". The list below is every task
name declared at 3a8b356 (main before issue 12 moved code into marketplace/orders,
marketplace/books, payments/stripe and cms/demo), hard-coded on purpose: it must not
follow the code.
"""

from importlib import import_module

import pytest
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY

# Name huey knows the task by -> where the task is declared today.
NAMES_BEFORE_ISSUE_12 = {
    # cms
    "cms.tasks.personal_data_purge": "cms.tasks.personal_data_purge",
    "cms.tasks.publish_scheduled_content": "cms.tasks.publish_scheduled_content",
    # marketplace
    "marketplace.tasks.activity_slots_extend": "marketplace.tasks.activity_slots_extend",
    "marketplace.tasks.provider_application_notify": (
        "marketplace.provider_notify.provider_application_notify"
    ),
    "marketplace.tasks.provider_decision_notify": (
        "marketplace.provider_notify.provider_decision_notify"
    ),
    "marketplace.tasks.order_confirmed_notify": "marketplace.orders.notify.order_confirmed_notify",
    "marketplace.tasks.order_late_refunded_notify": (
        "marketplace.orders.notify.order_late_refunded_notify"
    ),
    "marketplace.tasks.booking_cancelled_notify": (
        "marketplace.orders.notify.booking_cancelled_notify"
    ),
    # Not pinned: the periodic "marketplace.tasks.holds_expire" and
    # "marketplace.tasks.bookings_complete" are now holds_expire_every_minute and
    # bookings_complete_daily (marketplace.orders.tasks), renamed on purpose so that no task
    # shadows the transition it calls. A periodic task takes no arguments and is queued
    # afresh by the consumer's scheduler every minute or day: a message queued under the old
    # name before a deploy is at worst one run skipped, which the next run does again
    # (expiring holds, completing bookings are idempotent catch-ups).
    # payments
    "payments.notify._finance_send": "payments.stripe.notify._finance_send",
    "payments.stripe_accounts.provider_payout_failed_send": (
        "payments.stripe.accounts.provider_payout_failed_send"
    ),
    "payments.tasks.stripe_event_process": "payments.stripe.webhooks.stripe_event_process",
    "payments.tasks.stripe_order_transfers": "payments.stripe.transfers.stripe_order_transfers",
    "payments.tasks.stripe_refund_execute": "payments.stripe.refunds.stripe_refund_execute",
    "payments.tasks.stripe_transfers_pending": (
        "payments.stripe.transfers.stripe_transfers_pending"
    ),
    "payments.tasks.stripe_reconcile_daily": (
        "payments.stripe.reconciliation.stripe_reconcile_daily"
    ),
    "payments.tasks.stripe_sessions_expire": "payments.stripe.checkout.stripe_sessions_expire",
}


def _attribute(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(import_module(module), name)


@pytest.fixture(scope="module")
def registry():
    autodiscover_modules("tasks")  # what huey's consumer does (run_huey)
    return HUEY._registry._registry


@pytest.mark.parametrize("queued_as, declared_at", sorted(NAMES_BEFORE_ISSUE_12.items()))
def test_a_task_keeps_the_name_it_was_queued_under(registry, queued_as, declared_at):
    assert queued_as in registry, f"{queued_as}: messages queued under this name would be lost"
    assert registry[queued_as] is _attribute(declared_at).task_class


@pytest.mark.parametrize(
    "queued_as",
    sorted(name for name in NAMES_BEFORE_ISSUE_12 if name.split(".")[1] == "tasks"),
)
def test_a_task_name_in_an_apps_tasks_module_also_works_in_python(registry, queued_as):
    """``<app>.tasks`` imports what it is named after, as ``payments.tasks`` does."""
    assert _attribute(queued_as).task_class is registry[queued_as]
