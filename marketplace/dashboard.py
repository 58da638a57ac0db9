"""A provider's dashboard: the first screen a campsite opens each morning (issue 14).

:func:`provider_dashboard` reads, for the providers a member belongs to, what happens
today (arrivals, departures, activities, goods to hand over), what waits on the provider
(visitors' cancellations, checkouts awaiting payment, offers in moderation or draft, bank
details under review), what it is owed and when (the ledger's
:func:`marketplace.payouts.payable.payable_balances`, the last payout) and what needs
attention (full nights and slots, closures ahead, low stock, offers without a cover image
or a price). A fixed number of queries, whatever the number of bookings or offers.

:class:`ProviderDashboardPanel` shows it on the Wagtail admin's home, to a provider's
members only (``marketplace.wagtail_hooks``). The Stripe payout account has its own panel
(``payments``); territory staff have theirs (applications, tax rates, live rules).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component
from wagtail.models import Page, WorkflowState

from marketplace.books.dac7 import missing_labels, providers_missing
from marketplace.books.flows import PAYOUT_KINDS
from marketplace.books.ledger import provider_account
from marketplace.books.models import LedgerEntry
from marketplace.invoices.models import Invoice
from marketplace.members import member_provider_ids
from marketplace.models import (
    ActivitySlot,
    Booking,
    BookingStatus,
    Closure,
    OfferPage,
    Provider,
    StayNight,
    TerritorySettings,
)
from marketplace.orders.admin_base import booking_what
from marketplace.payouts.models import BankAccount
from marketplace.payouts.payable import Payable, payable_balances

# Bookings the provider receives: paid, whether or not the service is over.
PAID_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
# How far ahead full nights and slots, and closures, are looked for.
FULL_AHEAD_DAYS = 7
CLOSURES_AHEAD_DAYS = 14
# How far back visitors' cancellations and goods orders are shown.
RECENT_DAYS = 7
# Items left at or under which a product is "low in stock".
LOW_STOCK = 3
# Rows shown per list; the count says when there are more.
LIST_LIMIT = 20


def local_today() -> dt.date:
    """The territory's date today (``TIME_ZONE``): the dashboard's "today" (the tests
    replace it)."""
    return timezone.localdate()


@dataclass
class Owed:
    provider: Provider
    payable: Payable
    currency: str = "EUR"
    last_invoice: Invoice | None = None


@dataclass
class Dashboard:
    today: dt.date
    providers: list[Provider]
    arrivals: list[Booking] = field(default_factory=list)
    departures: list[Booking] = field(default_factory=list)
    activities: list[Booking] = field(default_factory=list)
    goods: list[Booking] = field(default_factory=list)
    cancellations: list[Booking] = field(default_factory=list)
    awaiting_payment: int = 0
    offers_in_moderation: list[OfferPage] = field(default_factory=list)
    offers_draft: list[OfferPage] = field(default_factory=list)
    bank_details_pending: list[BankAccount] = field(default_factory=list)
    owed: list[Owed] = field(default_factory=list)
    full_nights: list[StayNight] = field(default_factory=list)
    full_slots: list[ActivitySlot] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)
    low_stock: list[OfferPage] = field(default_factory=list)
    no_cover: list[OfferPage] = field(default_factory=list)
    no_price: list[OfferPage] = field(default_factory=list)

    @property
    def several_providers(self) -> bool:
        return len(self.providers) > 1

    @property
    def today_count(self) -> int:
        return len(self.arrivals) + len(self.departures) + len(self.activities) + len(self.goods)

    @property
    def waiting_count(self) -> int:
        return (
            len(self.cancellations)
            + bool(self.awaiting_payment)
            + len(self.offers_in_moderation)
            + len(self.offers_draft)
            + len(self.bank_details_pending)
        )

    @property
    def attention_count(self) -> int:
        return (
            len(self.full_nights)
            + len(self.full_slots)
            + len(self.closures)
            + len(self.low_stock)
            + len(self.no_cover)
            + len(self.no_price)
        )


def _day_bounds(day: dt.date, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    """The instants that begin ``day`` and ``days`` days later, in the territory's zone."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=days), dt.time.min))
    return start, end


def _providers(ids: list[int]) -> list[Provider]:
    """The providers, each with its last payout (a bank run's or a Stripe transfer's
    debit of its ledger account): one query."""
    account = Concat(Value("provider:"), Cast(OuterRef("pk"), CharField()))
    payouts = LedgerEntry.objects.filter(
        account=account, transaction__kind__in=PAYOUT_KINDS, amount__gt=0
    ).order_by("-transaction__occurred_at", "-pk")
    return list(
        Provider.objects.filter(pk__in=ids)
        .select_related("site")
        .annotate(
            last_payout_amount=Subquery(payouts.values("amount")[:1]),
            last_payout_at=Subquery(payouts.values("transaction__occurred_at")[:1]),
        )
        .order_by("name", "pk")
    )


def _today_bookings(bookings, today: dt.date) -> dict[str, list[Booking]]:
    """Today's arrivals, departures and activities, and the goods paid lately: one query."""
    since, _until = _day_bounds(today - dt.timedelta(days=RECENT_DAYS))
    rows = (
        bookings.filter(status__in=PAID_STATUSES)
        .filter(
            Q(kind="stay", start=today)
            | Q(kind="stay", end=today)
            | Q(kind="activity", start=today)
            | Q(kind="product", status=BookingStatus.CONFIRMED, confirmed_at__gte=since)
        )
        .select_related("order", "order__user", "provider")
        .order_by("starts_at", "start", "confirmed_at", "pk")
    )
    found = {"arrivals": [], "departures": [], "activities": [], "goods": []}
    for booking in rows:
        if booking.kind == "stay":
            if booking.start == today:
                found["arrivals"].append(booking)
            if booking.end == today:
                found["departures"].append(booking)
        elif booking.kind == "activity":
            found["activities"].append(booking)
        else:
            found["goods"].append(booking)
    return found


def _offers(ids: list[int]) -> list[OfferPage]:
    """The providers' offers with what the dashboard asks of them: one query."""
    in_moderation = WorkflowState.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        object_id=Cast(OuterRef("pk"), CharField()),
        status=WorkflowState.STATUS_IN_PROGRESS,
    )
    return list(
        OfferPage.objects.filter(provider_id__in=ids)
        .annotate(
            in_moderation=Exists(in_moderation),
            product_stock=F("productofferpage__stock"),
            product_taken=Coalesce(F("productofferpage__stock_state__taken"), 0),
        )
        .select_related("provider")
        .order_by("title", "pk")
    )


def provider_dashboard(*, user, today: dt.date | None = None) -> Dashboard | None:
    """What ``user``'s providers have today, wait on, are owed and should look at; None
    when ``user`` is a member of no provider. A fixed number of queries: thirteen, the
    membership's included, for providers of one territory."""
    ids = member_provider_ids(user=user)
    if not ids:
        return None
    today = today or local_today()
    providers = _providers(ids)
    board = Dashboard(today=today, providers=providers)
    bookings = Booking.objects.filter(provider_id__in=ids)

    for name, rows in _today_bookings(bookings, today).items():
        setattr(board, name, rows)

    since, _until = _day_bounds(today - dt.timedelta(days=RECENT_DAYS))
    board.cancellations = list(
        bookings.filter(status=BookingStatus.CANCELLED_BY_VISITOR, cancelled_at__gte=since)
        .select_related("order", "order__user", "provider")
        .order_by("-cancelled_at", "-pk")[:LIST_LIMIT]
    )
    board.awaiting_payment = bookings.filter(
        status=BookingStatus.HELD, order__hold_expires_at__gt=timezone.now()
    ).count()

    for offer in _offers(ids):
        if offer.in_moderation:
            board.offers_in_moderation.append(offer)
        elif not offer.live or offer.has_unpublished_changes:
            board.offers_draft.append(offer)
        if not offer.live:
            continue  # what visitors cannot see yet needs no cover, price or stock today
        if offer.cover_image_id is None:
            board.no_cover.append(offer)
        if offer.price_from is None:
            board.no_price.append(offer)
        if offer.kind == "product" and offer.product_stock is not None:
            offer.left = max(offer.product_stock - offer.product_taken, 0)
            if offer.left <= LOW_STOCK:
                board.low_stock.append(offer)

    accounts = {provider_account(pk): pk for pk in ids}
    board.bank_details_pending = list(
        BankAccount.objects.pending()
        .filter(account__in=list(accounts), site_id__in={p.site_id for p in providers})
        .order_by("submitted_at")
    )
    by_id = {provider.pk: provider for provider in providers}
    for pending in board.bank_details_pending:
        pending.provider = by_id.get(accounts.get(pending.account))

    # The latest invoice or credit note of each provider, in one query.
    latest = Invoice.objects.filter(provider_id=OuterRef("pk")).order_by(
        "-issue_date", "-issued_at", "-pk"
    )
    last_invoices = {
        invoice.provider_id: invoice
        for invoice in Invoice.objects.filter(
            pk__in=Provider.objects.filter(pk__in=ids).values(
                last=Subquery(latest.values("pk")[:1])
            )
        ).only("pk", "provider_id", "number", "kind", "issue_date")
    }
    # What the ledger owes: one call per territory (a member's providers share one).
    sites = {provider.site_id: provider.site for provider in providers}
    for site in sites.values():
        found = payable_balances(site=site, on=today, accounts=list(accounts))
        currency = TerritorySettings.for_site(site).currency
        for provider in providers:
            if provider.site_id != site.pk:
                continue
            account = provider_account(provider.pk)
            board.owed.append(
                Owed(
                    provider=provider,
                    payable=found.get(account, Payable(account, 0)),
                    currency=currency,
                    last_invoice=last_invoices.get(provider.pk),
                )
            )

    day_start, week_end = _day_bounds(today, FULL_AHEAD_DAYS)
    board.full_nights = list(
        StayNight.objects.filter(
            offer__provider_id__in=ids,
            date__gte=today,
            date__lt=today + dt.timedelta(days=FULL_AHEAD_DAYS),
            units_taken__gte=F("offer__units"),
            offer__live=True,
        )
        .select_related("offer")
        .order_by("date", "offer__title")[:LIST_LIMIT]
    )
    board.full_slots = list(
        ActivitySlot.objects.filter(
            offer__provider_id__in=ids,
            starts_at__gte=day_start,
            starts_at__lt=week_end,
            places_taken__gte=F("places"),
            cancelled=False,
        )
        .select_related("offer")
        .order_by("starts_at")[:LIST_LIMIT]
    )
    board.closures = list(
        Closure.objects.filter(
            page__provider_id__in=ids,
            end_date__gte=today,
            start_date__lte=today + dt.timedelta(days=CLOSURES_AHEAD_DAYS),
        )
        .select_related("page")
        .order_by("start_date", "pk")[:LIST_LIMIT]
    )
    return board


class ProviderDashboardPanel(Component):
    """The admin home's first panel for a provider's members (see the module's docstring)."""

    name = "provider_dashboard"
    order = 10
    template_name = "marketplace/admin/provider_dashboard_panel.html"

    class Media:
        css = {"all": ["marketplace/admin/provider_dashboard.css"]}

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        context = super().get_context_data(parent_context)
        board = provider_dashboard(user=self.user)
        if board is not None:
            for rows in (
                board.arrivals,
                board.departures,
                board.activities,
                board.goods,
                board.cancellations,
            ):
                for booking in rows:
                    booking.url = reverse("bookings:inspect", args=[booking.pk])
                    booking.what = booking_what(booking)
                    user = booking.order.user
                    booking.visitor_name = user.get_full_name() if user is not None else ""
        context["board"] = board
        return context


class SellerDetailsMissingPanel(Component):
    """For a provider's members: the data the yearly tax report (DAC7) still lacks for
    their approved providers, with a link to complete it (``marketplace.seller_details``).
    Shown only when something is missing."""

    name = "seller_details_missing"
    order = 5
    template_name = "marketplace/admin/seller_details_missing_panel.html"

    def __init__(self, rows):
        self.rows = rows

    @classmethod
    def for_user(cls, user) -> SellerDetailsMissingPanel | None:
        ids = member_provider_ids(user=user)
        if not ids:
            return None
        rows = [
            {
                "provider": provider,
                "missing": missing_labels(missing),
                "url": reverse("seller_details:provider", args=[provider.pk]),
            }
            for provider, missing in providers_missing(provider_ids=ids)
        ]
        return cls(rows) if rows else None

    def get_context_data(self, parent_context=None):
        context = super().get_context_data(parent_context)
        context["rows"] = self.rows
        return context
