"""Finance's statements (issue 13 §3): any recipient of a territory (provider,
commission beneficiary, commune's tax collector), over any period, on a page and as CSV
and PDF downloads, at ``/admin/statements/?site=&account=&since=&until=``.

Only those who read the ledger (``books.view_ledger``, see
:class:`marketplace.books.admin.LedgerReaderMixin`) reach it. A provider's members read
their own statement on "Mon relevé" (:mod:`marketplace.books.admin`), never here. The
statement itself is :func:`marketplace.payouts.statements.recipient_statement`.
"""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from marketplace.books.admin import (
    LedgerReaderMenuItem,
    LedgerReaderMixin,
    StatementPeriodForm,
    in_ledger_menu,
)
from marketplace.payouts.recipients import KIND_LABELS, site_recipients
from marketplace.payouts.statement_pages import (
    CSV,
    PDF,
    download_query,
    statement_download,
    statement_period,
)
from marketplace.payouts.statements import recipient_statement, statement_totals


class RecipientStatementForm(StatementPeriodForm):
    account = forms.ChoiceField(label=_("Recipient"), choices=())
    field_order = ["account", "since", "until"]

    def __init__(self, *args, recipients=(), **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list] = {}
        for r in recipients:
            groups.setdefault(r.kind, []).append((r.account, r.name))
        self.fields["account"].choices = [("", "---------")] + [
            (str(KIND_LABELS[kind]), choices) for kind, choices in groups.items()
        ]


class RecipientStatementView(LedgerReaderMixin, WagtailAdminTemplateMixin, TemplateView):
    """A recipient's statement for finance; ``file_format`` makes it a download."""

    template_name = "payouts/admin/statement.html"
    page_title = _("Statements")
    header_icon = "table"
    file_format: str | None = None

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    @cached_property
    def form(self) -> RecipientStatementForm:
        recipients = site_recipients(site=self.site) if self.site else []
        return RecipientStatementForm(self.request.GET or None, recipients=recipients)

    @cached_property
    def statement(self):
        form = self.form
        if not form.is_bound or not form.is_valid():
            return None
        since, until = statement_period(form)
        return recipient_statement(
            site=self.site, account=form.cleaned_data["account"], since=since, until=until
        )

    def get(self, request, *args, **kwargs):
        if self.file_format:
            if self.statement is None:
                raise Http404
            return statement_download(self.statement, self.file_format)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, statement = self.form, self.statement
        if not form.is_bound:
            since, until = statement_period(form)
            form.initial = {"since": since, "until": until}
        context.update(sites=self.sites, site=self.site, form=form, statement=statement)
        if statement is not None:
            query = download_query(
                site=self.site.pk,
                account=statement.account,
                since=statement.since.isoformat(),
                until=statement.until.isoformat(),
            )
            context.update(
                totals=statement_totals(statement),
                csv_url=reverse("statements:csv") + query,
                pdf_url=reverse("statements:pdf") + query,
            )
        return context


class StatementsViewSet(ViewSet):
    name = "statements"
    icon = "table"
    menu_label = _("Statements")
    menu_item_class = LedgerReaderMenuItem

    def get_urlpatterns(self):
        return [
            path("", RecipientStatementView.as_view(), name="index"),
            path("csv/", RecipientStatementView.as_view(file_format=CSV), name="csv"),
            path("pdf/", RecipientStatementView.as_view(file_format=PDF), name="pdf"),
        ]


def statements_viewset() -> ViewSet:
    """Finance's statements, in the "Ledger" menu after the payment provider's lists,
    before the tourist tax declarations (also about what recipients are owed)."""
    return in_ledger_menu(StatementsViewSet(), order=19)
