"""The territory's approval of an offer before its first publication."""

from django.utils.translation import gettext_lazy as _
from wagtail.models import AbstractGroupApprovalTask, TaskState

from marketplace.models.offers import OfferPage
from marketplace.models.territory import TerritorySettings


class OfferPublicationTask(AbstractGroupApprovalTask):
    """Editors approve an offer's first publication, when the territory asks for it.

    The task approves itself as it starts (so the workflow goes on and publishes at
    once) when the page's site does not require approval
    (``TerritorySettings.require_offer_approval``), when the page has been published
    before (later edits go live on submit), or when it is not an offer (a provider's
    own page). Otherwise it waits, like a group approval task, for its groups.
    """

    def needs_approval(self, obj) -> bool:
        # A workflow state's object is the base Page: ask for its specific class.
        specific_class = getattr(obj, "specific_class", None) or type(obj)
        if not issubclass(specific_class, OfferPage) or obj.first_published_at is not None:
            return False
        site = obj.get_site()
        if site is None:
            return True
        return TerritorySettings.for_site(site).require_offer_approval

    def start(self, workflow_state, user=None):
        if self.needs_approval(workflow_state.content_object):
            return super().start(workflow_state, user=user)
        # Passing on its own: the task state is recorded (history, audit log) but not
        # "submitted", so the approvers are not e-mailed about it.
        task_state = self.get_task_state_class()(
            workflow_state=workflow_state,
            task=self,
            status=TaskState.STATUS_IN_PROGRESS,
            revision=workflow_state.content_object.get_latest_revision(),
        )
        task_state.save()
        # ``update=False``: WorkflowState.update() sees the task finished and moves on to
        # the next task, or finishes the workflow (which publishes).
        task_state.approve(user=user, update=False, comment=str(_("Approved automatically.")))
        return task_state

    @classmethod
    def get_description(cls):
        return _(
            "Members of the chosen groups approve an offer's first publication when the "
            "territory requires it; otherwise, and for later edits, it passes on its own."
        )

    class Meta:
        verbose_name = _("offer publication task")
        verbose_name_plural = _("offer publication tasks")
