"""The tourist tax of a stay as the booking flow sees it: who collects it, how much, frozen.

The offer page's quote (:func:`marketplace.quotes.offer_quote`), the cart, checkout and
the demo's past orders all call :func:`stay_tax_for`, so they agree to the cent. It reads
the stay's commune (its provider's, as the ledger's ``tax:tourist:<commune>`` account),
category, the check-in date, the nights, adults and minors, and hands them to
:func:`marketplace.tourist_tax.selectors.quote_for`.

- **Who collects** (CGCT L. 2333-34): the platform, for a private host
  (``host_is_professional`` off) and for a professional who mandated it
  (``tax_collection_mandate``). Then the tax is charged with the booking (``charged``),
  posted to the commune's account and refunded in full with any cancellation. Otherwise
  the visitor pays it on site: the amount is shown for information (``on_site``) when a
  rate is known, nothing is charged, and a missing rate blocks nothing.
- **Price per night** (for the unclassified percentage and a low-rent threshold): the
  price of everything booked, divided by the nights (rounded half up to the cent), i.e.
  the average price of the night of **all the units** booked, before the service fee
  and the tax. The law taxes per person and per night, so a booking of several units is
  one computation with all its occupants: the price per person is that price divided by
  every occupant (adults and minors), the tax owed per adult.
- **Missing data** (no rate in force for the commune, category and check-in date, and
  the territory did not allow zero; or a stay with no tax category): the stay cannot be
  booked while the platform must collect; the visitor reads :data:`NOT_BOOKABLE` and
  finance gets one e-mail per commune, category and day (the shared cache remembers).
- **Declared exemptions** (L. 2333-31: seasonal workers employed in the commune, people
  in emergency housing or temporary rehousing): offered only where the territory enables
  one of them (``TouristTaxSettings``) and the platform collects the tax
  (:func:`exemption_grounds`); the visitor says how many adults, at most all of them; the
  provider checks the proof on arrival. A declaration where none is offered, or more
  exempt adults than adults, is refused (:class:`StayNotBookable`, finance not told).
- **Frozen** on the booking at checkout: ``Booking.tax`` and ``Booking.tax_details``
  (:data:`DETAIL_KEYS`; ``exempt_persons`` counts the minors and the declared adults,
  ``exemption_grounds`` the grounds offered when adults were declared), which the
  declaration reads; ``Booking.tax_exempt_persons`` the declared adults.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from commissions.money import round_half_up
from marketplace.localisation import source_language
from marketplace.models import StayOfferPage
from marketplace.tourist_tax.categories import (
    CODES,
    EMERGENCY_HOUSING,
    SEASONAL_WORKERS,
    TaxCategory,
)
from marketplace.tourist_tax.engine import TaxInputError, TaxQuote, tourist_tax_compute
from marketplace.tourist_tax.models import TouristTaxRate, TouristTaxSettings
from marketplace.tourist_tax.selectors import RateMissing, TouristTaxError, quote_for, rate_for
from marketplace.web import public_url

logger = logging.getLogger(__name__)

DETAIL_KEYS = (
    "commune",
    "category",
    "rate_id",
    "rate_per_person_night",
    "persons_taxed",
    "exempt_persons",
    "exemption_grounds",
    "nights",
    "base",
    "surcharges",
    "surcharge_rates",
    "proportional",
    "price_per_night",
    "registration_number",
    "host_is_professional",
    "collected_by_platform",
    "address",
)
# How long finance is not told again about the same missing rate (a day, and some).
ALERT_SECONDS = 26 * 3600


def not_bookable_message() -> str:
    return _(
        "This offer cannot be booked at the moment: the tourist tax of its commune is not "
        "known yet. The territory's team has been told; please try again later."
    )


def exemption_not_offered_message() -> str:
    return _("This stay does not let you declare adults exempt from the tourist tax.")


def too_many_exempt_message() -> str:
    return _("There cannot be more adults exempt from the tourist tax than adults.")


def exemption_grounds(offer) -> tuple[str, ...]:
    """The exemption grounds a visitor may declare for ``offer`` (a specific stay): those
    its territory enables, when the platform collects the tax; none otherwise (the host
    who collects on site applies the exemptions there). One query when collected."""
    if not offer.tax_collected_by_platform or offer.provider is None:
        return ()
    tax_settings = TouristTaxSettings.objects.filter(site_id=offer.provider.site_id).first()
    return tax_settings.declared_exemption_grounds if tax_settings else ()


def exemption_help_text(grounds: tuple[str, ...]) -> str:
    """What the visitor reads under the number of exempt adults: the grounds ``grounds``
    names, exactly, and the proof the provider will ask for."""
    if set(grounds) == {SEASONAL_WORKERS, EMERGENCY_HOUSING}:
        return _(
            "Exempt by law: seasonal workers with a work contract in the commune, and "
            "persons in emergency housing or temporary relocation. The provider will ask "
            "for the proof on arrival."
        )
    if SEASONAL_WORKERS in grounds:
        return _(
            "Exempt by law: seasonal workers with a work contract in the commune. The "
            "provider will ask for the proof on arrival."
        )
    if EMERGENCY_HOUSING in grounds:
        return _(
            "Exempt by law: persons in emergency housing or temporary relocation. The "
            "provider will ask for the proof on arrival."
        )
    return ""


class StayNotBookable(Exception):
    """This stay cannot be booked as chosen: the platform must collect its tourist tax and
    cannot compute it, or the visitor declared an exemption that is refused."""

    def __init__(self, message: str, *, reason: str = ""):
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class StayTax:
    """The tourist tax of one stay choice. ``amount``: the computed total in cents, None
    when no rate is known (only possible when the platform does not collect)."""

    collected: bool
    amount: int | None
    details: dict = field(default_factory=dict)

    @property
    def charged(self) -> int:
        """What the visitor pays with the booking."""
        return (self.amount or 0) if self.collected else 0

    @property
    def on_site(self) -> int | None:
        """What the visitor will pay the host on site, when known (information only)."""
        return None if self.collected else self.amount

    @classmethod
    def of_booking(cls, booking) -> StayTax | None:
        """The tax frozen on ``booking`` (None for a booking that is not a stay, or a stay
        booked before the tax was computed)."""
        details = booking.tax_details or {}
        if booking.kind != "stay" or not details:
            return None
        collected = bool(details.get("collected_by_platform"))
        if collected:
            amount = booking.tax
        elif details.get("rate_id") is None and not details.get("base"):
            amount = None
        else:
            amount = (details.get("base") or 0) + sum((details.get("surcharges") or {}).values())
        return cls(collected=collected, amount=amount, details=details)


def stay_party(*, adults: int | None, minors: int | None, guests: int | None) -> tuple[int, int]:
    """(adults, minors) of a stay: a booking made before they were asked counts its guests
    as adults (one adult without a number of guests)."""
    if adults is None:
        return (guests or 1), 0
    return adults, minors or 0


def _address(provider) -> str:
    return f"{provider.address}, {provider.postcode} {provider.commune}".strip(", ")


def _details(
    *,
    offer,
    provider,
    quote: TaxQuote | None,
    rate_id,
    collected: bool,
    grounds: tuple[str, ...] = (),
) -> dict:
    return {
        "commune": provider.commune,
        "category": offer.tax_category,
        "rate_id": rate_id,
        "rate_per_person_night": quote.rate_per_person_night if quote else 0,
        "persons_taxed": quote.persons_taxed if quote else 0,
        "exempt_persons": quote.exempt_persons if quote else 0,
        "exemption_grounds": list(grounds),
        "nights": quote.nights if quote else 0,
        "base": quote.base if quote else 0,
        "surcharges": dict(quote.surcharges) if quote else {},
        "surcharge_rates": dict(quote.surcharge_rates) if quote else {},
        "proportional": quote.proportional if quote else False,
        "price_per_night": quote.price_per_night if quote else None,
        "registration_number": offer.registration_number or "",
        "host_is_professional": bool(offer.host_is_professional),
        "collected_by_platform": collected,
        "address": _address(provider),
    }


def stay_tax_for(
    *,
    offer,
    start: dt.date,
    end: dt.date,
    adults: int,
    minors: int = 0,
    exempt_persons: int = 0,
    price: int,
) -> StayTax:
    """The tourist tax of ``offer`` (a specific stay) from ``start`` to ``end`` for
    ``adults`` and ``minors``, of whom ``exempt_persons`` adults declared exempt, whose
    price (all units, all nights, before fee and tax) is ``price`` cents. Raises
    :class:`StayNotBookable` (finance told) when the platform must collect it and cannot
    compute it, and (finance not told) when the declared exemption is refused."""
    provider = offer.provider
    collected = offer.tax_collected_by_platform
    grounds: tuple[str, ...] = ()
    if exempt_persons:
        grounds = exemption_grounds(offer)
        if not grounds:
            message = exemption_not_offered_message()
            raise StayNotBookable(message, reason="exemption not offered")
        if exempt_persons > adults:
            raise StayNotBookable(too_many_exempt_message(), reason="too many exempt")
    nights = (end - start).days
    price_per_night = round_half_up(Decimal(price) / Decimal(nights)) if nights > 0 else None
    category = offer.tax_category or ""
    rate_id = None
    try:
        if category not in CODES:
            raise RateMissing(commune=provider.commune, category=category, on_date=start)
        site = provider.site
        try:
            rate = rate_for(site=site, commune=provider.commune, category=category, on_date=start)
        except RateMissing:
            # Zero if the territory allows it, else raised again (``quote_for`` decides).
            quote = quote_for(
                site=site,
                commune=provider.commune,
                category=category,
                on_date=start,
                nights=nights,
                adults=adults,
                minors=minors,
                exempt_persons=exempt_persons,
                price_per_night=price_per_night,
            )
        else:
            rate_id = rate.pk
            quote = tourist_tax_compute(
                rate=rate.rate_data(),
                category=category,
                nights=nights,
                adults=adults,
                minors=minors,
                exempt_persons=exempt_persons,
                price_per_night=price_per_night,
            )
    except (TouristTaxError, TaxInputError) as error:
        if not collected:
            details = _details(
                offer=offer, provider=provider, quote=None, rate_id=None, collected=False
            )
            return StayTax(collected=False, amount=None, details=details)
        tax_missing_alert(
            offer=offer, provider=provider, category=category, on_date=start, error=error
        )
        raise StayNotBookable(not_bookable_message(), reason=str(error)) from error
    details = _details(
        offer=offer,
        provider=provider,
        quote=quote,
        rate_id=rate_id,
        collected=collected,
        grounds=grounds,
    )
    return StayTax(collected=collected, amount=quote.total, details=details)


# --- Telling finance -------------------------------------------------------------------------


def stays_not_bookable(*, on_date: dt.date | None = None) -> list:
    """Live stays whose tax the platform must collect but cannot compute on ``on_date``
    (today by default): no category, or no rate in force for their commune and category
    (in a territory that does not allow zero). What finance's dashboard panel lists.
    Three queries whatever the number of stays."""
    on_date = on_date or timezone.localdate()
    stays = (
        StayOfferPage.objects.live()
        .filter(locale__language_code=source_language())
        .filter(Q(host_is_professional=False) | Q(tax_collection_mandate=True))
        .select_related("provider")
        .order_by("provider__commune", "title")
    )
    rates = {
        (site_id, commune.strip().lower(), category)
        for site_id, commune, category in TouristTaxRate.objects.in_force(on_date).values_list(
            "site_id", "commune", "category"
        )
    }
    zero_allowed = set(
        TouristTaxSettings.objects.filter(allow_zero_without_rate=True).values_list(
            "site_id", flat=True
        )
    )
    missing = []
    for stay in stays:
        provider = stay.provider
        if provider is None:
            continue
        if not stay.tax_category:
            missing.append(stay)
        elif provider.site_id not in zero_allowed and (
            (provider.site_id, provider.commune.strip().lower(), stay.tax_category) not in rates
        ):
            missing.append(stay)
    return missing


def tax_missing_alert(
    *, offer, provider, category: str, on_date: dt.date, error: Exception
) -> bool:
    """Tell finance (once per commune, category and day) that a stay cannot be booked.
    Returns whether an e-mail was queued."""
    today = timezone.localdate()
    key = (
        f"tourist-tax:missing:{provider.site_id}:{slugify(provider.commune)}:"
        f"{category or '-'}:{today.isoformat()}"
    )
    logger.warning("tourist tax: stay %s cannot be booked: %s", offer.pk, error)
    if not cache.add(key, 1, ALERT_SECONDS):
        return False
    label = dict(TaxCategory.choices).get(category)
    context = {
        "commune": provider.commune,
        "category": category,
        "category_label": str(label) if label else "",
        "offer_title": offer.title,
        "offer_id": offer.pk,
        "provider_name": provider.name,
        "on_date": on_date.isoformat(),
        "date": today.isoformat(),
    }
    transaction.on_commit(lambda: tax_missing_notify(context))
    return True


def tax_finance_recipients() -> list[str]:
    """Active people who manage the tourist tax rates (the finance group)."""
    permission = Permission.objects.filter(
        codename="change_touristtaxrate", content_type__app_label="tourist_tax"
    ).first()
    if permission is None:
        return []
    return sorted(
        set(
            get_user_model()
            .objects.filter(is_active=True)
            .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


@db_task()
def tax_missing_notify(context: dict) -> int:
    """E-mail finance that a stay cannot be booked for want of a tourist tax rate."""
    recipients = tax_finance_recipients()
    if not recipients:
        return 0
    context = {**context, "admin_url": public_url(reverse("wagtailadmin_home"))}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("marketplace/emails/tourist_tax_missing_subject.txt", context)
        body = render_to_string("marketplace/emails/tourist_tax_missing.txt", context)
    return send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, recipients)
