"""The tourist tax declarations in the admin, for finance: in the "Ledger" menu.

- the communes of a territory with what was collected, refunded and the net over a period
  (a month, quarter, half-year, year, or two dates), each linking to
- a commune's declaration (the lines, the totals), with its CSV file and its printable page
  (what the platform sends the commune's accountant with the payment).

Only users with ``books.view_ledger`` (finance, superusers) reach any of them: the
declaration is a read of the ledger (:mod:`marketplace.books.tax_declaration`). A period
that cannot be read is a message on the form, in the user's language, never an error
page; the CSV and printable page answer it with a 400 and the same message.
"""

from django import forms
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets import AdminDateInput

from marketplace.books.admin import (
    PERIOD_VALIDATORS,
    LedgerReaderMenuItem,
    LedgerReaderMixin,
    in_ledger_menu,
)
from marketplace.books.tax_declaration import (
    CSV_COLUMNS,
    PERIOD_HELP,
    PeriodError,
    declaration_communes,
    declaration_csv,
    declaration_for,
    period_between,
    period_default,
    period_parse,
)
from marketplace.models import TerritorySettings

URL_NAMESPACE = "tourist_tax_declarations"


class DeclarationPeriodForm(forms.Form):
    """The period of a declaration: ``period`` (2026-07, 2026-T3, 2026-S1, 2026) or two
    dates. Empty: the current half-year. ``cleaned_data["period"]`` is a ``Period``."""

    period = forms.CharField(
        label=gettext_lazy("Period"), required=False, max_length=20, help_text=PERIOD_HELP
    )
    since = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=AdminDateInput,
        validators=PERIOD_VALIDATORS,
    )
    until = forms.DateField(
        label=gettext_lazy("To (included)"),
        required=False,
        widget=AdminDateInput,
        validators=PERIOD_VALIDATORS,
    )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        text, since, until = cleaned.get("period"), cleaned.get("since"), cleaned.get("until")
        try:
            if since or until:
                if not (since and until):
                    raise PeriodError(_("Give both dates of the period, or neither."))
                cleaned["period"] = period_between(since=since, until=until)
            elif text:
                cleaned["period"] = period_parse(text)
            else:
                cleaned["period"] = period_default()
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from error
        return cleaned


def _errors_text(form) -> str:
    return " ".join(str(message) for messages in form.errors.values() for message in messages)


class DeclarationAccessMixin(LedgerReaderMixin):
    """Finance only; the territory (``?site=``, else the request's); the period's form."""

    @cached_property
    def form(self) -> DeclarationPeriodForm:
        data = {k: self.request.GET.get(k, "") for k in ("period", "since", "until")}
        if not any(data.values()):
            # Nothing asked: the current half-year, shown in the field as it is read.
            data["period"] = period_default().query["period"]
        return DeclarationPeriodForm(data)

    @cached_property
    def period(self):
        """The period asked for, or ``None`` when the form has errors."""
        return self.form.cleaned_data["period"] if self.form.is_valid() else None

    def query(self, period=None) -> str:
        params = dict((period or self.period).query)
        if len(self.sites) > 1 and self.site is not None:
            params["site"] = self.site.pk
        return urlencode(params)

    def commune_url(self, slug: str, view: str = "commune") -> str:
        return reverse(f"{URL_NAMESPACE}:{view}", args=[slug]) + "?" + self.query()


class DeclarationIndexView(DeclarationAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    """The communes with what was collected, refunded and the net over the period."""

    template_name = "books/admin/tax_declarations.html"
    page_title = gettext_lazy("Tourist tax declarations")
    header_icon = "doc-full"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        if self.period is not None and self.site is not None:
            for summary in declaration_communes(site=self.site, period=self.period):
                rows.append({"summary": summary, "url": self.commune_url(summary.slug)})
        context.update(
            sites=self.sites,
            site=self.site,
            form=self.form,
            period=self.period,
            rows=rows,
            totals={
                key: sum(getattr(row["summary"], key) for row in rows)
                for key in ("collected", "refunded", "net")
            },
            currency=_currency(self.site),
        )
        return context


class CommuneMixin(DeclarationAccessMixin):
    @cached_property
    def declaration(self):
        if self.period is None or self.site is None:
            return None
        declaration = declaration_for(
            site=self.site, commune=self.kwargs["commune"], period=self.period
        )
        if declaration is None:
            raise Http404(_("This territory knows no such commune."))
        return declaration


class DeclarationCommuneView(CommuneMixin, WagtailAdminTemplateMixin, TemplateView):
    """A commune's declaration in the admin, with links to its CSV and printable page."""

    template_name = "books/admin/tax_declaration.html"
    page_title = gettext_lazy("Tourist tax declaration")
    header_icon = "doc-full"

    def get_page_subtitle(self):
        declaration = self.declaration
        return declaration.commune if declaration is not None else self.kwargs["commune"]

    def get_breadcrumbs_items(self):
        index = reverse(f"{URL_NAMESPACE}:index")
        if self.period is not None:
            index += "?" + self.query()
        return self.breadcrumbs_items + [
            {"url": index, "label": _("Tourist tax declarations")},
            {"url": "", "label": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        declaration = self.declaration
        slug = self.kwargs["commune"]
        context.update(
            form=self.form,
            sites=self.sites,
            site=self.site,
            declaration=declaration,
            currency=_currency(self.site),
            csv_url=self.commune_url(slug, "csv") if declaration else "",
            print_url=self.commune_url(slug, "print") if declaration else "",
        )
        return context


class DeclarationCsvView(CommuneMixin, View):
    """The declaration as a CSV file (see :func:`declaration_csv` for its format)."""

    def get(self, request, *args, **kwargs):
        if self.period is None:
            return HttpResponseBadRequest(
                _errors_text(self.form), content_type="text/plain; charset=utf-8"
            )
        declaration = self.declaration
        response = HttpResponse(
            declaration_csv(declaration).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        period = f"{self.period.start:%Y%m%d}-{self.period.end:%Y%m%d}"
        name = f"taxe-de-sejour-{declaration.slug}-{period}"
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


class DeclarationPrintView(CommuneMixin, View):
    """The declaration as a page to print (or save as PDF) and send with the payment."""

    template_name = "books/tax_declaration_print.html"

    def get(self, request, *args, **kwargs):
        if self.period is None:
            return HttpResponseBadRequest(
                _errors_text(self.form), content_type="text/plain; charset=utf-8"
            )
        declaration = self.declaration
        return TemplateResponse(
            request,
            self.template_name,
            {
                "declaration": declaration,
                "territory": TerritorySettings.for_site(self.site),
                "site": self.site,
                "currency": _currency(self.site),
                "columns": CSV_COLUMNS,
                "printed_at": timezone.localtime(),
                "back_url": self.commune_url(declaration.slug),
            },
        )


def _currency(site) -> str:
    return TerritorySettings.for_site(site).currency if site is not None else "EUR"


class TaxDeclarationViewSet(ViewSet):
    name = URL_NAMESPACE
    icon = "doc-full"
    menu_label = gettext_lazy("Tourist tax declarations")
    menu_item_class = LedgerReaderMenuItem

    def get_urlpatterns(self):
        return [
            path("", DeclarationIndexView.as_view(), name="index"),
            path("<slug:commune>/", DeclarationCommuneView.as_view(), name="commune"),
            path("<slug:commune>/csv/", DeclarationCsvView.as_view(), name="csv"),
            path("<slug:commune>/print/", DeclarationPrintView.as_view(), name="print"),
        ]


def tax_declaration_viewset(*, order: int) -> ViewSet:
    """The declarations' viewset, in the "Ledger" menu at ``order``."""
    return in_ledger_menu(TaxDeclarationViewSet(), order=order)
