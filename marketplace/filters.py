"""The storefront's offer filters, shared by the ``/offres/`` page and ``/api/offers/``.

Invalid values never raise: the form collects a clear message per field, the invalid
field is left out of the filtering and the rest still applies. Availability (dates and
guests) is expressed as ``EXISTS`` subqueries over the per-night and per-slot tables, so
the listing is one query whatever the catalogue size.
"""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from commissions.fields import EuroFormField
from marketplace.models import (
    ActivitySlot,
    Closure,
    Label,
    OfferKind,
    OfferPage,
    ProductOfferPage,
    ProductStock,
    Provider,
    ProviderCategory,
    StayNight,
    StayOfferPage,
)
from marketplace.models.offers import normalise_text

Q_MAX_LENGTH = 200
Q_MAX_WORDS = 8
MAX_GUESTS = 50
MAX_SEARCH_DAYS = 90
# How far ahead a visitor may search: slots are generated for about this horizon.
MAX_DAYS_AHEAD = 2 * 365

# The default comes first: it is what the select shows when nothing is chosen.
ORDERING_CHOICES = [
    ("name", _("Name")),
    ("price", _("Price, lowest first")),
    ("-price", _("Price, highest first")),
    ("newest", _("Newest first")),
]
DEFAULT_ORDERING = "name"


class OfferFilterForm(forms.Form):
    """Cross-field checks: a sensible date range and price range."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        today = timezone.localdate()
        if start and start < today:
            self.add_error("start", _("The start date is in the past."))
            start = None
        elif start and start > today + dt.timedelta(days=MAX_DAYS_AHEAD):
            self.add_error("start", _("Choose a start date within the next two years."))
            start = None
        if end and "start" not in self.errors:
            if start is None and not self.data.get("start"):
                self.add_error("end", _("Choose a start date as well as an end date."))
            elif start and end <= start:
                self.add_error("end", _("The end date must be after the start date."))
            elif start and (end - start).days > MAX_SEARCH_DAYS:
                self.add_error(
                    "end",
                    _("Search at most %(days)d days at once.") % {"days": MAX_SEARCH_DAYS},
                )
        if "start" in self.errors or "end" in self.errors:
            # A half-valid range would silently mean something else: drop both.
            self.cleaned_data.pop("start", None)
            self.cleaned_data.pop("end", None)
        price_min, price_max = cleaned.get("price_min"), cleaned.get("price_max")
        if price_min is not None and price_max is not None and price_max < price_min:
            self.add_error("price_max", _("The maximum price is below the minimum price."))
            self.cleaned_data.pop("price_min", None)
        return self.cleaned_data

    def _post_clean(self):
        super()._post_clean()
        # Tie each message to its field for screen readers (the template renders the
        # list with this id).
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}-errors"


class EuroSearchField(EuroFormField):
    """Euros as visitors type them: "12", "12.5", "12,50" or "1 200"."""

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u202f", "").replace(",", ".")
        return super().to_python(value)


class EuroFilter(django_filters.Filter):
    """A price typed in euros, compared with an amount in cents."""

    field_class = EuroSearchField


class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


def _noop(queryset, name, value):
    # Dates and guests are applied together in ``OfferFilterSet.filter_queryset``.
    return queryset


PRICE_ERRORS = {
    "invalid": _("Enter a price in euros, for example 12.50."),
    "max_decimal_places": _("Enter a price in euros, for example 12.50."),
    "max_digits": _("This price is too large."),
    "max_whole_digits": _("This price is too large."),
    "min_value": _("A price cannot be negative."),
}


class OfferFilterSet(django_filters.FilterSet):
    """Filters of the offer catalogue.

    ``start``/``end`` and ``guests`` are read together:

    * stays: every night from ``start`` to the night before ``end`` is open (no closure)
      and has enough free units for the guests (``ceil(guests / guests_per_unit)``, one
      unit without ``guests``), and the stay is at least the offer's minimum nights;
      without dates, ``guests`` asks for enough units in total;
    * activities: a slot that is not cancelled starts on a day from ``start`` to ``end``
      (both included) with enough places left for the guests (one place without
      ``guests``); without dates, any future slot counts;
    * products: dates only ask for stock; **products are left out when ``guests`` is
      given**, since a number of guests means nothing for goods.
    """

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        max_length=Q_MAX_LENGTH,
        error_messages={
            "max_length": _("The search text is too long (at most %(limit_value)d characters).")
        },
        widget=forms.TextInput(attrs={"type": "search", "maxlength": Q_MAX_LENGTH}),
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        field_name="listing_category",
        to_field_name="slug",
        queryset=ProviderCategory.objects.all(),
        empty_label=_("All categories"),
        error_messages={"invalid_choice": _("This category does not exist.")},
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"),
        choices=OfferKind.choices,
        empty_label=_("All kinds"),
        error_messages={"invalid_choice": _("This kind of offer does not exist.")},
    )
    commune = django_filters.ChoiceFilter(
        label=_("Commune"),
        choices=[],
        empty_label=_("All communes"),
        error_messages={"invalid_choice": _("There is no offer in this commune.")},
    )
    label = django_filters.ModelChoiceFilter(
        label=_("Label"),
        to_field_name="slug",
        queryset=Label.objects.all(),
        method="filter_label",
        empty_label=_("All labels"),
        error_messages={"invalid_choice": _("This label does not exist.")},
    )
    price_min = EuroFilter(
        label=_("Minimum price (€)"),
        field_name="price_from",
        lookup_expr="gte",
        error_messages=PRICE_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    price_max = EuroFilter(
        label=_("Maximum price (€)"),
        field_name="price_from",
        lookup_expr="lte",
        error_messages=PRICE_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    start = django_filters.DateFilter(
        label=_("From"),
        method=_noop,
        error_messages={"invalid": _("Enter a date such as 2026-07-14.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = django_filters.DateFilter(
        label=_("To"),
        method=_noop,
        error_messages={"invalid": _("Enter a date such as 2026-07-21.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    guests = IntegerFilter(
        label=_("Guests"),
        method=_noop,
        min_value=1,
        max_value=MAX_GUESTS,
        error_messages={
            "invalid": _("Enter a whole number of guests."),
            "min_value": _("Enter at least one guest."),
            "max_value": _("Enter at most %(limit_value)s guests."),
        },
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_GUESTS}),
    )
    ordering = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=ORDERING_CHOICES,
        method="filter_ordering",
        empty_label=None,
        error_messages={"invalid_choice": _("This sort order does not exist.")},
    )

    class Meta:
        model = OfferPage
        fields: list[str] = []
        form = OfferFilterForm

    def __init__(self, data=None, *args, communes: list[str] | None = None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["commune"].extra["choices"] = [(c, c) for c in (communes or [])]

    # --- individual filters -----------------------------------------------------------
    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        words = normalise_text(value).split()[:Q_MAX_WORDS]
        for word in words:
            queryset = queryset.filter(search_text__contains=word)
        return queryset

    def filter_label(self, queryset: QuerySet, name: str, value: Label) -> QuerySet:
        offer_labels = OfferPage.labels.through.objects.filter(
            offerpage_id=OuterRef("pk"), label_id=value.pk
        )
        provider_labels = Provider.labels.through.objects.filter(
            provider_id=OuterRef("provider_id"), label_id=value.pk
        )
        return queryset.filter(Exists(offer_labels) | Exists(provider_labels))

    def filter_ordering(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Applied last, in ``filter_queryset``.
        return queryset

    # --- dates and guests together ----------------------------------------------------
    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        start, end, guests = data.get("start"), data.get("end"), data.get("guests")
        if start and not end:
            end = start + dt.timedelta(days=1)
        if start or guests:
            queryset = queryset.filter(availability_q(start=start, end=end, guests=guests))
        return queryset.order_by(*ordering_fields(data.get("ordering") or DEFAULT_ORDERING))

    # --- for templates ----------------------------------------------------------------
    @property
    def error_messages(self) -> list[str]:
        """Every message of the form, flat, for a notice above the results."""
        messages = []
        for field_name, errors in self.form.errors.items():
            label = self.form.fields[field_name].label if field_name in self.form.fields else ""
            for error in errors:
                if label:
                    messages.append(
                        gettext("%(label)s: %(message)s") % {"label": label, "message": error}
                    )
                else:
                    messages.append(str(error))
        return messages


def ordering_fields(ordering: str) -> list:
    """The ``order_by`` arguments of a sort order; the primary key breaks ties."""
    return {
        "price": [F("price_from").asc(nulls_last=True), "pk"],
        "-price": [F("price_from").desc(nulls_last=True), "-pk"],
        "newest": [F("first_published_at").desc(nulls_last=True), "-pk"],
        "name": ["title", "pk"],
    }.get(ordering, ["title", "pk"])


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def availability_q(*, start: dt.date | None, end: dt.date | None, guests: int | None) -> Q:
    """A ``Q`` on ``OfferPage`` keeping the offers available for these dates and guests.

    Every condition is an ``EXISTS`` over an indexed table, evaluated in the listing's
    single query.
    """
    people = guests or 1

    # Stays ---------------------------------------------------------------------------
    units_needed = (Value(people) + F("guests_per_unit") - Value(1)) / F("guests_per_unit")
    stay_fits = StayOfferPage.objects.filter(pk=OuterRef("pk")).alias(needed=units_needed)
    stay_fits = stay_fits.filter(units__gte=F("needed"))
    stay = Q(kind=OfferKind.STAY)
    if start and end:
        nights = (end - start).days
        stay_fits = stay_fits.filter(min_nights__lte=nights)
        closed = Closure.objects.filter(
            page_id=OuterRef("pk"), start_date__lt=end, end_date__gte=start
        )
        full = (
            StayNight.objects.filter(offer_id=OuterRef("pk"), date__gte=start, date__lt=end)
            .alias(
                needed=(Value(people) + F("offer__guests_per_unit") - Value(1))
                / F("offer__guests_per_unit")
            )
            .filter(units_taken__gt=F("offer__units") - F("needed"))
        )
        stay &= Exists(stay_fits) & ~Exists(closed) & ~Exists(full)
    else:
        stay &= Exists(stay_fits)

    # Activities ----------------------------------------------------------------------
    now = timezone.now()
    slots = ActivitySlot.objects.filter(
        offer_id=OuterRef("pk"), cancelled=False, starts_at__gt=now
    ).filter(places__gte=F("places_taken") + people)
    if start and end:
        # Activity days include the end date (the visitor is there that day too).
        slots = slots.filter(
            starts_at__gte=_local_midnight(start),
            starts_at__lt=_local_midnight(end + dt.timedelta(days=1)),
        )
    activity = Q(kind=OfferKind.ACTIVITY) & Exists(slots)

    # Products ------------------------------------------------------------------------
    if guests:
        product = Q(pk__in=[])
    else:
        product = Q(kind=OfferKind.PRODUCT) & Exists(
            ProductOfferPage.objects.filter(pk=OuterRef("pk")).filter(
                stock__gt=Coalesce(
                    Subquery(
                        ProductStock.objects.filter(offer_id=OuterRef("pk")).values("taken")[:1]
                    ),
                    0,
                )
            )
        )
    return stay | activity | product
