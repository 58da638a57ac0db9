"""The VAT set aside from a commission (``tax:vat``): its entries, and a property over
random commissions, allocations, rates and refund fractions.

The property runs what a booking's life writes: the confirmation priced by the real
commission engine over random rules, the VAT of its commission set aside as
:func:`marketplace.orders.accounting.vat_set_aside_post` does, then refunds of random
fractions, each reversing the confirmation and giving back the same fraction of the
set-aside (:func:`~marketplace.books.ledger.vat_refund_entries`, as ``_cancel_refund``
does through ``vat_refund_post``). After every refund: the VAT set aside is never more than the
commission, no commission account is ever owed less than nothing, every transaction
sums to zero, and what the visitor paid net of refunds is providers + beneficiaries +
taxes (the tourist tax and ``tax:vat``). A full refund leaves every account at zero.
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from commissions.engine import Line, RuleSpec, Side, quote
from commissions.money import round_half_up
from marketplace.books.ledger import (
    VAT_ACCOUNT,
    LedgerError,
    ledger_post,
    ledger_reverse,
    provider_account,
    quote_entries,
    tourist_tax_account,
    vat_refund_entries,
    vat_set_aside_entries,
)
from marketplace.books.models import LedgerEntry
from marketplace.invoices.vat import vat_included
from marketplace.orders.accounting import is_commission_account
from tests.marketplace.books.test_ledger import fractions, rolled_back, rules

DAY = dt.date(2026, 7, 14)
# Provider 5 %, visitor 2 %, split 60/40 (tests/marketplace/orders/test_commission_vat.py).
WORKED_EXAMPLE = RuleSpec(
    key="r",
    name="r",
    provider_side=Side(rate=Decimal("5")),
    visitor_side=Side(rate=Decimal("2")),
    distribution=(("fonds", Decimal("60")), ("ot", Decimal("40"))),
)


def test_the_entries_split_the_vat_by_largest_remainder():
    entries = vat_set_aside_entries(
        commission=[("beneficiary:ot", 280), ("beneficiary:fonds", 420)], vat_cents=117
    )
    assert entries == [("beneficiary:fonds", 70), ("beneficiary:ot", 47), (VAT_ACCOUNT, -117)]
    assert vat_set_aside_entries(commission=[("platform:operator", 1)], vat_cents=0) == []


@pytest.mark.parametrize(
    ("commission", "vat"),
    [
        ([("beneficiary:fonds", 10)], 11),  # more than the commission
        ([("beneficiary:fonds", 10)], -1),
        ([("beneficiary:fonds", 0)], 0),
        ([("nobody", 10)], 1),
    ],
)
def test_impossible_set_asides_are_refused(commission, vat):
    with pytest.raises(LedgerError):
        vat_set_aside_entries(commission=commission, vat_cents=vat)


def test_the_vat_included_follows_the_one_rounding_rule():
    assert vat_included(700, Decimal("20")) == 117  # 700 − round(583,33)
    assert vat_included(-700, Decimal("20")) == -117
    assert vat_included(3, Decimal("20")) == 0  # 3 − round(2,5) = 3 − 3
    assert vat_included(1, Decimal("100")) == 0
    assert vat_included(1_000, Decimal("0")) == 0
    assert vat_included(1_055, Decimal("5.5")) == 55


@pytest.fixture
def site(db):
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True)


# All the commission, three equal shares of 1 cent: the VAT of 1 cent (at 100 %) goes to
# the first; a third refunded takes that same cent of its commission back, while a third
# of the VAT rounds to nothing. Reversing the set-aside on its own by the fraction would
# leave the fund owing a cent.
THREE_CENTS = RuleSpec(
    key="r",
    name="r",
    provider_side=Side(rate=Decimal("100")),
    distribution=(
        ("fonds", Decimal("33.34")),
        ("frais", Decimal("33.33")),
        ("ot", Decimal("33.33")),
    ),
)

vat_rates = st.decimals(min_value=0, max_value=100, places=2)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rule=rules(),
    subtotal=st.integers(0, 300_000),
    tax=st.integers(0, 3_000),
    rate=vat_rates,
    refunds=st.lists(st.none() | fractions, max_size=4),
)
@example(rule=None, subtotal=10_000, tax=0, rate=Decimal("20"), refunds=[(1, 2), None])
@example(rule=THREE_CENTS, subtotal=3, tax=0, rate=Decimal("100"), refunds=[(1, 3), None])
def test_the_vat_set_aside_conserves_money_through_refunds(
    site, rule, subtotal, tax, rate, refunds
):  # noqa: F811
    with rolled_back():
        _run(site, rule, subtotal, tax, rate, refunds)


def _net(**filters) -> dict[str, int]:
    rows = (
        LedgerEntry.objects.filter(**filters)
        .values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    return {account: total for account, total in rows if total}


def _run(site, rule, subtotal, tax, rate, refunds):
    q = quote(Line(subtotal=subtotal, booked_on=DAY, provider="1"), [rule or WORKED_EXAMPLE])
    entries = quote_entries(
        quote=q,
        provider_account=provider_account(1),
        tax_cents=tax,
        tax_account=tourist_tax_account("Saint-Martin"),
    )
    if not entries:
        return
    sale = ledger_post(
        site=site,
        kind="order_confirmed",
        idempotency_key="b:1:confirmed",
        entries=entries,
        booking_ref="B1",
    )
    commission = [(a, -amount) for a, amount in entries if amount < 0 and is_commission_account(a)]
    total = sum(amount for _, amount in commission)
    assert total == q.commission
    vat = vat_included(total, rate)
    assert 0 <= vat <= total
    vat_entries = vat_set_aside_entries(commission=commission, vat_cents=vat)
    set_aside = (
        ledger_post(
            site=site,
            kind="vat",
            idempotency_key="b:1:vat",
            entries=vat_entries,
            booking_ref="B1",
        )
        if vat_entries
        else None
    )
    _check(entries, reversed_fraction=Fraction(0))

    reversed_fraction = Fraction(0)
    for index, fraction in enumerate(refunds):
        left = 1 - reversed_fraction
        wanted = left if fraction is None else Fraction(*fraction)
        if left == 0 or wanted > left:
            continue
        share = (wanted.numerator, wanted.denominator)
        ledger_reverse(transaction=sale, idempotency_key=f"b:1:refund:{index}", fraction=share)
        if set_aside is not None:
            # What vat_refund_post posts after a refund of the confirmation.
            back = vat_refund_entries(confirmation=sale, set_aside=set_aside)
            if back:
                ledger_post(
                    site=site,
                    kind="vat",
                    idempotency_key=f"b:1:vat:refund:{index}",
                    entries=back,
                    booking_ref="B1",
                )
            # The same fraction of the VAT as of the sale, rounded as the ledger rounds.
            done = reversed_fraction + wanted
            exact_left = vat - round_half_up(Decimal(vat) * done.numerator / done.denominator)
            net = _net(transaction__booking_ref="B1")
            vat_left = -net.get(VAT_ACCOUNT, 0)
            # Less only when the commission left cannot hold it: then it holds nothing.
            assert vat_left == exact_left or (
                vat_left < exact_left and not any(is_commission_account(account) for account in net)
            )
        reversed_fraction += wanted
        _check(entries, reversed_fraction=reversed_fraction)


def _check(entries, *, reversed_fraction):
    assert not (
        LedgerEntry.objects.values("transaction")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .exists()
    )
    net = _net(transaction__booking_ref="B1")
    # What the visitor paid net of refunds = providers + beneficiaries + taxes (tax:vat too).
    paid = net.get("visitor", 0)
    assert paid == -sum(
        amount
        for account, amount in net.items()
        if account.split(":")[0] in ("provider", "beneficiary", "tax", "platform")
    )
    commission_left = -sum(a for account, a in net.items() if is_commission_account(account))
    vat_left = -net.get(VAT_ACCOUNT, 0)
    # The State's part is never negative, never more than the commission it came from.
    assert 0 <= vat_left
    original = -sum(amount for account, amount in entries if is_commission_account(account))
    assert vat_left <= original
    assert commission_left >= 0
    # No commission account is ever owed less than nothing.
    for account, amount in net.items():
        if is_commission_account(account):
            assert amount <= 0, (account, amount, net)
    if reversed_fraction == 1:
        assert net == {}
