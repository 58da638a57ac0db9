"""The bank details' admin pages.

- **Finance** (``payouts.view_bankaccount``; approvers: ``payouts.review_bankaccount``):
  *Bank details*, a Wagtail ``ModelViewSet`` limited to the request's territory: the list
  (pending first, filters by status and kind of recipient, IBANs masked), the details of
  one submission (full IBAN, to check against the recipient's RIB) and its history, a
  form to submit details for any recipient, and approve / reject pages that confirm
  first. There is no edit nor delete view: rows are the trail.
- **A provider's members**: *My bank details*, one page per provider they manage: the
  details in force (masked), the ones awaiting approval, the last rejection and a form to
  submit new ones. Another provider's id is a 404.

The rules (who submits, who approves) are the services'; these views ask them.
"""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies import ModelPermissionPolicy

from marketplace.members import MemberMenuItem, member_provider_ids
from marketplace.models import Provider
from marketplace.payouts.forms import BankDetailsForm, FinanceBankDetailsForm, RejectForm
from marketplace.payouts.models import BankAccount, BankAccountStatus
from marketplace.payouts.permissions import can_review
from marketplace.payouts.recipients import (
    KIND_LABELS,
    KIND_PREFIXES,
    recipients_for,
    site_recipients,
)
from marketplace.payouts.selectors import (
    approved_bank_account,
    bank_accounts_for_review,
    pending_bank_account,
    recent_rejection,
)
from marketplace.payouts.services import (
    BankAccountRefused,
    bank_account_approve,
    bank_account_reject,
    bank_account_submit,
)
from marketplace.web import site_for_request


class BankAccountPermissionPolicy(ModelPermissionPolicy):
    """Django's model permissions for view, add and review; nobody edits or deletes."""

    ALLOWED = ("view", "add", "review")

    def user_has_permission(self, user, action):
        return action in self.ALLOWED and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return super().user_has_any_permission(user, [a for a in actions if a in self.ALLOWED])


# --- Finance ----------------------------------------------------------------------------


class BankAccountFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=BankAccountStatus.choices,
        empty_label=gettext_lazy("All"),
    )
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("Recipient"),
        choices=list(KIND_LABELS.items()),
        empty_label=gettext_lazy("All"),
        method="filter_kind",
    )

    class Meta:
        model = BankAccount
        fields = ["status", "kind"]

    def filter_kind(self, queryset, name, value):
        return queryset.filter(account__startswith=KIND_PREFIXES[value])


class BankAccountIndexView(generic.IndexView):
    default_ordering = ("pending_first", "-submitted_at", "-pk")
    approve_url_name = None
    reject_url_name = None

    def get_base_queryset(self):
        return bank_accounts_for_review(site_for_request(self.request))

    def get_table(self, object_list):
        rows = list(object_list)
        found = recipients_for(
            site=site_for_request(self.request), accounts=[r.account for r in rows]
        )
        for row in rows:
            row.recipient = found.get(row.account)
        return super().get_table(rows)

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        user = self.request.user
        if instance.is_pending and can_review(user):
            if instance.submitted_by_id != user.pk:
                # The service refuses it anyway; no button that can only fail.
                buttons.insert(
                    0,
                    Button(
                        _("Approve"),
                        url=reverse(self.approve_url_name, args=[instance.pk]),
                        icon_name="check",
                        priority=5,
                    ),
                )
            buttons.append(
                Button(
                    _("Reject"),
                    url=reverse(self.reject_url_name, args=[instance.pk]),
                    icon_name="cross",
                    priority=6,
                )
            )
        return buttons


class BankAccountInspectView(generic.InspectView):
    def get_object(self, queryset=None):
        rows = BankAccount.objects.for_site(site_for_request(self.request))
        return get_object_or_404(rows, pk=self.pk)


class BankAccountHistoryView(history.HistoryView):
    def get_base_object_queryset(self):
        return super().get_base_object_queryset().filter(site=site_for_request(self.request))


class _TitledPageMixin:
    """The page's title in the admin's header (its breadcrumbs), not just "Home"."""

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


def _submitted(form, *, site, account: str, by) -> bool:
    """Submit the form's bank details for ``account``; what the service refuses goes on the
    form (on its field when it names one) and nothing is saved."""
    data = form.cleaned_data
    try:
        bank_account_submit(
            site=site,
            account=account,
            holder_name=data["holder_name"],
            iban=data["iban"],
            bic=data["bic"],
            by=by,
        )
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return False
    except BankAccountRefused as refused:
        form.add_error(None, str(refused.message))
        return False
    return True


class _SiteObjectMixin:
    """The row of the URL, in the request's territory (else 404)."""

    def get_object(self):
        rows = BankAccount.objects.for_site(site_for_request(self.request))
        return get_object_or_404(
            rows.select_related("submitted_by", "decided_by"), pk=self.kwargs["pk"]
        )


class BankAccountCreateView(
    generic.PermissionCheckedMixin, _TitledPageMixin, WagtailAdminTemplateMixin, FormView
):
    """Finance submits details for any recipient of the territory (a second person
    approves them)."""

    model = BankAccount
    permission_required = "add"
    template_name = "payouts/admin/bank_account_form.html"
    page_title = gettext_lazy("Submit bank details")
    header_icon = "form"
    index_url_name = None

    def get_form(self, form_class=None):
        return FinanceBankDetailsForm(
            **self.get_form_kwargs(),
            recipients=site_recipients(site=site_for_request(self.request)),
        )

    def get_initial(self):
        return {"account": self.request.GET.get("account", "")}

    def form_valid(self, form):
        site, account = site_for_request(self.request), form.cleaned_data["account"]
        if not _submitted(form, site=site, account=account, by=self.request.user):
            return self.form_invalid(form)
        messages.success(
            self.request, _("The bank details are submitted: another person must approve them.")
        )
        return redirect(self.index_url_name)


class BankAccountDecisionView(
    generic.PermissionCheckedMixin, _SiteObjectMixin, WagtailAdminTemplateMixin, TemplateView
):
    """Confirm, then approve (or reject with a reason) one pending submission."""

    model = BankAccount
    permission_required = "review"
    template_name = "payouts/admin/bank_account_decide.html"
    header_icon = "form"
    index_url_name = None
    decision = "approve"

    def get_page_title(self):
        return _("Approve bank details") if self.decision == "approve" else _("Reject bank details")

    def dispatch(self, request, *args, **kwargs):
        self.kwargs = kwargs
        self.object = None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self.object or self.get_object()
        site = site_for_request(self.request)
        recipient = recipients_for(site=site, accounts=[row.account]).get(row.account)
        context.update(
            bank_account=row,
            recipient=recipient,
            in_force=approved_bank_account(site, row.account),
            decision=self.decision,
            reject_form=kwargs.get("reject_form") or RejectForm(),
            index_url=reverse(self.index_url_name),
        )
        return context

    def post(self, request, *args, **kwargs):
        self.object = row = self.get_object()
        try:
            if self.decision == "approve":
                bank_account_approve(bank_account=row, by=request.user)
                messages.success(request, _("The bank details are approved and now in force."))
            else:
                form = RejectForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(reject_form=form))
                bank_account_reject(
                    bank_account=row, by=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The bank details are rejected."))
        except BankAccountRefused as refused:
            messages.error(request, str(refused.message))
        return redirect(self.index_url_name)


class BankAccountViewSet(ModelViewSet):
    model = BankAccount
    name = "bank_accounts"
    icon = "form"
    menu_label = gettext_lazy("Bank details")
    menu_order = 520
    add_to_admin_menu = True
    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = BankAccountIndexView
    inspect_view_class = BankAccountInspectView
    history_view_class = BankAccountHistoryView
    filterset_class = BankAccountFilterSet
    list_per_page = 50
    list_display = [
        "recipient_label",
        "holder_name",
        Column("iban", label=gettext_lazy("IBAN"), accessor="iban_masked"),
        "bic",
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        Column("submitted_by", label=gettext_lazy("Submitted by"), accessor="submitted_by"),
        DateColumn("submitted_at", label=gettext_lazy("Submitted at")),
        Column("decided_by", label=gettext_lazy("Approved or rejected by"), accessor="decided_by"),
    ]
    inspect_view_fields = [
        "account",
        "holder_name",
        "iban_display",
        "bic",
        "bic_derived",
        "status",
        "submitted_by",
        "submitted_at",
        "decided_by",
        "decided_at",
        "rejection_reason",
        "superseded_at",
    ]

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs["edit_url_name"] = None
        view_kwargs["delete_url_name"] = None
        view_kwargs["usage_url_name"] = None
        return view_kwargs

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            approve_url_name=self.get_url_name("approve"),
            reject_url_name=self.get_url_name("reject"),
            **kwargs,
        )

    @property
    def add_view(self):
        return self.construct_view(BankAccountCreateView, index_url_name=self.get_url_name("index"))

    @property
    def approve_view(self):
        return self.construct_view(
            BankAccountDecisionView, index_url_name=self.get_url_name("index"), decision="approve"
        )

    @property
    def reject_view(self):
        return self.construct_view(
            BankAccountDecisionView, index_url_name=self.get_url_name("index"), decision="reject"
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", self.add_view, name="add"),
            path("inspect/<id:pk>/", self.inspect_view, name="inspect"),
            path("history/<id:pk>/", self.history_view, name="history"),
            path("history-results/<id:pk>/", self.history_results_view, name="history_results"),
            path("approve/<id:pk>/", self.approve_view, name="approve"),
            path("reject/<id:pk>/", self.reject_view, name="reject"),
        ]


# --- A provider's members ---------------------------------------------------------------


class ProviderBankDetailsIndexView(_TitledPageMixin, WagtailAdminTemplateMixin, TemplateView):
    """The providers one is a member of, each with its details in force (masked)."""

    template_name = "payouts/admin/provider_bank_index.html"
    page_title = gettext_lazy("My bank details")
    header_icon = "form"

    def dispatch(self, request, *args, **kwargs):
        if not member_provider_ids(user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        providers = Provider.objects.filter(pk__in=member_provider_ids(user=self.request.user))
        rows = []
        for provider in providers.select_related("site").order_by("name", "pk"):
            account = f"provider:{provider.pk}"
            rows.append(
                {
                    "provider": provider,
                    "in_force": approved_bank_account(provider.site, account),
                    "pending": pending_bank_account(provider.site, account),
                    "url": reverse("bank_details:provider", args=[provider.pk]),
                }
            )
        context["rows"] = rows
        return context


class ProviderBankDetailsView(_TitledPageMixin, WagtailAdminTemplateMixin, FormView):
    """One provider's bank details: in force (masked), pending, and a form for new ones."""

    template_name = "payouts/admin/provider_bank_details.html"
    page_title = gettext_lazy("My bank details")
    header_icon = "form"
    form_class = BankDetailsForm

    def dispatch(self, request, *args, provider_id: int, **kwargs):
        if provider_id not in member_provider_ids(user=request.user):
            raise Http404
        self.provider = Provider.objects.select_related("site").get(pk=provider_id)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.provider.name

    @cached_property
    def account(self) -> str:
        return f"provider:{self.provider.pk}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = self.provider.site
        context.update(
            provider=self.provider,
            in_force=approved_bank_account(site, self.account),
            pending=pending_bank_account(site, self.account),
            rejection=recent_rejection(site, self.account),
        )
        return context

    def form_valid(self, form):
        if not _submitted(
            form, site=self.provider.site, account=self.account, by=self.request.user
        ):
            return self.form_invalid(form)
        if approved_bank_account(self.provider.site, self.account) is not None:
            text = _(
                "Your new bank details are submitted. The territory's finance team checks "
                "them; until then, transfers go to the details in force."
            )
        else:
            # No details in force: nothing can be paid by transfer until these are approved.
            text = _(
                "Your bank details are submitted. The territory's finance team checks them; "
                "no transfer can be made to you before they are approved."
            )
        messages.success(self.request, text)
        return redirect("bank_details:provider", self.provider.pk)


class ProviderBankDetailsViewSet(ViewSet):
    name = "bank_details"
    icon = "form"
    menu_label = gettext_lazy("My bank details")
    menu_order = 162
    add_to_admin_menu = True
    menu_item_class = MemberMenuItem

    def get_urlpatterns(self):
        return [
            path("", ProviderBankDetailsIndexView.as_view(), name="index"),
            path("<id:provider_id>/", ProviderBankDetailsView.as_view(), name="provider"),
        ]
