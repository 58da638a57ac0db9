"""Ties: rules on different categories both go live; ties are checked against live
rules, scheduled revisions and the other drafts in review, at submission and approval."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from wagtail.models import Workflow, WorkflowState

from commissions.golive import RuleTieError, rule_tie_error, rule_ties, rule_ties_check
from commissions.governance import COMMISSION_WORKFLOW_NAME
from commissions.models import CommissionRule, DistributionKey
from marketplace.commission import offer_commission_quote
from tests import factories
from tests.booking_helpers import rule, shared_rules, side

LIST_URL = "/admin/snippets/commissions/commissionrule/"
ADD_URL = f"{LIST_URL}add/"
TODAY = timezone.localdate()


@pytest.fixture
def taxonomy(territory):
    factories.category("camping", "Camping", "Campsite")
    factories.category("gite", "Gîte", "Holiday cottage")
    factories.category("ferme", "Ferme", "Farm")
    factories.label("bio")
    shared_rules(territory, rules=[rule("base", "Base", provider=side("10.00"), visitor=side())])
    return territory


def rule_form(site, *, key, name, rate="8.00", **overrides) -> dict:
    data = {
        "site": site.pk,
        "name": name,
        "key": key,
        "explanation": "",
        "communes": "",
        "valid_from": "",
        "valid_until": "",
        "provider_rate": rate,
        "provider_fixed": "0",
        "provider_min": "",
        "provider_max": "",
        "visitor_rate": "0",
        "visitor_fixed": "0",
        "visitor_min": "",
        "visitor_max": "",
        "distribution": DistributionKey.objects.get(key="partage").pk,
    }
    data.update(overrides)
    return data


def category_pk(slug):
    return factories.category(slug).pk


def submit(client, user, data):
    client.force_login(user)
    return client.post(ADD_URL, {**data, "action-submit": "1"})


def approve(client, council, rule_obj):
    state = WorkflowState.objects.get(
        object_id=str(rule_obj.pk), status=WorkflowState.STATUS_IN_PROGRESS
    )
    client.force_login(council)
    url = f"{LIST_URL}workflow/action/{rule_obj.pk}/approve/{state.current_task_state.pk}/"
    return client.post(url, {"comment": ""})


def test_campings_then_gites_both_go_live_and_quote_their_own_rate(
    taxonomy, finance, council, client
):
    for key, name, slug, rate in (
        ("campings", "Campings 8 %", "camping", "8.00"),
        ("gites", "Gîtes 10 %", "gite", "10.00"),
    ):
        data = rule_form(taxonomy, key=key, name=name, rate=rate, categories=[category_pk(slug)])
        response = submit(client, finance, data)
        assert response.status_code == 302, response.context["form"].errors
        approve(client, council, CommissionRule.objects.get(key=key))
    assert set(CommissionRule.objects.filter(live=True).values_list("key", flat=True)) == {
        "base",
        "campings",
        "gites",
    }
    # A provider rule, a label rule and a kind rule beside them, as finance writes them.
    farm = factories.provider(
        taxonomy, name="Ferme du Bois", category_obj=factories.category("ferme")
    )
    for key, name, rate, scope in (
        ("ferme", "Ferme du Bois", "3.00", {"providers": [farm.pk]}),
        ("bio", "Bio", "6.00", {"labels": [factories.label("bio").pk]}),
        ("produits", "Produits", "4.00", {"kinds": ["product"]}),
    ):
        response = submit(
            client, finance, rule_form(taxonomy, key=key, name=name, rate=rate, **scope)
        )
        assert response.status_code == 302, response.context["form"].errors
        assert approve(client, council, CommissionRule.objects.get(key=key)).status_code == 302

    camping = factories.provider(taxonomy, category_obj=factories.category("camping"))
    gite = factories.provider(taxonomy, category_obj=factories.category("gite"))
    other = factories.provider(taxonomy, category_obj=factories.category("ferme"))

    def applied(offer):
        result = offer_commission_quote(offer=offer.specific, subtotal=10_000, booked_on=TODAY)
        return result.rule, result.provider_commission

    assert applied(factories.stay(camping)) == ("campings", 800)
    assert applied(factories.stay(gite)) == ("gites", 1000)
    assert applied(factories.stay(other)) == ("base", 1000)
    assert applied(factories.stay(farm)) == ("ferme", 300)  # provider beats category
    assert applied(factories.stay(gite, labels=[factories.label("bio")])) == ("gites", 1000)
    assert applied(factories.product(other, labels=[factories.label("bio")])) == ("bio", 600)
    assert applied(factories.product(other)) == ("produits", 400)


def test_a_second_draft_with_the_same_scope_is_refused_at_submission(taxonomy, finance, client):
    first = rule_form(
        taxonomy, key="campings", name="Campings 8 %", categories=[category_pk("camping")]
    )
    assert submit(client, finance, first).status_code == 302
    second = rule_form(
        taxonomy,
        key="campings-bis",
        name="Campings 9 %",
        rate="9.00",
        categories=[category_pk("camping")],
    )
    response = submit(client, finance, second)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Campings 8 %" in text
    assert "en attente d’approbation" in text
    assert not CommissionRule.objects.filter(key="campings-bis").exists()


def test_a_scheduled_revision_ties_with_a_new_draft_at_submission(taxonomy, finance, client):
    shared_rules(
        taxonomy,
        rules=[
            rule("base", "Base", provider=side("10.00"), visitor=side()),
            rule("campings", "Campings", provider=side("8.00"), visitor=side(), kinds=["product"]),
        ],
    )
    campings = CommissionRule.objects.get(key="campings")
    # The rule will cover campings from next month on: a scheduled revision.
    campings.kinds = []
    campings.categories = [factories.category("camping")]
    go_live = timezone.now() + dt.timedelta(days=30)
    campings.go_live_at = go_live
    campings.save_revision().publish()
    campings.refresh_from_db()
    assert campings.kinds == ["product"] and campings.scheduled_revision is not None

    data = rule_form(
        taxonomy, key="campings-2", name="Campings bis", categories=[category_pk("camping")]
    )
    response = submit(client, finance, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "« Campings » (programmée pour le" in text
    assert not CommissionRule.objects.filter(key="campings-2").exists()

    # The same rule's next draft is compared with the others, not with its own live
    # and scheduled versions (which it replaces).
    draft = campings.scheduled_revision.as_object()
    draft.provider_rate = Decimal("7.00")
    assert rule_ties(site_id=taxonomy.pk, spec=draft.to_spec(), exclude_pk=campings.pk) == []


def _in_review(site, *, key, name, category, user):
    """A draft put in review by the service layer (as a submission made before the check)."""
    obj = CommissionRule(
        site=site,
        key=key,
        name=name,
        provider_rate=Decimal("8.00"),
        distribution=DistributionKey.objects.get(key="partage"),
        live=False,
    )
    obj.save()
    obj.categories = [category]
    obj.save_revision(user=user)
    Workflow.objects.get(name=COMMISSION_WORKFLOW_NAME).start(obj, user)
    return obj


def test_approving_the_second_of_two_tied_drafts_is_refused_naming_the_first(
    taxonomy, finance, council
):
    camping = factories.category("camping")
    first = _in_review(taxonomy, key="a", name="Campings A", category=camping, user=finance)
    second = _in_review(taxonomy, key="b", name="Campings B", category=camping, user=finance)
    with translation.override("en"), pytest.raises(RuleTieError) as excinfo:
        rule_ties_check(rule=second.get_latest_revision().as_object())
    message = excinfo.value.messages[0]
    assert "Campings A" in message and "awaiting approval" in message
    with translation.override("fr"), pytest.raises(RuleTieError) as excinfo:
        # As the council's approval publishes it (marketplace.workflows).
        second.get_latest_revision().publish(user=council, skip_permission_checks=True)
    assert "en attente d’approbation" in excinfo.value.messages[0]
    assert not CommissionRule.objects.get(pk=second.pk).live
    # The first alone is fine once the second is out of review.
    WorkflowState.objects.get(object_id=str(second.pk)).cancel(user=finance)
    first.get_latest_revision().publish(user=council, skip_permission_checks=True)
    assert CommissionRule.objects.get(pk=first.pk).live


def test_the_error_names_each_rule_with_its_state(taxonomy):
    shared_rules(
        taxonomy,
        rules=[
            rule("base", "Base", provider=side("10.00"), visitor=side()),
            rule("gites", "Gîtes", provider=side("8.00"), visitor=side(), kinds=["stay"]),
        ],
    )
    gites = CommissionRule.objects.get(key="gites")
    gites.provider_rate = Decimal("9.00")
    gites.go_live_at = timezone.make_aware(dt.datetime(TODAY.year + 1, 7, 1, 0, 0))
    gites.save_revision().publish()
    candidate = CommissionRule(
        site=taxonomy, key="sejours", name="Séjours", kinds=["stay"], provider_rate=Decimal(5)
    )
    ties = rule_ties(site_id=taxonomy.pk, spec=candidate.to_spec())
    assert sorted(getattr(t, "tie_state", "") for t in ties) == ["live", "scheduled"]
    with translation.override("en"):
        message = rule_tie_error(ties).messages[0]
    assert "“Gîtes” (live)" in message
    assert f"“Gîtes” (scheduled to go live on 1 July {TODAY.year + 1}" in message
    with translation.override("fr"):
        message = rule_tie_error(ties).messages[0]
    assert "« Gîtes » (en vigueur)" in message
    assert f"« Gîtes » (programmée pour le 1 juillet {TODAY.year + 1}" in message


def test_a_rule_that_ended_does_not_tie_with_its_successor(taxonomy, finance, client):
    """Campings 2025 ended last month: a new Campings rule without a start date (from now
    on) prices no booking Campings 2025 could still price, so it is accepted."""
    ended = rule("campings-2025", "Campings 2025", provider=side("7.00"), visitor=side())
    ended["scope"]["categories"] = ["camping"]
    ended["valid_until"] = (TODAY - dt.timedelta(days=30)).isoformat()
    shared_rules(
        taxonomy, rules=[rule("base", "Base", provider=side("10.00"), visitor=side()), ended]
    )
    assert CommissionRule.objects.get(key="campings-2025").live
    data = rule_form(
        taxonomy, key="campings", name="Campings 8 %", categories=[category_pk("camping")]
    )
    response = submit(client, finance, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert CommissionRule.objects.get(key="campings").workflow_in_progress
    # A rule still in force does tie: the check still bites.
    data = rule_form(
        taxonomy,
        key="campings-bis",
        name="Campings 9 %",
        categories=[category_pk("camping")],
        valid_until=(TODAY + dt.timedelta(days=30)).isoformat(),
    )
    response = submit(client, finance, data)
    assert response.status_code == 200 and "Campings 8 %" in response.content.decode()


def test_two_live_rules_tied_with_are_named_apart(taxonomy):
    """Not “Gîtes, Sorties” as if one rule had that name: each between its own quotes."""
    shared_rules(
        taxonomy,
        rules=[
            rule("base", "Base", provider=side("10.00"), visitor=side()),
            rule("gites", "Gîtes", provider=side("8.00"), visitor=side(), kinds=["stay"]),
            rule("sorties", "Sorties", provider=side("7.00"), visitor=side(), kinds=["activity"]),
        ],
    )
    candidate = CommissionRule(
        site=taxonomy,
        key="vacances",
        name="Vacances",
        kinds=["stay", "activity"],
        provider_rate=Decimal(5),
    )
    ties = rule_ties(site_id=taxonomy.pk, spec=candidate.to_spec())
    assert len(ties) == 2
    with translation.override("fr"):
        message = rule_tie_error(ties).messages[0]
    assert "« Gîtes » (en vigueur)" in message and "« Sorties » (en vigueur)" in message
    with translation.override("en"):
        message = rule_tie_error(ties).messages[0]
    assert "“Gîtes” (live)" in message and "“Sorties” (live)" in message
