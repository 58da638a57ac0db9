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
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from commissions.forms import CommissionRuleForm, DistributionKeyForm
from commissions.models import Beneficiary, CommissionRule, DistributionKey
from commissions.views import (
    CommissionCreateView,
    CommissionEditView,
    CommissionWorkflowActionView,
    RuleCreateView,
    RuleEditView,
)


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


class BeneficiaryViewSet(SnippetViewSet):
    model = Beneficiary
    icon = "group"
    menu_label = _("Beneficiaries")
    list_display = ["name", "kind", "key", "payout_label", "active"]
    list_filter = ["kind", "active", "site"]
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
        FieldPanel("active"),
    ]


class DistributionKeyViewSet(SnippetViewSet):
    model = DistributionKey
    icon = "table"
    menu_label = _("Distribution keys")
    list_display = ["name", "key", "site"]
    list_filter = ["site", "live"]
    search_fields = ["name"]
    # Searched in the database: the search backend cannot sort by a foreign key column.
    search_backend_name = None
    add_view_class = CommissionCreateView
    edit_view_class = CommissionEditView
    workflow_action_view_class = CommissionWorkflowActionView
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


class CommissionRuleViewSet(SnippetViewSet):
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
    workflow_action_view_class = CommissionWorkflowActionView
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
                    FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
                ],
                heading=_("Scope"),
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
        from wagtail.models import Site

        from commissions.describe import rule_sentences
        from commissions.selectors import live_rules_queryset

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


@hooks.register("construct_homepage_panels")
def add_live_rules_panel(request, panels):
    if request.user.has_perm("commissions.change_commissionrule"):
        panels.append(LiveRulesPanel())
