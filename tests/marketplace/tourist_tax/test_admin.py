"""The tourist tax in the admin: finance manages rates and settings, nobody else does;
stays carry their tax category, registration number and professional host."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from marketplace.models import StayOfferPage
from marketplace.tourist_tax.models import TouristTaxRate, TouristTaxSettings
from tests.conftest import make_provider, make_user
from tests.factories import stay

RATES = "/admin/snippets/tourist_tax/touristtaxrate/"


@pytest.fixture
def member(territory, category):
    alice = make_user("alice@example.org")
    make_provider(territory, name="Gîte Alice", category=category, member=alice)
    return alice


def rate_form(territory, **fields):
    data = {
        "site": territory.pk,
        "commune": "Arvière-le-Bourg",
        "insee_code": "",
        "category": "camping_3_5",
        "valid_from": "2026-01-01",
        "valid_to": "",
        "rate": "0.55",
        "percent": "",
        "cap": "",
        "departmental_percent": "10",
        "regional_percent": "0",
        "low_rent_threshold": "",
    }
    data.update(fields)
    return data


def test_finance_sees_and_adds_rates(client, territory, finance):
    client.force_login(finance)
    assert client.get("/admin/").content.decode().count(RATES) >= 1
    assert client.get(RATES).status_code == 200
    response = client.post(RATES + "add/", rate_form(territory))
    assert response.status_code == 302, response.content.decode()[:2000]
    rate = TouristTaxRate.objects.get()
    assert (rate.rate, rate.site_id) == (55, territory.pk)
    assert "0,55\u00a0€" in client.get(RATES).content.decode()

    # An overlapping rate is refused on the form, in French, and nothing is saved.
    response = client.post(RATES + "add/", rate_form(territory, valid_from="2026-06-01"))
    assert response.status_code == 200
    assert "valable sur ces dates" in response.content.decode()
    assert TouristTaxRate.objects.count() == 1

    settings_url = f"/admin/settings/tourist_tax/touristtaxsettings/{territory.pk}/"
    assert client.get(settings_url).status_code == 200
    response = client.post(settings_url, {"allow_zero_without_rate": "on"})
    assert response.status_code == 302
    assert TouristTaxSettings.for_site(territory).allow_zero_without_rate


def test_a_provider_member_cannot_reach_the_rates(client, territory, member):
    TouristTaxRate.objects.create(
        site=territory, commune="X", category="3_stars", valid_from=dt.date(2026, 1, 1), rate=100
    )
    client.force_login(member)
    assert RATES not in client.get("/admin/").content.decode()
    for url in (RATES, RATES + "add/", f"{RATES}edit/{TouristTaxRate.objects.get().pk}/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
    response = client.post(RATES + "add/", rate_form(territory, commune="Y"))
    assert response.status_code in (302, 403)
    assert TouristTaxRate.objects.count() == 1
    settings_url = f"/admin/settings/tourist_tax/touristtaxsettings/{territory.pk}/"
    assert client.get(settings_url).status_code in (302, 403)


def test_an_editor_cannot_reach_the_rates(client, territory, editor):
    client.force_login(editor)
    assert client.get(RATES).status_code in (302, 403)


def test_a_stay_carries_its_tourist_tax_fields(client, territory, category, member):
    provider = make_provider(territory, name="Camping Bleu", category=category, approve=True)
    page = stay(provider)
    assert (page.tax_category, page.registration_number, page.host_is_professional) == (
        "",
        "",
        True,
    )
    client.force_login(member)
    # The page editor has the fields (the provider edits its own stays).
    own = stay(member.providers.get(), title="Gîte du pré")
    body = client.get(f"/admin/pages/{own.pk}/edit/").content.decode()
    for name in ("tax_category", "registration_number", "host_is_professional"):
        assert f'name="{name}"' in body


@pytest.mark.parametrize(
    "number", ["42610 000123 7K", "4261000012307", "2A004 000001 AB", "75056-123456-zz"]
)
def test_registration_numbers_of_thirteen_characters_are_accepted(territory, category, number):
    page = stay(make_provider(territory, name="Loueur", category=category))
    page.registration_number = number
    page.full_clean()
    assert len(page.registration_number) == 13
    assert page.registration_number == page.registration_number.upper().replace(" ", "")


@pytest.mark.parametrize("number", ["42610 00123 7K", "ABCDE 000123 7K", "42610 000123 7K9", "x"])
def test_malformed_registration_numbers_are_refused(territory, category, number):
    page = stay(make_provider(territory, name="Loueur", category=category))
    page.registration_number = number
    with pytest.raises(ValidationError) as caught:
        page.full_clean()
    assert "registration_number" in caught.value.message_dict


def test_the_registration_number_stays_optional(territory, category):
    page = StayOfferPage.objects.get(
        pk=stay(make_provider(territory, name="L", category=category)).pk
    )
    page.full_clean()
