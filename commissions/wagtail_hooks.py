"""The "Commissions" menu: rules, distribution keys and beneficiaries as snippets."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    PublishingPanel,
)
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets.datetime import AdminDateTimeInput
from wagtail.models import Site
from wagtail.permissions import register_permission_policy
from wagtail.snippets.action_menu import CancelWorkflowMenuItem, WorkflowMenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from commissions.describe import rule_sentences
from commissions.forms import CommissionRuleForm, DistributionKeyForm
from commissions.models import (
    Beneficiary,
    CommissionApprovalTask,
    CommissionRule,
    DistributionKey,
    user_may_withdraw,
)
from commissions.preview_views import preview_urls
from commissions.selectors import live_rules_queryset
from commissions.views import (
    BeneficiaryCopyView,
    BeneficiaryCreateView,
    BeneficiaryEditView,
    GovernedDeleteView,
    GovernedIndexView,
    GovernedPermissionPolicy,
    GovernedWorkflowActionView,
    KeyCopyView,
    KeyCreateView,
    KeyEditView,
    ReviewerRevisionsCompareView,
    RuleCopyView,
    RuleCreateView,
    RuleEditView,
)

for _model in (Beneficiary, DistributionKey, CommissionRule):
    register_permission_policy(_model, GovernedPermissionPolicy(_model), exact_class=True)


def go_live_panel() -> PublishingPanel:
    """The go-live date finance may ask for; the council's approval schedules it.

    Without Wagtail's expiry date: a rule ends with its "valid until" date, approved like
    any change, never by a silent withdrawal (and a key expiring would leave its rules
    with nobody to pay).
    """
    return PublishingPanel(
        children=[
            FieldPanel(
                "go_live_at",
                widget=AdminDateTimeInput(
                    js_overlay_parent_selector="#schedule-publishing-dialog",
                    attrs={
                        "data-controller": "w-action",
                        "data-action": "w-dialog:hidden->w-action#reset",
                        "data-w-dialog-target": "notify",
                    },
                ),
            )
        ]
    )


class GovernedViewSet(SnippetViewSet):
    """The council's governance in the admin (see :mod:`commissions.views`)."""

    index_view_class = GovernedIndexView
    delete_view_class = GovernedDeleteView
    workflow_action_view_class = GovernedWorkflowActionView
    revisions_compare_view_class = ReviewerRevisionsCompareView


class BeneficiaryViewSet(GovernedViewSet):
    model = Beneficiary
    icon = "group"
    menu_label = _("Beneficiaries")
    list_display = ["name", "kind", "key", "payout_label", "active"]
    list_filter = ["kind", "active", "site", "live"]
    add_view_class = BeneficiaryCreateView
    edit_view_class = BeneficiaryEditView
    copy_view_class = BeneficiaryCopyView
    search_fields = ["name"]
    # Searched in the database: the search backend cannot sort by a foreign key column.
    search_backend_name = None
    panels = [
        FieldPanel("site"),
        FieldRowPanel([FieldPanel("name"), FieldPanel("key")]),
        FieldPanel("kind"),
        FieldPanel("description"),
        FieldPanel("link"),
        FieldPanel("stripe_account"),
        FieldPanel("email"),
        FieldPanel("active"),
        go_live_panel(),
    ]


class DistributionKeyViewSet(GovernedViewSet):
    model = DistributionKey
    icon = "table"
    menu_label = _("Distribution keys")
    list_display = ["name", "key", "site"]
    list_filter = ["site", "live"]
    search_fields = ["name"]
    # Searched in the database: the search backend cannot sort by a foreign key column.
    search_backend_name = None
    add_view_class = KeyCreateView
    edit_view_class = KeyEditView
    copy_view_class = KeyCopyView
    edit_handler = ObjectList(
        [
            FieldPanel("site"),
            FieldRowPanel([FieldPanel("name"), FieldPanel("key")]),
            FieldPanel("description"),
            InlinePanel("shares", label=_("Share"), heading=_("Shares (total 100 %)"), min_num=1),
            go_live_panel(),
        ],
        base_form_class=DistributionKeyForm,
    )


class CommissionRuleViewSet(GovernedViewSet):
    model = CommissionRule
    icon = "calculator"
    menu_label = _("Rules")
    list_display = ["name", "key", "site", "valid_from", "valid_until", "distribution"]
    list_filter = ["site", "live", "distribution"]
    search_fields = ["name"]
    # Searched in the database: the search backend cannot sort by a foreign key column.
    search_backend_name = None
    add_view_class = RuleCreateView
    edit_view_class = RuleEditView
    copy_view_class = RuleCopyView
    edit_handler = ObjectList(
        [
            FieldPanel("site"),
            FieldRowPanel([FieldPanel("name"), FieldPanel("key")]),
            FieldPanel("explanation"),
            MultiFieldPanel(
                [
                    FieldPanel("categories", widget=forms.CheckboxSelectMultiple),
                    FieldPanel("kinds"),
                    FieldPanel("providers"),
                    FieldPanel("communes"),
                    FieldPanel("labels", widget=forms.CheckboxSelectMultiple),
                    FieldRowPanel(
                        [
                            FieldPanel("valid_from"),
                            FieldPanel(
                                "valid_until",
                                help_text=_(
                                    "Bookings made until this day. To end a live rule, set "
                                    "this date and submit the rule for approval: a rule "
                                    "that has been live is never deleted."
                                ),
                            ),
                        ]
                    ),
                ],
                heading=_("Scope"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("season_start_day"), FieldPanel("season_start_month")]
                    ),
                    FieldRowPanel([FieldPanel("season_end_day"), FieldPanel("season_end_month")]),
                ],
                heading=_("Season (dates of the service)"),
                help_text=_(
                    "Leave empty for all year round. A season reads the date of the service, "
                    "whatever the booking date: validity above reads the booking date."
                ),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("provider_rate"), FieldPanel("provider_fixed")]),
                    FieldRowPanel([FieldPanel("provider_min"), FieldPanel("provider_max")]),
                ],
                heading=_("Provider commission"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("visitor_rate"), FieldPanel("visitor_fixed")]),
                    FieldRowPanel([FieldPanel("visitor_min"), FieldPanel("visitor_max")]),
                ],
                heading=_("Service fee (paid by the visitor)"),
            ),
            FieldPanel("distribution"),
            go_live_panel(),
        ],
        base_form_class=CommissionRuleForm,
    )


class ReviewMenuItem(WorkflowMenuItem):
    """A workflow button shown although the object is locked (it saves nothing)."""

    def is_shown(self, context):
        return context["view"] == "edit"


class CommissionsGroup(SnippetViewSetGroup):
    menu_label = _("Commissions")
    menu_icon = "calculator"
    menu_order = 250
    items = (CommissionRuleViewSet, DistributionKeyViewSet, BeneficiaryViewSet)


register_snippet(CommissionsGroup)


class LiveRulesPanel(Component):
    """Dashboard panel: the live rules of each territory, or a warning when there are none."""

    name = "commission_live_rules"
    order = 150
    template_name = "commissions/admin/live_rules_panel.html"

    def get_context_data(self, parent_context=None):
        territories = []
        for site in Site.objects.order_by("site_name", "hostname"):
            rules = live_rules_queryset(site_id=site.pk)
            territories.append(
                {
                    "site": site,
                    "rules": [{"rule": r, "sentences": rule_sentences(r.to_spec())} for r in rules],
                }
            )
        return {"territories": territories}


@hooks.register("register_admin_urls")
def register_preview_urls():
    """The full-page previews of drafts (rules, keys, beneficiaries) for the council."""
    return preview_urls()


@hooks.register("construct_homepage_panels")
def add_live_rules_panel(request, panels):
    if request.user.has_perm("commissions.change_commissionrule"):
        panels.append(LiveRulesPanel())


@hooks.register("construct_snippet_action_menu")
def review_buttons_under_lock(menu_items, request, context):
    """Under review the object is locked for everyone, which hides Wagtail's workflow
    buttons; the reviewers still get "Approve" and "Request changes" (which act on the
    submitted revision, see :class:`commissions.views.ReviewActionMixin`). "Cancel
    workflow" is offered only to who may withdraw the submission
    (:func:`commissions.models.user_may_withdraw`), not to the council."""
    instance = context.get("instance")
    if context.get("view") != "edit" or not isinstance(
        instance, Beneficiary | DistributionKey | CommissionRule
    ):
        return
    task = instance.current_workflow_task
    if not isinstance(task, CommissionApprovalTask):
        return
    if not user_may_withdraw(instance, request.user):
        menu_items[:] = [i for i in menu_items if not isinstance(i, CancelWorkflowMenuItem)]
    if any(isinstance(item, WorkflowMenuItem) for item in menu_items):
        return
    for name, label, launch_modal in task.get_actions(instance, request.user):
        item = ReviewMenuItem(
            name,
            _("%(label)s and Publish") % {"label": label} if name == "approve" else label,
            launch_modal,
            icon_name="success" if name == "approve" else "edit",
        )
        menu_items.insert(0, item)
