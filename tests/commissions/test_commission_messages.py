"""Admin messages say what really happened and what happens next, in French and English.

Every message is read through the real admin, as the role that sees it: finance saves and
submits, the council approves or asks for changes, a provider's member submits an offer.
The admin speaks the user's preferred language (Wagtail's user profile).
"""

import datetime as dt
import html
import json
import re

import pytest
from django.contrib.messages import constants, get_messages
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import WorkflowState
from wagtail.users.models import UserProfile

from cms.services import COUNCIL_GROUP, FINANCE_GROUP
from commissions.models import CommissionRule, DistributionKey
from commissions.rules_io import rules_import
from tests.commissions.test_commissions import ADD_URL, LIST_URL, RULES, rule_form
from tests.conftest import make_user
from tests.marketplace.test_workflow import require_approval
from tests.snapshots import Replay

KEY_URL = "/admin/snippets/commissions/distributionkey/"


def build_taxonomy(territory):
    from tests import factories

    factories.category("camping")
    rules_import(site=territory, data=RULES, publish=True)
    return territory


taxonomy_replay = Replay(build_taxonomy)


@pytest.fixture
def taxonomy(territory):
    """``build_taxonomy``, built once and then replayed (tests/snapshots.py)."""
    return taxonomy_replay(territory)


def speaking(user, language):
    UserProfile.objects.update_or_create(user=user, defaults={"preferred_language": language})
    return user


@pytest.fixture(params=["fr", "en"])
def language(request):
    return request.param


@pytest.fixture
def finance(taxonomy, language):
    return speaking(make_user("finances@example.org", groups=(FINANCE_GROUP,)), language)


@pytest.fixture
def council(taxonomy, language):
    return speaking(make_user("conseil@example.org", groups=(COUNCIL_GROUP,)), language)


def messages_of(response):
    """(level, text) of the messages this request added, without their buttons.

    Only this request's (the storage's queue): messages left by earlier requests of the
    test, never displayed, would otherwise be read again.
    """
    result = []
    for message in get_messages(response.wsgi_request)._queued_messages:
        text = re.sub(r'<span class="buttons">.*?</span>', "", str(message), flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
        result.append((message.level, re.sub(r"\s+", " ", text).strip()))
    return result


def texts(response, level=constants.SUCCESS):
    return [text for lvl, text in messages_of(response) if lvl == level]


def lands_cleanly(client, response):
    """The page the action redirects to opens (no "Sorry, you do not have permission")."""
    assert response.status_code == 302, response
    landing = client.get(response["Location"])
    assert landing.status_code == 200, (response["Location"], landing.get("Location"))
    assert not [m for m in messages_of(landing) if m[0] == constants.ERROR]
    return landing


EXPECTED = {
    "submitted": {
        "fr": "La règle « Règle du marché » est soumise à l'approbation du conseil. "
        "Elle entrera en vigueur une fois approuvée.",
        "en": "The rule “Règle du marché” is submitted to the council for approval. "
        "It will take effect once approved.",
    },
    "draft_new": {
        "fr": "La règle « Règle du marché » est enregistrée comme brouillon. Elle n'entrera "
        "en vigueur qu'une fois soumise au conseil et approuvée.",
        "en": "The rule “Règle du marché” is saved as a draft. It will take effect only "
        "once submitted to the council and approved.",
    },
    "draft_live": {
        "fr": "La règle « Règle de base » : brouillon enregistré. La version en vigueur reste "
        "appliquée tant que ce brouillon n'est pas soumis au conseil et approuvé.",
        "en": "The rule “Règle de base”: draft saved. The version in force stays until this "
        "draft is submitted to the council and approved.",
    },
    "approved": {
        "fr": "La règle « Règle du marché » est approuvée et en vigueur.",
        "en": "The rule “Règle du marché” is approved and now in force.",
    },
    "changes": {
        "fr": "La règle « Règle du marché » retourne à son auteur : des modifications sont "
        "demandées. Rien ne change tant qu'une nouvelle version n'est pas approuvée.",
        "en": "The rule “Règle du marché” goes back to its author: changes are requested. "
        "Nothing changes until a new version is approved.",
    },
    "withdrawn": {
        "fr": "La règle « Règle du marché » est retirée de l'approbation du conseil et reste "
        "un brouillon. Rien ne change en vigueur.",
        "en": "The rule “Règle du marché” is withdrawn from the council's approval and stays "
        "a draft. Nothing changes in force.",
    },
}


def submit_rule(client, finance, taxonomy, **overrides):
    client.force_login(finance)
    response = client.post(ADD_URL, rule_form(taxonomy, **{"action-submit": "1"}, **overrides))
    assert response.status_code == 302, response.context["form"].errors
    return response, CommissionRule.objects.get(key="marche")


def test_submitting_says_it_awaits_the_council(client, taxonomy, finance, language):
    response, rule = submit_rule(client, finance, taxonomy)
    assert texts(response) == [EXPECTED["submitted"][language]]
    # Editing then submitting again says the same; never "scheduled for publishing".
    response = client.post(
        f"{LIST_URL}edit/{rule.pk}/", rule_form(taxonomy, **{"action-cancel-workflow": "1"})
    )
    # Refused by the workflow's lock, the form is shown again (200) with the message in it.
    assert response.status_code == 200
    shown = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))
    assert EXPECTED["withdrawn"][language] in shown
    response = client.post(
        f"{LIST_URL}edit/{rule.pk}/", rule_form(taxonomy, **{"action-submit": "1"})
    )
    assert texts(response) == [EXPECTED["submitted"][language]]
    assert "planifié" not in texts(response)[0]
    lands_cleanly(client, response)


def test_saving_a_draft_says_nothing_changes_yet(client, taxonomy, finance, language):
    client.force_login(finance)
    # Finance has no publish permission: the publish button only saves a draft.
    response = client.post(ADD_URL, rule_form(taxonomy, **{"action-publish": "1"}))
    assert texts(response) == [EXPECTED["draft_new"][language]]
    base = CommissionRule.objects.get(key="base")
    response = client.post(
        f"{LIST_URL}edit/{base.pk}/",
        rule_form(taxonomy, key="base", name="Règle de base", kinds=[]),
    )
    assert texts(response) == [EXPECTED["draft_live"][language]]
    assert CommissionRule.objects.get(key="base").provider_rate == 8


def approve_in_editor(client, rule, taxonomy, action="approve", extra=None):
    data = rule_form(taxonomy, **{"action-workflow-action": "1", "workflow-action-name": action})
    if extra is not None:
        data["workflow-action-extra-data"] = json.dumps(extra)
    return client.post(f"{LIST_URL}edit/{rule.pk}/", data)


def test_council_approving_in_the_editor_is_told_it_is_live(
    client, taxonomy, finance, council, language
):
    _response, rule = submit_rule(client, finance, taxonomy)
    client.force_login(council)
    response = approve_in_editor(client, rule, taxonomy)
    assert texts(response) == [EXPECTED["approved"][language]]
    assert not [m for m in messages_of(response) if m[0] == constants.ERROR]
    lands_cleanly(client, response)
    assert CommissionRule.objects.get(key="marche").live


def test_council_approving_from_the_action_url_is_told_it_is_live(
    client, taxonomy, finance, council, language
):
    _response, rule = submit_rule(client, finance, taxonomy)
    task_state = WorkflowState.objects.get(object_id=str(rule.pk)).current_task_state
    client.force_login(council)
    url = f"{LIST_URL}workflow/action/{rule.pk}/approve/{task_state.pk}/"
    response = client.post(url, {"comment": ""})
    assert texts(response) == [EXPECTED["approved"][language]]
    lands_cleanly(client, response)
    # From the dashboard (with ``next``) the council goes back there, told the same.
    assert CommissionRule.objects.get(key="marche").live


def test_council_approving_from_the_dashboard_is_told_it_is_live(
    client, taxonomy, finance, council, language
):
    _response, rule = submit_rule(client, finance, taxonomy)
    task_state = WorkflowState.objects.get(object_id=str(rule.pk)).current_task_state
    client.force_login(council)
    url = f"{LIST_URL}workflow/action/{rule.pk}/approve/{task_state.pk}/"
    response = client.post(url, {"comment": "", "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert texts(response) == [EXPECTED["approved"][language]]
    lands_cleanly(client, response)


def test_council_approving_a_scheduled_rule_is_told_the_date(
    client, taxonomy, finance, council, language
):
    client.force_login(finance)
    form = client.get(ADD_URL).content.decode()
    # A go-live date to ask for; no expiry (a rule ends with its approved "valid until").
    assert 'name="go_live_at"' in form and 'name="expire_at"' not in form
    go_live = timezone.localtime() + dt.timedelta(days=3)
    response, rule = submit_rule(
        client, finance, taxonomy, go_live_at=go_live.strftime("%Y-%m-%d %H:%M")
    )
    from django.utils.formats import date_format

    with translation.override(language):
        when = date_format(go_live.replace(second=0, microsecond=0), "DATETIME_FORMAT")
        assert texts(response) == [
            {
                "fr": "La règle « Règle du marché » est soumise à l'approbation du conseil. "
                f"Une fois approuvée, elle entrera en vigueur le {when}.",
                "en": "The rule “Règle du marché” is submitted to the council for approval. "
                f"Once approved, it will take effect on {when}.",
            }[language]
        ]
    task_state = WorkflowState.objects.get(object_id=str(rule.pk)).current_task_state
    client.force_login(council)
    url = f"{LIST_URL}workflow/action/{rule.pk}/approve/{task_state.pk}/"
    response = client.post(url, {"comment": ""})
    assert texts(response) == [
        {
            "fr": f"La règle « Règle du marché » est approuvée. Elle entrera en vigueur le {when}.",
            "en": f"The rule “Règle du marché” is approved. It will take effect on {when}.",
        }[language]
    ]
    lands_cleanly(client, response)
    assert not CommissionRule.objects.get(key="marche").live


def test_council_requesting_changes_is_told_it_goes_back(
    client, taxonomy, finance, council, language
):
    _response, rule = submit_rule(client, finance, taxonomy)
    client.force_login(council)
    response = approve_in_editor(client, rule, taxonomy, "reject", {"comment": "Trop haut."})
    assert texts(response) == [EXPECTED["changes"][language]]
    lands_cleanly(client, response)
    state = WorkflowState.objects.get(object_id=str(rule.pk))
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES


def test_distribution_key_messages_name_the_key(client, taxonomy, finance, council, language):
    client.force_login(finance)
    key = DistributionKey.objects.get(key="moitie")
    data = {
        "site": taxonomy.pk,
        "name": "Moitié-moitié",
        "key": "moitie",
        "description": "",
        "shares-TOTAL_FORMS": "2",
        "shares-INITIAL_FORMS": "2",
        "shares-MIN_NUM_FORMS": "0",
        "shares-MAX_NUM_FORMS": "1000",
    }
    for i, share in enumerate(key.shares.all()):
        data.update(
            {
                f"shares-{i}-id": share.pk,
                f"shares-{i}-beneficiary": share.beneficiary_id,
                f"shares-{i}-percentage": "60.00" if i == 0 else "40.00",
                f"shares-{i}-ORDER": str(i + 1),
            }
        )
    response = client.post(f"{KEY_URL}edit/{key.pk}/", {**data, "action-submit": "1"})
    assert texts(response) == [
        {
            "fr": "La clé de répartition « Moitié-moitié » est soumise à l'approbation du "
            "conseil. Elle entrera en vigueur une fois approuvée.",
            "en": "The distribution key “Moitié-moitié” is submitted to the council for "
            "approval. It will take effect once approved.",
        }[language]
    ]
    client.force_login(council)
    response = client.post(
        f"{KEY_URL}edit/{key.pk}/",
        {**data, "action-workflow-action": "1", "workflow-action-name": "approve"},
    )
    assert texts(response) == [
        {
            "fr": "La clé de répartition « Moitié-moitié » est approuvée et en vigueur.",
            "en": "The distribution key “Moitié-moitié” is approved and now in force.",
        }[language]
    ]
    lands_cleanly(client, response)


def test_wagtail_catalogue_no_longer_says_scheduled_for_a_submission(db):
    """The project catalogue overrides Wagtail's wrong French line, for every model."""
    from django.utils.translation import gettext

    with translation.override("fr"):
        submitted = gettext("%(model_name)s '%(object)s' has been submitted for moderation.")
        created = gettext("%(model_name)s '%(object)s' created and submitted for moderation.")
    assert submitted == "%(model_name)s «\u00a0%(object)s\u00a0» a été soumis(e) pour modération."
    assert (
        created == "%(model_name)s «\u00a0%(object)s\u00a0» créé(e) et soumis(e) pour modération."
    )


# --- A provider's offer: published at once, or waiting for the territory's editors -----


def build_member(territory, category, language):
    from tests.conftest import make_provider

    alice = speaking(make_user("alice@example.org"), language)
    make_provider(territory, name="Canoës Alice", category=category, member=alice)
    return alice


member_replay = Replay(build_member)


@pytest.fixture
def member(territory, category, language):
    """``build_member``, built once and then replayed (tests/snapshots.py)."""
    return member_replay(territory, category, language)


@pytest.fixture
def provider_page(member):
    from cms.models import ProviderPage

    return ProviderPage.objects.get(provider__applied_by=member)


PUBLISHED = {
    "fr": "La page « Descente en canoë » est publiée : les visiteurs la voient dès maintenant.",
    "en": "The page “Descente en canoë” is published: visitors see it now.",
}
WAITING = {
    "fr": "La page « Descente en canoë » attend la validation des éditeurs du territoire. "
    "Elle sera publiée une fois approuvée.",
    "en": "The page “Descente en canoë” waits for the territory's editors to approve it. "
    "It will be published once approved.",
}


def submit_offer_response(client, parent):
    from tests.config.test_admin_isolation import add_form

    data = add_form(client, "activityofferpage", parent)
    data.update(
        {
            "title": "Descente en canoë",
            "slug": "descente",
            "summary": "Huit kilomètres entre les gorges.",
            "price_per_person": "25",
            "duration_minutes": "180",
            "places_per_slot": "12",
            "action-submit": "1",
        }
    )
    url = reverse("wagtailadmin_pages:add", args=("marketplace", "activityofferpage", parent.pk))
    return client.post(url, data)


def test_offer_live_at_once_is_announced_published(
    client, territory, member, provider_page, language
):
    require_approval(territory, False)
    client.force_login(member)
    response = submit_offer_response(client, provider_page)
    assert texts(response) == [PUBLISHED[language]]
    lands_cleanly(client, response)


def test_offer_waiting_for_editors_says_so_then_edits_go_live(
    client, territory, member, provider_page, editor, language
):
    require_approval(territory, True)
    client.force_login(member)
    response = submit_offer_response(client, provider_page)
    assert texts(response) == [WAITING[language]]

    from marketplace.models import ActivityOfferPage

    offer = ActivityOfferPage.objects.get(slug="descente")
    task_state = WorkflowState.objects.get(object_id=str(offer.pk)).current_task_state
    client.force_login(editor)
    client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[offer.pk, "approve", task_state.pk])
    )
    client.force_login(member)
    offer.refresh_from_db()
    from tests.config.test_admin_isolation import edit_form

    data = edit_form(client, offer)
    data["action-submit"] = "1"
    response = client.post(reverse("wagtailadmin_pages:edit", args=[offer.pk]), data)
    assert texts(response) == [PUBLISHED[language]]


def test_an_administrator_publishing_is_told_when_it_takes_effect(client, taxonomy, language):
    admin = speaking(make_user("admin@example.org", is_superuser=True), language)
    client.force_login(admin)
    base = CommissionRule.objects.get(key="base")
    url = f"{LIST_URL}edit/{base.pk}/"
    data = rule_form(taxonomy, key="base", name="Règle de base", kinds=[], provider_rate="9.00")
    response = client.post(url, {**data, "action-publish": "1"})
    assert texts(response) == [
        {
            "fr": "La règle « Règle de base » est publiée et en vigueur.",
            "en": "The rule “Règle de base” is published and now in force.",
        }[language]
    ]
    go_live = timezone.localtime() + dt.timedelta(days=3)
    data["go_live_at"] = go_live.strftime("%Y-%m-%d %H:%M")
    data["provider_rate"] = "10.00"
    response = client.post(url, {**data, "action-publish": "1"})
    from django.utils.formats import date_format

    with translation.override(language):
        when = date_format(go_live.replace(second=0, microsecond=0), "DATETIME_FORMAT")
    assert texts(response) == [
        {
            "fr": f"La règle « Règle de base » entrera en vigueur le {when}.",
            "en": f"The rule “Règle de base” will take effect on {when}.",
        }[language]
    ]
    assert CommissionRule.objects.get(key="base").provider_rate == 9
    lands_cleanly(client, response)
