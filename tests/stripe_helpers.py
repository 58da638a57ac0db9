"""Helpers of the Stripe end-to-end tests: deliver the double's webhooks through the
real endpoints, connect accounts, and compare the double's balances with the ledger."""

from __future__ import annotations

from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from marketplace.books.models import LedgerEntry
from payments.models import StripeTransfer
from payments.stripe.transfers import platform_cash
from tests.conftest import STRIPE_CONNECT_SECRET, STRIPE_PLATFORM_SECRET


def webhook_target(url_name: str):
    client = Client(enforce_csrf_checks=True)

    def post(payload: bytes, headers: dict) -> int:
        return client.post(
            reverse(url_name),
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": headers["Stripe-Signature"]},
        ).status_code

    return post


def deliver(double, **options) -> list[int]:
    """Deliver every pending event, platform then Connect, signed, through HTTP."""
    statuses = double.deliver(
        webhook_target("stripe_webhook"), STRIPE_PLATFORM_SECRET, connect=False, **options
    )
    statuses += double.deliver(
        webhook_target("stripe_connect_webhook"), STRIPE_CONNECT_SECRET, connect=True, **options
    )
    return statuses


def connected_account(double, *, payouts: bool = True) -> str:
    """A connected account, onboarded (transfers active), its events dropped."""
    account = double.handle(
        "POST",
        "/v1/accounts",
        {},
        "controller[stripe_dashboard][type]=express&capabilities[transfers][requested]=true",
    ).body
    double.account_onboard(account["id"], payouts_enabled=payouts)
    double.take_events()
    return account["id"]


def ledger_sent_to(destination: str) -> int:
    """What the ledger says went to a connected account: transfers less reversals."""
    rows = StripeTransfer.objects.filter(destination=destination)
    keys = [f"stripe:transfer:{pk}" for pk in rows.values_list("pk", flat=True)]
    keys += [
        f"stripe:reversal:{pk}"
        for pk in rows.values_list("reversals__pk", flat=True)
        if pk is not None
    ]
    total = LedgerEntry.objects.filter(
        transaction__idempotency_key__in=keys, account="platform:clearing"
    ).aggregate(total=Sum("amount"))["total"]
    return -(total or 0)


def assert_balances_match(double, site, accounts) -> None:
    """Every connected account, and the platform, hold at the double what the ledger says.

    A connected account's own payouts to its bank are its business, not the ledger's:
    they are added back.
    """
    for account in accounts:
        paid_out = sum(
            p["amount"]
            for p in double.all("payout")
            if p.get("_account") == account and p["status"] == "paid"
        )
        assert double.balance(account) + paid_out == ledger_sent_to(account), account
    assert double.balance(None) == platform_cash(site=site)


def run_huey_retries(rounds: int = 10) -> int:
    """Run the retries huey scheduled (immediate mode keeps them in its schedule)."""
    import datetime as dt

    from huey.contrib.djhuey import HUEY

    ran, later = 0, dt.datetime(2100, 1, 1)
    for _ in range(rounds):
        due = HUEY.read_schedule(later)
        if not due:
            break
        for task in due:
            HUEY.execute(task, timestamp=later)  # as if the retry delay had passed
            ran += 1
    return ran
