"""The FEC in the admin, for finance: a page in the "Ledger" menu that downloads a
territory's FEC for a year (:mod:`marketplace.books.fec`), under the name the
administration expects.

Only users with ``books.view_ledger`` (finance, superusers) reach it; a provider's member
gets a 403. A year that cannot be exported (a malformed mapping in the territory's
settings, a foreign currency) is a message on the page, never an error page.
"""

from django import forms
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from marketplace.books.admin import LedgerReaderMenuItem, LedgerReaderMixin, in_ledger_menu
from marketplace.books.fec import ENCODING, FecError, fec_export, fec_filename

URL_NAMESPACE = "fec_export"


class FecYearForm(forms.Form):
    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        min_value=2000,
        max_value=2999,
        help_text=gettext_lazy("The calendar year: 1 January to 31 December, Paris time."),
    )


class FecExportView(LedgerReaderMixin, WagtailAdminTemplateMixin, TemplateView):
    """The form; with ``?year=`` (and ``download``), the file."""

    template_name = "books/admin/fec_export.html"
    page_title = gettext_lazy("FEC export")
    header_icon = "download"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    @cached_property
    def form(self) -> FecYearForm:
        if "year" in self.request.GET:
            return FecYearForm(self.request.GET)
        return FecYearForm(initial={"year": timezone.localdate().year - 1})

    def get(self, request, *args, **kwargs):
        if self.form.is_bound and self.form.is_valid() and self.site is not None:
            year = self.form.cleaned_data["year"]
            try:
                data = fec_export(site=self.site, year=year)
            except FecError as error:
                self.form.add_error(None, _("This FEC cannot be produced: %s") % error)
            else:
                response = HttpResponse(data, content_type=f"text/plain; charset={ENCODING}")
                name = fec_filename(site=self.site, year=year)
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                return response
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(sites=self.sites, site=self.site, form=self.form)
        return context


class FecExportViewSet(ViewSet):
    name = URL_NAMESPACE
    icon = "download"
    menu_label = gettext_lazy("FEC export")
    menu_item_class = LedgerReaderMenuItem

    def get_urlpatterns(self):
        return [path("", FecExportView.as_view(), name="index")]


def fec_export_viewset(*, order: int) -> ViewSet:
    """The FEC page's viewset, in the "Ledger" menu at ``order``."""
    return in_ledger_menu(FecExportViewSet(), order=order)
