"""E-mails about providers' applications: to the territory's editors, to the applicant.

Huey tasks queued by :mod:`marketplace.services` after commit (apply, approve, reject);
they take ids, re-read what they need and are safe to run twice. Here and not in
``tasks.py`` because the services queue them and ``tasks.py`` calls the services (its
periodic jobs): one way only. What must not live here: order and booking e-mails.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from huey.contrib.djhuey import db_task

from marketplace.models import Provider, ProviderStatus
from marketplace.web import public_url

# Huey finds a queued task by "<module>.<function>". These tasks were declared in
# marketplace/tasks.py before issue 12: they keep that name, so that messages already
# queued at deploy time still find them. ``marketplace.tasks`` imports them, so the name
# also works in Python.
QUEUED_AS = {"__module__": "marketplace.tasks"}


def provider_reviewers():
    """Who decides on applications: active users allowed to change providers."""
    permission = Permission.objects.get(
        codename="change_provider", content_type__app_label="marketplace"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .exclude(email="")
        .distinct()
    )


def _send(*, template: str, context: dict, recipients: list[str]) -> int:
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"marketplace/emails/{template}_subject.txt", context)
        body = render_to_string(f"marketplace/emails/{template}.txt", context)
    return send_mail(
        " ".join(subject.split()),
        body,
        settings.DEFAULT_FROM_EMAIL,
        recipients,
    )


@db_task(**QUEUED_AS)
def provider_application_notify(provider_id: int) -> int:
    """Tell the territory's editors that an application waits for them."""
    provider = Provider.objects.select_related("category", "site").filter(pk=provider_id).first()
    if provider is None or provider.status != ProviderStatus.APPLIED:
        return 0
    review_url = public_url(reverse("providers:review", args=[provider.pk]))
    return _send(
        template="provider_applied",
        context={"provider": provider, "review_url": review_url},
        recipients=sorted({user.email for user in provider_reviewers()}),
    )


@db_task(**QUEUED_AS)
def provider_decision_notify(provider_id: int) -> int:
    """Tell the applicant the territory's decision (approval or rejection)."""
    provider = Provider.objects.select_related("applied_by", "site").filter(pk=provider_id).first()
    if provider is None or provider.status not in (
        ProviderStatus.APPROVED,
        ProviderStatus.REJECTED,
    ):
        return 0
    recipients = {provider.email}
    if provider.applied_by and provider.applied_by.email:
        recipients.add(provider.applied_by.email)
    return _send(
        template=f"provider_{provider.status}",
        context={"provider": provider, "admin_url": public_url(reverse("wagtailadmin_home"))},
        recipients=sorted(r for r in recipients if r),
    )
