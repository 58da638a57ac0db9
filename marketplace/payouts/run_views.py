"""Finance's payout runs in the admin, in the "Ledger" menu: *Payout runs*.

- the list of the territory's runs (reference, day, status, transfers, total);
- *Prepare a run*: a day (today by default), the plan for it (who is paid, who is not and
  why, the total) and a button that prepares it (POST);
- a run: its transfers, the recipients not paid, the totals, its pain.001 file (prepared
  or sent), *Mark as sent* and *Cancel* (each confirmed first, POST).

Finance only (``payouts.view_payoutrun`` to read, ``payouts.manage_payoutrun`` to act, see
:mod:`marketplace.payouts.permissions`); providers never see runs. The views call the
services of :mod:`marketplace.payouts.runs`; every message says what really happened.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets import AdminDateInput

from commissions.money import money
from marketplace.models import TerritorySettings
from marketplace.payouts.models import PayoutRun, PayoutRunStatus, PayoutSettings
from marketplace.payouts.permissions import can_manage_runs, can_view_runs
from marketplace.payouts.runs import (
    PayoutRunRefused,
    payout_run_cancel,
    payout_run_mark_sent,
    payout_run_plan,
    payout_run_prepare,
)
from marketplace.payouts.sepa import SepaRefused, filename, run_pain001
from marketplace.web import site_for_request

URL_NAMESPACE = "payout_runs"


def _url(name: str, *args) -> str:
    return reverse(f"{URL_NAMESPACE}:{name}", args=args)


def settings_url(site) -> str:
    return reverse("wagtailsettings:edit", args=["payouts", "payoutsettings", site.pk])


class RunDayForm(forms.Form):
    until = forms.DateField(
        label=gettext_lazy("Pay what is payable as of"),
        widget=AdminDateInput,
        help_text=gettext_lazy("Today at the latest: what becomes payable later waits."),
    )

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until > timezone.localdate():
            raise forms.ValidationError(
                _("Choose today or an earlier day: %(until)s is in the future.")
                % {"until": until.isoformat()}
            )
        return until


class FinanceMixin(WagtailAdminTemplateMixin):
    """Finance of the request's territory only; ``manage``: may act on runs too."""

    manage = False
    header_icon = "resubmit"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not can_view_runs(user) or (self.manage and not can_manage_runs(user)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def site(self):
        return site_for_request(self.request)

    def get_breadcrumbs_items(self):
        items = self.breadcrumbs_items + [{"url": _url("index"), "label": _("Payout runs")}]
        if self.get_page_title() != _("Payout runs"):
            items.append({"url": "", "label": self.get_page_title()})
        return items

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            site=self.site,
            can_manage=can_manage_runs(self.request.user),
            settings_url=settings_url(self.site) if self.site else "",
        )
        return context


class RunIndexView(FinanceMixin, TemplateView):
    template_name = "payouts/admin/run_index.html"
    page_title = gettext_lazy("Payout runs")
    per_page = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        runs = (
            PayoutRun.objects.filter(site=self.site)
            .select_related("prepared_by")
            .annotate(total=Sum("lines__amount"), payouts=Count("lines"))
            .order_by("-prepared_at", "-pk")
        )
        page = Paginator(runs, self.per_page).get_page(self.request.GET.get("p"))
        context.update(
            page=page,
            runs=[{"run": run, "url": _url("detail", run.pk)} for run in page.object_list],
            prepare_url=_url("prepare"),
            payout_settings=PayoutSettings.for_site(self.site),
        )
        return context


class RunPrepareView(FinanceMixin, TemplateView):
    """The plan of a run as of a day, then (POST) the run itself."""

    template_name = "payouts/admin/run_prepare.html"
    page_title = gettext_lazy("Prepare a payout run")
    manage = True

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        if "until" not in data:
            return RunDayForm(initial={"until": timezone.localdate()}), timezone.localdate()
        form = RunDayForm(data)
        return form, (form.cleaned_data["until"] if form.is_valid() else None)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, until = self.get_form()
        plan = None
        if until is not None:
            try:
                plan = payout_run_plan(site=self.site, until=until)
            except PayoutRunRefused as refused:
                form.add_error("until", str(refused.message))
        context.update(
            form=form,
            plan=plan,
            currency=TerritorySettings.for_site(self.site).currency,
            index_url=_url("index"),
        )
        return context

    def post(self, request, *args, **kwargs):
        form, until = self.get_form()
        if until is None:
            return self.render_to_response(self.get_context_data())
        try:
            expected = int(request.POST.get("total", ""))
        except ValueError:
            expected = None
        try:
            if expected is None:
                raise PayoutRunRefused(
                    _("The plan's total is missing: check the plan, then prepare the run."),
                    "plan_changed",
                )
            run = payout_run_prepare(
                site=self.site, until=until, by=request.user, expected_total=expected
            )
        except PayoutRunRefused as refused:
            messages.error(request, str(refused.message))
            return self.render_to_response(self.get_context_data())
        lines = list(run.lines.values_list("amount", flat=True))
        messages.success(
            request,
            ngettext(
                "Payout run %(reference)s prepared: %(count)s transfer, %(total)s, recorded "
                "in the ledger. Download its file, send it to your bank, then mark the run "
                "as sent.",
                "Payout run %(reference)s prepared: %(count)s transfers, %(total)s, recorded "
                "in the ledger. Download its file, send it to your bank, then mark the run "
                "as sent.",
                len(lines),
            )
            % {
                "reference": run.reference,
                "count": len(lines),
                "total": money(sum(lines), currency=run.currency),
            },
        )
        return redirect(_url("detail", run.pk))


class RunMixin(FinanceMixin):
    """The run of the URL, in the request's territory (else 404)."""

    @cached_property
    def run(self) -> PayoutRun:
        return get_object_or_404(
            PayoutRun.objects.filter(site=self.site).select_related(
                "prepared_by", "sent_by", "cancelled_by"
            ),
            pk=self.kwargs["pk"],
        )

    def get_page_subtitle(self):
        return self.run.reference


class RunDetailView(RunMixin, TemplateView):
    template_name = "payouts/admin/run_detail.html"
    page_title = gettext_lazy("Payout run")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.run
        lines = list(run.lines.order_by("name", "account"))
        context.update(
            run=run,
            lines=lines,
            skips=list(run.skips.order_by("name", "account")),
            total=sum(line.amount for line in lines),
            currency=run.currency,
            sepa_url=_url("sepa", run.pk) if run.status != PayoutRunStatus.CANCELLED else "",
            sent_url=_url("mark_sent", run.pk) if run.is_prepared else "",
            cancel_url=_url("cancel", run.pk) if run.is_prepared else "",
            index_url=_url("index"),
        )
        return context


class RunSepaView(RunMixin, View):
    """The run's pain.001 file, to upload to the operator's bank."""

    def get(self, request, *args, **kwargs):
        try:
            content = run_pain001(self.run)
        except SepaRefused:
            raise Http404(_("This payout run has no transfer file: it was cancelled.")) from None
        response = HttpResponse(content, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{filename(self.run)}"'
        return response


class RunActionView(RunMixin, TemplateView):
    """Confirm (GET), then do (POST): mark as sent, or cancel."""

    template_name = "payouts/admin/run_confirm.html"
    manage = True
    action = "mark_sent"

    def get_page_title(self):
        if self.action == "cancel":
            return _("Cancel the payout run")
        return _("Mark the payout run as sent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lines = list(self.run.lines.values_list("amount", flat=True))
        context.update(
            run=self.run,
            action=self.action,
            count=len(lines),
            total=sum(lines),
            currency=self.run.currency,
            detail_url=_url("detail", self.run.pk),
        )
        return context

    def post(self, request, *args, **kwargs):
        run = self.run
        try:
            if self.action == "cancel":
                run, changed = payout_run_cancel(run=run, by=request.user)
                if changed:
                    messages.success(
                        request,
                        _(
                            "Payout run %(reference)s is cancelled: its payouts are reversed "
                            "in the ledger and payable again, to the next run. Do not send "
                            "its file to the bank."
                        )
                        % {"reference": run.reference},
                    )
                else:
                    messages.info(
                        request,
                        _("Payout run %(reference)s was already cancelled: nothing changed.")
                        % {"reference": run.reference},
                    )
            else:
                run, changed = payout_run_mark_sent(run=run, by=request.user)
                if changed:
                    messages.success(
                        request,
                        _(
                            "Payout run %(reference)s is marked as sent to the bank; it can "
                            "no longer be cancelled."
                        )
                        % {"reference": run.reference},
                    )
                else:
                    messages.info(
                        request,
                        _("Payout run %(reference)s was already marked as sent: nothing changed.")
                        % {"reference": run.reference},
                    )
        except PayoutRunRefused as refused:
            messages.error(request, str(refused.message))
        return redirect(_url("detail", run.pk))


class PayoutRunsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_runs(request.user)


class PayoutRunViewSet(ViewSet):
    name = URL_NAMESPACE
    icon = "resubmit"
    menu_label = gettext_lazy("Payout runs")
    menu_item_class = PayoutRunsMenuItem

    def get_urlpatterns(self):
        return [
            path("", RunIndexView.as_view(), name="index"),
            path("prepare/", RunPrepareView.as_view(), name="prepare"),
            path("<id:pk>/", RunDetailView.as_view(), name="detail"),
            path("<id:pk>/pain001/", RunSepaView.as_view(), name="sepa"),
            path("<id:pk>/sent/", RunActionView.as_view(action="mark_sent"), name="mark_sent"),
            path("<id:pk>/cancel/", RunActionView.as_view(action="cancel"), name="cancel"),
        ]
