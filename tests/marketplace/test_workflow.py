"""The territory may approve an offer before its first publication (Wagtail workflow)."""

import pytest
from django.urls import reverse
from wagtail.models import TaskState, Workflow, WorkflowPage, WorkflowState, WorkflowTask

from cms.models import ProviderIndexPage, ProviderPage
from cms.services import territory_setup
from marketplace.models import ActivityOfferPage, OfferPublicationTask, TerritorySettings
from marketplace.services import OFFER_WORKFLOW_NAME
from tests.config.test_admin_isolation import add_form, edit_form
from tests.conftest import make_provider, make_user


@pytest.fixture
def member(territory, category):
    alice = make_user("alice@example.org")
    make_provider(territory, name="Canoës Alice", category=category, member=alice)
    return alice


@pytest.fixture
def provider_page(member):
    return ProviderPage.objects.get(provider__applied_by=member)


def require_approval(site, value: bool):
    settings = TerritorySettings.for_site(site)
    settings.require_offer_approval = value
    settings.save()


def submit_new_offer(client, parent, slug="descente") -> ActivityOfferPage:
    data = add_form(client, "activityofferpage", parent)
    data.update(
        {
            "title": "Descente en canoë",
            "slug": slug,
            "summary": "Huit kilomètres entre les gorges.",
            "price_per_person": "25",
            "duration_minutes": "180",
            "places_per_slot": "12",
            "action-submit": "1",
        }
    )
    url = reverse("wagtailadmin_pages:add", args=("marketplace", "activityofferpage", parent.pk))
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    return ActivityOfferPage.objects.get(slug=slug)


def submit_edit(client, page, **changes):
    data = edit_form(client, page)
    data.update(changes)
    data["action-submit"] = "1"
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 302, response.context["form"].errors


def test_territory_setup_attaches_workflow_idempotently(territory, editor):
    territory_setup(hostname="localhost", port=80, site_name="Comptoir test")
    workflow = Workflow.objects.get(name=OFFER_WORKFLOW_NAME)
    index = ProviderIndexPage.objects.get()
    assert WorkflowPage.objects.get(page=index).workflow == workflow
    task = OfferPublicationTask.objects.get()
    assert WorkflowTask.objects.filter(workflow=workflow).count() == 1
    assert list(task.groups.values_list("name", flat=True)) == ["Éditeurs du territoire"]


def test_new_offer_waits_for_editor_when_approval_required(
    client, territory, member, provider_page, editor
):
    require_approval(territory, True)
    client.force_login(member)
    offer = submit_new_offer(client, provider_page)
    assert not offer.live
    assert offer.first_published_at is None
    state = WorkflowState.objects.get(object_id=str(offer.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    task_state = state.current_task_state
    assert task_state.status == TaskState.STATUS_IN_PROGRESS

    approve = reverse(
        "wagtailadmin_pages:workflow_action", args=[offer.pk, "approve", task_state.pk]
    )
    # The member cannot approve its own offer.
    assert client.post(approve).status_code in (302, 403)
    offer.refresh_from_db()
    assert not offer.live

    client.force_login(editor)
    assert client.post(approve).status_code == 302
    offer.refresh_from_db()
    assert offer.live
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED


def test_editor_can_request_changes(client, territory, member, provider_page, editor):
    require_approval(territory, True)
    client.force_login(member)
    offer = submit_new_offer(client, provider_page)
    task_state = WorkflowState.objects.get(object_id=str(offer.pk)).current_task_state
    client.force_login(editor)
    reject = reverse("wagtailadmin_pages:workflow_action", args=[offer.pk, "reject", task_state.pk])
    client.post(reject, {"comment": "Ajoutez une photo."})
    offer.refresh_from_db()
    assert not offer.live
    state = WorkflowState.objects.get(object_id=str(offer.pk))
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES


def test_editors_are_emailed_only_when_an_offer_waits(
    client, territory, member, provider_page, editor, mailoutbox
):
    require_approval(territory, False)
    client.force_login(member)
    submit_new_offer(client, provider_page, slug="sans-validation")
    assert editor.email not in [to for message in mailoutbox for to in message.to]

    require_approval(territory, True)
    submit_new_offer(client, provider_page, slug="avec-validation")
    assert editor.email in [to for message in mailoutbox for to in message.to]


def test_edit_of_published_offer_goes_live_on_submit(
    client, territory, member, provider_page, editor
):
    require_approval(territory, True)
    client.force_login(member)
    offer = submit_new_offer(client, provider_page)
    task_state = WorkflowState.objects.get(object_id=str(offer.pk)).current_task_state
    client.force_login(editor)
    client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[offer.pk, "approve", task_state.pk])
    )

    client.force_login(member)
    offer.refresh_from_db()
    submit_edit(client, offer, title="Descente en canoë (journée)", places_per_slot="14")
    offer.refresh_from_db()
    assert offer.title == "Descente en canoë (journée)"
    assert offer.places_per_slot == 14
    assert offer.live
    assert not offer.workflow_in_progress


def test_submit_publishes_at_once_when_approval_not_required(
    client, territory, member, provider_page
):
    require_approval(territory, False)
    client.force_login(member)
    offer = submit_new_offer(client, provider_page)
    assert offer.live
    assert offer.first_published_at is not None
    assert offer.provider_id == provider_page.provider_id
    assert offer.price_from == 2500
    state = WorkflowState.objects.get(object_id=str(offer.pk))
    assert state.status == WorkflowState.STATUS_APPROVED


def test_provider_page_edits_go_live_on_submit(client, territory, member, provider_page):
    require_approval(territory, True)
    client.force_login(member)
    submit_edit(client, provider_page, tagline="Au fil de l'eau")
    provider_page.refresh_from_db()
    assert provider_page.tagline == "Au fil de l'eau"
    assert provider_page.live


def test_member_has_no_publish_button(client, territory, member, provider_page):
    client.force_login(member)
    response = client.get(
        reverse(
            "wagtailadmin_pages:add", args=("marketplace", "activityofferpage", provider_page.pk)
        )
    )
    body = response.content.decode()
    assert 'name="action-submit"' in body
    assert 'name="action-publish"' not in body


def test_member_cannot_publish_by_forging_the_button(client, territory, member, provider_page):
    require_approval(territory, True)
    client.force_login(member)
    data = add_form(client, "activityofferpage", provider_page)
    data.update(
        title="Forgée",
        slug="forgee",
        summary="x",
        price_per_person="10",
        duration_minutes="60",
        places_per_slot="5",
    )
    data["action-publish"] = "1"
    client.post(
        reverse(
            "wagtailadmin_pages:add", args=("marketplace", "activityofferpage", provider_page.pk)
        ),
        data,
    )
    assert not ActivityOfferPage.objects.filter(slug="forgee", live=True).exists()


def test_an_offer_resubmitted_after_changes_requested_is_reviewed_as_resubmitted(
    client, territory, member, provider_page, editor
):
    """Wagtail resumes the workflow with the page loaded before the new revision was
    saved: the editors would review, and approve, the text they sent back."""
    require_approval(territory, True)
    client.force_login(member)
    offer = submit_new_offer(client, provider_page)
    first = WorkflowState.objects.get(object_id=str(offer.pk)).current_task_state
    client.force_login(editor)
    reject = reverse("wagtailadmin_pages:workflow_action", args=[offer.pk, "reject", first.pk])
    client.post(reject, {"comment": "Précisez la durée."})

    client.force_login(member)
    submit_edit(client, offer, title="Descente en canoë (trois heures)")
    second = WorkflowState.objects.get(object_id=str(offer.pk)).current_task_state
    assert second.pk != first.pk
    assert second.revision.content["title"] == "Descente en canoë (trois heures)"
    client.force_login(editor)
    approve = reverse("wagtailadmin_pages:workflow_action", args=[offer.pk, "approve", second.pk])
    assert client.post(approve).status_code == 302
    offer.refresh_from_db()
    assert offer.live and offer.title == "Descente en canoë (trois heures)"
