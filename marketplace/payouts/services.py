"""Writes of bank details: submit, approve, reject. The rules are enforced here, not in
the views:

- a submission is checked (IBAN, BIC: :mod:`marketplace.payouts.iban`) and stays
  **pending**; the approved details stay in force until it is approved;
- a newer submission supersedes a pending one (only one waits at a time);
- **a second person approves**: an approver (:func:`~marketplace.payouts.permissions.can_review`)
  who is neither the submitter nor a member of the provider concerned; approval
  supersedes the details in force, in one transaction, rows locked;
- a rejection needs a reason and leaves the details in force as they are;
- every step is in the audit log (:mod:`marketplace.payouts.audit`), old → new masked;
  a decision e-mails the submitter and the provider's members after commit
  (:mod:`marketplace.payouts.notify`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.payouts import audit
from marketplace.payouts.iban import bank_details_clean
from marketplace.payouts.models import HOLDER_MAX_LENGTH, BankAccount, BankAccountStatus
from marketplace.payouts.notify import bank_account_decision_notify
from marketplace.payouts.permissions import can_review, manages_provider
from marketplace.payouts.recipients import Recipient, recipient_for


class BankAccountRefused(Exception):
    """What was asked is not allowed or no longer possible; the message says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _refuse(message):
    raise BankAccountRefused(message)


def may_submit(*, user, recipient: Recipient) -> bool:
    """Approvers submit for any recipient of their territory; a provider's members for
    their own provider only."""
    return can_review(user) or (
        recipient.kind == "provider" and manages_provider(user, recipient.provider_id)
    )


@transaction.atomic
def bank_account_submit(
    *, site, account: str, holder_name: str, iban: str, bic: str = "", by
) -> BankAccount:
    """Submit new bank details for ``account``; they wait for a second person's approval.

    Raises ``ValidationError`` (per field) on bad details and :class:`BankAccountRefused`
    when ``by`` may not submit for this recipient; nothing is written then.
    """
    recipient = recipient_for(site=site, account=account)
    if recipient is None or not may_submit(user=by, recipient=recipient):
        _refuse(_("You cannot change the bank details of this recipient."))
    holder = " ".join((holder_name or "").split())
    errors = {}
    if not holder:
        errors["holder_name"] = [_("Give the account holder's name, as the bank knows it.")]
    elif len(holder) > HOLDER_MAX_LENGTH:
        errors["holder_name"] = [_("At most 70 characters (the limit of a SEPA transfer).")]
    try:
        iban_value, bic_value, derived = bank_details_clean(iban=iban, bic=bic)
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    in_force = BankAccount.objects.for_site(site).approved().filter(account=account).first()
    for earlier in (
        BankAccount.objects.select_for_update().for_site(site).pending().filter(account=account)
    ):
        earlier.status = BankAccountStatus.SUPERSEDED
        earlier.superseded_at = now
        earlier.save(update_fields=["status", "superseded_at"])
        audit.record(earlier, audit.SUPERSEDED, user=by, old=in_force)
    try:
        with transaction.atomic():
            created = BankAccount.objects.create(
                site=site,
                account=account,
                holder_name=holder,
                iban=iban_value,
                bic=bic_value,
                bic_derived=derived,
                submitted_by=by if getattr(by, "pk", None) else None,
                submitted_at=now,
            )
    except IntegrityError:
        _refuse(_("Someone else submitted bank details at the same moment: try again."))
    audit.record(created, audit.SUBMITTED, user=by, old=in_force)
    return created


def _locked_pending(bank_account: BankAccount) -> BankAccount:
    row = BankAccount.objects.select_for_update().filter(pk=bank_account.pk).first()
    if row is None or row.status != BankAccountStatus.PENDING:
        _refuse(_("These bank details are no longer awaiting approval."))
    return row


def _check_reviewer(row: BankAccount, by, *, approving: bool) -> None:
    if not can_review(by):
        _refuse(_("Only the territory's finance team approves or rejects bank details."))
    if approving and row.submitted_by_id is not None and row.submitted_by_id == by.pk:
        _refuse(
            _(
                "You submitted these bank details: another person of the finance team must "
                "approve them."
            )
        )
    recipient = recipient_for(site=row.site, account=row.account)
    if approving and recipient and manages_provider(by, recipient.provider_id):
        _refuse(
            _(
                "You are a member of this provider: another person of the finance team must "
                "approve its bank details."
            )
        )


@transaction.atomic
def bank_account_approve(*, bank_account: BankAccount, by) -> BankAccount:
    """Approve pending details: they replace the ones in force (superseded), now."""
    row = _locked_pending(bank_account)
    _check_reviewer(row, by, approving=True)
    now = timezone.now()
    previous = (
        BankAccount.objects.select_for_update()
        .for_site(row.site_id)
        .approved()
        .filter(account=row.account)
        .first()
    )
    if previous is not None:
        previous.status = BankAccountStatus.SUPERSEDED
        previous.superseded_at = now
        previous.save(update_fields=["status", "superseded_at"])
        audit.record(previous, audit.SUPERSEDED, user=by, old=previous)
    row.status = BankAccountStatus.APPROVED
    row.decided_by = by
    row.decided_at = now
    row.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(row, audit.APPROVED, user=by, old=previous)
    transaction.on_commit(lambda: bank_account_decision_notify(row.pk))
    return row


@transaction.atomic
def bank_account_reject(*, bank_account: BankAccount, by, reason: str) -> BankAccount:
    """Reject pending details, with a reason; the details in force stay in force."""
    reason = (reason or "").strip()
    if not reason:
        _refuse(_("Say why these bank details are rejected."))
    row = _locked_pending(bank_account)
    _check_reviewer(row, by, approving=False)
    in_force = (
        BankAccount.objects.for_site(row.site_id).approved().filter(account=row.account).first()
    )
    row.status = BankAccountStatus.REJECTED
    row.decided_by = by
    row.decided_at = timezone.now()
    row.rejection_reason = reason
    row.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    audit.record(row, audit.REJECTED, user=by, old=in_force, data={"reason": reason})
    transaction.on_commit(lambda: bank_account_decision_notify(row.pk))
    return row
