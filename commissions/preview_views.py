"""The preview elected officials read before voting: full admin pages, and printable.

A draft rule, a draft distribution key or a beneficiary change, quoted over the bookings
of a period the reader chooses (:mod:`commissions.simulation` does the sums); the page
names everything (beneficiaries, categories, providers), shows the difference in € and %
for each, sorted by impact, each side apart, and prints on A4 for the deliberation
(``?print=1``: a page of its own, without the admin's menus).

The draft is the object's latest revision, or ``?revision=<id>`` (one of that object's).
Beneficiaries have no revisions yet: their preview shows the live object until they do
(``get_latest_revision_as_object``), and :func:`commissions.simulation.beneficiary_preview`
takes any modified instance.

Who may read it: whoever may change commission objects (finance) or approve them (the
groups of the commission workflow's approval tasks: the council), and superusers.
"""

import datetime as dt
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.models import Revision

from commissions.dates import territory_today
from commissions.describe import rule_sentences
from commissions.engine import OPERATOR
from commissions.models import (
    Beneficiary,
    CommissionApprovalTask,
    CommissionRule,
    DistributionKey,
    rule_preview_wanted,
)
from commissions.selectors import (
    beneficiary_names,
    category_and_provider_names,
    live_rules_queryset,
)
from commissions.simulation import (
    DEFAULT_PERIOD,
    MAX_PERIOD_DAYS,
    Figure,
    Period,
    Simulation,
    beneficiary_preview,
    draft_start_to_come,
    impact_order,
    key_simulate,
    period_preset,
    rule_simulate,
)
from commissions.transparency import scope_names

EARLIEST = dt.date(2000, 1, 1)

PERIOD_CHOICES = [
    ("30", _("The last 30 days")),
    ("90", _("The last 90 days")),
    ("365", _("The last 365 days")),
    ("year", _("Since January 1st")),
    ("summer", _("Last summer (July and August)")),
    ("last-year", _("The same 90 days last year")),
    ("custom", _("Chosen dates")),
]


# --- Who may read it -------------------------------------------------------------------


def preview_allowed(user) -> bool:
    """Finance (who change commission objects), the council (who approve them), superusers."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if any(
        user.has_perm(f"commissions.change_{model}")
        for model in ("commissionrule", "distributionkey", "beneficiary")
    ):
        return True
    from wagtail.models import GroupApprovalTask

    workflow = CommissionRule.get_default_workflow()
    if workflow is None:
        return False
    return any(
        task_model.objects.filter(
            active=True,
            workflow_tasks__workflow=workflow,
            groups__in=user.groups.all(),
        ).exists()
        for task_model in (CommissionApprovalTask, GroupApprovalTask)
    )


# --- The period ---------------------------------------------------------------------------


class PeriodForm(forms.Form):
    """The period of bookings the reader chooses: a preset, or two dates."""

    period = forms.ChoiceField(
        label=_("Period"), choices=PERIOD_CHOICES, required=False, initial=DEFAULT_PERIOD
    )
    since = forms.DateField(
        label=_("Start date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("End date (included)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        name = data.get("period") or DEFAULT_PERIOD
        if name != "custom":
            data["result"] = period_preset(name, today=self.today)
            return data
        since, until = data.get("since"), data.get("until")
        if "since" in self.errors or "until" in self.errors:
            return data
        if since is None or until is None:
            raise forms.ValidationError(
                _("Give the start and the end date of the period."), code="dates_missing"
            )
        errors = []
        if since > until:
            errors.append(
                forms.ValidationError(
                    _("The start date is after the end date."), code="dates_reversed"
                )
            )
        elif (until - since).days + 1 > MAX_PERIOD_DAYS:
            errors.append(
                forms.ValidationError(
                    _("A period covers at most %(days)s days.") % {"days": MAX_PERIOD_DAYS},
                    code="period_too_long",
                )
            )
        if until > self.today or since < EARLIEST:
            errors.append(
                forms.ValidationError(
                    _("Choose dates between %(first)s and today.")
                    % {"first": date_format(EARLIEST, "SHORT_DATE_FORMAT")},
                    code="dates_out_of_range",
                )
            )
        if errors:
            raise forms.ValidationError(errors)
        data["result"] = Period(since, until)
        return data


# --- What the page shows ------------------------------------------------------------------


@dataclass
class Row:
    """A beneficiary's share: today and with the draft."""

    key: str
    name: str
    figure: Figure


@dataclass
class GroupRow:
    """A category or a provider: each side, and both."""

    key: str
    name: str
    visitor: Figure
    provider: Figure
    commission: Figure

    @property
    def figure(self) -> Figure:
        return self.commission

    @property
    def sides(self):
        return [
            (gettext("Service fees (visitors)"), self.visitor),
            (gettext("Provider commission"), self.provider),
            (gettext("Total"), self.commission),
        ]


@dataclass
class Preview:
    kind: str
    object: object
    draft: object
    revision: Revision | None
    period: Period
    simulation: Simulation
    beneficiary_rows: list[Row] = field(default_factory=list)
    category_rows: list[GroupRow] = field(default_factory=list)
    provider_rows: list[GroupRow] = field(default_factory=list)
    rules: list = field(default_factory=list)  # live rules concerned (keys, beneficiaries)
    sentences: list[str] = field(default_factory=list)  # the draft rule in plain words
    live_sentences: list[str] = field(default_factory=list)
    beneficiary: object = None  # commissions.simulation.BeneficiaryPreview
    shares: list = field(default_factory=list)  # a key's (name, live %, draft %)
    # A draft rule's first day when still to come: the period's bookings are quoted with
    # the draft as if made on that day.
    draft_booked_from: dt.date | None = None

    @property
    def totals(self):
        sim = self.simulation
        return [
            (gettext("Service fees (visitors)"), sim.totals.visitor),
            (gettext("Provider commission"), sim.totals.provider),
        ]


def preview_rows(*, site, simulation: Simulation) -> dict:
    """Rows with names, sorted by impact (a query per kind of name, whatever the size)."""
    keys = set(simulation.beneficiaries)
    names = beneficiary_names(site_id=site.pk, keys=keys - {OPERATOR})
    names[OPERATOR] = gettext("The operator (no distribution key)")
    categories, providers = category_and_provider_names(
        site_id=site.pk, categories=simulation.categories, providers=simulation.providers
    )
    categories[""] = gettext("No category")
    providers[""] = gettext("No provider")

    def groups(data, lookup):
        rows = [
            GroupRow(k, lookup.get(k, k), s.visitor, s.provider, s.commission)
            for k, s in data.items()
        ]
        return sorted(rows, key=lambda r: impact_order(r.commission, r.name))

    beneficiaries = [Row(k, names.get(k, k), f) for k, f in simulation.beneficiaries.items()]
    return {
        "beneficiary_rows": sorted(beneficiaries, key=lambda r: impact_order(r.figure, r.name)),
        "category_rows": groups(simulation.categories, categories),
        "provider_rows": groups(simulation.providers, providers),
    }


# --- The views ---------------------------------------------------------------------------


class PreviewView(WagtailAdminTemplateMixin, TemplateView):
    """A draft's effect over a period; ``?print=1`` for the printable page."""

    model = None
    kind = ""
    template_name = "commissions/preview/page.html"
    print_template_name = "commissions/preview/print.html"
    header_icon = "view"

    def dispatch(self, request, *args, pk, **kwargs):
        if not preview_allowed(request.user):
            raise PermissionDenied
        self.object = get_object_or_404(self.model, pk=pk)
        self.draft, self.revision = self.get_draft()
        return super().dispatch(request, *args, **kwargs)

    def get_draft(self):
        """The revision asked for (it must be this object's), else the latest one."""
        if not hasattr(self.object, "get_latest_revision_as_object"):
            return self.object, None
        asked = self.request.GET.get("revision", "")
        if asked:
            if not (asked.isascii() and asked.isdigit()) or len(asked) > 18:
                raise Http404
            revision = Revision.objects.for_instance(self.object).filter(pk=int(asked)).first()
            if revision is None:
                raise Http404
        else:
            revision = self.object.latest_revision
        if revision is None:
            return self.object, None
        return revision.as_object(), revision

    @property
    def printing(self) -> bool:
        return self.request.GET.get("print") == "1"

    def get_template_names(self):
        return [self.print_template_name if self.printing else self.template_name]

    def get_page_title(self):
        return gettext("Preview: %(name)s") % {"name": self.draft}

    @cached_property
    def edit_url(self):
        meta = self.model._meta
        return reverse(
            f"wagtailsnippets_{meta.app_label}_{meta.model_name}:edit", args=[self.object.pk]
        )

    def get_breadcrumbs_items(self):
        meta = self.model._meta
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse(f"wagtailsnippets_{meta.app_label}_{meta.model_name}:list"),
                "label": str(meta.verbose_name_plural).capitalize(),
            },
            {"url": self.edit_url, "label": str(self.object)},
            {"url": "", "label": gettext("Preview")},
        ]

    def get_header_buttons(self):
        query = self.request.GET.copy()
        query["print"] = "1"
        return [
            HeaderButton(
                gettext("Printable version"),
                url=f"{self.request.path}?{query.urlencode()}",
                icon_name="doc-full",
            ),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = territory_today()
        data = self.request.GET.copy()
        if not data.get("period"):
            data["period"] = DEFAULT_PERIOD
        form = PeriodForm(data, today=today)
        preview = self.build_preview(form.cleaned_data["result"]) if form.is_valid() else None
        site = self.object.site
        context.update(
            {
                "object": self.object,
                "draft": self.draft,
                "revision": self.revision,
                "form": form,
                "preview": preview,
                "kind": self.kind,
                "site": site,
                "territory": site.site_name or site.hostname,
                "generated_at": timezone.localtime(),
                "edit_url": self.edit_url,
            }
        )
        return context

    def build_preview(self, period: Period) -> Preview:
        raise NotImplementedError

    def preview(self, *, period: Period, simulation: Simulation, **values) -> Preview:
        """The page's :class:`Preview` of ``simulation``, its rows named and sorted."""
        return Preview(
            kind=self.kind,
            object=self.object,
            draft=self.draft,
            revision=self.revision,
            period=period,
            simulation=simulation,
            **values,
            **preview_rows(site=self.object.site, simulation=simulation),
        )


class RulePreviewView(PreviewView):
    model = CommissionRule
    kind = "rule"

    def build_preview(self, period):
        site = self.object.site
        live_rules = list(live_rules_queryset(site_id=site.pk))
        simulation = rule_simulate(
            draft=self.draft, site=site, period=period, live_rules=live_rules
        )
        spec = self.draft.to_spec()
        live = next((r for r in live_rules if r.pk == self.object.pk), None)
        live_spec = live.to_spec() if live is not None else None
        names = scope_names([spec] + ([live_spec] if live_spec else []))
        return self.preview(
            period=period,
            simulation=simulation,
            sentences=rule_sentences(spec, names),
            live_sentences=rule_sentences(live_spec, names) if live_spec else [],
            draft_booked_from=draft_start_to_come(self.draft),
        )


class KeyPreviewView(PreviewView):
    model = DistributionKey
    kind = "key"

    def build_preview(self, period):
        site = self.object.site
        live_rules = list(live_rules_queryset(site_id=site.pk))
        simulation = key_simulate(
            draft_key=self.draft, site=site, period=period, live_rules=live_rules
        )
        return self.preview(
            period=period,
            simulation=simulation,
            rules=sorted(
                (r for r in live_rules if r.distribution_id == self.object.pk),
                key=lambda r: r.name.casefold(),
            ),
            shares=self.shares(),
        )

    def shares(self) -> list[tuple[str, object, object]]:
        """Each beneficiary's share today and in the draft (None where it has none)."""
        live = {s.beneficiary_id: s for s in self.object.shares.select_related("beneficiary")}
        draft = {s.beneficiary_id: s for s in self.draft.shares.all()}
        rows = []
        for beneficiary_id in dict.fromkeys([*draft, *live]):
            share = draft.get(beneficiary_id) or live[beneficiary_id]
            rows.append(
                (
                    share.beneficiary.name,
                    live[beneficiary_id].percentage if beneficiary_id in live else None,
                    draft[beneficiary_id].percentage if beneficiary_id in draft else None,
                )
            )
        return rows


class BeneficiaryPreviewView(PreviewView):
    model = Beneficiary
    kind = "beneficiary"

    def build_preview(self, period):
        result = beneficiary_preview(live=self.object, draft=self.draft, period=period)
        return self.preview(
            period=period, simulation=result.simulation, rules=result.rules, beneficiary=result
        )


def preview_urls():
    return [
        path(
            "commissions/preview/rule/<int:pk>/",
            RulePreviewView.as_view(),
            name="commissions_preview_rule",
        ),
        path(
            "commissions/preview/key/<int:pk>/",
            KeyPreviewView.as_view(),
            name="commissions_preview_key",
        ),
        path(
            "commissions/preview/beneficiary/<int:pk>/",
            BeneficiaryPreviewView.as_view(),
            name="commissions_preview_beneficiary",
        ),
    ]


PREVIEW_URL_NAMES = {
    CommissionRule: "commissions_preview_rule",
    DistributionKey: "commissions_preview_key",
    Beneficiary: "commissions_preview_beneficiary",
}


class PreviewLinkMixin:
    """A "Preview for the council" button in the header of a snippet's edit page."""

    def get_header_buttons(self):
        buttons = super().get_header_buttons()
        if preview_allowed(self.request.user):
            url = reverse(PREVIEW_URL_NAMES[self.model], args=[self.object.pk])
            buttons.insert(
                0,
                HeaderButton(gettext("Preview for the council"), url=url, icon_name="view"),
            )
        return buttons


@receiver(rule_preview_wanted, sender=CommissionRule)
def rule_preview_context(sender, rule: CommissionRule, request, **kwargs) -> dict:
    """The rule's editing preview: in plain words, and its effect on the last 90 days."""
    spec = rule.to_spec()
    simulation = rule_simulate(draft=rule, site=rule.site)
    context = {
        "sentences": rule_sentences(spec, scope_names([spec])),
        "simulation": simulation,
        "draft_booked_from": draft_start_to_come(rule),
        **preview_rows(site=rule.site, simulation=simulation),
    }
    if rule.pk:
        context["full_preview_url"] = reverse("commissions_preview_rule", args=[rule.pk])
    return context
