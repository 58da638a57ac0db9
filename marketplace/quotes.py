"""The "how much for my dates / slot / quantity" form of an offer page.

Each kind has a small GET form that checks what the visitor typed against the offer's
rules and availability, then asks ``marketplace.pricing`` for the price. The cart will
check the same things again under a lock; this is the visitor's preview.

A stay's form also asks how many adults are exempt from the tourist tax
(``exempt_adults``) when its territory lets visitors declare an exemption and the platform
collects the tax (:func:`marketplace.stay_tax.exemption_grounds`); elsewhere the field is
absent and a value sent anyway is refused.
"""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketplace.filters import MAX_DAYS_AHEAD, MAX_SEARCH_DAYS
from marketplace.models import OfferKind
from marketplace.pricing import (
    PriceQuote,
    PricingError,
    activity_price,
    product_price,
    stay_price,
)
from marketplace.selectors import OfferAvailability, product_free, stay_nights_status
from marketplace.stay_tax import (
    StayNotBookable,
    StayTax,
    exemption_grounds,
    exemption_help_text,
    exemption_not_offered_message,
    stay_tax_for,
    too_many_exempt_message,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def night_short_message(night, nights) -> str:
    """Why a night cannot take the units asked: full (and the next night of the stay that
    has room again, if any), or only so many left, in plural forms."""
    day = formats.date_format(night.date, "SHORT_DATE_FORMAT")
    if night.free_units <= 0:
        later = [n for n in nights if n.date > night.date and n.free_units > 0 and not n.closed]
        if later:
            return _(
                "Full on the night of %(date)s; there is room again from the night of "
                "%(again)s. The calendar shows the free nights."
            ) % {"date": day, "again": formats.date_format(later[0].date, "SHORT_DATE_FORMAT")}
        return _("Full on the night of %(date)s. The calendar shows the free nights.") % {
            "date": day
        }
    return ngettext(
        "Only %(count)d unit left on the night of %(date)s.",
        "Only %(count)d units left on the night of %(date)s.",
        night.free_units,
    ) % {"count": night.free_units, "date": day}


class StayQuoteForm(forms.Form):
    start = forms.DateField(
        label=_("Arrival"),
        widget=DATE_WIDGET,
        error_messages={"invalid": _("Enter a date such as 2026-07-14.")},
    )
    end = forms.DateField(
        label=_("Departure"),
        widget=DATE_WIDGET,
        error_messages={"invalid": _("Enter a date such as 2026-07-21.")},
    )
    units = forms.IntegerField(
        label=_("Units"),
        min_value=1,
        initial=1,
        required=False,
        error_messages={
            "invalid": _("Enter a whole number."),
            "min_value": _("Choose at least one."),
        },
    )
    adults = forms.IntegerField(
        label=_("Adults"),
        min_value=1,
        initial=1,
        required=False,
        error_messages={
            "invalid": _("Enter a whole number of adults."),
            "min_value": _("Choose at least one adult."),
        },
    )
    minors = forms.IntegerField(
        label=_("Minors (under 18)"),
        min_value=0,
        initial=0,
        required=False,
        error_messages={
            "invalid": _("Enter a whole number of minors."),
            "min_value": _("The number of minors cannot be negative."),
        },
    )

    def __init__(self, *args, offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer
        capacity = self.capacity
        self.fields["adults"].widget.attrs.update({"min": 1, "max": max(capacity, 1)})
        self.fields["minors"].widget.attrs.update({"min": 0, "max": max(capacity - 1, 0)})
        if offer.unit_name:
            self.fields["units"].label = _("Units (%(unit)s)") % {"unit": offer.unit_name}
        self.fields["units"].max_value = offer.units
        self.fields["units"].widget.attrs.update({"min": 1, "max": offer.units})
        self.exemption_grounds = exemption_grounds(offer)
        if self.exemption_grounds:
            self.fields["exempt_adults"] = forms.IntegerField(
                label=_("Adults exempt from the tourist tax"),
                min_value=0,
                initial=0,
                required=False,
                help_text=exemption_help_text(self.exemption_grounds),
                error_messages={
                    "invalid": _("Enter a whole number of adults."),
                    "min_value": _("The number of exempt adults cannot be negative."),
                },
            )
            self.fields["exempt_adults"].widget.attrs.update({"min": 0, "max": max(capacity, 1)})
        self.nights = []

    @property
    def capacity(self) -> int:
        """The most guests the whole offer takes: every unit, full."""
        return (self.offer.units or 0) * (self.offer.guests_per_unit or 0)

    def _clean_party(self, cleaned) -> int | None:
        """Adults (one when not said, as a link with dates only means), minors (none
        when not said) within the offer's capacity, and the adults declared exempt from
        the tourist tax (none when not said; only where offered): the total of adults and
        minors, or None if refused."""
        if not self.exemption_grounds and str(self.data.get("exempt_adults") or "0").strip() != "0":
            # Sent anyway (a forged or stale link): refused, never silently dropped.
            self.add_error(None, exemption_not_offered_message())
            return None
        if any(name in self.errors for name in ("adults", "minors", "exempt_adults")):
            return None
        if cleaned.get("adults") is None:
            cleaned["adults"] = 1
        if cleaned.get("minors") is None:
            cleaned["minors"] = 0
        cleaned["tax_exempt_persons"] = cleaned.get("exempt_adults") or 0
        if cleaned["tax_exempt_persons"] > cleaned["adults"]:
            self.add_error("exempt_adults", too_many_exempt_message())
            return None
        total = cleaned["adults"] + cleaned["minors"]
        if total > self.capacity:
            self.add_error(
                None,
                ngettext(
                    "This offer takes at most %(count)d guest, adults and minors together.",
                    "This offer takes at most %(count)d guests, adults and minors together.",
                    self.capacity,
                )
                % {"count": self.capacity},
            )
            return None
        cleaned["guests"] = total
        return total

    def clean(self):
        cleaned = super().clean()
        guests = self._clean_party(cleaned)
        if "units" not in self.errors and not cleaned.get("units"):
            # Dates alone (a link from the listing) mean as few units as the guests need:
            # one, without a number of guests.
            per_unit = max(self.offer.guests_per_unit or 1, 1)
            cleaned["units"] = max(-(-(guests or 1) // per_unit), 1)
        if guests is None:
            return cleaned
        start, end, units = cleaned.get("start"), cleaned.get("end"), cleaned.get("units")
        if not (start and end and units):
            return cleaned
        today = timezone.localdate()
        offer = self.offer
        if start < today:
            raise forms.ValidationError(_("The arrival date is in the past."))
        if start > today + dt.timedelta(days=MAX_DAYS_AHEAD):
            raise forms.ValidationError(_("Choose an arrival within the next two years."))
        if end <= start:
            raise forms.ValidationError(_("The departure must be after the arrival."))
        nights = (end - start).days
        if nights > MAX_SEARCH_DAYS:
            raise forms.ValidationError(
                _("A stay lasts at most %(days)d nights.") % {"days": MAX_SEARCH_DAYS}
            )
        if nights < offer.min_nights:
            raise forms.ValidationError(
                ngettext(
                    "This stay is at least %(count)d night.",
                    "This stay is at least %(count)d nights.",
                    offer.min_nights,
                )
                % {"count": offer.min_nights}
            )
        if units > offer.units:
            raise forms.ValidationError(
                ngettext(
                    "There is only %(count)d unit (%(unit)s).",
                    "There are only %(count)d units (%(unit)s).",
                    offer.units,
                )
                % {"count": offer.units, "unit": offer.unit_name}
            )
        if guests > units * offer.guests_per_unit:
            raise forms.ValidationError(
                ngettext(
                    "At most %(count)d guest fits in what you chose.",
                    "At most %(count)d guests fit in what you chose.",
                    units * offer.guests_per_unit,
                )
                % {"count": units * offer.guests_per_unit}
            )
        self.nights = stay_nights_status(offer=offer, start=start, end=end)
        closed = [n.date for n in self.nights if n.closed]
        if closed:
            raise forms.ValidationError(
                _("Closed on %(date)s.")
                % {"date": formats.date_format(closed[0], "SHORT_DATE_FORMAT")}
            )
        short = [n for n in self.nights if n.free_units < units]
        if short:
            raise forms.ValidationError(night_short_message(short[0], self.nights))
        return cleaned

    def quote(self) -> PriceQuote:
        data = self.cleaned_data
        return stay_price(
            offer=self.offer, start=data["start"], end=data["end"], units=data["units"]
        )

    def tax(self, price: PriceQuote) -> StayTax:
        """The tourist tax of this choice (raises ``StayNotBookable``)."""
        data = self.cleaned_data
        return stay_tax_for(
            offer=self.offer,
            start=data["start"],
            end=data["end"],
            adults=data["adults"],
            minors=data["minors"],
            exempt_persons=data["tax_exempt_persons"],
            price=price.total,
        )


class ActivityQuoteForm(forms.Form):
    slot = forms.TypedChoiceField(
        label=_("Time slot"),
        coerce=int,
        error_messages={
            "invalid_choice": _("This time slot is not available; choose another one."),
            "required": _("Choose a time slot."),
        },
    )
    persons = forms.IntegerField(
        label=_("Persons"),
        min_value=1,
        initial=1,
        error_messages={
            "invalid": _("Enter a whole number."),
            "min_value": _("Choose at least one person."),
        },
    )

    def __init__(self, *args, offer, availability: OfferAvailability, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.slots = {slot.pk: slot for slot in availability.slots}
        self.fields["slot"].choices = [
            (
                slot.pk,
                _("%(when)s (%(left)d left)")
                % {
                    "when": formats.date_format(
                        timezone.localtime(slot.starts_at), "SHORT_DATETIME_FORMAT"
                    ),
                    "left": slot.places_left,
                },
            )
            for slot in availability.slots
        ]
        self.fields["persons"].widget.attrs["min"] = 1

    def clean(self):
        cleaned = super().clean()
        slot_id, persons = cleaned.get("slot"), cleaned.get("persons")
        if slot_id and persons and persons > self.slots[slot_id].places_left:
            raise forms.ValidationError(
                ngettext(
                    "Only %(count)d place is left on this slot.",
                    "Only %(count)d places are left on this slot.",
                    self.slots[slot_id].places_left,
                )
                % {"count": self.slots[slot_id].places_left}
            )
        return cleaned

    def quote(self) -> PriceQuote:
        return activity_price(offer=self.offer, persons=self.cleaned_data["persons"])


class ProductQuoteForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        initial=1,
        error_messages={
            "invalid": _("Enter a whole number."),
            "min_value": _("Choose at least one."),
        },
    )

    def __init__(self, *args, offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.free = product_free(offer)
        self.fields["quantity"].widget.attrs.update({"min": 1, "max": max(self.free, 1)})

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity > self.free:
            if not self.free:
                raise forms.ValidationError(_("Out of stock."))
            raise forms.ValidationError(
                ngettext(
                    "Only %(count)d left in stock.",
                    "Only %(count)d left in stock.",
                    self.free,
                )
                % {"count": self.free}
            )
        return quantity

    def quote(self) -> PriceQuote:
        return product_price(offer=self.offer, quantity=self.cleaned_data["quantity"])


@dataclass
class QuoteResult:
    form: forms.Form
    quote: PriceQuote | None = None
    asked: bool = False
    # A stay's tourist tax (None for activities and products).
    tax: StayTax | None = None


QUOTE_FIELDS = {"start", "end", "units", "adults", "minors", "slot", "persons", "quantity"}


def _adults_from_guests(params):
    """The listing's ``guests`` filter (a parameter its links and others' carry) as the
    stay form's adults, unless the adults are given."""
    guests = params.get("guests")
    if not guests or params.get("adults"):
        return params
    params = params.copy()
    params["adults"] = guests
    return params


def _initial_adults(params) -> dict:
    """A prefilled (unchecked) number of adults, when it is a sensible one."""
    adults = str(params.get("adults") or "")
    if adults.isdigit() and 1 <= int(adults) <= 999:
        return {"adults": int(adults)}
    return {}


def offer_quote(*, offer, params, availability: OfferAvailability) -> QuoteResult:
    """Validate the visitor's choice (GET ``params``) and price it when it is valid.

    Without any of the form's parameters the form is shown empty, with no error; for a
    stay, ``guests`` alone (from the listing) only fills in the adults.
    """
    asked = any(params.get(name) for name in QUOTE_FIELDS)
    if offer.kind == OfferKind.STAY:
        params = _adults_from_guests(params)
        if asked:
            form = StayQuoteForm(params, offer=offer)
        else:
            form = StayQuoteForm(offer=offer, initial=_initial_adults(params))
    elif offer.kind == OfferKind.ACTIVITY:
        form = ActivityQuoteForm(params if asked else None, offer=offer, availability=availability)
    else:
        form = ProductQuoteForm(params if asked else None, offer=offer)
    result = QuoteResult(form=form, asked=asked)
    if asked and form.is_valid():
        try:
            quote = form.quote()
        except PricingError:
            form.add_error(None, _("This offer has no price for that choice yet."))
            return result
        if isinstance(form, StayQuoteForm):
            try:
                result.tax = form.tax(quote)
            except StayNotBookable as error:
                # Nothing is priced: the stay cannot be booked until finance fixes it.
                form.add_error(None, error.message)
                return result
        result.quote = quote
    return result
