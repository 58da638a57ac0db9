"""Payout runs: pay by bank transfer what is payable to the recipients Stripe does not pay.

A run pays, as of a day (``until``), what :func:`marketplace.payouts.payable.payable_balances`
says is payable to each provider, commission beneficiary and commune's tax collector of a
territory, **except** those Stripe pays (a provider with a Stripe account whose payouts are
enabled, a beneficiary with an approved Stripe account): Stripe transfers pay them.

- :func:`payout_run_plan`: what a run would pay and whom it would skip (no bank details
  approved at the run's date; a recipient who owes the territory money, the debt being
  carried to later credits). A pure read.
- :func:`payout_run_prepare`: the run, recorded. Each line is a ``payout`` transaction in
  the ledger (``payout:<reference>:<account>``: the recipient's account debited, the
  operator's bank account ``platform:bank`` credited), so the money is no longer payable
  and a second run pays only what is left. Under a lock on the territory's
  :class:`~marketplace.payouts.models.PayoutSettings` row: two runs prepared at once never
  pay the same euro.
- :func:`payout_run_mark_sent`: finance sent the file to the bank (idempotent); each
  recipient paid is e-mailed its statement after commit
  (:func:`marketplace.payouts.notify.payout_run_statements_send`).
- :func:`payout_run_cancel`: before it is sent only; each payout is reversed in the ledger,
  the money is payable again.
- :func:`payout_runs_scheduled`: the monthly runs (the territories whose ``run_day`` is
  today), finance told after commit; called daily by :mod:`marketplace.payouts.tasks`.

The SEPA file of a run is made by :mod:`marketplace.payouts.sepa`. Every step is in the
audit log (:mod:`marketplace.payouts.audit`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commissions.money import money
from commissions.selectors import beneficiary_payout_accounts
from marketplace.books.ledger import BANK_ACCOUNT, ledger_post, ledger_reverse
from marketplace.books.models import TransactionKind
from marketplace.models import Provider, TerritorySettings
from marketplace.payouts import audit
from marketplace.payouts.models import (
    BankAccount,
    PayoutLine,
    PayoutRun,
    PayoutRunStatus,
    PayoutSettings,
    PayoutSkip,
    PayoutSkipReason,
)
from marketplace.payouts.notify import payout_run_prepared_notify, payout_run_statements_send
from marketplace.payouts.payable import payable_balances
from marketplace.payouts.recipients import KIND_PREFIXES, account_kind, recipients_for
from marketplace.payouts.selectors import approved_bank_accounts

logger = logging.getLogger(__name__)

REFERENCE_PREFIX = "VIR"
SEPA_CURRENCY = "EUR"


class PayoutRunRefused(Exception):
    """What was asked cannot be done (now); the message says why, in the user's language,
    and ``code`` what it is: ``until``, ``no_debtor_account``, ``currency``,
    ``nothing_to_pay``, ``plan_changed``, ``sent``, ``cancelled``."""

    def __init__(self, message, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class PlannedPayout:
    account: str
    kind: str
    name: str
    amount: int
    bank_account: BankAccount

    @property
    def holder_name(self) -> str:
        return self.bank_account.holder_name

    @property
    def iban(self) -> str:
        return self.bank_account.iban

    @property
    def iban_display(self) -> str:
        return self.bank_account.iban_display


@dataclass(frozen=True)
class PlannedSkip:
    account: str
    kind: str
    name: str
    reason: str
    amount: int  # what it would have been paid, or what it owes (``owes``)

    @property
    def reason_label(self) -> str:
        return str(PayoutSkipReason(self.reason).label)


@dataclass(frozen=True)
class RunPlan:
    site: object
    until: dt.date
    payouts: tuple[PlannedPayout, ...]
    skipped: tuple[PlannedSkip, ...]
    has_debtor_account: bool

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.payouts)


def stripe_paid_accounts(*, site) -> set[str]:
    """The ledger accounts of ``site`` that Stripe transfers pay (never a bank run)."""
    found = {
        f"provider:{pk}"
        for pk in Provider.objects.filter(site=site, payouts_enabled=True)
        .exclude(stripe_account_id="")
        .values_list("pk", flat=True)
    }
    found |= {f"beneficiary:{key}" for key in beneficiary_payout_accounts(site_id=site.pk)}
    return found


def _until_checked(until: dt.date) -> dt.date:
    if not isinstance(until, dt.date) or isinstance(until, dt.datetime):
        raise PayoutRunRefused(_("A payout run needs the day it pays up to."), "until")
    if until > timezone.localdate():
        raise PayoutRunRefused(
            _(
                "A payout run pays what is payable up to today at the latest: "
                "%(until)s is in the future."
            )
            % {"until": until.isoformat()},
            "until",
        )
    return until


def payout_run_plan(*, site, until: dt.date, at: dt.datetime | None = None) -> RunPlan:
    """What a run as of ``until`` would pay (bank details in force at ``at``, now by
    default) and whom it would skip; writes nothing. A few queries, whatever the number of
    recipients."""
    _until_checked(until)
    at = at or timezone.now()
    balances = payable_balances(site=site, on=until, prefixes=KIND_PREFIXES.values())
    by_stripe = stripe_paid_accounts(site=site)
    amounts: dict[str, int] = {}
    for account, balance in balances.items():
        if account in by_stripe or account_kind(account) is None:
            continue
        # Never more than the ledger owes in all (payable now and due later).
        amount = min(balance.payable, balance.credited)
        if amount:
            amounts[account] = amount
    recipients = recipients_for(site=site, accounts=amounts)
    details = approved_bank_accounts(
        site=site, accounts=[a for a, amount in amounts.items() if amount > 0], at=at
    )
    payouts, skipped = [], []
    for account, amount in amounts.items():
        recipient = recipients.get(account)
        kind = account_kind(account)
        name = recipient.name if recipient else account
        if recipient is None:
            skipped.append(
                PlannedSkip(
                    account, kind, name, PayoutSkipReason.UNKNOWN_RECIPIENT.value, abs(amount)
                )
            )
        elif amount < 0:
            skipped.append(PlannedSkip(account, kind, name, PayoutSkipReason.OWES.value, -amount))
        elif account not in details:
            skipped.append(
                PlannedSkip(account, kind, name, PayoutSkipReason.NO_BANK_DETAILS.value, amount)
            )
        else:
            payouts.append(PlannedPayout(account, kind, name, amount, details[account]))
    order = list(KIND_PREFIXES)

    def sort_key(row):
        return (order.index(row.kind), row.name.lower(), row.account)

    return RunPlan(
        site=site,
        until=until,
        payouts=tuple(sorted(payouts, key=sort_key)),
        skipped=tuple(sorted(skipped, key=sort_key)),
        has_debtor_account=PayoutSettings.for_site(site).has_debtor_account,
    )


def payout_key(reference: str, account: str) -> str:
    return f"payout:{reference}:{account}"


def _settings_locked(site) -> PayoutSettings:
    """The territory's payout settings, row locked until the end of the transaction: the
    lock every run of the territory takes first."""
    settings_row = PayoutSettings.for_site(site)
    return PayoutSettings.objects.select_for_update().get(pk=settings_row.pk)


def _run_create(*, site, now: dt.datetime, **fields) -> PayoutRun:
    """The run with the next free reference of the day, ``VIR-2026-12-05-1``."""
    prefix = f"{REFERENCE_PREFIX}-{timezone.localdate(now):%Y-%m-%d}-"
    number = PayoutRun.objects.filter(reference__startswith=prefix).count() + 1
    while True:
        try:
            with transaction.atomic():
                return PayoutRun.objects.create(
                    site=site, reference=f"{prefix}{number}", prepared_at=now, **fields
                )
        except IntegrityError:
            # Another territory's run took this number meanwhile (each locks its own row).
            if not PayoutRun.objects.filter(reference=f"{prefix}{number}").exists():
                raise
            number += 1


def payout_run_check(*, site, settings_row: PayoutSettings | None = None) -> str:
    """The territory's currency if a run can be prepared there, else
    :class:`PayoutRunRefused`: the operator's debtor account is missing, or the currency
    is not the euro."""
    settings_row = settings_row or PayoutSettings.for_site(site)
    if not settings_row.has_debtor_account:
        raise PayoutRunRefused(
            _(
                "The operator's bank account (holder, IBAN, BIC) is missing from the "
                "payout settings: no transfer file can be made. Fill it in first."
            ),
            "no_debtor_account",
        )
    currency = TerritorySettings.for_site(site).currency
    if currency != SEPA_CURRENCY:
        raise PayoutRunRefused(
            _("SEPA transfers are in euros; this territory's currency is %(currency)s.")
            % {"currency": currency},
            "currency",
        )
    return currency


def payout_run_prepare(
    *,
    site,
    until: dt.date,
    by=None,
    automatic: bool = False,
    expected_total: int | None = None,
) -> PayoutRun:
    """Prepare and record the run as of ``until``: its lines are ``payout`` transactions in
    the ledger at once (the money is no longer payable), its skips listed.

    Raises :class:`PayoutRunRefused` (nothing written) without the operator's debtor
    account, in a currency other than the euro, when there is nothing to pay, or when
    ``expected_total`` (the total the person confirmed) is no longer the plan's total
    (``plan_changed``: something was paid, refunded or approved meanwhile).
    """
    _until_checked(until)
    with transaction.atomic():
        settings_row = _settings_locked(site)
        currency = payout_run_check(site=site, settings_row=settings_row)
        now = timezone.now()
        plan = payout_run_plan(site=site, until=until, at=now)
        if not plan.payouts:
            raise PayoutRunRefused(
                _("Nothing to pay by bank transfer as of %(until)s: no run was prepared.")
                % {"until": until.isoformat()},
                "nothing_to_pay",
            )
        if expected_total is not None and plan.total != expected_total:
            raise PayoutRunRefused(
                _(
                    "What is payable changed since the plan was shown (%(shown)s, now "
                    "%(total)s): no run was prepared. Check the new plan, then prepare it."
                )
                % {
                    "shown": money(expected_total, currency=currency),
                    "total": money(plan.total, currency=currency),
                },
                "plan_changed",
            )
        run = _run_create(
            site=site,
            now=now,
            until=until,
            currency=currency,
            automatic=automatic,
            debtor_name=settings_row.debtor_name,
            debtor_iban=settings_row.debtor_iban,
            debtor_bic=settings_row.debtor_bic,
            prepared_by=by if getattr(by, "pk", None) else None,
        )
        lines = []
        for payout in plan.payouts:
            tx = ledger_post(
                site=site,
                kind=TransactionKind.PAYOUT,
                idempotency_key=payout_key(run.reference, payout.account),
                entries=[(payout.account, payout.amount), (BANK_ACCOUNT, -payout.amount)],
                currency=currency,
                memo=f"{run.reference} {payout.name}",
                by=by,
                occurred_at=now,
                external_ref=run.reference,
            )
            details = payout.bank_account
            lines.append(
                PayoutLine(
                    run=run,
                    account=payout.account,
                    name=payout.name,
                    holder_name=details.holder_name,
                    iban=details.iban,
                    bic=details.bic,
                    bank_account=details,
                    amount=payout.amount,
                    transaction=tx,
                )
            )
        PayoutLine.objects.bulk_create(lines)
        PayoutSkip.objects.bulk_create(
            PayoutSkip(run=run, account=s.account, name=s.name, reason=s.reason, amount=s.amount)
            for s in plan.skipped
        )
        audit.record_run(run, audit.RUN_PREPARED, user=by, data={"automatic": automatic})
    return run


def payout_run_mark_sent(*, run: PayoutRun, by) -> tuple[PayoutRun, bool]:
    """Finance sent the run's file to the bank. ``(run, changed)``: ``changed`` is False
    when it was already marked as sent. A cancelled run cannot be."""
    with transaction.atomic():
        run = PayoutRun.objects.select_for_update().get(pk=run.pk)
        if run.status == PayoutRunStatus.SENT:
            return run, False
        if run.status == PayoutRunStatus.CANCELLED:
            raise PayoutRunRefused(
                _("This payout run was cancelled: it cannot be sent to the bank."), "cancelled"
            )
        run.status = PayoutRunStatus.SENT
        run.sent_at = timezone.now()
        run.sent_by = by if getattr(by, "pk", None) else None
        run.save(update_fields=["status", "sent_at", "sent_by"])
        audit.record_run(run, audit.RUN_SENT, user=by)
        # Each recipient paid gets its statement, once the money has left.
        transaction.on_commit(lambda pk=run.pk: payout_run_statements_send(pk))
    return run, True


def payout_run_cancel(*, run: PayoutRun, by) -> tuple[PayoutRun, bool]:
    """Cancel a run not sent yet: each of its payouts is reversed in the ledger, so the
    money is payable again (to the next run). ``(run, changed)``; a run already sent to the
    bank cannot be cancelled."""
    with transaction.atomic():
        run = PayoutRun.objects.select_for_update().get(pk=run.pk)
        if run.status == PayoutRunStatus.CANCELLED:
            return run, False
        if run.status == PayoutRunStatus.SENT:
            raise PayoutRunRefused(
                _(
                    "This payout run was sent to the bank: it can no longer be cancelled. "
                    "Ask the bank to recall a transfer; the ledger is corrected by an "
                    "adjustment."
                ),
                "sent",
            )
        for line in run.lines.select_related("transaction").order_by("pk"):
            ledger_reverse(
                transaction=line.transaction,
                idempotency_key=f"{payout_key(run.reference, line.account)}:cancelled",
                by=by,
                memo=f"{run.reference} cancelled",
            )
        run.status = PayoutRunStatus.CANCELLED
        run.cancelled_at = timezone.now()
        run.cancelled_by = by if getattr(by, "pk", None) else None
        run.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        audit.record_run(run, audit.RUN_CANCELLED, user=by)
    return run, True


def payout_runs_scheduled(*, today: dt.date | None = None) -> list[PayoutRun]:
    """Prepare the monthly run of each territory whose ``run_day`` is ``today``'s day and
    that had no automatic run this month yet (a cancelled one counts: finance decided).
    Finance is e-mailed after commit that it awaits review. A territory with nothing to
    pay gets no run; one without a debtor account, or whose run fails, is logged and
    skipped, and the others get theirs."""
    today = today or timezone.localdate()
    month_start = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))
    prepared = []
    due = PayoutSettings.objects.filter(run_day=today.day).select_related("site")
    for settings_row in due.order_by("site_id"):
        site = settings_row.site
        if PayoutRun.objects.filter(
            site=site, automatic=True, prepared_at__gte=month_start
        ).exists():
            continue
        try:
            run = payout_run_prepare(site=site, until=today, automatic=True)
        except PayoutRunRefused as refused:
            if refused.code != "nothing_to_pay":
                logger.warning("no payout run for %s: %s", site, refused.message)
            continue
        except Exception:
            # One territory's failure (rolled back) does not keep the others from their run.
            logger.exception("the payout run of %s failed", site)
            continue
        transaction.on_commit(lambda pk=run.pk: payout_run_prepared_notify(pk))
        prepared.append(run)
    return prepared
