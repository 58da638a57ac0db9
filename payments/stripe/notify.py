"""E-mails to the territory's finance staff: disputes, failed refunds, failed payouts.

Recipients are the active users allowed to read the ledger (``books.view_ledger``, the
finance group). Sent by huey after the transaction commits, in the site's language, like
the other staff e-mails.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from huey.contrib.djhuey import db_task

from marketplace.web import public_url


def finance_recipients() -> list[str]:
    permission = Permission.objects.get(codename="view_ledger", content_type__app_label="books")
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


# Huey finds a queued task by "<module>.<function>": this one keeps the name it was queued
# under before payments/stripe/ existed, so that messages already queued still find it.
@db_task(__module__="payments.notify")
def _finance_send(template: str, context: dict) -> int:
    recipients = finance_recipients()
    if not recipients:
        return 0
    context = {**context, "admin_url": public_url(reverse("wagtailadmin_home"))}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"payments/emails/{template}_subject.txt", context)
        body = render_to_string(f"payments/emails/{template}.txt", context)
    return send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, recipients)


def finance_notify(*, template: str, context: dict) -> None:
    """Tell finance, after commit. ``context`` holds plain values (strings, numbers)."""
    transaction.on_commit(lambda: _finance_send(template, context))
