"""The ledger: balanced, idempotent, append-only; refunds that conserve money to the cent.

The property tests run random orders priced by the real commission engine over random
rules, confirm them, then refund random fractions of them, and check after each
sequence that every transaction sums to zero and that, per order, what the visitor paid
net of refunds equals provider nets + beneficiary shares + taxes net of refunds.
"""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commissions.engine import Line, RuleSpec, Side, quote, split_largest_remainder
from commissions.money import round_half_up
from marketplace.books.ledger import (
    ENGINE_OPERATOR_KEY,
    OPERATOR_ACCOUNT,
    LedgerConflictError,
    LedgerError,
    LedgerReversalError,
    LedgerUnbalancedError,
    entries_merge,
    ledger_post,
    ledger_reverse,
    provider_account,
    quote_entries,
    reversal_entries,
    tourist_tax_account,
)
from marketplace.books.models import LedgerEntry, LedgerImmutableError, LedgerTransaction
from marketplace.books.selectors import account_balance, balances, balances_by_kind, statement
from tests.conftest import make_user

DAY = dt.date(2026, 7, 14)


@pytest.fixture
def site(db):
    """Wagtail's default site: the ledger needs no page tree."""
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True)


@contextmanager
def rolled_back():
    """Run a hypothesis example in a savepoint that is undone: examples never mix."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def entries_of(tx) -> list[tuple[str, int]]:
    return sorted(tx.entries.values_list("account", "amount"))


def post_sale(site, key="order:1:confirmed", amount=10_000, **kwargs):
    return ledger_post(
        site=site,
        kind="order_confirmed",
        idempotency_key=key,
        entries=[
            ("visitor", amount),
            ("provider:1", -(amount - 1_000)),
            ("beneficiary:fonds", -1_000),
        ],
        **kwargs,
    )


# --- Posting -----------------------------------------------------------------------------


def test_post_records_balanced_entries_and_references(site):
    user = make_user("compta@example.org")
    tx = post_sale(site, order_ref=42, booking_ref="b-7", memo="Commande 42", by=user)
    assert tx.kind == "order_confirmed" and tx.currency == "EUR"
    assert (tx.order_ref, tx.booking_ref, tx.memo) == ("42", "b-7", "Commande 42")
    assert tx.created_by == user
    assert entries_of(tx) == [
        ("beneficiary:fonds", -1_000),
        ("provider:1", -9_000),
        ("visitor", 10_000),
    ]


def test_posting_the_same_key_twice_is_posting_once(site):
    first = post_sale(site)
    again = post_sale(site)
    assert again.pk == first.pk
    assert LedgerTransaction.objects.count() == 1
    assert LedgerEntry.objects.count() == 3


def test_same_key_with_other_entries_is_a_clear_error(site):
    post_sale(site)
    with pytest.raises(LedgerConflictError, match="order:1:confirmed"):
        post_sale(site, amount=20_000)
    with pytest.raises(LedgerConflictError):
        ledger_post(
            site=site,
            kind="adjustment",
            idempotency_key="order:1:confirmed",
            entries=[("visitor", 10_000), ("provider:1", -9_000), ("beneficiary:fonds", -1_000)],
        )
    assert LedgerTransaction.objects.count() == 1


def test_a_lost_race_on_the_key_returns_the_winner(site, monkeypatch):
    """The insert fails on the unique key after the look-up missed: the winner is returned."""
    winner = post_sale(site)
    real_filter = LedgerTransaction.objects.filter
    calls = {"n": 0}

    def filter_missing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            return LedgerTransaction.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(LedgerTransaction.objects, "filter", filter_missing_once)
    assert post_sale(site).pk == winner.pk
    assert LedgerTransaction.objects.count() == 1


@pytest.mark.parametrize(
    ("entries", "error"),
    [
        ([], LedgerError),
        ([("visitor", 100), ("provider:1", -99)], LedgerUnbalancedError),
        ([("visitor", 100.0), ("provider:1", -100)], LedgerError),
        ([("visitor", Decimal(100)), ("provider:1", -100)], LedgerError),
        ([("visitor", True), ("provider:1", -1)], LedgerError),
        ([("visitor", 0), ("provider:1", 0)], LedgerError),
        ([("visitor", 100), ("visitor", -100)], LedgerError),
        ([("shop:1", 100), ("provider:1", -100)], LedgerError),
        ([("provider: 1", 100), ("provider:1", -100)], LedgerError),
        ([("provider:", 100), ("provider:1", -100)], LedgerError),
        ([("visitor", 10**16), ("provider:1", -(10**16))], LedgerError),
        ([("visitor",), ("provider:1", -100)], LedgerError),
        ("visitor", LedgerError),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_written(site, entries, error):
    with pytest.raises(error):
        ledger_post(site=site, kind="adjustment", idempotency_key="k", entries=entries)
    assert not LedgerTransaction.objects.exists()


def test_bad_kind_currency_key_and_references_are_refused(site):
    good = [("visitor", 100), ("provider:1", -100)]
    with pytest.raises(LedgerError, match="kind"):
        ledger_post(site=site, kind="gift", idempotency_key="k", entries=good)
    with pytest.raises(LedgerError, match="ledger_reverse"):
        ledger_post(site=site, kind="reversal", idempotency_key="k", entries=good)
    with pytest.raises(LedgerError, match="currency"):
        ledger_post(site=site, kind="fee", idempotency_key="k", entries=good, currency="eur")
    with pytest.raises(LedgerError, match="idempotency"):
        ledger_post(site=site, kind="fee", idempotency_key=" ", entries=good)
    with pytest.raises(TypeError, match="order_id"):
        ledger_post(site=site, kind="fee", idempotency_key="k", entries=good, order_id=1)
    assert not LedgerTransaction.objects.exists()


def test_post_is_atomic_when_an_entry_cannot_be_written(site, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(LedgerEntry.objects, "bulk_create", broken)
    with pytest.raises(DatabaseError):
        post_sale(site)
    assert not LedgerTransaction.objects.exists()


# --- Quotes ------------------------------------------------------------------------------

RULE = RuleSpec(
    key="base",
    name="Base",
    provider_side=Side(rate=Decimal("8.00")),
    visitor_side=Side(rate=Decimal("2.50"), fixed=50),
    distribution=(("fonds", Decimal("60.00")), ("ot", Decimal("40.00"))),
)


def test_quote_entries_balance_and_follow_the_quote():
    q = quote(Line(subtotal=12_345, booked_on=DAY, provider="7"), [RULE])
    entries = quote_entries(
        quote=q,
        provider_account=provider_account(7),
        tax_cents=440,
        tax_account=tourist_tax_account("Saint-Martin-d'Ardèche"),
    )
    as_dict = dict(entries)
    assert sum(as_dict.values()) == 0
    assert as_dict["visitor"] == q.visitor_total + 440
    assert as_dict["provider:7"] == -q.provider_net
    assert as_dict["beneficiary:fonds"] + as_dict["beneficiary:ot"] == -q.commission
    assert as_dict["tax:tourist:saint-martin-dardeche"] == -440


def test_quote_without_distribution_goes_to_the_operator_and_zeros_are_left_out():
    rule = RuleSpec(key="r", name="r", provider_side=Side(fixed=300))
    q = quote(Line(subtotal=10_000, booked_on=DAY), [rule])
    assert q.allocations == {ENGINE_OPERATOR_KEY: 300}
    assert quote_entries(quote=q, provider_account="provider:1") == [
        (OPERATOR_ACCOUNT, -300),
        ("provider:1", -9_700),
        ("visitor", 10_000),
    ]
    free = quote(Line(subtotal=0, booked_on=DAY), [])
    assert quote_entries(quote=free, provider_account="provider:1") == []


def test_quote_entries_refuse_a_tax_without_its_account_or_negative():
    q = quote(Line(subtotal=1_000, booked_on=DAY), [RULE])
    with pytest.raises(LedgerError):
        quote_entries(quote=q, provider_account="provider:1", tax_cents=100)
    with pytest.raises(LedgerError):
        quote_entries(quote=q, provider_account="provider:1", tax_cents=-1, tax_account="tax:x")


def test_entries_merge_sums_per_account():
    assert entries_merge(
        [("visitor", 100), ("provider:1", -100)], [("visitor", 50), ("provider:2", -50)]
    ) == [("provider:1", -100), ("provider:2", -50), ("visitor", 150)]


# --- Reversals ---------------------------------------------------------------------------


def test_full_reversal_posts_the_opposite_entries(site):
    sale = post_sale(site, order_ref="42")
    refund = ledger_reverse(transaction=sale, idempotency_key="order:1:refund")
    assert refund.kind == "refund" and refund.reverses == sale and refund.order_ref == "42"
    assert entries_of(refund) == [(a, -amount) for a, amount in entries_of(sale)]
    assert all(v == 0 for v in balances(site=site).values())


def test_half_of_an_odd_amount_rounds_half_up_and_still_balances(site):
    sale = ledger_post(
        site=site,
        kind="order_confirmed",
        idempotency_key="o",
        entries=[
            ("visitor", 101),
            ("provider:1", -67),
            ("beneficiary:a", -17),
            ("beneficiary:b", -17),
        ],
    )
    refund = ledger_reverse(transaction=sale, idempotency_key="r", fraction=(1, 2))
    refunded = dict(entries_of(refund))
    assert refunded["visitor"] == -51  # 50.5 rounds half up
    assert sum(refunded.values()) == 0
    # 34 + 8.5 + 8.5 = 51: the largest remainders decide, earlier account first on ties.
    assert refunded == {"visitor": -51, "provider:1": 34, "beneficiary:a": 9, "beneficiary:b": 8}
    rest = ledger_reverse(transaction=sale, idempotency_key="r2")
    assert sum(amount for _, amount in entries_of(rest)) == 0
    assert all(v == 0 for v in balances(site=site).values())


def test_reversals_never_exceed_the_original(site):
    sale = post_sale(site)
    ledger_reverse(transaction=sale, idempotency_key="r1", fraction=(2, 3))
    with pytest.raises(LedgerReversalError, match="1/3"):
        ledger_reverse(transaction=sale, idempotency_key="r2", fraction=(1, 2))
    ledger_reverse(transaction=sale, idempotency_key="r3", fraction=(1, 3))
    with pytest.raises(LedgerReversalError, match="fully reversed"):
        ledger_reverse(transaction=sale, idempotency_key="r4")
    assert sale.reversals.count() == 2


@pytest.mark.parametrize("fraction", [(0, 1), (3, 2), (-1, 2), (1, 0), (0.5, 1), "1/2", (1,)])
def test_bad_fractions_are_refused(site, fraction):
    sale = post_sale(site)
    with pytest.raises(LedgerError):
        ledger_reverse(transaction=sale, idempotency_key="r", fraction=fraction)
    assert not sale.reversals.exists()


def test_a_reversal_cannot_be_reversed(site):
    sale = post_sale(site)
    refund = ledger_reverse(transaction=sale, idempotency_key="r", fraction=(1, 2))
    with pytest.raises(LedgerReversalError, match="itself a reversal"):
        ledger_reverse(transaction=refund, idempotency_key="rr")
    assert LedgerTransaction.objects.count() == 2


def test_reversal_is_idempotent_and_checks_what_the_key_names(site):
    sale = post_sale(site)
    other = post_sale(site, key="order:2:confirmed")
    first = ledger_reverse(transaction=sale, idempotency_key="r", fraction=(1, 4))
    assert ledger_reverse(transaction=sale, idempotency_key="r", fraction=(1, 4)).pk == first.pk
    assert ledger_reverse(transaction=sale, idempotency_key="r").pk == first.pk
    with pytest.raises(LedgerConflictError):
        ledger_reverse(transaction=sale, idempotency_key="r", fraction=(1, 2))
    with pytest.raises(LedgerConflictError):
        ledger_reverse(transaction=other, idempotency_key="r")
    assert sale.reversals.count() == 1 and not other.reversals.exists()


def test_a_fraction_too_small_to_move_a_cent_is_still_counted(site):
    sale = ledger_post(
        site=site,
        kind="order_confirmed",
        idempotency_key="o",
        entries=[("visitor", 10), ("provider:1", -10)],
    )
    tiny = ledger_reverse(transaction=sale, idempotency_key="r", fraction=(1, 100))
    assert entries_of(tiny) == []
    ledger_reverse(transaction=sale, idempotency_key="r2", fraction=(99, 100))
    assert all(v == 0 for v in balances(site=site).values())


def test_reversal_preview_is_what_gets_posted(site):
    sale = post_sale(site, amount=9_999)
    preview = reversal_entries(transaction=sale, fraction=(1, 3))
    posted = ledger_reverse(transaction=sale, idempotency_key="r", fraction=(1, 3))
    assert entries_of(posted) == preview
    assert LedgerTransaction.objects.count() == 2


def test_other_kinds_are_reversed_as_reversals(site):
    payout = ledger_post(
        site=site,
        kind="payout",
        idempotency_key="payout:1",
        entries=[("provider:1", 9_000), ("platform:clearing", -9_000)],
    )
    back = ledger_reverse(transaction=payout, idempotency_key="payout:1:failed")
    assert back.kind == "reversal"


# --- Append-only -------------------------------------------------------------------------


def test_rows_cannot_be_changed_or_deleted_through_the_orm(site):
    sale = post_sale(site)
    entry = sale.entries.first()
    sale.memo = "changed"
    with pytest.raises(LedgerImmutableError):
        sale.save()
    entry.amount = 1
    with pytest.raises(LedgerImmutableError):
        entry.save()
    with pytest.raises(LedgerImmutableError):
        entry.delete()
    with pytest.raises(LedgerImmutableError):
        sale.delete()
    with pytest.raises(LedgerImmutableError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(LedgerImmutableError):
        LedgerEntry.objects.all().delete()
    with pytest.raises(LedgerImmutableError):
        LedgerTransaction.objects.filter(pk=sale.pk).update(memo="x")
    with pytest.raises(LedgerImmutableError):
        LedgerEntry.objects.bulk_update([entry], ["amount"])
    assert sorted(LedgerEntry.objects.values_list("amount", flat=True)) == [-9_000, -1_000, 10_000]
    sale.refresh_from_db()
    assert sale.memo == ""


def test_the_database_refuses_updates_too(site):
    """Triggers (migration 0002) stop raw SQL as well; if a table rebuild dropped them,
    this fails."""
    sale = post_sale(site)
    table_tx = LedgerTransaction._meta.db_table
    table_entry = LedgerEntry._meta.db_table
    for sql in (
        f"UPDATE {table_entry} SET amount = amount + 1",  # noqa: S608
        f"UPDATE {table_tx} SET memo = 'x'",  # noqa: S608
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table_entry}")  # noqa: S608
    assert sum(amount for _, amount in entries_of(sale)) == 0
    assert LedgerEntry.objects.count() == 3


def test_deleting_a_person_keeps_the_ledger_anonymised(site):
    user = make_user("caissier@example.org")
    sale = post_sale(site, by=user)
    user.delete()
    sale.refresh_from_db()
    assert sale.created_by is None
    assert len(entries_of(sale)) == 3


# --- Selectors ---------------------------------------------------------------------------


def test_balances_account_balance_and_kinds(site, django_assert_num_queries):
    post_sale(site, key="a", amount=10_000)
    post_sale(site, key="b", amount=5_000)
    ledger_post(
        site=site,
        kind="payout",
        idempotency_key="payout:1",
        entries=[("provider:1", 9_000), ("platform:clearing", -9_000)],
    )
    with django_assert_num_queries(1):
        all_balances = balances(site=site)
    assert all_balances == {
        "beneficiary:fonds": -2_000,
        "platform:clearing": -9_000,
        "provider:1": -4_000,
        "visitor": 15_000,
    }
    assert balances(site=site, prefix="provider") == {"provider:1": -4_000}
    assert balances(site=site, prefix="provider:") == {"provider:1": -4_000}
    assert balances(site=site, prefix="visitor") == {"visitor": 15_000}
    with django_assert_num_queries(1):
        assert account_balance(account="provider:1", site=site) == -4_000
    assert account_balance(account="provider:404") == 0
    assert set(balances_by_kind(site=site)) == {"beneficiary", "platform", "provider", "visitor"}


def test_balances_are_per_territory(site):
    from wagtail.models import Page, Site

    other = Site.objects.create(
        hostname="autre.example", port=80, root_page=Page.get_first_root_node(), site_name="Autre"
    )
    post_sale(site, key="here")
    post_sale(other, key="there", amount=3_000)
    assert balances(site=site)["visitor"] == 10_000
    assert balances(site=other)["visitor"] == 3_000
    assert account_balance(account="visitor") == 13_000


def test_statement_has_a_running_balance_in_a_fixed_number_of_queries(
    site, django_assert_num_queries
):
    start = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    for day in range(6):
        post_sale(
            site,
            key=f"o{day}",
            amount=1_000 * (day + 2),
            occurred_at=start + dt.timedelta(days=day),
        )
    sale = LedgerTransaction.objects.get(idempotency_key="o5")
    ledger_reverse(
        transaction=sale,
        idempotency_key="o5:refund",
        fraction=(1, 2),
        occurred_at=start + dt.timedelta(days=10),
    )
    with django_assert_num_queries(2):
        result = statement(
            account="provider:1",
            site=site,
            since=start + dt.timedelta(days=2),
            until=start + dt.timedelta(days=11),
        )
        lines = [
            (line.transaction.idempotency_key, line.amount, line.balance) for line in result.lines
        ]
    # Provider nets are 1 000, 2 000 before the period, then 3 000 ... 6 000.
    assert result.opening == -3_000
    assert lines == [
        ("o2", -3_000, -6_000),
        ("o3", -4_000, -10_000),
        ("o4", -5_000, -15_000),
        ("o5", -6_000, -21_000),
        ("o5:refund", 3_000, -18_000),
    ]
    assert result.closing == account_balance(account="provider:1") == -18_000
    assert statement(account="provider:1", site=site).opening == 0


# --- Properties --------------------------------------------------------------------------

PROVIDERS = (1, 2, 3)
COMMUNES = ("Saint-Martin", "Vallon-Pont-d'Arc")
money_rate = st.decimals(min_value=0, max_value=30, places=2)


@st.composite
def sides(draw):
    minimum = draw(st.none() | st.integers(0, 2_000))
    maximum = draw(st.none() | st.integers(0, 20_000))
    return Side(
        rate=draw(money_rate),
        fixed=draw(st.integers(0, 800)),
        minimum=minimum,
        maximum=maximum,
    )


@st.composite
def rules(draw):
    keys = draw(
        st.lists(st.sampled_from(["fonds", "ot", "frais", "asso"]), unique=True, max_size=4)
    )
    distribution = ()
    if keys:
        weights = draw(st.lists(st.integers(0, 100), min_size=len(keys), max_size=len(keys)))
        if sum(weights) == 0:
            weights[0] = 1
        basis_points = split_largest_remainder(10_000, weights)
        distribution = tuple(
            (key, Decimal(points) / 100) for key, points in zip(keys, basis_points, strict=True)
        )
    return RuleSpec(
        key="r",
        name="r",
        provider_side=draw(sides()),
        visitor_side=draw(sides()),
        distribution=distribution,
    )


fractions = st.tuples(st.integers(1, 12), st.integers(1, 12)).map(lambda nd: (min(nd), max(nd)))
lines = st.tuples(
    st.integers(0, 300_000),  # subtotal
    st.sampled_from(PROVIDERS),
    st.integers(0, 3_000),  # tourist tax
    st.sampled_from(COMMUNES),
)
orders = st.lists(
    st.tuples(
        st.lists(lines, min_size=1, max_size=3),
        st.lists(st.none() | fractions, max_size=4),  # refunds: None means "all the rest"
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rule=rules(), orders=orders)
def test_money_is_conserved_through_confirmations_and_refunds(site, rule, orders):
    with rolled_back():
        _run_orders(site, rule, orders)


def _run_orders(site, rule, orders):
    for number, (order_lines, refunds) in enumerate(orders):
        parts, expected = [], {}
        for subtotal, provider, tax, commune in order_lines:
            q = quote(Line(subtotal=subtotal, booked_on=DAY, provider=str(provider)), [rule])
            entries = quote_entries(
                quote=q,
                provider_account=provider_account(provider),
                tax_cents=tax,
                tax_account=tourist_tax_account(commune),
            )
            parts.append(entries)
            for account, amount in entries:
                expected[account] = expected.get(account, 0) + amount
            assert dict(entries).get("visitor", 0) == q.visitor_total + tax
        entries = entries_merge(*parts)
        expected = {a: v for a, v in expected.items() if v}
        if not entries:
            continue  # nothing to pay: nothing to record
        key = f"order:{number}:confirmed"
        sale = ledger_post(
            site=site,
            kind="order_confirmed",
            idempotency_key=key,
            entries=entries,
            order_ref=number,
        )
        # Idempotency: confirming again records nothing more.
        assert (
            ledger_post(
                site=site,
                kind="order_confirmed",
                idempotency_key=key,
                entries=entries,
                order_ref=number,
            ).pk
            == sale.pk
        )
        assert dict(entries_of(sale)) == expected

        reversed_fraction = Fraction(0)
        for index, fraction in enumerate(refunds):
            left = 1 - reversed_fraction
            wanted = left if fraction is None else Fraction(*fraction)
            refund_key = f"order:{number}:refund:{index}"
            if left == 0 or wanted > left:
                with pytest.raises(LedgerReversalError):
                    ledger_reverse(transaction=sale, idempotency_key=refund_key, fraction=fraction)
                continue
            refund = ledger_reverse(transaction=sale, idempotency_key=refund_key, fraction=fraction)
            again = ledger_reverse(transaction=sale, idempotency_key=refund_key, fraction=fraction)
            assert again.pk == refund.pk
            reversed_fraction += wanted

        # A refund only ever takes back: each of its entries goes against the original's.
        for account, amount in LedgerEntry.objects.filter(transaction__reverses=sale).values_list(
            "account", "amount"
        ):
            assert amount * expected[account] < 0, (account, amount)

        # Per order, net of refunds: what the visitor paid = providers + beneficiaries + taxes.
        net = dict(
            LedgerEntry.objects.filter(transaction__order_ref=str(number))
            .values("account")
            .annotate(total=Sum("amount"))
            .values_list("account", "total")
        )
        paid = net.get("visitor", 0)
        received = sum(
            v
            for a, v in net.items()
            if a.split(":")[0] in ("provider", "beneficiary", "tax", "platform")
        )
        assert paid == -received
        # The visitor got back exactly the refunded fraction of what they paid, rounded
        # half up once; every other account moved in proportion, within a cent a refund.
        total_paid = expected["visitor"]
        kept = total_paid - round_half_up(
            Decimal(total_paid) * reversed_fraction.numerator / reversed_fraction.denominator
        )
        assert paid == kept
        refunds_done = sale.reversals.count()
        for account, original in expected.items():
            left_on_account = net.get(account, 0)
            assert abs(left_on_account) <= abs(original)
            assert left_on_account == 0 or (left_on_account > 0) == (original > 0)
            exact = Fraction(original) * (1 - reversed_fraction)
            assert abs(left_on_account - exact) <= refunds_done + 1
        if reversed_fraction == 1:
            assert all(value == 0 for value in net.values())

    # Every transaction sums to zero.
    assert not (
        LedgerEntry.objects.values("transaction")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .exists()
    )
    # Balances are the sums of the entries.
    totals: dict[str, int] = {}
    for account, amount in LedgerEntry.objects.values_list("account", "amount"):
        totals[account] = totals.get(account, 0) + amount
    assert balances(site=site) == dict(sorted(totals.items()))
    for account, total in totals.items():
        assert account_balance(account=account, site=site) == total
