"""Rates in the database: validation, overlaps, finding the rate in force, quote_for."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from wagtail.models import Site

from marketplace.tourist_tax.engine import TaxInputError
from marketplace.tourist_tax.models import TouristTaxRate, TouristTaxSettings
from marketplace.tourist_tax.selectors import (
    ExemptionNotOffered,
    RateMissing,
    quote_for,
    rate_for,
)

JAN = dt.date(2026, 1, 1)


def make_rate(site, **fields) -> TouristTaxRate:
    values = {
        "commune": "Arvière-le-Bourg",
        "category": "camping_3_5",
        "valid_from": JAN,
        "rate": 55,
    }
    values.update(fields)
    rate = TouristTaxRate(site=site, **values)
    rate.full_clean()
    rate.save()
    return rate


@pytest.fixture
def site(territory):
    return Site.objects.get(is_default_site=True)


def errors_of(rate: TouristTaxRate) -> dict:
    with pytest.raises(ValidationError) as caught:
        rate.full_clean()
    return caught.value.message_dict


def test_overlapping_validity_is_refused_in_both_languages(site):
    make_rate(site, valid_to=dt.date(2026, 12, 31))
    overlapping = TouristTaxRate(
        site=site,
        commune="arvière-le-bourg",
        category="camping_3_5",
        valid_from=dt.date(2026, 6, 1),
        rate=60,
    )
    with translation.override("fr"):
        assert "valable sur ces dates" in errors_of(overlapping)["valid_from"][0]
    with translation.override("en"):
        assert "valid over these dates" in errors_of(overlapping)["valid_from"][0]
    # An open-ended row overlaps every later one; the next year's row after an end is fine.
    make_rate(site, valid_from=dt.date(2027, 1, 1))
    with pytest.raises(ValidationError):
        make_rate(site, valid_from=dt.date(2030, 1, 1))
    # Another category, commune or territory never overlaps.
    make_rate(site, category="camping_1_2", rate=20)
    make_rate(site, commune="Vernois-le-Haut")
    other = Site.objects.create(hostname="autre.localhost", root_page=site.root_page)
    make_rate(other)


def test_an_edited_rate_does_not_overlap_itself(site):
    rate = make_rate(site)
    rate.rate = 60
    rate.full_clean()


def test_percentages_must_be_within_the_law(site):
    base = {"site": site, "commune": "X", "valid_from": JAN}
    with translation.override("en"):
        errors = errors_of(TouristTaxRate(category="unclassified", percent=Decimal("6"), **base))
        assert "between 1 and 5" in errors["percent"][0]
        assert "cap" in errors
        errors = errors_of(
            TouristTaxRate(category="unclassified", percent=Decimal("0.5"), cap=230, **base)
        )
        assert "between 1 and 5" in errors["percent"][0]
        errors = errors_of(
            TouristTaxRate(category="3_stars", rate=100, departmental_percent=Decimal("5"), **base)
        )
        assert "10 %" in errors["departmental_percent"][0]
        errors = errors_of(
            TouristTaxRate(category="3_stars", rate=100, regional_percent=Decimal("250"), **base)
        )
        assert "regional_percent" in errors
        errors = errors_of(TouristTaxRate(category="3_stars", percent=Decimal("3"), **base))
        assert set(errors) == {"rate", "percent"}
        errors = errors_of(
            TouristTaxRate(category="3_stars", rate=100, valid_to=dt.date(2025, 1, 1), **base)
        )
        assert "before its start" in errors["valid_to"][0]
    with translation.override("fr"):
        errors = errors_of(TouristTaxRate(category="unclassified", percent=Decimal("6"), **base))
        assert "entre 1 et 5" in errors["percent"][0]
    ok = TouristTaxRate(
        category="unclassified",
        percent=Decimal("5"),
        cap=230,
        departmental_percent=Decimal("10"),
        regional_percent=Decimal("15"),
        **base,
    )
    ok.full_clean()
    with translation.override("fr"):
        assert ok.rate_label() == "5 % (max. 2,30\u00a0€)"


def test_rate_for_reads_the_validity_dates(site):
    old = make_rate(site, valid_to=dt.date(2026, 6, 30), rate=50)
    new = make_rate(site, valid_from=dt.date(2026, 7, 1), rate=60)
    assert (
        rate_for(
            site=site,
            commune="Arvière-le-Bourg",
            category="camping_3_5",
            on_date=dt.date(2026, 6, 30),
        )
        == old
    )
    assert (
        rate_for(
            site=site,
            commune=" arvière-le-bourg ",
            category="camping_3_5",
            on_date=dt.date(2031, 1, 1),
        )
        == new
    )
    with pytest.raises(RateMissing):
        rate_for(
            site=site,
            commune="Arvière-le-Bourg",
            category="camping_3_5",
            on_date=dt.date(2025, 12, 31),
        )


def test_quote_for_computes_with_the_rate_in_force(site):
    make_rate(site, departmental_percent=Decimal("10"))
    quote = quote_for(
        site=site,
        commune="Arvière-le-Bourg",
        category="camping_3_5",
        on_date=JAN,
        nights=3,
        adults=2,
        minors=2,
    )
    assert quote.as_json() == {
        "rate_per_person_night": 55,
        "persons_taxed": 2,
        "nights": 3,
        "base": 330,
        "surcharges": {"departmental": 36},
        "total": 366,
    }


def test_a_missing_rate_is_a_clear_error_not_zero(site):
    make_rate(site)
    with translation.override("fr"), pytest.raises(RateMissing) as caught:
        quote_for(
            site=site,
            commune="Vernois-le-Haut",
            category="camping_3_5",
            on_date=JAN,
            nights=1,
            adults=2,
        )
    message = str(caught.value)
    assert "Vernois-le-Haut" in message and "2026-01-01" in message
    assert "Aucun tarif de taxe de séjour" in message
    with translation.override("en"), pytest.raises(RateMissing) as caught:
        quote_for(
            site=site,
            commune="Vernois-le-Haut",
            category="3_stars",
            on_date=JAN,
            nights=1,
            adults=2,
        )
    assert "No tourist tax rate for Vernois-le-Haut" in str(caught.value)


def test_the_territory_may_count_a_missing_rate_as_zero(site):
    settings = TouristTaxSettings.for_site(site)
    settings.allow_zero_without_rate = True
    settings.save()
    quote = quote_for(
        site=site, commune="Nulle-Part", category="unclassified", on_date=JAN, nights=2, adults=2
    )
    assert quote.total == 0
    assert quote.persons_taxed == 2
    # Counting zero never hides bad input.
    with pytest.raises(TaxInputError):
        quote_for(
            site=site, commune="Nulle-Part", category="3_stars", on_date=JAN, nights=-1, adults=2
        )


def test_declared_exemptions_only_where_the_territory_offers_them(site):
    make_rate(site)
    kwargs = {
        "site": site,
        "commune": "Arvière-le-Bourg",
        "category": "camping_3_5",
        "on_date": JAN,
        "nights": 2,
        "adults": 3,
        "exempt_persons": 1,
    }
    with pytest.raises(ExemptionNotOffered):
        quote_for(**kwargs)
    settings = TouristTaxSettings.for_site(site)
    settings.exemption_seasonal_workers = True
    settings.save()
    assert quote_for(**kwargs).persons_taxed == 2
