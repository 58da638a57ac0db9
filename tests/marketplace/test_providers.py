"""Becoming a provider: the public application, the editors' review in the admin."""

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import GroupPagePermission

from cms.models import ProviderPage
from marketplace.models import Provider, ProviderStatus
from marketplace.services import (
    ProviderStateError,
    provider_apply,
    provider_approve,
    provider_reject,
)
from tests.conftest import make_provider, make_user

APPLY_URL = "/devenir-partenaire/"
APPLY_URL_EN = "/en/devenir-partenaire/"


def application(cat, **overrides):
    data = {
        "name": "Camping des Saules",
        "legal_name": "SARL Les Saules",
        "category": cat.pk,
        "commune": "Vallon",
        "address": "12 chemin de la Rivière",
        "postcode": "07150",
        "siret": "732 829 320 00074",
        "contact_name": "Nadia Roux",
        "email": "camping@example.org",
        "phone": "04 75 00 00 00",
        "website": "https://camping.example.org",
        "description": "Quarante emplacements au bord de l'eau.",
        "latitude": "44.403500",
        "longitude": "4.395000",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def applicant(territory):
    return make_user("candidat@example.org")


def test_apply_requires_login(client, territory):
    response = client.get(APPLY_URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_apply_url_name_and_form(client, applicant, category):
    assert reverse("provider_apply") == APPLY_URL
    client.force_login(applicant)
    response = client.get(APPLY_URL)
    assert response.status_code == 200
    assert 'name="siret"' in response.content.decode()


def test_apply_creates_pending_provider_and_notifies_editors(
    client, applicant, editor, category, territory, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY_URL, application(category))
    assert response.status_code == 302

    provider = Provider.objects.get()
    assert provider.status == ProviderStatus.APPLIED
    assert provider.site == territory
    assert provider.applied_by == applicant
    assert provider.siret == "73282932000074"
    assert provider.slug == "camping-des-saules"
    assert str(provider.latitude) == "44.403500"

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [editor.email]
    assert reverse("providers:review", args=[provider.pk]) in mail.outbox[0].body

    # The confirmation, then the status instead of a second form.
    page = client.get(APPLY_URL)
    body = page.content.decode()
    assert "Camping des Saules" in body
    assert 'name="siret"' not in body
    client.post(APPLY_URL, application(category, name="Encore moi"))
    assert Provider.objects.count() == 1


def test_apply_service_refuses_second_pending_application(applicant, category, territory):
    data = {
        "name": "Ferme du Pré",
        "legal_name": "EARL du Pré",
        "category": category,
        "commune": "Vallon",
        "address": "Le Pré",
        "postcode": "07150",
        "siret": "44306184100047",
        "contact_name": "Paul",
        "email": "ferme@example.org",
        "description": "Fromages.",
    }
    provider_apply(site=territory, user=applicant, data=data)
    with pytest.raises(ProviderStateError):
        provider_apply(site=territory, user=applicant, data=data | {"name": "Autre"})
    assert Provider.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"siret": "12345678901234"}, "siret", "This SIRET number is not valid."),
        ({"siret": "1234"}, "siret", "A SIRET number has exactly 14 digits."),
        ({"siret": "7328293200007A"}, "siret", "A SIRET number has exactly 14 digits."),
        # Digits of other scripts pass str.isdigit(): "²" breaks int(), Arabic-Indic
        # digits would be stored as a "valid" SIRET.
        ({"siret": "²" * 14}, "siret", "A SIRET number has exactly 14 digits."),
        ({"siret": "٧٣٢٨٢٩٣٢٠٠٠٠٧٤"}, "siret", "A SIRET number has exactly 14 digits."),
        ({"postcode": "7150"}, "postcode", "A French postcode has five digits."),
        ({"email": "pas-un-email"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field is required."),
        ({"category": "999999"}, "category", "Select a valid choice."),
        ({"latitude": "123"}, "latitude", "less than or equal to 90"),
        ({"website": "javascript:alert(1)"}, "website", "Enter a valid URL."),
        ({"description": None}, "description", "This field is required."),
    ],
)
def test_apply_bad_input_is_explained_and_creates_nothing(
    client, applicant, category, overrides, field, message
):
    client.force_login(applicant)
    response = client.post(APPLY_URL_EN, application(category, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert not Provider.objects.exists()


def test_apply_coordinates_come_in_pairs(client, applicant, category):
    client.force_login(applicant)
    response = client.post(APPLY_URL_EN, application(category, longitude=""))
    assert "Give both the latitude and the longitude, or neither." in response.content.decode()
    assert not Provider.objects.exists()
    client.post(APPLY_URL_EN, application(category, longitude="", latitude=""))
    assert Provider.objects.get().latitude is None


def test_apply_messages_are_translated(client, applicant, category):
    client.force_login(applicant)
    english = client.post(APPLY_URL_EN, application(category, siret="1234")).content.decode()
    french = client.post(APPLY_URL, application(category, siret="1234")).content.decode()
    assert "A SIRET number has exactly 14 digits." in english
    assert "A SIRET number has exactly 14 digits." not in french
    assert "SIRET" in french


def test_slugs_are_unique(territory, category):
    first = make_provider(territory, name="La Boulangerie", category=category, approve=False)
    second = make_provider(territory, name="La Boulangerie", category=category, approve=False)
    assert first.slug == "la-boulangerie"
    assert second.slug == "la-boulangerie-2"


# --- The editors' review in the Wagtail admin ---------------------------------------------


@pytest.fixture
def application_pending(territory, category, applicant):
    return make_provider(
        territory, name="Canoës du Pont", category=category, member=applicant, approve=False
    )


def test_editor_lists_filters_and_searches_providers(client, editor, territory, category):
    make_provider(territory, name="Canoës du Pont", category=category, approve=False)
    make_provider(territory, name="Fromagerie Blanc", category=category, commune="Ruoms")
    client.force_login(editor)
    index = reverse("providers:index")

    body = client.get(index).content.decode()
    assert "Canoës du Pont" in body and "Fromagerie Blanc" in body

    body = client.get(index, {"status": "applied"}).content.decode()
    assert "Canoës du Pont" in body and "Fromagerie Blanc" not in body

    body = client.get(index, {"commune": "Ruoms"}).content.decode()
    assert "Canoës du Pont" not in body and "Fromagerie Blanc" in body

    body = client.get(index, {"category": category.pk}).content.decode()
    assert "Canoës du Pont" in body

    body = client.get(index, {"q": "fromag"}).content.decode()
    assert "Canoës du Pont" not in body and "Fromagerie Blanc" in body


def test_editor_approves_application(
    client, editor, applicant, application_pending, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    url = reverse("providers:review", args=[application_pending.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "approve"})
    assert response.status_code == 302

    provider = Provider.objects.get(pk=application_pending.pk)
    assert provider.status == ProviderStatus.APPROVED
    assert provider.reviewed_by == editor
    page = ProviderPage.objects.get(provider=provider)
    assert page.live
    assert applicant.groups.filter(pk=provider.group_id).exists()
    assert GroupPagePermission.objects.filter(group=provider.group, page=page).count() == 4
    assert [m.to for m in mail.outbox] == [[applicant.email, provider.email]]
    assert "approved" in mail.outbox[0].subject.lower() or "approuv" in mail.outbox[0].subject

    # Idempotent: approving again changes nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        provider_approve(provider=provider, by=editor)
    assert ProviderPage.objects.filter(provider=provider).count() == 1
    assert len(mail.outbox) == 1


def test_dashboard_lists_applications_for_editors_only(client, editor, application_pending):
    client.force_login(editor)
    review = reverse("providers:review", args=[application_pending.pk])
    assert review in client.get(reverse("wagtailadmin_home")).content.decode()

    member = make_user("membre@example.org")
    make_provider(
        application_pending.site,
        name="Boucherie",
        category=application_pending.category,
        member=member,
    )
    client.force_login(member)
    assert review not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_editor_inspects_provider(client, editor, application_pending):
    client.force_login(editor)
    response = client.get(reverse("providers:inspect", args=[application_pending.pk]))
    assert response.status_code == 200
    assert application_pending.siret in response.content.decode()


def test_reject_needs_a_reason(client, editor, application_pending):
    client.force_login(editor)
    url = reverse("providers:review", args=[application_pending.pk])
    response = client.post(url, {"action": "reject", "reason": "  "})
    assert response.status_code == 200
    application_pending.refresh_from_db()
    assert application_pending.status == ProviderStatus.APPLIED


def test_editor_rejects_application_with_reason(
    client, editor, applicant, application_pending, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    url = reverse("providers:review", args=[application_pending.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "reject", "reason": "SIRET radié."})
    provider = Provider.objects.get(pk=application_pending.pk)
    assert provider.status == ProviderStatus.REJECTED
    assert provider.status_reason == "SIRET radié."
    assert provider.reviewed_by == editor
    assert not ProviderPage.objects.filter(provider=provider).exists()
    assert provider.group is None
    assert len(mail.outbox) == 1 and "SIRET radié." in mail.outbox[0].body

    # Idempotent; and the applicant may apply again.
    with django_capture_on_commit_callbacks(execute=True):
        provider_reject(provider=provider, by=editor, reason="Encore")
    provider.refresh_from_db()
    assert provider.status_reason == "SIRET radié."
    assert len(mail.outbox) == 1
    client.force_login(applicant)
    body = client.get(APPLY_URL).content.decode()
    assert 'name="siret"' in body and "SIRET radié." in body


def test_approved_provider_cannot_be_rejected(territory, category, editor):
    provider = make_provider(territory, name="Gîte", category=category)
    with pytest.raises(ProviderStateError):
        provider_reject(provider=provider, by=editor, reason="Non")


def test_nobody_adds_a_provider_in_the_admin(client, territory):
    admin = make_user("admin@example.org", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert reverse("providers:add") not in client.get(reverse("providers:index")).content.decode()
    response = client.get(reverse("providers:add"))
    assert response.status_code in (302, 403)


def test_editor_edit_form_does_not_change_status(client, editor, application_pending):
    client.force_login(editor)
    url = reverse("providers:edit", args=[application_pending.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="status"' not in response.content.decode()


def test_editor_manages_taxonomy_snippets(client, editor):
    client.force_login(editor)
    add = reverse("wagtailsnippets_marketplace_providercategory:add")
    response = client.post(
        add,
        {"name": "Ferme", "name_en": "Farm", "slug": "ferme", "description": "", "sort_order": 1},
    )
    assert response.status_code == 302
    add = reverse("wagtailsnippets_marketplace_label:add")
    response = client.post(add, {"name": "Bio", "name_en": "Organic", "slug": "bio"})
    assert response.status_code == 302
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("providers:index") in menu


@pytest.mark.parametrize(
    "url",
    [
        "providers:index",
        "wagtailsnippets_marketplace_providercategory:list",
        "wagtailsnippets_marketplace_label:list",
        "wagtailsnippets_marketplace_label:add",
    ],
)
def test_provider_member_cannot_reach_territory_admin(client, territory, category, url):
    member = make_user("membre@example.org")
    make_provider(territory, name="Boucherie", category=category, member=member)
    client.force_login(member)
    response = client.get(reverse(url))
    assert response.status_code in (302, 403)
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("providers:index") not in menu
    assert "/admin/snippets/marketplace/" not in menu


def test_provider_member_cannot_review(client, territory, category, application_pending):
    member = make_user("membre@example.org")
    make_provider(territory, name="Boucherie", category=category, member=member)
    client.force_login(member)
    response = client.post(
        reverse("providers:review", args=[application_pending.pk]), {"action": "approve"}
    )
    assert response.status_code in (302, 403)
    application_pending.refresh_from_db()
    assert application_pending.status == ProviderStatus.APPLIED
