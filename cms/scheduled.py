"""Scheduled publishing that never jams: what Wagtail's ``publish_scheduled`` does, one
object at a time.

Wagtail's command unpublishes the expired pages and snippets, then publishes every
revision whose go-live time has come, in one loop: the first revision that raises
(a commission rule that would tie with another one at its go-live) stops it, so
nothing scheduled after it goes live, and the periodic task fails again every minute.

Here each expiry and each revision is done in its own savepoint. A revision that cannot
go live is skipped and marked so that it is not tried again: its go-live is cleared
(the object keeps it as a draft), a log entry ``comptoir.go_live_refused`` says why in
its history, and, for the commission module's objects, the territory's finance officers
and councillors get one e-mail naming the object and the reason. Everything else goes
live.

The reason is the validation error's message (a tie names the other rule). Any other
exception is a bug or a failure of the server, not a reason finance can act on: its
traceback goes to the log (level ERROR) and the people told read that a technical error
stopped it, not the programmer's words.
"""

import logging

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log
from wagtail.models import DraftStateMixin, Page, Revision

from cms.services import COUNCIL_GROUP, FINANCE_GROUP
from commissions.golive import rule_ties_check
from commissions.models import CommissionRule

logger = logging.getLogger(__name__)

GO_LIVE_REFUSED = "comptoir.go_live_refused"
# Objects of these apps are reported to finance and the council when refused.
COMMISSION_APPS = ("commissions",)
TECHNICAL_ERROR = gettext_lazy(
    "A technical error stopped it, not its content. The details are in the server's log: "
    "tell the technical team."
)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or exc.__class__.__name__


def scheduled_content_publish(*, now=None) -> dict[str, int]:
    """Unpublish what expired and publish the revisions whose time has come.

    Returns how many were ``unpublished``, ``published`` and ``refused``.
    """
    now = now or timezone.now()
    counts = {"unpublished": 0, "published": 0, "refused": 0}
    models = [Page] + [
        model
        for model in apps.get_models()
        if issubclass(model, DraftStateMixin) and not issubclass(model, Page)
    ]
    for model in models:
        for obj in list(model.objects.filter(live=True, expire_at__lt=now).order_by("expire_at")):
            try:
                with transaction.atomic():
                    obj.unpublish(set_expired=True, log_action="wagtail.unpublish.scheduled")
            except Exception:
                logger.exception("Scheduled unpublishing of %r failed", obj)
                continue
            counts["unpublished"] += 1

    due = Revision.objects.filter(approved_go_live_at__lt=now).order_by("approved_go_live_at", "pk")
    for revision in list(due):
        try:
            with transaction.atomic():
                # Since its approved go-live is past, publishing makes the object live.
                revision.publish(log_action="wagtail.publish.scheduled")
        except ValidationError as exc:
            go_live_refuse(revision=revision, reason=_reason(exc))
            counts["refused"] += 1
            continue
        except Exception:
            logger.exception("Scheduled revision %s could not go live", revision.pk)
            go_live_refuse(revision=revision, reason=TECHNICAL_ERROR)
            counts["refused"] += 1
            continue
        counts["published"] += 1
    return counts


def go_live_refuse(*, revision: Revision, reason) -> None:
    """Mark ``revision`` as not going live (no retry), log why, tell who must know.

    ``reason`` may be lazy (:data:`TECHNICAL_ERROR`): each e-mail says it in its
    recipients' language."""
    go_live_at = revision.approved_go_live_at
    Revision.objects.filter(pk=revision.pk).update(approved_go_live_at=None)
    obj = revision.content_object
    logger.warning("Scheduled revision %s of %r did not go live: %s", revision.pk, obj, reason)
    try:
        with transaction.atomic():
            log(
                instance=obj,
                action=GO_LIVE_REFUSED,
                revision=revision,
                data={
                    "reason": str(reason),
                    "go_live_at": go_live_at.isoformat() if go_live_at else None,
                },
            )
    except Exception:
        logger.exception("Could not log the refused go-live of revision %s", revision.pk)
    if obj._meta.app_label in COMMISSION_APPS:
        try:
            go_live_refused_notify(obj=obj, revision=revision, reason=reason, go_live_at=go_live_at)
        except Exception:
            logger.exception("Could not send the refused go-live of revision %s", revision.pk)


def _finance_and_council():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=(FINANCE_GROUP, COUNCIL_GROUP))
        .exclude(email="")
        .select_related("wagtail_userprofile")
        .distinct()
        .order_by("pk")
    )


def _language(user) -> str:
    profile = getattr(user, "wagtail_userprofile", None)
    language = (profile.preferred_language if profile else "") or settings.LANGUAGE_CODE
    available = {code for code, _name in settings.LANGUAGES}
    return language if language in available else settings.LANGUAGE_CODE


def _reason_in_language(*, obj, revision: Revision, reason) -> str:
    """The reason in the active language: a rule's tie is checked again to say it."""
    if reason is TECHNICAL_ERROR:
        return str(reason)
    if isinstance(obj, CommissionRule):
        try:
            rule_ties_check(rule=revision.as_object())
        except ValidationError as exc:
            return _reason(exc)
    return str(reason)


def go_live_refused_notify(*, obj, revision: Revision, reason, go_live_at) -> int:
    """One e-mail per language to the finance officers and councillors: what did not go
    live, why, and what to do. Returns how many e-mails were sent."""
    by_language: dict[str, list[str]] = {}
    for user in _finance_and_council():
        by_language.setdefault(_language(user), []).append(user.email)
    sent = 0
    for language, recipients in sorted(by_language.items()):
        with translation.override(language):
            context = {
                "object": str(obj),
                "date": (
                    date_format(timezone.localtime(go_live_at), "j F Y H:i") if go_live_at else ""
                ),
                "reason": _reason_in_language(obj=obj, revision=revision, reason=reason),
            }
            subject = _("Did not go live: “%(object)s”") % context
            body = (
                _(
                    "“%(object)s” was scheduled to go live on %(date)s, but it could not go "
                    "live:\n\n%(reason)s\n\n"
                    "It stays a draft and will not be tried again. The rules in force are "
                    "unchanged. Correct it (or the other rule) in the administration and "
                    "submit it again for approval."
                )
                % context
            )
        sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return sent
