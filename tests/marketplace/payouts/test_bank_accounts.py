"""Bank details through the services: pending until a second person approves, rejection
keeps what is in force, who may submit for whom, the e-mails, the audit trail, and the
read API payout runs use."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.models import ModelLogEntry
from wagtail.users.models import UserProfile

from marketplace.payouts.models import BankAccount, BankAccountStatus
from marketplace.payouts.selectors import approved_bank_account, approved_bank_accounts
from marketplace.payouts.services import (
    BankAccountRefused,
    bank_account_approve,
    bank_account_reject,
    bank_account_submit,
)
from tests.factories import make_user
from tests.marketplace.payouts.conftest import IBAN_CH, IBAN_NEW, IBAN_OLD


def submit(world, by, *, account=None, iban=IBAN_OLD, bic="", holder="Canoës Alice SARL"):
    return bank_account_submit(
        site=world["site"],
        account=account or f"provider:{world['canoes'].pk}",
        holder_name=holder,
        iban=iban,
        bic=bic,
        by=by,
    )


def in_force(world, account=None):
    return approved_bank_account(world["site"], account or f"provider:{world['canoes'].pk}")


def approved_old(world):
    """Details in force for Canoës Alice: submitted by Alice, approved by finance."""
    row = submit(world, world["alice"])
    return bank_account_approve(bank_account=row, by=world["finance"])


def test_a_submission_waits_and_the_approved_details_stay_in_force(world):
    old = approved_old(world)

    new = submit(world, world["alice"], iban="de89 3704 0044 0532 0130 00")

    assert new.status == BankAccountStatus.PENDING
    assert new.iban == IBAN_NEW
    assert new.bic == "COBADEFFXXX" and new.bic_derived
    assert in_force(world) == old


def test_a_second_person_approves_and_the_new_details_replace_the_old(world):
    old = approved_old(world)
    new = submit(world, world["alice"], iban=IBAN_NEW)

    bank_account_approve(bank_account=new, by=world["finance2"])

    assert in_force(world) == new
    new.refresh_from_db()
    old.refresh_from_db()
    assert (new.status, new.decided_by) == (BankAccountStatus.APPROVED, world["finance2"])
    assert old.status == BankAccountStatus.SUPERSEDED
    assert old.superseded_at == new.decided_at


def test_the_submitter_can_never_approve_their_own_submission(world):
    row = submit(world, world["finance"], account=f"beneficiary:{world['fonds'].key}")

    with pytest.raises(BankAccountRefused) as refused:
        bank_account_approve(bank_account=row, by=world["finance"])

    assert "une autre personne" in str(refused.value.message)
    row.refresh_from_db()
    assert row.status == BankAccountStatus.PENDING
    assert in_force(world, f"beneficiary:{world['fonds'].key}") is None
    # Another person of finance may.
    bank_account_approve(bank_account=row, by=world["finance2"])
    assert in_force(world, f"beneficiary:{world['fonds'].key}") == row


def test_a_superuser_who_submitted_cannot_approve_either(world):
    admin = make_user("admin@example.org", is_superuser=True, is_staff=True)
    row = submit(world, admin)

    with pytest.raises(BankAccountRefused):
        bank_account_approve(bank_account=row, by=admin)

    bank_account_approve(bank_account=row, by=world["finance"])
    assert in_force(world) == row


def test_the_database_refuses_an_approval_by_the_submitter(world):
    row = submit(world, world["finance"])

    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccount.objects.filter(pk=row.pk).update(
            status=BankAccountStatus.APPROVED,
            decided_by=world["finance"],
            decided_at=timezone.now(),
        )


def test_a_provider_member_never_approves(world):
    row = submit(world, world["finance"], account=f"provider:{world['ferme'].pk}", holder="Bob")

    for member in (world["alice"], world["bob"]):
        with pytest.raises(BankAccountRefused):
            bank_account_approve(bank_account=row, by=member)
        with pytest.raises(BankAccountRefused):
            bank_account_reject(bank_account=row, by=member, reason="non")
    row.refresh_from_db()
    assert row.status == BankAccountStatus.PENDING


def test_a_finance_officer_who_is_a_member_of_the_provider_cannot_approve_its_details(world):
    world["canoes"].memberships.create(user=world["finance2"])
    row = submit(world, world["alice"])

    with pytest.raises(BankAccountRefused):
        bank_account_approve(bank_account=row, by=world["finance2"])

    assert in_force(world) is None


def test_a_provider_member_submits_for_their_own_provider_only(world):
    with pytest.raises(BankAccountRefused):
        submit(world, world["bob"])  # Canoës Alice's account
    for account in (f"beneficiary:{world['fonds'].key}", world["collector"].account):
        with pytest.raises(BankAccountRefused):
            submit(world, world["alice"], account=account)

    assert not BankAccount.objects.exists()
    assert submit(world, world["bob"], account=f"provider:{world['ferme'].pk}").is_pending


def test_finance_submits_for_beneficiaries_and_tax_collectors_but_not_for_nobody(world):
    assert world["collector"].account == "tax:tourist:arviere-le-bourg"
    for account in (f"beneficiary:{world['fonds'].key}", world["collector"].account):
        assert submit(world, world["finance"], account=account).is_pending
    for account in ("beneficiary:nobody", "tax:tourist:nowhere", "provider:999999", "visitor"):
        with pytest.raises(BankAccountRefused):
            submit(world, world["finance"], account=account)


def test_bad_details_are_refused_per_field_and_change_nothing(world):
    old = approved_old(world)

    with pytest.raises(ValidationError) as error:
        submit(world, world["alice"], iban="FR7630006000011234567890188", holder=" ")

    assert set(error.value.message_dict) == {"iban", "holder_name"}
    assert list(BankAccount.objects.all()) == [old]
    with pytest.raises(ValidationError) as error:
        submit(world, world["alice"], iban=IBAN_CH)
    assert set(error.value.message_dict) == {"bic"}


def test_rejection_needs_a_reason_and_keeps_the_details_in_force(world):
    old = approved_old(world)
    new = submit(world, world["alice"], iban=IBAN_NEW)

    with pytest.raises(BankAccountRefused):
        bank_account_reject(bank_account=new, by=world["finance"], reason="  ")
    bank_account_reject(bank_account=new, by=world["finance"], reason="RIB illisible")

    new.refresh_from_db()
    assert (new.status, new.rejection_reason) == (BankAccountStatus.REJECTED, "RIB illisible")
    assert in_force(world) == old
    with pytest.raises(BankAccountRefused):
        bank_account_approve(bank_account=new, by=world["finance2"])


def test_a_newer_submission_replaces_the_pending_one(world):
    first = submit(world, world["alice"], iban=IBAN_OLD)
    second = submit(world, world["alice"], iban=IBAN_NEW)

    first.refresh_from_db()
    assert first.status == BankAccountStatus.SUPERSEDED
    assert second.is_pending
    with pytest.raises(BankAccountRefused):
        bank_account_approve(bank_account=first, by=world["finance"])
    assert in_force(world) is None


def test_payout_runs_read_the_details_in_force_at_their_date(world):
    old = approved_old(world)
    run_date = timezone.now()
    new = submit(world, world["alice"], iban=IBAN_NEW)
    # Pending: runs never read it.
    assert approved_bank_account(world["site"], new.account) == old
    BankAccount.objects.filter(pk=old.pk).update(decided_at=run_date - dt.timedelta(days=2))
    bank_account_approve(bank_account=new, by=world["finance"])

    assert approved_bank_account(world["site"], new.account, at=run_date) == old
    assert approved_bank_account(world["site"], new.account) == new
    assert (
        approved_bank_account(world["site"], new.account, at=run_date - dt.timedelta(days=3))
        is None
    )
    assert approved_bank_accounts(
        site=world["site"], accounts=[new.account, "beneficiary:fonds"]
    ) == {new.account: new}


def test_approval_emails_the_submitter_and_the_provider_in_their_language(
    world, django_capture_on_commit_callbacks
):
    UserProfile.objects.update_or_create(user=world["alice"], defaults={"preferred_language": "en"})
    row = submit(world, world["alice"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        bank_account_approve(bank_account=row, by=world["finance"])

    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"alice@example.org", "canoes@example.org"}
    english, french = by_address["alice@example.org"], by_address["canoes@example.org"]
    assert english.subject == "Bank details approved: Canoës Alice"
    assert french.subject == "Coordonnées bancaires approuvées : Canoës Alice"
    assert "If you did not ask for this change, tell the territory at once." in english.body
    html = french.alternatives[0].content
    assert 'lang="fr"' in html and "FR76 **** … 0189" in html
    for message in mail.outbox:
        assert IBAN_OLD not in message.body and IBAN_OLD not in message.alternatives[0].content
        assert "/admin/bank_details/" in message.body


def test_rejection_emails_the_reason_to_the_finance_submitter(
    world, django_capture_on_commit_callbacks
):
    row = submit(world, world["finance"], account=f"beneficiary:{world['fonds'].key}")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        bank_account_reject(
            bank_account=row, by=world["finance2"], reason="Ce n'est pas le RIB du fonds"
        )

    assert [m.to for m in mail.outbox] == [["finances@example.org"]]
    assert mail.outbox[0].subject == "Coordonnées bancaires refusées : Fonds local"
    assert "Motif : Ce n'est pas le RIB du fonds" in mail.outbox[0].body


def test_every_step_is_in_the_audit_log_old_and_new_masked(world):
    old = approved_old(world)
    new = submit(world, world["alice"], iban=IBAN_NEW)
    bank_account_approve(bank_account=new, by=world["finance2"])

    entries = list(ModelLogEntry.objects.filter(object_id=str(new.pk)).order_by("pk"))
    assert [(e.action, e.user) for e in entries] == [
        ("comptoir.bank_account.submitted", world["alice"]),
        ("comptoir.bank_account.approved", world["finance2"]),
    ]
    approved = entries[1].data
    assert approved["account"] == f"provider:{world['canoes'].pk}"
    assert approved["old"]["iban"] == "FR76 **** … 0189"
    assert approved["new"]["iban"] == "DE89 **** … 3000"
    assert ModelLogEntry.objects.filter(
        object_id=str(old.pk), action="comptoir.bank_account.superseded"
    ).exists()
    for entry in ModelLogEntry.objects.all():
        assert IBAN_OLD not in str(entry.data) and IBAN_NEW not in str(entry.data)
        assert IBAN_OLD not in entry.label and IBAN_NEW not in entry.label
