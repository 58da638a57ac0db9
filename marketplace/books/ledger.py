"""Writes to the ledger: post a balanced transaction, reverse (part of) one, the entries
of a commission quote, and those that set the VAT included in a commission aside to
``tax:vat`` and give the refunded part of it back (:func:`vat_set_aside_entries`,
:func:`vat_refund_entries`).

Nothing else writes the ledger (DESIGN.md §4). Amounts are ``int`` cents, signed as
:mod:`marketplace.books.models` explains (debit positive, credit negative). Every write is
idempotent: the caller gives a deterministic ``idempotency_key`` (``order:42:confirmed``,
``booking:7:refund:1``) and posting it again returns the transaction already recorded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext
from fractions import Fraction

from django.db import IntegrityError
from django.db import transaction as db
from django.db.models import Q, Sum
from django.utils.text import slugify

from commissions.engine import OPERATOR, Quote, split_largest_remainder
from commissions.money import round_half_up
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind

VISITOR_ACCOUNT = "visitor"
CLEARING_ACCOUNT = "platform:clearing"
PSP_FEES_ACCOUNT = "platform:psp_fees"
OPERATOR_ACCOUNT = "platform:operator"
# The operator's own bank account: bank transfers (SEPA payout runs) leave from it. Not
# ``platform:clearing``, which is the Stripe balance and is reconciled against Stripe.
BANK_ACCOUNT = "platform:bank"
# The VAT included in the commissions (when the territory's operator is subject to VAT),
# set aside from the commission accounts at confirmation: owed to the State, never to a
# beneficiary (:func:`vat_set_aside_entries`).
VAT_ACCOUNT = "tax:vat"
# The commission engine allocates to this key when a rule has no distribution key:
# the operator keeps the commission.
ENGINE_OPERATOR_KEY = OPERATOR

REF_FIELDS = ("order_ref", "booking_ref", "external_ref")
ACCOUNT_RE = re.compile(r"^(visitor|provider|beneficiary|tax|platform)(:[^\s:]+)*$")
ACCOUNT_MAX_LENGTH = LedgerEntry._meta.get_field("account").max_length
KEY_MAX_LENGTH = LedgerTransaction._meta.get_field("idempotency_key").max_length
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# Far beyond any real amount, well within a signed 64-bit column even when summed.
AMOUNT_LIMIT = 10**15

Entries = list[tuple[str, int]]


class LedgerError(ValueError):
    """A ledger write that cannot be accepted as asked."""


class LedgerUnbalancedError(LedgerError):
    """The entries of a transaction do not sum to zero."""


class LedgerConflictError(LedgerError):
    """An idempotency key already names a transaction with different content."""


class LedgerReversalError(LedgerError):
    """A reversal that would undo something that cannot be undone (again)."""


# --- Accounts ----------------------------------------------------------------------------


def provider_account(provider_id: int) -> str:
    return f"provider:{int(provider_id)}"


def beneficiary_account(key: str) -> str:
    """The account of a commission beneficiary; the engine's ``operator`` is the platform's."""
    if key == ENGINE_OPERATOR_KEY:
        return OPERATOR_ACCOUNT
    return _checked_account(f"beneficiary:{key}")


def tourist_tax_account(commune: str) -> str:
    """``tax:tourist:<commune slug>``: one account per commune collecting the tax."""
    slug = slugify(commune)
    if not slug:
        raise LedgerError(f"no commune to collect the tourist tax for: {commune!r}")
    return f"tax:tourist:{slug}"


def account_kind(account: str) -> str:
    """``provider`` for ``provider:12``: what reports group balances by."""
    return account.split(":", 1)[0]


def _checked_account(account) -> str:
    if (
        not isinstance(account, str)
        or len(account) > ACCOUNT_MAX_LENGTH
        or not ACCOUNT_RE.match(account)
    ):
        raise LedgerError(
            f"not a ledger account: {account!r} (expected visitor, provider:<id>, "
            "beneficiary:<key>, tax:<...>, platform:<...>)"
        )
    return account


# --- Entries -----------------------------------------------------------------------------


def _normalised(entries: Iterable[tuple[str, int]], *, allow_empty: bool = False) -> Entries:
    """The entries checked (accounts, int amounts, no zero, no repeat, sum zero), sorted."""
    if isinstance(entries, str | bytes | dict):
        raise LedgerError("entries must be a list of (account, cents) pairs")
    checked: dict[str, int] = {}
    for item in entries:
        try:
            account, amount = item
        except (TypeError, ValueError) as exc:
            raise LedgerError(f"not an (account, cents) pair: {item!r}") from exc
        account = _checked_account(account)
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise LedgerError(f"amounts are int cents, not {type(amount).__name__}: {item!r}")
        if amount == 0:
            raise LedgerError(f"an entry of zero moves nothing: {item!r}")
        if abs(amount) >= AMOUNT_LIMIT:
            raise LedgerError(f"amount out of range: {item!r}")
        if account in checked:
            raise LedgerError(f"account {account!r} appears twice; merge its entries")
        checked[account] = amount
    if not checked and not allow_empty:
        raise LedgerError("a transaction needs at least one entry")
    total = sum(checked.values())
    if total != 0:
        raise LedgerUnbalancedError(f"entries sum to {total} cents, not zero: {checked}")
    return sorted(checked.items())


def entries_merge(*entry_lists: Iterable[tuple[str, int]]) -> Entries:
    """Several lists of entries as one (sums per account, zeros dropped), e.g. the lines
    of an order paid at once."""
    merged: dict[str, int] = {}
    for entries in entry_lists:
        for account, amount in entries:
            merged[account] = merged.get(account, 0) + amount
    return sorted((account, amount) for account, amount in merged.items() if amount)


def quote_entries(
    *,
    quote: Quote,
    provider_account: str,
    visitor_account: str = VISITOR_ACCOUNT,
    tax_cents: int = 0,
    tax_account: str | None = None,
) -> Entries:
    """The balanced entries of a confirmed booking priced by the commission engine.

    The visitor is debited what they pay (``visitor_total`` plus the tourist tax); the
    provider is credited its net, each beneficiary its allocation, the tax account the
    tax (never commissioned). Zero amounts are left out, so a free booking gives ``[]``.
    """
    if isinstance(tax_cents, bool) or not isinstance(tax_cents, int) or tax_cents < 0:
        raise LedgerError(f"the tax is a non-negative int of cents, not {tax_cents!r}")
    if tax_cents and not tax_account:
        raise LedgerError("a tax amount needs its tax account")
    parts: list[tuple[str, int]] = [
        (_checked_account(visitor_account), quote.visitor_total + tax_cents),
        (_checked_account(provider_account), -quote.provider_net),
    ]
    parts += [(beneficiary_account(key), -amount) for key, amount in quote.allocations.items()]
    if tax_cents:
        parts.append((_checked_account(tax_account), -tax_cents))
    entries = entries_merge(parts)
    if sum(amount for _, amount in entries) != 0:
        raise LedgerUnbalancedError(f"the quote does not balance: {quote!r}")
    return entries


def vat_set_aside_entries(*, commission: Sequence[tuple[str, int]], vat_cents: int) -> Entries:
    """The balanced entries setting ``vat_cents`` aside from a booking's commission.

    ``commission`` is what the confirmation credited each commission account
    (``beneficiary:<key>``, ``platform:operator``), in positive cents. Each is debited
    its part of the VAT, split by the largest remainder in proportion to its credit,
    and ``tax:vat`` is credited the whole. The VAT is at most the commission, so no
    account gives more than it was credited. ``[]`` when there is nothing to set aside.
    """
    if isinstance(vat_cents, bool) or not isinstance(vat_cents, int) or vat_cents < 0:
        raise LedgerError(f"the VAT is a non-negative int of cents, not {vat_cents!r}")
    credits = sorted((_checked_account(account), amount) for account, amount in commission)
    if any(amount <= 0 for _, amount in credits):
        raise LedgerError(f"a commission credit is positive: {credits}")
    if vat_cents > sum(amount for _, amount in credits):
        raise LedgerError(f"VAT of {vat_cents} cents on a commission of {credits}")
    if not vat_cents:
        return []
    shares = split_largest_remainder(vat_cents, [amount for _, amount in credits])
    parts = [(account, share) for (account, _), share in zip(credits, shares, strict=True)]
    return entries_merge(parts, [(VAT_ACCOUNT, -vat_cents)])


# --- Posting -----------------------------------------------------------------------------


def ledger_post(
    *,
    site,
    kind: str,
    idempotency_key: str,
    entries: Sequence[tuple[str, int]],
    currency: str = "EUR",
    memo: str = "",
    by=None,
    occurred_at: dt.datetime | None = None,
    **refs: str | int,
) -> LedgerTransaction:
    """Record one balanced transaction, atomically, once per idempotency key.

    ``entries`` are ``(account, cents)`` pairs summing to zero (debit positive). ``refs``
    are plain references: ``order_ref``, ``booking_ref``, ``external_ref``. Posting an
    existing key returns that transaction; with different site, kind, currency or
    entries it raises :class:`LedgerConflictError`. ``occurred_at`` back-dates the money
    event (imports, demo data); the recording time is always now.
    """
    if kind not in TransactionKind.values:
        raise LedgerError(f"unknown transaction kind {kind!r}")
    if kind == TransactionKind.REVERSAL:
        raise LedgerError("reversals are posted with ledger_reverse()")
    return _post(
        site=site,
        kind=kind,
        idempotency_key=idempotency_key,
        entries=_normalised(entries),
        currency=currency,
        memo=memo,
        by=by,
        occurred_at=occurred_at,
        refs=refs,
    )


def _post(
    *,
    site,
    kind,
    idempotency_key,
    entries: Entries,
    currency,
    memo,
    by,
    occurred_at,
    refs,
    reverses: LedgerTransaction | None = None,
    fraction: Fraction | None = None,
) -> LedgerTransaction:
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise LedgerError("an idempotency key is required")
    if len(idempotency_key) > KEY_MAX_LENGTH:
        raise LedgerError(f"idempotency key longer than {KEY_MAX_LENGTH} characters")
    if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
        raise LedgerError(f"a currency is three capital letters (ISO 4217), not {currency!r}")
    unknown = set(refs) - set(REF_FIELDS)
    if unknown:
        raise TypeError(f"unknown reference(s) {sorted(unknown)}; use {', '.join(REF_FIELDS)}")
    if site is None or getattr(site, "pk", None) is None:
        raise LedgerError("a transaction belongs to a saved territory (site)")

    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_or_conflict(existing, site=site, kind=kind, currency=currency, entries=entries)
    tx = LedgerTransaction(
        site=site,
        kind=kind,
        idempotency_key=idempotency_key,
        currency=currency,
        memo=(memo or "")[:255],
        reverses=reverses,
        fraction_numerator=fraction.numerator if fraction is not None else None,
        fraction_denominator=fraction.denominator if fraction is not None else None,
        created_by=by if getattr(by, "is_authenticated", False) else None,
        **{name: str(value) for name, value in refs.items() if value is not None},
    )
    if occurred_at is not None:
        tx.occurred_at = occurred_at
    try:
        with db.atomic():
            tx.save()
            LedgerEntry.objects.bulk_create(
                LedgerEntry(transaction=tx, account=account, amount=amount)
                for account, amount in entries
            )
    except IntegrityError:
        # Another process posted the same key between our look-up and our insert.
        existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_or_conflict(existing, site=site, kind=kind, currency=currency, entries=entries)
    return tx


def _same_or_conflict(existing, *, site, kind, currency, entries: Entries) -> LedgerTransaction:
    recorded = sorted(existing.entries.values_list("account", "amount"))
    if (
        existing.site_id != site.pk
        or existing.kind != kind
        or existing.currency != currency
        or recorded != [tuple(entry) for entry in entries]
    ):
        raise LedgerConflictError(
            f"idempotency key {existing.idempotency_key!r} already names transaction "
            f"{existing.pk} ({existing.kind}, {recorded}), not this one ({kind}, {entries})"
        )
    return existing


# --- Reversals ---------------------------------------------------------------------------


def _round_fraction(value: Fraction) -> int:
    """The project's one rounding rule (half-up on cents) applied to an exact fraction."""
    with localcontext() as context:
        context.prec = 100
        return round_half_up(Decimal(value.numerator) / Decimal(value.denominator))


def _checked_fraction(fraction) -> Fraction | None:
    if fraction is None:
        return None
    try:
        numerator, denominator = fraction
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"a fraction is (numerator, denominator), not {fraction!r}") from exc
    for value in (numerator, denominator):
        if isinstance(value, bool) or not isinstance(value, int):
            raise LedgerError(f"a fraction is made of ints, not {fraction!r}")
    if not 0 < numerator <= denominator:
        raise LedgerError(f"a reversal undoes more than nothing and at most all: {fraction!r}")
    return Fraction(numerator, denominator)


def _reversed_fraction(original: LedgerTransaction) -> Fraction:
    return sum(
        (
            Fraction(numerator, denominator)
            for numerator, denominator in original.reversals.values_list(
                "fraction_numerator", "fraction_denominator"
            )
        ),
        Fraction(0),
    )


def reversal_entries(
    *, transaction: LedgerTransaction, fraction: tuple[int, int] | None = None
) -> Entries:
    """The entries :func:`ledger_reverse` would post now (for showing a refund first).

    How a fraction ``f`` of a transaction is undone, given that a fraction ``F`` of it
    was already: the debits to reverse in total are ``round_half_up(D × (F + f))`` minus
    what earlier reversals took back, ``D`` being the transaction's total debit; that
    total is split among the debit accounts in proportion to what is left on each, by
    the largest remainder method, and the same for the credits. So every reversal sums to
    zero exactly, never takes back more than is left on an account, and reversals that
    add up to the whole leave every account of the transaction at exactly zero.
    """
    original = transaction
    if original.reverses_id is not None:
        raise LedgerReversalError(
            f"transaction {original.pk} is itself a reversal; post an adjustment instead"
        )
    done = _reversed_fraction(original)
    left = 1 - done
    if left <= 0:
        raise LedgerReversalError(f"transaction {original.pk} is already fully reversed")
    share = _checked_fraction(fraction)
    if share is None:
        share = left
    elif share > left:
        raise LedgerReversalError(
            f"only {left} of transaction {original.pk} is left to reverse, not {share}"
        )
    amounts = dict(original.entries.values_list("account", "amount"))
    taken = dict(
        LedgerEntry.objects.filter(transaction__reverses=original)
        .values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    debit = sum(amount for amount in amounts.values() if amount > 0)
    target = _round_fraction(debit * (done + share))
    result: list[tuple[str, int]] = []
    for sign in (1, -1):
        accounts = sorted(a for a, amount in amounts.items() if amount * sign > 0)
        remaining = [sign * (amounts[a] + taken.get(a, 0)) for a in accounts]
        already = sum(sign * amounts[a] for a in accounts) - sum(remaining)
        to_take = target - already
        if not 0 <= to_take <= sum(remaining):
            raise LedgerReversalError(f"inconsistent reversals of transaction {original.pk}")
        if to_take:
            parts = split_largest_remainder(to_take, remaining)
            result += [(a, -sign * part) for a, part in zip(accounts, parts, strict=True) if part]
    return _normalised(result, allow_empty=True)


def vat_refund_entries(*, confirmation: LedgerTransaction, set_aside: LedgerTransaction) -> Entries:
    """The entries that bring the VAT set aside from a booking's commission back in line
    with what the refunds left of the commission (``[]`` when it already is).

    The VAT still set aside is ``V − round_half_up(V × F)``, ``V`` the set-aside and
    ``F`` the fraction of the ``confirmation`` refunded so far: the same fraction and the
    same rounding as :func:`ledger_reverse` would take back of it. It is split among the
    commission accounts in proportion to the commission each still holds (largest
    remainder), never more than that commission: so no commission account is ever owed
    less than nothing, whatever the roundings of the refunds, and once the confirmation
    is fully refunded the set-aside is fully given back. Reads the ``vat`` transactions
    of the set-aside's booking (``booking_ref``), the set-aside and its corrections.
    """
    if not set_aside.booking_ref:
        raise LedgerError("a VAT set-aside names its booking (booking_ref)")
    vat = -sum(
        amount
        for account, amount in set_aside.entries.values_list("account", "amount")
        if account == VAT_ACCOUNT
    )
    refunded = _reversed_fraction(confirmation)
    left: dict[str, int] = {}
    for account, amount in LedgerEntry.objects.filter(
        Q(transaction=confirmation) | Q(transaction__reverses=confirmation)
    ).values_list("account", "amount"):
        left[account] = left.get(account, 0) - amount
    commission = {a: amount for a, amount in left.items() if _is_commission(a) and amount > 0}
    current: dict[str, int] = {}
    for account, amount in LedgerEntry.objects.filter(
        transaction__site_id=set_aside.site_id,
        transaction__kind=TransactionKind.VAT,
        transaction__booking_ref=set_aside.booking_ref,
    ).values_list("account", "amount"):
        current[account] = current.get(account, 0) + amount
    target_total = min(vat - _round_fraction(vat * refunded), sum(commission.values()))
    accounts = sorted(commission)
    target = dict(
        zip(
            accounts,
            split_largest_remainder(target_total, [commission[a] for a in accounts])
            if accounts
            else [],
            strict=True,
        )
    )
    target[VAT_ACCOUNT] = -target_total
    changes = [
        (account, target.get(account, 0) - current.get(account, 0))
        for account in sorted({*target, *current})
    ]
    return _normalised([(a, amount) for a, amount in changes if amount], allow_empty=True)


def _is_commission(account: str) -> bool:
    return account.startswith("beneficiary:") or account == OPERATOR_ACCOUNT


def ledger_reverse(
    *,
    transaction: LedgerTransaction,
    idempotency_key: str,
    fraction: tuple[int, int] | None = None,
    by=None,
    kind: str | None = None,
    memo: str = "",
    occurred_at: dt.datetime | None = None,
) -> LedgerTransaction:
    """Undo a transaction, in full or a fraction of it, with a new opposite transaction.

    ``fraction=(1, 2)`` undoes half of the original (of each account, rounded as
    :func:`reversal_entries` explains); ``None`` undoes all that is still standing.
    Reversals of one transaction add up to at most the whole; a reversal itself cannot
    be reversed. The kind is ``refund`` for an order confirmation, ``reversal``
    otherwise, unless given. Idempotent on ``idempotency_key``. When the fraction is so
    small that it rounds to nothing, the reversal is recorded with no entries, so the
    fractions of later reversals still add up.
    """
    share = _checked_fraction(fraction)
    if kind is None:
        kind = (
            TransactionKind.REFUND
            if transaction.kind == TransactionKind.ORDER_CONFIRMED
            else TransactionKind.REVERSAL
        )
    elif kind not in (TransactionKind.REFUND, TransactionKind.REVERSAL):
        raise LedgerError(f"a reversal is a refund or a reversal, not {kind!r}")
    with db.atomic():
        # Lock the original so that two refunds of it never both take the same part.
        original = LedgerTransaction.objects.select_for_update().get(pk=transaction.pk)
        existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.reverses_id != original.pk or (
                share is not None
                and Fraction(existing.fraction_numerator, existing.fraction_denominator) != share
            ):
                raise LedgerConflictError(
                    f"idempotency key {idempotency_key!r} already names transaction "
                    f"{existing.pk}, not this reversal of {original.pk}"
                )
            return existing
        if share is None:
            share = 1 - _reversed_fraction(original)
            if share <= 0:
                raise LedgerReversalError(f"transaction {original.pk} is already fully reversed")
        entries = reversal_entries(
            transaction=original, fraction=(share.numerator, share.denominator)
        )
        return _post(
            site=original.site,
            kind=kind,
            idempotency_key=idempotency_key,
            entries=entries,
            currency=original.currency,
            memo=memo or f"{share} of {original.idempotency_key}",
            by=by,
            occurred_at=occurred_at,
            refs={name: getattr(original, name) for name in REF_FIELDS},
            reverses=original,
            fraction=share,
        )
