"""Admin views of the commission module: the council's governance, in the snippet views.

- Ties (rules) and unfit beneficiaries (keys, beneficiaries) are form errors when finance
  submits or publishes, before any workflow starts.
- While a change is in review nobody saves a new revision of it (the task's lock, see
  :class:`commissions.models.CommissionApprovalTask`); the editor's "Approve" and
  "Request changes" buttons act on the submitted revision without saving the form.
- An approval that cannot go live (a tie, an inactive beneficiary...) publishes nothing:
  the task stays in review, the reviewer reads why, and the answer is a redirect, never
  a server error. The council then requests changes, or approves once the cause is gone.
- What has been live is ended, never deleted: the delete button is not offered and a
  forged delete request is refused with how to end it instead.
- Withdrawing a submission ("cancel workflow") is for its submitter or finance, not for
  the council; the copy page only reads (its form posts to the add view).
"""

import dataclasses
import json

from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.admin.views import generic
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import (
    CreateView,
    DeleteView,
    EditView,
    IndexView,
    RevisionsCompareView,
    WorkflowActionView,
)

from commissions.admin_messages import (
    CommissionMessagesMixin,
    WorkflowActionMessagesMixin,
    reviewer_landing_url,
    workflow_outcome_message,
)
from commissions.engine import Scope
from commissions.golive import (
    beneficiary_go_live_error,
    distribution_key_beneficiaries_error,
    rule_distribution_error,
    rule_tie_error,
    rule_ties,
)
from commissions.models import CommissionRule, DistributionKey, user_may_withdraw
from commissions.preview_views import PreviewLinkMixin


def form_rule_spec(form):
    """The engine's view of the rule as submitted (scope from the form's cleaned data)."""
    data = form.cleaned_data
    spec = form.instance.to_spec()
    return dataclasses.replace(
        spec,
        scope=Scope(
            providers=frozenset(p.slug for p in data.get("providers") or ()),
            categories=frozenset(c.slug for c in data.get("categories") or ()),
            labels=frozenset(label.slug for label in data.get("labels") or ()),
            communes=frozenset(data.get("communes") or ()),
            kinds=frozenset(data.get("kinds") or ()),
            season=spec.scope.season,
        ),
    )


def approval_refused_message(error: ValidationError) -> str:
    return _(
        "Not approved: %(reason)s Nothing was published; the change still awaits the "
        "council's decision (approve it once the cause is solved, or request changes)."
    ) % {"reason": " ".join(error.messages)}


def ended_not_deleted_message(obj) -> str:
    if isinstance(obj, CommissionRule):
        how = _("To end it, set its “valid until” date and submit the change for approval.")
    elif isinstance(obj, DistributionKey):
        how = _("To stop using it, give the rules another key and submit them for approval.")
    else:
        how = _(
            "To stop paying it, remove its shares from the live keys, then deactivate it, "
            "each change submitted for approval."
        )
    kept = _("“%(object)s” has been live: it is kept for the record and cannot be deleted.")
    return f"{kept % {'object': obj}} {how}"


class GovernedPermissionPolicy(ModelPermissionPolicy):
    """Model permissions, except that what has ever been live cannot be deleted."""

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete" and getattr(instance, "ever_published", False):
            return False
        return super().user_has_permission_for_instance(user, action, instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        actions = set(actions)
        if getattr(instance, "ever_published", False):
            actions.discard("delete")
        return bool(actions) and super().user_has_any_permission_for_instance(
            user, actions, instance
        )


class GoLiveCheckMixin:
    """On publish or submit for approval, what would refuse to go live is a form error."""

    def go_live_error(self, form) -> ValidationError | None:
        return None

    def is_valid(self, form):
        valid = super().is_valid(form)
        if valid and self.action in ("publish", "submit"):
            error = self.go_live_error(form)
            if error is not None:
                form.add_error(None, error)
                self.produced_error_code = "validation_error"
                self.produced_error_message = form.non_field_errors()[0]
                return False
        return valid


class RuleTieCheckMixin(GoLiveCheckMixin):
    """A tie with another rule (live, scheduled or awaiting approval), or a distribution
    key not live."""

    def go_live_error(self, form):
        ties = rule_ties(
            site_id=form.instance.site_id,
            spec=form_rule_spec(form),
            exclude_pk=form.instance.pk,
        )
        if ties:
            return rule_tie_error(ties)
        return rule_distribution_error(distribution=form.cleaned_data.get("distribution"))


class KeyBeneficiariesCheckMixin(GoLiveCheckMixin):
    """A share given to another territory's beneficiary, or to an inactive or not yet
    approved one."""

    def go_live_error(self, form):
        formset = form.formsets.get("shares")
        beneficiaries = [
            f.cleaned_data["beneficiary"]
            for f in (formset.forms if formset is not None else ())
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        site = form.cleaned_data.get("site")
        return distribution_key_beneficiaries_error(
            site_id=site.pk if site is not None else form.instance.site_id,
            beneficiaries=beneficiaries,
        )


class BeneficiaryGoLiveCheckMixin(GoLiveCheckMixin):
    """Deactivating, or moving to another territory, a beneficiary a live key still
    gives a share."""

    def go_live_error(self, form):
        return beneficiary_go_live_error(beneficiary=form.instance)


class ReviewActionMixin:
    """The editor's workflow buttons act on the submitted revision, never save the form.

    Under review the object is locked for everyone, so Wagtail would refuse the form
    (and, without the lock, would save the reviewer's edits as a new revision before
    approving). Here the action applies to the task state as it is; a refusal to go live
    is a message.
    """

    def get_available_actions(self):
        actions = super().get_available_actions()
        if "cancel-workflow" in actions and not user_may_withdraw(self.object, self.request.user):
            actions = [a for a in actions if a not in ("cancel-workflow", "restart-workflow")]
        return actions

    def post(self, request, *args, **kwargs):
        if self.action == "workflow-action" and self.object.workflow_in_progress:
            return self.review_action()
        return super().post(request, *args, **kwargs)

    def review_action(self):
        task_state = self.object.current_workflow_task_state
        extra = json.loads(self.request.POST.get("workflow-action-extra-data") or "{}")
        try:
            with transaction.atomic():
                task_state.task.specific.on_action(
                    task_state.specific, self.request.user, self.workflow_action, **extra
                )
        except ValidationError as error:
            messages.error(self.request, approval_refused_message(error))
            return redirect(self.get_edit_url())
        message = workflow_outcome_message(self.object)
        if message:
            messages.success(self.request, message)
        # A reviewer may have no other right on the model than reviewing it: once the
        # review ends, send them to a page they may still open.
        return redirect(reviewer_landing_url(user=self.request.user, obj=self.object))


class GovernedWorkflowActionView(WorkflowActionMessagesMixin, WorkflowActionView):
    """Approve or request changes from the dashboard or the listing; a refusal to go
    live is a message and a redirect, the task staying in review."""

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError as error:
            messages.error(request, approval_refused_message(error))
            if request.headers.get("x-requested-with") == "XMLHttpRequest":
                return self.render_modal_json(
                    request, {"step": "success", "redirect": self.redirect_url}
                )
            return redirect(self.redirect_url)


class ReviewerRevisionsCompareView(RevisionsCompareView):
    """The changes between two revisions, for whoever may view the object.

    The dashboard's review panel offers the council "Compare with live version" and
    "Compare with previous version" of what it is asked to approve; Wagtail's view asks
    for the change permission, which the council (it approves, never edits) lacks.
    """

    permission_required = "view"


class GovernedIndexView(IndexView):
    def get_delete_url(self, instance):
        if getattr(instance, "ever_published", False):
            return None
        return super().get_delete_url(instance)


class GovernedDeleteView(DeleteView):
    """Deletes only drafts never published; what has been live is ended instead."""

    def dispatch(self, request, *args, **kwargs):
        if self.user_has_permission("delete") and self.object.ever_published:
            messages.error(request, ended_not_deleted_message(self.object))
            return redirect(
                reverse(self.edit_url_name, args=(quote(self.object.pk),))
                if self.edit_url_name
                else reverse(self.index_url_name)
            )
        return super().dispatch(request, *args, **kwargs)

    def delete_action(self):
        if self.object.ever_published:
            raise PermissionDenied
        return super().delete_action()


class CopyViewMixin(generic.CopyViewMixin):
    """The copy page, whose form posts to the add view.

    Wagtail builds the copy's form on the original instance: a request posted to the
    copy URL itself would save over the original's row (a live rule made a draft, its
    values changed) without any approval. Only reading the copy page is allowed here.
    """

    http_method_names = ["get", "head", "options"]


class RuleCreateView(CommissionMessagesMixin, RuleTieCheckMixin, CreateView):
    pass


class RuleEditView(
    CommissionMessagesMixin, PreviewLinkMixin, ReviewActionMixin, RuleTieCheckMixin, EditView
):
    pass


class RuleCopyView(CopyViewMixin, RuleCreateView):
    pass


class KeyCreateView(CommissionMessagesMixin, KeyBeneficiariesCheckMixin, CreateView):
    pass


class KeyEditView(
    CommissionMessagesMixin,
    PreviewLinkMixin,
    ReviewActionMixin,
    KeyBeneficiariesCheckMixin,
    EditView,
):
    pass


class KeyCopyView(CopyViewMixin, KeyCreateView):
    pass


class BeneficiaryCreateView(CommissionMessagesMixin, BeneficiaryGoLiveCheckMixin, CreateView):
    pass


class BeneficiaryEditView(
    CommissionMessagesMixin,
    PreviewLinkMixin,
    ReviewActionMixin,
    BeneficiaryGoLiveCheckMixin,
    EditView,
):
    pass


class BeneficiaryCopyView(CopyViewMixin, BeneficiaryCreateView):
    pass
