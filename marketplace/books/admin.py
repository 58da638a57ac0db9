"""The books in the admin: the "Ledger" menu with its transactions (read-only) and
balances per territory, and a provider's own statement ("Mon relevé", with its CSV and
PDF: :mod:`marketplace.payouts.statements`).

Only users with ``books.view_ledger`` (the "Finances du territoire" group, see
:func:`marketplace.books.permissions.ledger_permissions_ensure`) see or reach the ledger's
pages. Nobody, not even a superuser, adds, edits or deletes ledger rows here: those URLs do
not exist. Payment providers add their finance lists to the "Ledger" menu through the
:data:`LEDGER_MENU_HOOK` (see :func:`in_ledger_menu`); nothing here knows them.
The viewsets are registered by :mod:`marketplace.books.wagtail_hooks`.
"""

import datetime as dt
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q, Sum
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import AdminDateInput
from wagtail.models import Site

from commissions.models import Beneficiary
from commissions.money import money
from marketplace.admin_readonly import ReadOnlyViewSetMixin
from marketplace.books.ledger import VAT_ACCOUNT, beneficiary_account, provider_account
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.books.permissions import can_view_ledger
from marketplace.books.selectors import account_balance, balances_by_kind
from marketplace.members import MemberMenuItem, member_provider_ids
from marketplace.models import Booking, Provider
from marketplace.payouts.statement_pages import (
    CSV,
    PDF,
    download_query,
    statement_download,
    statement_period,
)
from marketplace.payouts.statements import UnknownRecipient, recipient_statement, statement_totals

# The hook of the "Ledger" menu's items: a viewset whose ``menu_hook`` is this one shows
# in the menu, after the books' own items (see :func:`in_ledger_menu`).
LEDGER_MENU_HOOK = "register_ledger_menu_item"


class LedgerTransactionFilterSet(WagtailFilterSet):
    site = django_filters.ModelChoiceFilter(label=_("Territory"), queryset=Site.objects.all())
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=TransactionKind.choices, empty_label=_("All")
    )
    occurred_at = django_filters.DateFromToRangeFilter(
        label=_("Date"), widget=DateRangePickerWidget
    )
    account = django_filters.CharFilter(
        label=_("Account"),
        method="filter_account",
        help_text=_("An account (provider:12) or a family of accounts (provider, tax:tourist)."),
    )
    reference = django_filters.CharFilter(label=_("Order or booking"), method="filter_reference")

    class Meta:
        model = LedgerTransaction
        fields = ["site", "kind", "occurred_at"]

    def filter_account(self, queryset, name, value):
        value = value.strip().rstrip(":")
        if not value:
            return queryset
        matching = LedgerEntry.objects.filter(
            Q(account=value) | Q(account__startswith=f"{value}:")
        ).values("transaction_id")
        return queryset.filter(pk__in=matching)

    def filter_reference(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(order_ref=value) | Q(booking_ref=value))


class AmountColumn(Column):
    """Cents formatted as money in the row's currency."""

    def get_value(self, instance):
        cents = super().get_value(instance)
        return money(cents, currency=instance.currency)


class LedgerIndexView(IndexView):
    def get_base_queryset(self):
        # The total moved by each transaction (its debits), in the same query.
        return (
            super()
            .get_base_queryset()
            .select_related("site")
            .annotate(total=Sum("entries__amount", filter=Q(entries__amount__gt=0)))
        )


class LedgerInspectView(InspectView):
    template_name = "books/admin/transaction_inspect.html"
    inspect_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = [
            {
                "account": e.account,
                "amount": e.amount,
                "display": money(e.amount, currency=self.object.currency),
            }
            for e in self.object.entries.order_by("-amount", "account")
        ]
        context["reversals"] = self.object.reversals.order_by("occurred_at", "pk")
        if self.object.booking_ref:
            context["payable_on"] = (
                Booking.objects.filter(reference=self.object.booking_ref)
                .values_list("payable_on", flat=True)
                .first()
            )
            context["today"] = timezone.localdate()
        context["inspect_url_name"] = self.inspect_url_name
        return context


class LedgerTransactionViewSet(ReadOnlyViewSetMixin, ModelViewSet):
    """Transactions, read-only: the ledger is written by marketplace.books.ledger alone."""

    model = LedgerTransaction
    name = "ledger"
    icon = "list-ul"
    menu_label = _("Transactions")
    index_view_class = LedgerIndexView
    inspect_view_class = LedgerInspectView
    filterset_class = LedgerTransactionFilterSet
    search_fields = None
    list_display = [
        "idempotency_key",
        "occurred_at",
        "kind",
        AmountColumn("total", label=_("Amount")),
        "order_ref",
        "booking_ref",
        "site",
    ]
    list_per_page = 50
    inspect_view_fields = [
        "site",
        "kind",
        "idempotency_key",
        "occurred_at",
        "created_at",
        "created_by",
        "currency",
        "memo",
        "order_ref",
        "booking_ref",
        "external_ref",
        "reverses",
    ]

    def get_permissions_to_register(self):
        return super().get_permissions_to_register().filter(codename="view_ledger")


class LedgerReaderMixin:
    """Those who read the ledger only (finance, superusers); the territory read:
    ``?site=<id>``, else the request's, else the first."""

    def dispatch(self, request, *args, **kwargs):
        if not can_view_ledger(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def sites(self):
        return list(Site.objects.order_by("site_name", "hostname"))

    @cached_property
    def site(self):
        wanted = self.request.GET.get("site")
        for site in self.sites:
            if str(site.pk) == wanted:
                return site
        return Site.find_for_request(self.request) or (self.sites[0] if self.sites else None)


class BalancesView(LedgerReaderMixin, WagtailAdminTemplateMixin, TemplateView):
    """Every account's balance in one territory, grouped by kind of account."""

    template_name = "books/admin/balances.html"
    page_title = _("Balances")
    header_icon = "table"
    index_url_name = None

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        groups = []
        if self.site is not None:
            names = account_names(site=self.site)
            labels = dict(ACCOUNT_KIND_LABELS)
            by_kind = balances_by_kind(site=self.site)
            for kind in sorted(by_kind, key=_kind_order):
                rows = [
                    {
                        "account": account,
                        "name": names.get(account, ""),
                        "balance": balance,
                        "display": money(balance),
                        "statement_url": _statement_url(account, site=self.site),
                    }
                    for account, balance in by_kind[kind].items()
                ]
                groups.append(
                    {
                        "kind": kind,
                        "label": labels.get(kind, kind),
                        "rows": rows,
                        "total": money(sum(r["balance"] for r in rows)),
                    }
                )
        context.update(sites=self.sites, site=self.site, groups=groups)
        return context


ACCOUNT_KIND_LABELS = [
    ("visitor", _("Visitors")),
    ("provider", _("Providers")),
    ("beneficiary", _("Beneficiaries")),
    ("tax", _("Taxes")),
    ("platform", _("Platform")),
]


def _kind_order(kind: str) -> tuple[int, str]:
    order = [k for k, _label in ACCOUNT_KIND_LABELS]
    return (order.index(kind) if kind in order else len(order), kind)


def account_names(*, site) -> dict[str, str]:
    """Readable names of the provider and beneficiary accounts of a site (two queries)."""
    names = {
        provider_account(pk): name
        for pk, name in Provider.objects.filter(site=site).values_list("pk", "name")
    }
    names.update(
        {
            beneficiary_account(key): name
            for key, name in Beneficiary.objects.filter(site=site).values_list("key", "name")
        }
    )
    names[VAT_ACCOUNT] = str(_("VAT on commission"))
    return names


def _statement_url(account: str, *, site) -> str:
    """A provider's statement page; finance's statements for a beneficiary or a commune's
    tourist tax; nothing for other accounts."""
    kind, _sep, detail = account.partition(":")
    if kind == "provider" and detail.isdigit():
        return reverse("provider_statement:index") + f"?provider={detail}"
    if kind == "beneficiary" or account.startswith("tax:tourist:"):
        return reverse("statements:index") + "?" + urlencode({"site": site.pk, "account": account})
    return ""


class LedgerReaderMenuItem(MenuItem):
    """A "Ledger" menu item shown to those who read the ledger (finance, superusers)."""

    def is_shown(self, request):
        return can_view_ledger(request.user)


class BalancesViewSet(ViewSet):
    name = "ledger_balances"
    icon = "table"
    menu_label = _("Balances")
    menu_item_class = LedgerReaderMenuItem

    def get_urlpatterns(self):
        return [path("", BalancesView.as_view(), name="index")]


# --- A provider's own statement ("Mon relevé") ---------------------------------------------


# A period's ends within sensible dates: the day after the last one (9999-12-31) does
# not exist, so the end of the calendar would overflow instead of being refused.
PERIOD_VALIDATORS = [
    MinValueValidator(dt.date(2000, 1, 1)),
    MaxValueValidator(dt.date(2999, 12, 31)),
]


class StatementPeriodForm(forms.Form):
    since = forms.DateField(
        label=_("From"), required=False, widget=AdminDateInput, validators=PERIOD_VALIDATORS
    )
    until = forms.DateField(
        label=_("To (included)"),
        required=False,
        widget=AdminDateInput,
        validators=PERIOD_VALIDATORS,
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("The end of the period is before its start."))
        return cleaned


class ProviderStatementView(WagtailAdminTemplateMixin, TemplateView):
    """A provider's statement over a period (the current month by default): what it was
    credited, refunded and paid, when each share becomes payable, and what the territory
    owes it, payable or due later; with its CSV and PDF (``file_format``).

    A provider's members see the statement of the providers they are members of; finance
    (``books.view_ledger``) that of any provider of the territory. Another provider's
    id is a 404. Amounts are shown from the provider's side: positive is owed to it. The
    statement is :func:`marketplace.payouts.statements.recipient_statement`.
    """

    template_name = "books/admin/provider_statement.html"
    page_title = _("My statement")
    header_icon = "table"
    file_format: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not self.providers:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.file_format:
            return statement_download(self.statement, self.file_format)
        return super().get(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_page_subtitle(self):
        return self.provider.name

    @cached_property
    def providers(self) -> list[Provider]:
        user = self.request.user
        condition = Q(pk__in=member_provider_ids(user=user))
        if can_view_ledger(user):
            condition |= Q(site=Site.find_for_request(self.request))
        return list(Provider.objects.filter(condition).select_related("site").order_by("name"))

    @cached_property
    def provider(self) -> Provider:
        wanted = self.request.GET.get("provider")
        if not wanted:
            return self.providers[0]
        for provider in self.providers:
            if str(provider.pk) == wanted:
                return provider
        raise Http404

    @cached_property
    def form(self) -> StatementPeriodForm:
        return StatementPeriodForm(self.request.GET or None)

    @cached_property
    def statement(self):
        since, until = statement_period(self.form)
        try:
            return recipient_statement(
                site=self.provider.site,
                account=provider_account(self.provider.pk),
                since=since,
                until=until,
            )
        except UnknownRecipient:
            raise Http404 from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        provider, form, result = self.provider, self.form, self.statement
        if not form.is_bound:
            form.initial = {"since": result.since, "until": result.until}
        query = download_query(
            provider=provider.pk, since=result.since.isoformat(), until=result.until.isoformat()
        )
        account = provider_account(provider.pk)
        context.update(
            provider=provider,
            providers=self.providers,
            form=form,
            statement=result,
            totals=statement_totals(result),
            lines=result.lines,
            opening=result.opening,
            closing=result.closing,
            owed_now=-account_balance(account=account, site=provider.site),
            currency=result.currency,
            csv_url=reverse("provider_statement:csv") + query,
            pdf_url=reverse("provider_statement:pdf") + query,
        )
        return context


class ProviderStatementViewSet(ViewSet):
    name = "provider_statement"
    icon = "table"
    menu_label = _("My statement")
    menu_order = 160
    add_to_admin_menu = True
    menu_item_class = MemberMenuItem

    def get_urlpatterns(self):
        return [
            path("", ProviderStatementView.as_view(), name="index"),
            path("csv/", ProviderStatementView.as_view(file_format=CSV), name="csv"),
            path("pdf/", ProviderStatementView.as_view(file_format=PDF), name="pdf"),
        ]


# --- The "Ledger" menu ------------------------------------------------------------------------


class LedgerGroup(ViewSetGroup):
    """The "Ledger" menu: the books' transactions and balances, then what payment providers
    add through :data:`LEDGER_MENU_HOOK`."""

    menu_label = _("Ledger")
    menu_icon = "list-ul"
    menu_order = 260
    items = (LedgerTransactionViewSet, BalancesViewSet)
    submenu_hook = LEDGER_MENU_HOOK


def in_ledger_menu(viewset: ViewSet, *, order: int) -> ViewSet:
    """``viewset`` with its menu item in the "Ledger" menu at ``order`` (the books' own
    items come first, at 1 and 2); register it with ``register_admin_viewset``."""
    viewset.menu_hook = LEDGER_MENU_HOOK
    viewset.menu_order = order
    return viewset
