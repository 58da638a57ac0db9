"""E-mails of the payouts: the decision on bank details (approved or rejected), to the
person who submitted them and, for a provider, to its members and its contact address;
and a recipient's statement, with its PDF (:func:`statement_send`).

A huey task queued after commit by :mod:`marketplace.payouts.services`; it takes an id,
re-reads the row and sends nothing unless it is (still) approved or rejected. One e-mail
per address (people of different organisations do not see each other's address), text
and HTML, in each person's language (their admin profile's, else French); the provider's
contact address gets French. The IBAN is masked in them.

Also: a payout run prepared automatically (:mod:`marketplace.payouts.tasks`) awaits
finance's review; :func:`payout_run_prepared_notify` tells the people who manage runs
(``payouts.manage_payoutrun``), each in their language.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from huey.contrib.djhuey import db_task

from commissions.models import Beneficiary
from commissions.money import money
from marketplace.models import Provider
from marketplace.payouts.models import BankAccount, BankAccountStatus, PayoutRun, PayoutRunStatus
from marketplace.payouts.recipients import PROVIDER, TOURIST_TAX, recipient_for
from marketplace.payouts.statements import (
    UnknownRecipient,
    recipient_statement,
    statement_filename,
    statement_pdf,
    statement_totals,
)
from marketplace.tourist_tax.models import TaxCollector
from marketplace.web import public_url


def _language(user) -> str:
    profile = getattr(user, "wagtail_userprofile", None) if user is not None else None
    language = (profile.preferred_language if profile else "") or settings.LANGUAGE_CODE
    available = {code for code, _name in settings.LANGUAGES}
    return language if language in available else settings.LANGUAGE_CODE


def _mail(template: str, context: dict, *, address: str, language: str, attach=()) -> int:
    """Send ``template``'s subject, text and HTML (``<template>_subject.txt``, ``.txt``,
    ``.html``) rendered in ``language`` to ``address``, with ``attach``'s (name, bytes,
    type) files; returns how many went (0 or 1)."""
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context)
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, [address]
    )
    message.attach_alternative(html, "text/html")
    for name, content, mimetype in attach:
        message.attach(name, content, mimetype)
    return message.send()


def decision_recipients(bank_account, recipient) -> dict[str, str]:
    """``{address: language}``: the submitter, then the provider's members and contact."""
    found: dict[str, str] = {}
    submitter = bank_account.submitted_by
    if submitter is not None and submitter.is_active and submitter.email:
        found[submitter.email.lower()] = _language(submitter)
    if recipient is not None and recipient.provider_id:
        provider = Provider.objects.filter(pk=recipient.provider_id).first()
        if provider is not None:
            members = provider.memberships.filter(user__is_active=True).select_related(
                "user__wagtail_userprofile"
            )
            for membership in members.order_by("pk"):
                if membership.user.email:
                    found.setdefault(membership.user.email.lower(), _language(membership.user))
            if provider.email:
                found.setdefault(provider.email.lower(), settings.LANGUAGE_CODE)
    return found


@db_task()
def bank_account_decision_notify(bank_account_id: int) -> int:
    """Tell who must know that bank details were approved or rejected."""
    row = (
        BankAccount.objects.select_related("site", "submitted_by__wagtail_userprofile")
        .filter(pk=bank_account_id)
        .first()
    )
    if row is None or row.status not in (BankAccountStatus.APPROVED, BankAccountStatus.REJECTED):
        return 0
    recipient = recipient_for(site=row.site, account=row.account)
    if recipient is not None and recipient.provider_id:
        path = reverse("bank_details:provider", args=[recipient.provider_id])
    else:
        path = reverse("bank_accounts:index")
    template = f"payouts/emails/bank_account_{row.status}"
    sent = 0
    for address, language in decision_recipients(row, recipient).items():
        context = {
            "bank_account": row,
            "recipient_name": recipient.name if recipient else row.account,
            "site_name": row.site.site_name,
            "url": public_url(path),
        }
        sent += _mail(template, context, address=address, language=language)
    return sent


def run_managers() -> dict[str, str]:
    """``{address: language}`` of the active people who manage payout runs (finance)."""
    permission = Permission.objects.filter(
        content_type__app_label="payouts", codename="manage_payoutrun"
    ).first()
    if permission is None:
        return {}
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .exclude(email="")
        .select_related("wagtail_userprofile")
        .distinct()
        .order_by("pk")
    )
    found: dict[str, str] = {}
    for user in users:
        found.setdefault(user.email.lower(), _language(user))
    return found


@db_task()
def payout_run_prepared_notify(run_id: int) -> int:
    """Tell finance that a run prepared automatically awaits review (nothing if it is no
    longer prepared)."""
    run = PayoutRun.objects.select_related("site").filter(pk=run_id).first()
    if run is None or run.status != PayoutRunStatus.PREPARED:
        return 0
    amounts = list(run.lines.values_list("amount", flat=True))
    sent = 0
    for address, language in run_managers().items():
        with translation.override(language):
            context = {
                "run": run,
                "count": len(amounts),
                "total": money(sum(amounts), currency=run.currency),
                "skipped": run.skips.count(),
                "site_name": run.site.site_name,
                "url": public_url(reverse("payout_runs:detail", args=[run.pk])),
            }
        sent += _mail(
            "payouts/emails/payout_run_prepared", context, address=address, language=language
        )
    return sent


# --- Statements ------------------------------------------------------------------------------


def statement_address(*, site, recipient) -> str:
    """Where a recipient's statements go: the provider's contact e-mail, the tax
    collector's e-mail, the beneficiary's e-mail for statements (its live values: the
    council approved them); ``""`` when there is none."""
    if recipient.kind == PROVIDER:
        found = Provider.objects.filter(site=site, pk=recipient.provider_id)
    elif recipient.kind == TOURIST_TAX:
        found = TaxCollector.objects.filter(site=site, account=recipient.account)
    else:  # BENEFICIARY
        key = recipient.account.removeprefix("beneficiary:")
        found = Beneficiary.objects.filter(site=site, key=key, live=True)
    return found.values_list("email", flat=True).first() or ""


def statement_send(
    *,
    site,
    account: str,
    since: dt.date,
    until: dt.date,
    language: str | None = None,
) -> bool:
    """E-mail the statement of ``account`` for ``since``..``until`` (both included) to its
    recipient, text and HTML summarising it, the PDF attached, in ``language`` (French
    by default: recipients have no language of their own). False when the account names
    nobody of the territory or the recipient has no address; sends at once (call it
    after commit: a payout run's e-mails leave once its ledger lines are recorded)."""
    try:
        result = recipient_statement(site=site, account=account, since=since, until=until)
    except UnknownRecipient:
        return False
    address = statement_address(site=site, recipient=result.recipient)
    if not address:
        return False
    language = language if language in {c for c, _n in settings.LANGUAGES} else None
    language = language or settings.LANGUAGE_CODE
    with translation.override(language):  # the totals are formatted in the language
        context = {"statement": result, "totals": statement_totals(result)}
    pdf = (
        statement_filename(result, "pdf"),
        statement_pdf(result, language=language),
        "application/pdf",
    )
    return (
        _mail("payouts/emails/statement", context, address=address, language=language, attach=[pdf])
        > 0
    )


def run_statement_period(run: PayoutRun) -> tuple[dt.date, dt.date]:
    """The period of the statements a run sends: from the day after the territory's
    previous run sent to the bank was prepared (or the first day of the month) to the day
    this run was prepared, when its payouts entered the ledger."""
    until = timezone.localdate(run.prepared_at)
    previous = (
        PayoutRun.objects.filter(
            site_id=run.site_id, status=PayoutRunStatus.SENT, prepared_at__lt=run.prepared_at
        )
        .exclude(pk=run.pk)
        .order_by("-prepared_at")
        .values_list("prepared_at", flat=True)
        .first()
    )
    since = (
        timezone.localdate(previous) + dt.timedelta(days=1) if previous else until.replace(day=1)
    )
    return min(since, until), until


@db_task()
def payout_run_statements_send(run_id: int) -> int:
    """Once a run is sent to the bank, e-mail each recipient it pays its statement for
    the run's period (:func:`run_statement_period`); recipients without an address are
    left out. Returns how many went."""
    run = PayoutRun.objects.select_related("site").filter(pk=run_id).first()
    if run is None or run.status != PayoutRunStatus.SENT:
        return 0
    since, until = run_statement_period(run)
    accounts = run.lines.order_by("account").values_list("account", flat=True)
    return sum(
        statement_send(site=run.site, account=account, since=since, until=until)
        for account in accounts
    )
