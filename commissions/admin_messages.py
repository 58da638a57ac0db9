"""What the commission admin tells finance and the council after each action.

Wagtail's generic messages speak of "moderation" and "publishing"; what finance and the
council need to read is whether the change is in force, and what happens next. Each
message is worked out from what really happened (the object and its workflow state after
the action), never from the button that was pressed: a refused approval says nothing
here, the view that refused it says why.

The subjects are feminine in French ("la règle", "la clé de répartition", "la fiche du
bénéficiaire"), so one set of sentences fits every commission model.
"""

from django.contrib.admin.utils import quote
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.models import TaskState, WorkflowState
from wagtail.permissions import policy_registry


def message_subject(obj) -> str | None:
    """ "The rule “Campings”": how a message names the object, or None for other models."""
    subjects = {
        "commissionrule": _("The rule “%(name)s”"),
        "distributionkey": _("The distribution key “%(name)s”"),
        "beneficiary": _("The beneficiary record “%(name)s”"),
    }
    subject = subjects.get(obj._meta.model_name)
    return subject % {"name": obj} if subject else None


def when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def submitted_message(obj) -> str:
    subject = message_subject(obj)
    if obj.go_live_at and obj.go_live_at > timezone.now():
        return _(
            "%(subject)s is submitted to the council for approval. "
            "Once approved, it will take effect on %(date)s."
        ) % {"subject": subject, "date": when(obj.go_live_at)}
    return _(
        "%(subject)s is submitted to the council for approval. It will take effect once approved."
    ) % {"subject": subject}


def draft_message(obj) -> str:
    subject = message_subject(obj)
    if obj.live:
        return _(
            "%(subject)s: draft saved. The version in force stays until this draft is "
            "submitted to the council and approved."
        ) % {"subject": subject}
    return _(
        "%(subject)s is saved as a draft. It will take effect only once submitted to the "
        "council and approved."
    ) % {"subject": subject}


def published_message(obj) -> str:
    """A publisher's own publication (no approval step): in force now, or on its date."""
    subject = message_subject(obj)
    if obj.go_live_at and obj.go_live_at > timezone.now():
        return _("%(subject)s will take effect on %(date)s.") % {
            "subject": subject,
            "date": when(obj.go_live_at),
        }
    return _("%(subject)s is published and now in force.") % {"subject": subject}


def withdrawn_message(obj) -> str:
    return _(
        "%(subject)s is withdrawn from the council's approval and stays a draft. "
        "Nothing changes in force."
    ) % {"subject": message_subject(obj)}


def workflow_outcome_message(obj) -> str | None:
    """What a reviewer's action did, read back from the database; None if nothing to say.

    Approved and live, approved and scheduled, or sent back for changes. Anything else
    (an approval that could not go live, a step of a longer workflow) is left to the
    view that handled it.
    """
    model = type(obj)
    fresh = model._default_manager.get(pk=obj.pk)
    subject = message_subject(fresh)
    state = WorkflowState.objects.for_instance(fresh).order_by("-created_at", "-pk").first()
    if state is None:
        return None
    if state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        return _(
            "%(subject)s goes back to its author: changes are requested. "
            "Nothing changes until a new version is approved."
        ) % {"subject": subject}
    if state.status != WorkflowState.STATUS_APPROVED:
        return None
    task_state = (
        TaskState.objects.filter(workflow_state=state, status=TaskState.STATUS_APPROVED)
        .select_related("revision")
        .order_by("-finished_at", "-pk")
        .first()
    )
    revision = task_state.revision if task_state else None
    if revision is None:
        return None
    # The approved revision, or one saved after it, is the live one.
    if fresh.live and fresh.live_revision_id and fresh.live_revision_id >= revision.pk:
        return _("%(subject)s is approved and now in force.") % {"subject": subject}
    if revision.approved_go_live_at:
        return _("%(subject)s is approved. It will take effect on %(date)s.") % {
            "subject": subject,
            "date": when(revision.approved_go_live_at),
        }
    return None


def reviewer_landing_url(*, user, obj) -> str:
    """Where to send a user after a workflow action: a page they may still open.

    Once the workflow is over, a reviewer without the change permission may no longer
    open the editor; Wagtail would send them there (or to the listing) and answer
    "Sorry, you do not have permission".
    """
    policy = policy_registry.get_by_type(type(obj))
    viewset = type(obj).snippet_viewset
    if policy.user_has_permission_for_instance(user, "change", obj):
        return reverse(viewset.get_url_name("edit"), args=[quote(obj.pk)])
    if policy.user_has_any_permission(user, {"add", "change", "delete", "view"}):
        return reverse(viewset.get_url_name("list"))
    return reverse("wagtailadmin_home")


class CommissionMessagesMixin:
    """For the create and edit views of commission snippets: honest success messages."""

    def get_success_message(self, instance=None):
        obj = instance or self.object
        if message_subject(obj) is not None:
            if self.action in ("submit", "restart-workflow"):
                return submitted_message(obj)
            if self.action == "publish":
                return published_message(obj)
            if self.action in ("create", "edit") and getattr(self, "draftstate_enabled", False):
                return draft_message(obj)
            if self.action == "cancel-workflow":
                return withdrawn_message(obj)
        # The editor's "Approve" and "Request changes" never reach here: they act on the
        # submitted revision (commissions.views.ReviewActionMixin), which says the outcome.
        return super().get_success_message(instance)


class WorkflowActionMessagesMixin:
    """For the workflow action view (the dashboard's buttons): say the outcome, land safely."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        message = workflow_outcome_message(self.object)
        if message:
            messages.success(request, message)
        if isinstance(response, HttpResponseRedirect) and not get_valid_next_url_from_request(
            request
        ):
            return redirect(reviewer_landing_url(user=request.user, obj=self.object))
        return response
