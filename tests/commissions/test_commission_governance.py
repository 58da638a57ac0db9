"""Only what the council approved goes live: governance of rules, keys and beneficiaries.

Every test goes through the real admin URLs as finance or council, the way they work:
finance edits and submits, the council approves or requests changes, nobody edits a
text under review, and approval publishes exactly the submitted revision.
"""

import html
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.log_actions import registry as log_registry
from wagtail.models import Revision, TaskState, WorkflowState
from wagtail.test.utils.form_data import querydict_from_html

from cms.services import COUNCIL_GROUP, FINANCE_GROUP
from commissions.models import Beneficiary, CommissionRule, DistributionKey
from commissions.rules_io import rules_import
from commissions.selectors import live_rule_specs
from tests import factories
from tests.commissions.test_commissions import RULES
from tests.conftest import make_user
from tests.marketplace.test_workflow import require_approval, submit_new_offer
from tests.snapshots import Replay

ADMIN = "/admin/snippets/commissions"


def build_rules(territory):
    factories.category("camping")
    rules_import(site=territory, data=RULES, publish=True)
    return territory


rules_replay = Replay(build_rules)


@pytest.fixture
def rules(territory):
    """``build_rules``, built once and then replayed (tests/snapshots.py)."""
    return rules_replay(territory)


def url(model: str, view: str, obj=None, *extra) -> str:
    parts = [ADMIN, model, view] + ([str(obj.pk)] if obj is not None else []) + list(extra)
    return "/".join(parts) + "/"


def form_data(client, model: str, obj) -> dict:
    """The edit form as the browser posts it (multi-valued fields kept as lists)."""
    response = client.get(url(model, "edit", obj))
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    data = {key: values if len(values) > 1 else values[0] for key, values in data.lists()}
    if data.get("active") == "":
        data["active"] = "on"  # a checked box without a value attribute posts "on"
    return data


def messages_of(response) -> list[str]:
    # Wagtail stores admin messages as HTML (escaped text, then buttons).
    return [html.unescape(str(m)).strip() for m in get_messages(response.wsgi_request)]


def submit(client, model: str, obj, **changes):
    data = form_data(client, model, obj)
    data.update(changes)
    data["action-submit"] = "1"
    return client.post(url(model, "edit", obj), data)


def task_state_of(obj) -> TaskState:
    state = WorkflowState.objects.active().get(
        base_content_type=obj.get_base_content_type(), object_id=str(obj.pk)
    )
    return state.current_task_state


def approve(client, model: str, obj, task_state=None):
    task_state = task_state or task_state_of(obj)
    return client.post(url(model, "workflow/action", obj, "approve", str(task_state.pk)))


# --- 1. Reviewers approve or reject; they never edit a revision under review ----------


def test_council_cannot_edit_a_rule_under_review_nor_approve_its_own_text(
    rules, client, finance, council
):
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    response = submit(client, "commissionrule", rule, provider_rate="9.00")
    assert response.status_code == 302
    submitted = task_state_of(rule).revision
    assert submitted.as_object().provider_rate == Decimal("9.00")

    client.force_login(council)
    data = form_data(client, "commissionrule", rule)
    data["provider_rate"] = "42.00"
    # Saving a draft of the text under review is refused with a message.
    response = client.post(url("commissionrule", "edit", rule), data)
    assert response.status_code == 200
    assert "42.00" not in {
        str(r.content["provider_rate"]) for r in Revision.objects.for_instance(rule)
    }
    # The editor's "Approve" button posts the form: the edits are not saved, the
    # submitted text is approved as it is.
    data.update({"action-workflow-action": "1", "workflow-action-name": "approve"})
    response = client.post(url("commissionrule", "edit", rule), data)
    assert response.status_code == 302
    # The council lands where it may be, told what happened (no "permission" error).
    assert client.get(response["Location"]).status_code == 200
    assert messages_of(response) == [
        "La règle «\u00a0Règle de base\u00a0» est approuvée et en vigueur."
    ]
    rule.refresh_from_db()
    assert rule.provider_rate == Decimal("9.00")
    assert rule.live_revision_id == submitted.pk
    assert not any(
        Decimal(str(r.content["provider_rate"])) == Decimal(42)
        for r in Revision.objects.for_instance(rule)
    )


def test_the_lock_under_review_is_explained_and_the_submitter_can_withdraw(
    rules, client, finance, council
):
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    for user in (council, finance):
        client.force_login(user)
        body = client.get(url("commissionrule", "edit", rule)).content.decode()
        assert "approves or requests changes" in body or "approuve ou demande" in body
    # Finance withdraws the submission to change it, then submits again.
    client.force_login(finance)
    data = form_data(client, "commissionrule", rule)
    data["action-cancel-workflow"] = "1"
    assert client.post(url("commissionrule", "edit", rule), data).status_code in (200, 302)
    assert not rule.workflow_in_progress
    response = submit(client, "commissionrule", rule, provider_rate="7.00")
    assert response.status_code == 302
    client.force_login(council)
    assert approve(client, "commissionrule", rule).status_code == 302
    rule.refresh_from_db()
    assert rule.live and rule.provider_rate == Decimal("7.00")


def test_approval_publishes_the_submitted_revision_not_a_later_one(rules, client, finance, council):
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    task_state = task_state_of(rule)
    # A later revision saved during the review (here by a rules import without
    # --publish) is not what the council approved.
    later = CommissionRule.objects.get(pk=rule.pk).get_latest_revision_as_object()
    later.provider_rate = Decimal("42.00")
    later.save_revision()

    client.force_login(council)
    assert approve(client, "commissionrule", rule, task_state).status_code == 302
    rule.refresh_from_db()
    assert rule.provider_rate == Decimal("9.00")
    assert rule.live_revision_id == task_state.revision_id
    spec = next(s for s in live_rule_specs(site_id=rules.pk) if s.key == "base")
    assert spec.provider_side.rate == Decimal("9.00")


def test_the_council_reads_the_changes_it_is_asked_to_approve(rules, client, finance, council):
    """The dashboard's review panel offers the council "Compare with live version" and
    "Compare with previous version": both open (the council reads, it never edits)."""
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    client.force_login(council)
    dashboard = client.get("/admin/").content.decode()
    compare_links = set(re.findall(r'href="([^"]*/revisions/compare/[^"]*)"', dashboard))
    assert len(compare_links) == 2
    for link in compare_links:
        response = client.get(html.unescape(link))
        assert response.status_code == 200, (link, response.get("Location"))
        assert "9.00" in response.content.decode()


# --- 2. No one approves their own submission; every step is recorded ---------------


def test_no_one_approves_their_own_submission(rules, client, council):
    both = make_user("cumul@example.org", groups=(FINANCE_GROUP, COUNCIL_GROUP))
    rule = CommissionRule.objects.get(key="base")
    client.force_login(both)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    task_state = task_state_of(rule)
    body = client.get(url("commissionrule", "edit", rule)).content.decode()
    assert 'data-workflow-action-name="approve"' not in body
    response = approve(client, "commissionrule", rule, task_state)
    assert response.status_code in (302, 403)
    rule.refresh_from_db()
    assert rule.provider_rate == Decimal("8.00")
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS

    # Another councillor approves; who and when are recorded at each step.
    client.force_login(council)
    body = client.get(url("commissionrule", "edit", rule)).content.decode()
    assert 'data-workflow-action-name="approve"' in body
    assert approve(client, "commissionrule", rule, task_state).status_code == 302
    rule.refresh_from_db()
    assert rule.provider_rate == Decimal("9.00")
    logs = {}  # the newest entry of each action
    for entry in log_registry.get_logs_for_instance(rule).order_by("-timestamp", "-pk"):
        logs.setdefault(entry.action, entry)
    assert logs["wagtail.workflow.start"].user == both
    assert logs["wagtail.workflow.approve"].user == council
    assert logs["wagtail.publish"].user == council
    assert all(entry.timestamp for entry in logs.values())
    task_state.refresh_from_db()
    assert task_state.finished_by == council and task_state.finished_at


def test_a_self_submission_is_not_in_the_submitters_review_list(rules, client, council):
    both = make_user("cumul@example.org", groups=(FINANCE_GROUP, COUNCIL_GROUP))
    rule = CommissionRule.objects.get(key="base")
    client.force_login(both)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    assert not TaskState.objects.reviewable_by(both).exists()
    assert TaskState.objects.reviewable_by(council).exists()


# --- 3. Live rules, keys and beneficiaries are ended, never deleted -----------------


@pytest.mark.parametrize(
    ("model", "key"),
    [("commissionrule", "base"), ("distributionkey", "moitie"), ("beneficiary", "fonds")],
)
def test_finance_cannot_delete_what_has_been_live(rules, client, finance, model, key):
    obj = {"commissionrule": CommissionRule, "distributionkey": DistributionKey}.get(
        model, Beneficiary
    ).objects.get(key=key)
    client.force_login(finance)
    delete_url = url(model, "delete", obj)
    assert delete_url not in client.get(url(model, "edit", obj)).content.decode()
    assert delete_url not in client.get(f"{ADMIN}/{model}/").content.decode()
    response = client.post(delete_url)
    assert response.status_code == 302
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert "ne peut pas être supprimé" in messages_of(response)[-1]
    # Nor through the listing's bulk deletion.
    response = client.post(f"/admin/bulk/commissions/{model}/delete/?id={obj.pk}")
    assert response.status_code < 500
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_a_draft_never_published_can_be_deleted(rules, client, finance):
    data = {**RULES, "rules": [dict(RULES["rules"][1], key="brouillon", name="Brouillon")]}
    rules_import(site=rules, data=data)
    draft = CommissionRule.objects.get(key="brouillon")
    client.force_login(finance)
    delete_url = url("commissionrule", "delete", draft)
    assert delete_url in client.get(url("commissionrule", "edit", draft)).content.decode()
    assert client.post(delete_url).status_code == 302
    assert not CommissionRule.objects.filter(key="brouillon").exists()


def test_the_rule_form_says_how_to_end_a_rule(rules, client, finance):
    client.force_login(finance)
    rule = CommissionRule.objects.get(key="base")
    body = client.get(url("commissionrule", "edit", rule)).content.decode()
    assert "pour mettre fin" in body.lower() or "to end a live rule" in body.lower()


# --- 4. Beneficiaries go through the same approval -----------------------------------


def test_finance_cannot_change_a_payout_destination_without_approval(
    rules, client, finance, council
):
    from commissions.selectors import beneficiary_payout_accounts

    fonds = Beneficiary.objects.get(key="fonds")
    client.force_login(finance)
    data = form_data(client, "beneficiary", fonds)
    data.update(stripe_account="acct_detourne", **{"action-publish": "1"})
    assert client.post(url("beneficiary", "edit", fonds), data).status_code in (200, 302)
    fonds.refresh_from_db()
    assert fonds.stripe_account == ""
    assert "fonds" not in beneficiary_payout_accounts(site_id=rules.pk)

    response = submit(client, "beneficiary", fonds, stripe_account="acct_fonds")
    assert response.status_code == 302
    fonds.refresh_from_db()
    assert fonds.stripe_account == ""
    client.force_login(council)
    assert approve(client, "beneficiary", fonds).status_code == 302
    fonds.refresh_from_db()
    assert fonds.live and fonds.stripe_account == "acct_fonds"
    assert beneficiary_payout_accounts(site_id=rules.pk)["fonds"] == "acct_fonds"


def test_a_draft_beneficiary_is_not_a_payout_destination_nor_public(rules, client, finance):
    from commissions.selectors import beneficiary_payout_accounts
    from commissions.transparency import transparency_data

    client.force_login(finance)
    response = client.post(
        f"{ADMIN}/beneficiary/add/",
        {
            "site": rules.pk,
            "name": "Association des sentiers",
            "key": "sentiers",
            "kind": "association",
            "description": "",
            "link": "",
            "stripe_account": "acct_sentiers",
            "active": "on",
        },
    )
    assert response.status_code == 302
    draft = Beneficiary.objects.get(key="sentiers")
    assert not draft.live
    assert "sentiers" not in beneficiary_payout_accounts(site_id=rules.pk)
    names = [row["beneficiary"].key for row in transparency_data(site=rules)["beneficiaries"]]
    assert "sentiers" not in names


def test_rules_import_saves_beneficiary_changes_as_revisions(rules):
    data = {**RULES, "beneficiaries": [dict(RULES["beneficiaries"][1], stripe_account="acct_x")]}
    rules_import(site=rules, data={"beneficiaries": data["beneficiaries"]})
    ot = Beneficiary.objects.get(key="ot")
    assert ot.stripe_account == "acct_123"
    assert ot.get_latest_revision_as_object().stripe_account == "acct_x"
    rules_import(site=rules, data={"beneficiaries": data["beneficiaries"]}, publish=True)
    assert Beneficiary.objects.get(key="ot").stripe_account == "acct_x"


# --- 5. Keys and beneficiaries that cannot go live together --------------------------


def key_add_form(site, shares):
    data = {
        "site": site.pk,
        "name": "Clé nouvelle",
        "key": "nouvelle",
        "description": "",
        "shares-TOTAL_FORMS": str(len(shares)),
        "shares-INITIAL_FORMS": "0",
        "shares-MIN_NUM_FORMS": "0",
        "shares-MAX_NUM_FORMS": "1000",
        "action-submit": "1",
    }
    for i, (beneficiary, percentage) in enumerate(shares):
        data.update(
            {
                f"shares-{i}-beneficiary": beneficiary.pk,
                f"shares-{i}-percentage": percentage,
                f"shares-{i}-ORDER": str(i + 1),
                f"shares-{i}-id": "",
            }
        )
    return data


@pytest.mark.parametrize("state", ["inactive", "draft"])
def test_a_key_naming_an_inactive_or_draft_beneficiary_cannot_be_submitted(
    rules, client, finance, state
):
    other = Beneficiary.objects.create(
        site=rules,
        key="dormant",
        name="Fonds dormant",
        kind="other",
        active=state != "inactive",
        live=state != "draft",
    )
    fonds = Beneficiary.objects.get(key="fonds")
    client.force_login(finance)
    response = client.post(
        f"{ADMIN}/distributionkey/add/", key_add_form(rules, [(fonds, "50"), (other, "50")])
    )
    assert response.status_code == 200
    assert "Fonds dormant" in response.content.decode()
    assert not WorkflowState.objects.filter(
        base_content_type__model="distributionkey", status="in_progress"
    ).exists()


def test_approving_a_key_whose_beneficiary_became_inactive_is_refused_with_a_message(
    rules, client, finance, council
):
    dormant = Beneficiary.objects.create(
        site=rules, key="dormant", name="Fonds dormant", kind="other"
    )
    fonds = Beneficiary.objects.get(key="fonds")
    client.force_login(finance)
    response = client.post(
        f"{ADMIN}/distributionkey/add/", key_add_form(rules, [(fonds, "50"), (dormant, "50")])
    )
    assert response.status_code == 302
    key = DistributionKey.objects.get(key="nouvelle")
    task_state = task_state_of(key)
    Beneficiary.objects.filter(pk=dormant.pk).update(active=False)

    client.force_login(council)
    response = approve(client, "distributionkey", key, task_state)
    assert response.status_code == 302
    assert any("Fonds dormant" in m for m in messages_of(response))
    key.refresh_from_db()
    assert not key.live
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS


def test_a_beneficiary_a_live_key_allocates_cannot_be_deactivated(rules, client, finance, council):
    ot = Beneficiary.objects.get(key="ot")
    client.force_login(finance)
    data = form_data(client, "beneficiary", ot)
    data.pop("active", None)
    data["action-submit"] = "1"
    response = client.post(url("beneficiary", "edit", ot), data)
    assert response.status_code == 200
    assert "Moitié-moitié" in response.content.decode()
    assert not WorkflowState.objects.filter(
        base_content_type__model="beneficiary", status="in_progress"
    ).exists()
    ot.refresh_from_db()
    assert ot.active


# --- 6. An approval that cannot go live is a message, never a 500 -------------------


def test_approving_a_rule_that_now_ties_is_a_message_not_a_500(rules, client, finance, council):
    client.force_login(finance)
    data = {**RULES, "rules": [dict(RULES["rules"][1], key="camping-ete", name="Campings été")]}
    # Submitted while no live rule has its scope ...
    CommissionRule.objects.filter(key="camping").update(live=False)
    rules_import(site=rules, data=data)
    draft = CommissionRule.objects.get(key="camping-ete")
    assert submit(client, "commissionrule", draft).status_code == 302
    task_state = task_state_of(draft)
    # ... and, meanwhile, "Campings" went live again with the same scope.
    CommissionRule.objects.filter(key="camping").update(live=True)

    client.force_login(council)
    response = approve(client, "commissionrule", draft, task_state)
    assert response.status_code == 302
    assert any("Campings" in m for m in messages_of(response))
    refusal = messages_of(response)[-1]
    assert refusal.startswith("Non approuvé : Cette règle")
    assert "Rien n'a été publié" in refusal
    draft.refresh_from_db()
    assert not draft.live
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    # The editor's "Approve" button gives the same message.
    data = form_data(client, "commissionrule", draft)
    data.update({"action-workflow-action": "1", "workflow-action-name": "approve"})
    response = client.post(url("commissionrule", "edit", draft), data)
    assert response.status_code in (200, 302)
    assert any("Campings" in m for m in messages_of(response))
    assert not CommissionRule.objects.get(key="camping-ete").live


def test_a_rule_cannot_be_submitted_with_a_key_the_council_has_not_approved(rules, client, finance):
    from tests.commissions.test_commissions import rule_form

    key = DistributionKey.objects.get(key="moitie")
    DistributionKey.objects.filter(pk=key.pk).update(live=False)
    client.force_login(finance)
    response = client.post(
        f"{ADMIN}/commissionrule/add/", rule_form(rules, **{"action-submit": "1"})
    )
    assert response.status_code == 200
    assert "Moitié-moitié" in response.content.decode()
    assert not CommissionRule.objects.filter(key="marche").exists()


def test_a_plain_council_task_from_before_becomes_the_commission_task_in_place(db):
    from django.contrib.auth.models import Group
    from wagtail.models import GroupApprovalTask, Task, Workflow, WorkflowTask

    from commissions.governance import (
        COMMISSION_TASK_NAME,
        COMMISSION_WORKFLOW_NAME,
        commission_permissions_ensure,
    )
    from commissions.models import CommissionApprovalTask

    finance, council = Group.objects.create(name="F"), Group.objects.create(name="C")
    old = GroupApprovalTask.objects.create(name=COMMISSION_TASK_NAME)
    old.groups.add(council)
    workflow = Workflow.objects.create(name=COMMISSION_WORKFLOW_NAME)
    WorkflowTask.objects.create(workflow=workflow, task=old, sort_order=0)

    commission_permissions_ensure(finance=finance, council=council)
    commission_permissions_ensure(finance=finance, council=council)
    task = Task.objects.get(pk=old.pk).specific
    assert isinstance(task, CommissionApprovalTask)
    assert list(task.groups.all()) == [council]
    assert not GroupApprovalTask.objects.filter(pk=old.pk).exists()
    assert list(workflow.tasks.all()) == [Task.objects.get(pk=old.pk)]
    assert Task.objects.filter(name=COMMISSION_TASK_NAME).count() == 1


def test_a_copied_key_naming_an_inactive_beneficiary_cannot_be_submitted(rules, client, finance):
    key = DistributionKey.objects.get(key="moitie")
    Beneficiary.objects.filter(key="ot").update(active=False)
    client.force_login(finance)
    copy_url = url("distributionkey", "copy", key)
    response = client.get(copy_url)
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form").dict()
    data.update({"key": "copie", "name": "Copie", "action-submit": "1"})
    # The copy page's form posts to the add view (see the copy URL test below).
    add_url = url("distributionkey", "add")
    assert f'action="{add_url}"' in response.content.decode()
    response = client.post(add_url, data)
    assert response.status_code == 200
    assert "Office de tourisme" in response.content.decode()
    assert not DistributionKey.objects.filter(key="copie").exists()


# --- Review: forged workflow URLs, withdrawing a submission ------------------------


@pytest.fixture
def offer_in_review(territory, category, client):
    """An offer awaiting the territory editors' approval (its first publication)."""
    from cms.models import ProviderPage
    from tests.conftest import make_provider

    member = make_user("alice@example.org")
    make_provider(territory, name="Canoës Alice", category=category, member=member)
    require_approval(territory, True)
    client.force_login(member)
    offer = submit_new_offer(client, ProviderPage.objects.get(provider__applied_by=member))
    client.logout()
    return offer


def test_an_offer_editor_cannot_approve_a_commission_change_through_a_page_url(
    rules, offer_in_review, client, finance, editor
):
    """The page's workflow action URL takes any task state id: the commission task
    itself checks that the user is one of its approvers."""
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    task_state = task_state_of(rule)

    client.force_login(editor)
    forged = reverse(
        "wagtailadmin_pages:workflow_action",
        args=[offer_in_review.pk, "approve", task_state.pk],
    )
    response = client.post(forged)
    assert response.status_code in (302, 403, 404)
    rule.refresh_from_db()
    assert rule.provider_rate == Decimal("8.00")
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS


def test_a_councillor_cannot_approve_an_offer_through_a_commission_url(
    rules, offer_in_review, client, finance, council
):
    """The commission URL acts only on the task state of the object it names."""
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    offer_state = WorkflowState.objects.get(object_id=str(offer_in_review.pk))
    offer_task_state = offer_state.current_task_state

    client.force_login(council)
    forged = url("commissionrule", "workflow/action", rule, "approve", str(offer_task_state.pk))
    response = client.post(forged)
    assert response.status_code in (302, 403, 404)
    offer_in_review.refresh_from_db()
    assert not offer_in_review.live
    offer_task_state.refresh_from_db()
    assert offer_task_state.status == TaskState.STATUS_IN_PROGRESS
    # Nor the rule's own review: it is still the council's to decide.
    assert task_state_of(rule).status == TaskState.STATUS_IN_PROGRESS


def test_the_council_cannot_withdraw_finance_submission(rules, client, finance, council):
    """The council approves or requests changes; withdrawing a submission is for finance
    (who may edit the rule), in the editor's menu and by a forged request alike."""
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    assert (
        "action-cancel-workflow" in client.get(url("commissionrule", "edit", rule)).content.decode()
    )

    client.force_login(council)
    data = form_data(client, "commissionrule", rule)
    assert (
        "action-cancel-workflow"
        not in client.get(url("commissionrule", "edit", rule)).content.decode()
    )
    data["action-cancel-workflow"] = "1"
    client.post(url("commissionrule", "edit", rule), data)
    rule.refresh_from_db()
    assert rule.workflow_in_progress
    assert task_state_of(rule).status == TaskState.STATUS_IN_PROGRESS


def test_a_resubmission_after_changes_requested_publishes_the_new_text(
    rules, client, finance, council
):
    """Sent back, changed, submitted again: the council's approval publishes the text of
    the second submission, and the first one's task state approves nothing any more."""
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    first = task_state_of(rule)
    client.force_login(council)
    reject = url("commissionrule", "workflow/action", rule, "reject", str(first.pk))
    assert client.post(reject, {"comment": "Trop haut."}).status_code == 302

    client.force_login(finance)
    assert submit(client, "commissionrule", rule, provider_rate="7.00").status_code == 302
    second = task_state_of(rule)
    assert second.pk != first.pk
    assert second.revision.as_object().provider_rate == Decimal("7.00")

    client.force_login(council)
    approve(client, "commissionrule", rule, first)
    rule.refresh_from_db()
    assert rule.provider_rate == Decimal("8.00")
    assert approve(client, "commissionrule", rule, second).status_code == 302
    rule.refresh_from_db()
    assert rule.provider_rate == Decimal("7.00")
    assert rule.live_revision_id == second.revision_id


def test_finance_cannot_make_anything_live_by_other_admin_paths(rules, client, finance):
    """Unpublish, revert to an old revision and publish, copy and publish, bulk delete:
    finance has no publish permission, and what has been live is never deleted."""
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    client.post(url("commissionrule", "edit", rule), {"action-cancel-workflow": "1"})
    old = Revision.objects.for_instance(rule).order_by("pk").first()

    client.post(url("commissionrule", "unpublish", rule))
    data = form_data(client, "commissionrule", rule)
    data.update({"provider_rate": "42.00", "action-publish": "1"})
    client.post(url("commissionrule", "history", rule, "revisions", str(old.pk), "revert"), data)
    client.post(url("commissionrule", "copy", rule), dict(data, key="copie"))
    client.post(f"/admin/bulk/commissions/commissionrule/delete/?id={rule.pk}")
    rule.refresh_from_db()
    assert rule.live and rule.provider_rate == Decimal("8.00")
    assert not CommissionRule.objects.filter(key="copie", live=True).exists()
    assert {s.key: s.provider_side.rate for s in live_rule_specs(site_id=rules.pk)}[
        "base"
    ] == Decimal("8.00")


@pytest.mark.parametrize(
    ("model", "key"),
    [("commissionrule", "base"), ("distributionkey", "moitie"), ("beneficiary", "fonds")],
)
def test_a_post_to_the_copy_url_does_not_overwrite_the_live_row(rules, client, finance, model, key):
    """The copy page's form posts to the add view; a request forged to the copy URL
    used to save over the original's row: live no more, its values changed."""
    obj = {"commissionrule": CommissionRule, "distributionkey": DistributionKey}.get(
        model, Beneficiary
    ).objects.get(key=key)
    client.force_login(finance)
    data = form_data(client, model, obj)
    data.update({"name": "Remplacée", "key": "remplacee", "action-submit": "1"})
    if model == "commissionrule":
        data["provider_rate"] = "42.00"
    copy_url = url(model, "copy", obj)
    assert client.get(copy_url).status_code == 200  # the copy page itself opens
    client.post(copy_url, data)
    obj.refresh_from_db()
    assert obj.live and obj.key == key and obj.name != "Remplacée"
    if model == "commissionrule":
        assert obj.provider_rate == Decimal("8.00")


def test_a_key_cannot_share_with_another_territorys_beneficiary(rules, client, finance):
    """Payouts and the public page look a share's beneficiary up in the key's own
    territory: a share given to another territory's beneficiary would be paid to no one
    (or to a namesake) and shown under the wrong name."""
    from wagtail.models import Site

    elsewhere = Site.objects.create(
        hostname="ailleurs.example.org", port=80, root_page=rules.root_page, site_name="Ailleurs"
    )
    foreign = Beneficiary.objects.create(
        site=elsewhere, key="fonds-ailleurs", name="Fonds d'ailleurs", kind="other"
    )
    fonds = Beneficiary.objects.get(key="fonds")
    client.force_login(finance)
    response = client.post(
        f"{ADMIN}/distributionkey/add/", key_add_form(rules, [(fonds, "50"), (foreign, "50")])
    )
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert "Fonds d'ailleurs" in body and (
        "autre territoire" in body or "another territory" in body
    )
    assert not DistributionKey.objects.filter(key="nouvelle").exists()


def test_a_beneficiary_a_live_key_allocates_cannot_move_to_another_territory(
    rules, client, finance
):
    """Moved elsewhere, it would no longer be found where its key's bookings are paid."""
    from wagtail.models import Site

    elsewhere = Site.objects.create(
        hostname="ailleurs.example.org", port=80, root_page=rules.root_page, site_name="Ailleurs"
    )
    ot = Beneficiary.objects.get(key="ot")
    client.force_login(finance)
    data = form_data(client, "beneficiary", ot)
    data.update({"site": str(elsewhere.pk), "action-submit": "1"})
    response = client.post(url("beneficiary", "edit", ot), data)
    assert response.status_code == 200
    assert "Moitié-moitié" in html.unescape(response.content.decode())
    assert not WorkflowState.objects.filter(
        base_content_type__model="beneficiary", status="in_progress"
    ).exists()


def test_the_lock_tells_the_council_what_it_can_do_not_to_withdraw(rules, client, finance, council):
    """The council cannot withdraw a submission: its lock message does not tell it to."""
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    submit(client, "commissionrule", rule, provider_rate="9.00")
    assert "retirez la soumission" in html.unescape(
        client.get(url("commissionrule", "edit", rule)).content.decode()
    )
    client.force_login(council)
    body = html.unescape(client.get(url("commissionrule", "edit", rule)).content.decode())
    assert "le conseil approuve ou demande des modifications" in body
    assert "retirez la soumission" not in body
