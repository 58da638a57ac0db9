"""Invoices in the admin (issue 15 §4): the menu item *Invoices* ("Factures").

- **A provider's members** list the invoices and credit notes of the providers they are
  members of, open one, download its PDF (Factur-X) and XML. Another provider's invoice
  is a 404, like everything scoped to a provider.
- **Finance** (``books.view_ledger``: the territory's finance group, superusers) sees
  every invoice, filters them by territory, provider, kind and period, re-sends one by
  e-mail (confirmed first, POST) and exports a period as a ZIP of the PDFs and XMLs with a
  CSV index.

Downloads are the bytes stored when the invoice was issued
(:func:`marketplace.invoices.delivery.invoice_file_ensure`), never a new rendering.
"""

from __future__ import annotations

import csv
import io
import zipfile
from smtplib import SMTPException

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets import AdminDateInput
from wagtail.models import Site

from marketplace.books.admin import PERIOD_VALIDATORS
from marketplace.books.permissions import can_view_ledger
from marketplace.invoices.delivery import invoice_address, invoice_email, invoice_file_ensure
from marketplace.invoices.facturx import en16931_problems, invoice_filename
from marketplace.invoices.models import DeliveryReason, Invoice, InvoiceKind
from marketplace.members import active_user, member_provider_ids
from marketplace.models import Provider
from marketplace.payouts.statements import FORMULA_STARTS, decimal_comma

URL_NAMESPACE = "invoices"


def _url(name: str, *args) -> str:
    return reverse(f"{URL_NAMESPACE}:{name}", args=args)


def sees_all_invoices(user) -> bool:
    """Finance: every provider's invoices, the re-sending and the exports."""
    return can_view_ledger(user)


def may_see_invoices(user) -> bool:
    return active_user(user) and (sees_all_invoices(user) or bool(member_provider_ids(user=user)))


def invoices_visible_to(user):
    """The invoices ``user`` may see: all for finance, else its providers' only."""
    invoices = Invoice.objects.select_related("provider", "site", "corrects")
    if sees_all_invoices(user):
        return invoices
    return invoices.filter(provider_id__in=member_provider_ids(user=user))


class InvoiceFilterForm(forms.Form):
    site = forms.ModelChoiceField(
        label=gettext_lazy("Territory"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=gettext_lazy("All territories"),
    )
    provider = forms.ModelChoiceField(
        label=gettext_lazy("Provider"),
        queryset=Provider.objects.none(),
        required=False,
        empty_label=gettext_lazy("All providers"),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    since = forms.DateField(
        label=gettext_lazy("Periods from"),
        required=False,
        widget=AdminDateInput,
        validators=PERIOD_VALIDATORS,
    )
    until = forms.DateField(
        label=gettext_lazy("to (included)"),
        required=False,
        widget=AdminDateInput,
        validators=PERIOD_VALIDATORS,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All"))] + list(InvoiceKind.choices)
        if sees_all_invoices(user):
            providers = Provider.objects.filter(invoices__isnull=False).distinct()
            self.fields["site"].queryset = Site.objects.order_by("site_name", "hostname")
        else:
            providers = Provider.objects.filter(pk__in=member_provider_ids(user=user))
            del self.fields["site"]
        self.fields["provider"].queryset = providers.order_by("name")
        if "site" in self.fields and self.fields["site"].queryset.count() < 2:
            del self.fields["site"]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("The end of the period is before its start."))
        return cleaned

    def filter(self, invoices):
        """``invoices`` narrowed to the valid filters (all of them when none is)."""
        if not self.is_bound or not self.is_valid():
            return invoices
        data = self.cleaned_data
        if data.get("site"):
            invoices = invoices.filter(site=data["site"])
        if data.get("provider"):
            invoices = invoices.filter(provider=data["provider"])
        if data.get("kind"):
            invoices = invoices.filter(kind=data["kind"])
        # Periods that overlap the days asked for.
        if data.get("since"):
            invoices = invoices.filter(period_end__gte=data["since"])
        if data.get("until"):
            invoices = invoices.filter(period_start__lte=data["until"])
        return invoices


class InvoicesMixin(WagtailAdminTemplateMixin):
    """Members of a provider or finance; ``finance_only`` for re-sending and exports."""

    header_icon = "doc-full"
    finance_only = False

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        allowed = sees_all_invoices(user) if self.finance_only else may_see_invoices(user)
        if not allowed:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def finance(self) -> bool:
        return sees_all_invoices(self.request.user)

    def get_breadcrumbs_items(self):
        items = self.breadcrumbs_items + [{"url": _url("index"), "label": _("Invoices")}]
        if self.get_page_title() != _("Invoices"):
            items.append({"url": "", "label": self.get_page_title()})
        return items


class InvoiceIndexView(InvoicesMixin, TemplateView):
    template_name = "invoices/admin/index.html"
    page_title = gettext_lazy("Invoices")
    per_page = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = InvoiceFilterForm(self.request.GET or None, user=self.request.user)
        invoices = (
            form.filter(invoices_visible_to(self.request.user))
            .annotate(last_sent=Max("deliveries__sent_at"))
            .order_by("-issue_date", "-series", "-sequence")
        )
        page = Paginator(invoices, self.per_page).get_page(self.request.GET.get("p"))
        query = self.request.GET.copy()
        query.pop("p", None)
        context.update(
            form=form,
            page=page,
            finance=self.finance,
            show_provider=self.finance or len(member_provider_ids(user=self.request.user)) > 1,
            rows=[
                {
                    "invoice": invoice,
                    "url": _url("detail", invoice.pk),
                    "pdf_url": _url("pdf", invoice.pk),
                    "xml_url": _url("xml", invoice.pk),
                }
                for invoice in page.object_list
            ],
            page_query=query.urlencode(),
            export_url=_url("export") + "?" + query.urlencode() if self.finance else "",
        )
        return context


class InvoiceMixin(InvoicesMixin):
    """The invoice of the URL among those the user may see (else 404)."""

    @cached_property
    def invoice(self) -> Invoice:
        return get_object_or_404(invoices_visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return self.invoice.number


class InvoiceDetailView(InvoiceMixin, TemplateView):
    template_name = "invoices/admin/detail.html"

    def get_page_title(self):
        return self.invoice.number  # short enough for a phone's header; the kind follows

    def get_page_subtitle(self):
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invoice = self.invoice
        document = invoice.document()
        context.update(
            invoice=invoice,
            document=document,
            # What EN 16931's rules would refuse (the territory's identity incomplete):
            # finance fixes the settings, and the next invoices are sound.
            problems=en16931_problems(document) if self.finance else [],
            finance=self.finance,
            corrected_url=_url("detail", invoice.corrects_id) if invoice.corrects_id else "",
            credit_notes=[
                {"invoice": note, "url": _url("detail", note.pk)}
                for note in invoice.credit_notes.order_by("issue_date", "sequence")
            ],
            deliveries=list(invoice.deliveries.select_related("sent_by")),
            pdf_url=_url("pdf", invoice.pk),
            xml_url=_url("xml", invoice.pk),
            resend_url=_url("resend", invoice.pk) if self.finance else "",
            index_url=_url("index"),
        )
        return context


class InvoiceFileView(InvoiceMixin, View):
    """The stored PDF (Factur-X) or XML of the invoice, as an attachment."""

    file_format = "pdf"

    def get(self, request, *args, **kwargs):
        stored = invoice_file_ensure(invoice=self.invoice)
        if self.file_format == "xml":
            content, content_type = bytes(stored.xml), "application/xml"
        else:
            content, content_type = bytes(stored.pdf), "application/pdf"
        response = HttpResponse(content, content_type=content_type)
        name = invoice_filename(self.invoice.document(), self.file_format)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class InvoiceResendView(InvoiceMixin, TemplateView):
    """Finance: confirm (GET), then e-mail the invoice to its provider again (POST)."""

    template_name = "invoices/admin/resend.html"
    page_title = gettext_lazy("Send the invoice again")
    finance_only = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            invoice=self.invoice,
            address=invoice_address(self.invoice),
            detail_url=_url("detail", self.invoice.pk),
        )
        return context

    def post(self, request, *args, **kwargs):
        invoice = self.invoice
        try:
            delivery = invoice_email(invoice=invoice, reason=DeliveryReason.RESENT, by=request.user)
        except (SMTPException, OSError):
            messages.error(
                request,
                _("%(number)s was not sent: the mail server refused it. Try again later.")
                % {"number": invoice.number},
            )
        else:
            if delivery is None:
                messages.warning(
                    request,
                    _(
                        "%(number)s was not sent: %(provider)s has no e-mail address. Add one "
                        "to the provider, then send it again."
                    )
                    % {"number": invoice.number, "provider": invoice.provider.name},
                )
            else:
                messages.success(
                    request,
                    _("%(number)s was e-mailed again to %(address)s, its PDF attached.")
                    % {"number": invoice.number, "address": delivery.address},
                )
        return redirect(_url("detail", invoice.pk))


# --- Export of a period ----------------------------------------------------------------------


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def invoices_zip(invoices) -> bytes:
    """The invoices' stored PDFs and XMLs, and ``index.csv`` (one row each: what an
    accountant files them by), as a ZIP."""
    out = io.BytesIO()
    rows = io.StringIO()
    writer = csv.writer(rows, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Number"),
            _("Kind"),
            _("Issue date"),
            _("Period start"),
            _("Period end"),
            _("Provider"),
            _("SIRET"),
            _("Total excl. VAT"),
            _("VAT"),
            _("Total incl. VAT"),
            _("Currency"),
            _("Corrected invoice"),
            _("PDF file"),
            _("XML file"),
            _("SHA-256 of the PDF"),
        ]
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            stored = invoice_file_ensure(invoice=invoice)
            document = invoice.document()
            pdf_name, xml_name = (
                invoice_filename(document, "pdf"),
                invoice_filename(document, "xml"),
            )
            archive.writestr(pdf_name, bytes(stored.pdf))
            archive.writestr(xml_name, bytes(stored.xml))
            writer.writerow(
                [
                    invoice.number,
                    invoice.get_kind_display(),
                    invoice.issue_date.isoformat(),
                    invoice.period_start.isoformat(),
                    invoice.period_end.isoformat(),
                    _cell(invoice.buyer.get("name", invoice.provider.name)),
                    _cell(invoice.buyer.get("siret", "")),
                    decimal_comma(invoice.net_cents),
                    decimal_comma(invoice.vat_cents),
                    decimal_comma(invoice.total_cents),
                    invoice.currency,
                    invoice.corrects.number if invoice.corrects_id else "",
                    pdf_name,
                    xml_name,
                    stored.sha256,
                ]
            )
        archive.writestr("index.csv", ("\ufeff" + rows.getvalue()).encode("utf-8"))
    return out.getvalue()


class InvoiceExportView(InvoicesMixin, View):
    """Finance: the filtered invoices (a period, a territory...) as one ZIP."""

    finance_only = True

    def get(self, request, *args, **kwargs):
        form = InvoiceFilterForm(request.GET or None, user=request.user)
        invoices = form.filter(invoices_visible_to(request.user)).order_by(
            "site_id", "series", "sequence"
        )
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        since, until = data.get("since"), data.get("until")
        label = "-".join(d.isoformat() for d in (since, until) if d) or (
            timezone.localdate().isoformat()
        )
        response = HttpResponse(invoices_zip(invoices), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="factures-{label}.zip"'
        return response


class InvoicesMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_invoices(request.user)


class InvoiceViewSet(ViewSet):
    name = URL_NAMESPACE
    icon = "doc-full"
    menu_label = gettext_lazy("Invoices")
    menu_order = 161  # just after "My statement"
    add_to_admin_menu = True
    menu_item_class = InvoicesMenuItem

    def get_urlpatterns(self):
        return [
            path("", InvoiceIndexView.as_view(), name="index"),
            path("export/", InvoiceExportView.as_view(), name="export"),
            path("<id:pk>/", InvoiceDetailView.as_view(), name="detail"),
            path("<id:pk>/pdf/", InvoiceFileView.as_view(file_format="pdf"), name="pdf"),
            path("<id:pk>/xml/", InvoiceFileView.as_view(file_format="xml"), name="xml"),
            path("<id:pk>/resend/", InvoiceResendView.as_view(), name="resend"),
        ]
