"""Commission rules in the CMS: import/export, ties, workflow and permissions, quotes."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from wagtail.models import WorkflowState

from cms.services import COUNCIL_GROUP, FINANCE_GROUP
from commissions.forms import CommissionRuleForm
from commissions.golive import RuleTieError
from commissions.models import Beneficiary, CommissionRule, DistributionKey
from commissions.rules_io import RulesImportError, rules_export, rules_import
from commissions.selectors import live_rule_specs
from tests import factories
from tests.conftest import make_user

RULES = {
    "beneficiaries": [
        {
            "key": "fonds",
            "name": "Fonds local",
            "kind": "local_fund",
            "stripe_account": "",
            "email": "fonds@example.org",
        },
        {
            "key": "ot",
            "name": "Office de tourisme",
            "kind": "tourism_office",
            "stripe_account": "acct_123",
        },
    ],
    "distribution_keys": [
        {"key": "moitie", "name": "Moitié-moitié", "shares": {"fonds": "50.00", "ot": "50.00"}}
    ],
    "rules": [
        {
            "key": "base",
            "name": "Règle de base",
            "explanation": "",
            "scope": {"categories": [], "kinds": [], "providers": [], "communes": [], "labels": []},
            "valid_from": None,
            "valid_until": None,
            "season": None,
            "provider": {"rate": "8.00", "fixed": 0, "min": 50, "max": None},
            "visitor": {"rate": "0.00", "fixed": 0, "min": None, "max": None},
            "distribution": "moitie",
        },
        {
            "key": "camping",
            "name": "Campings",
            "explanation": "Les campings paient moins.",
            "scope": {
                "categories": ["camping"],
                "kinds": ["stay"],
                "providers": [],
                "communes": [],
                "labels": [],
            },
            "valid_from": "2026-01-01",
            "valid_until": None,
            "season": None,
            "provider": {"rate": "5.00", "fixed": 0, "min": None, "max": 5000},
            "visitor": {"rate": "1.50", "fixed": 20, "min": None, "max": None},
            "distribution": "moitie",
        },
    ],
}


@pytest.fixture
def taxonomy(territory):
    factories.category("camping")
    return territory


def test_import_publish_and_export_round_trip(taxonomy):
    counts = rules_import(site=taxonomy, data=RULES, publish=True)
    assert counts == {"beneficiaries": 2, "distribution_keys": 1, "rules": 2}
    assert rules_export(site=taxonomy) == json.loads(json.dumps(RULES))
    # Importing the export again changes nothing but adds revisions.
    rules_import(site=taxonomy, data=rules_export(site=taxonomy), publish=True)
    assert rules_export(site=taxonomy) == json.loads(json.dumps(RULES))
    assert CommissionRule.objects.count() == 2


def test_a_file_without_e_mail_keeps_the_beneficiary_s_address(taxonomy):
    rules_import(site=taxonomy, data=RULES, publish=True)
    without = json.loads(json.dumps(RULES))
    del without["beneficiaries"][0]["email"]
    rules_import(site=taxonomy, data=without, publish=True)
    assert Beneficiary.objects.get(key="fonds", live=True).email == "fonds@example.org"
    assert "email" not in rules_export(site=taxonomy)["beneficiaries"][1]  # none for the office


def test_import_without_publish_makes_drafts(taxonomy):
    rules_import(site=taxonomy, data=RULES)
    assert not CommissionRule.objects.filter(live=True).exists()
    assert rules_export(site=taxonomy)["rules"] == []
    assert live_rule_specs(site_id=taxonomy.pk) == []


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("rules", 1, "provider", "rate"), "abc", "rules[1].provider.rate"),
        (("rules", 1, "provider", "rate"), "101", "rules[1].provider.rate"),
        (("rules", 0, "visitor", "fixed"), -5, "rules[0].visitor.fixed"),
        (("rules", 1, "scope", "categories"), ["nope"], "rules[1].scope.categories"),
        (("rules", 1, "scope", "kinds"), ["boat"], "rules[1].scope.kinds"),
        (("rules", 0, "distribution"), "missing", "rules[0].distribution"),
        (("rules", 0, "valid_from"), "2026-13-40", "rules[0].valid_from"),
        (("distribution_keys", 0, "shares", "ot"), "49.99", "distribution_keys[0].shares"),
        (("beneficiaries", 0, "kind"), "pirates", "beneficiaries[0].kind"),
    ],
)
def test_invalid_import_is_refused_whole_naming_the_field(taxonomy, path, value, field):
    data = json.loads(json.dumps(RULES))
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(RulesImportError) as excinfo:
        rules_import(site=taxonomy, data=data, publish=True)
    assert field in excinfo.value.messages[0]
    assert not Beneficiary.objects.exists()
    assert not DistributionKey.objects.exists()
    assert not CommissionRule.objects.exists()


def test_commands_export_import_and_quote(taxonomy, tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(RULES))
    call_command("commission_rules", "import", str(path), "--publish", stdout=io.StringIO())
    out = io.StringIO()
    call_command("commission_rules", "export", stdout=out)
    assert json.loads(out.getvalue()) == json.loads(json.dumps(RULES))

    out = io.StringIO()
    call_command(
        "commission_quote",
        "--amount",
        "10000",
        "--category",
        "camping",
        "--kind",
        "stay",
        "--date",
        "2026-07-01",
        stdout=out,
    )
    result = json.loads(out.getvalue())
    assert result == {
        "subtotal": 10000,
        "visitor_fee": 170,
        "provider_commission": 500,
        "commission": 670,
        "visitor_total": 10170,
        "provider_net": 9500,
        "allocations": {"fonds": 335, "ot": 335},
        "rule": "camping",
    }
    out = io.StringIO()
    call_command("commission_quote", "--amount", "400", "--kind", "product", stdout=out)
    assert json.loads(out.getvalue())["provider_commission"] == 50  # base rule minimum

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError):
        call_command("commission_rules", "import", str(bad))


def test_no_rule_means_zero_commission(territory):
    out = io.StringIO()
    call_command("commission_quote", "--amount", "10000", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["commission"], result["rule"], result["allocations"]) == (0, None, {})


def test_publishing_a_tie_is_refused_naming_the_other_rule(taxonomy):
    rules_import(site=taxonomy, data=RULES, publish=True)
    twin = json.loads(json.dumps(RULES))
    twin["rules"] = [dict(RULES["rules"][1], key="camping-bis", name="Campings bis")]
    with pytest.raises(RulesImportError) as excinfo:
        rules_import(site=taxonomy, data=twin, publish=True)
    assert "Campings" in excinfo.value.messages[0]
    # As a draft it is fine; publishing it is refused by the model itself too.
    rules_import(site=taxonomy, data=twin)
    draft = CommissionRule.objects.get(key="camping-bis")
    with pytest.raises(RuleTieError):
        draft.get_latest_revision().publish()
    assert not CommissionRule.objects.get(key="camping-bis").live


def test_live_rules_cache_follows_publication(taxonomy):
    rules_import(site=taxonomy, data=RULES, publish=True)
    assert {s.key for s in live_rule_specs(site_id=taxonomy.pk)} == {"base", "camping"}
    rule = CommissionRule.objects.get(key="base")
    rule.provider_rate = Decimal("9.00")
    rule.save_revision().publish()
    spec = next(s for s in live_rule_specs(site_id=taxonomy.pk) if s.key == "base")
    assert spec.provider_side.rate == Decimal("9.00")
    assert spec.revision_id == CommissionRule.objects.get(key="base").live_revision_id


def test_rule_scheduled_for_a_future_date_goes_live_from_the_periodic_task(taxonomy):
    rules_import(site=taxonomy, data=RULES, publish=True)
    rule = CommissionRule.objects.get(key="base")
    rule.provider_rate = Decimal("6.00")
    rule.go_live_at = timezone.now() + dt.timedelta(hours=1)
    rule.save_revision().publish()
    assert CommissionRule.objects.get(key="base").provider_rate == Decimal("8.00")

    from cms.tasks import publish_scheduled_content

    publish_scheduled_content.call_local()
    assert CommissionRule.objects.get(key="base").provider_rate == Decimal("8.00")
    from wagtail.models import Revision

    # Let the hour pass: the scheduled revision's go-live time is now behind us.
    past = timezone.now() - dt.timedelta(minutes=1)
    for revision in Revision.objects.filter(approved_go_live_at__isnull=False):
        revision.approved_go_live_at = past
        revision.content["go_live_at"] = past.isoformat()
        revision.save()
    publish_scheduled_content.call_local()
    assert CommissionRule.objects.get(key="base").provider_rate == Decimal("6.00")


# --- Through the admin, with each role ---------------------------------------------------

ADD_URL = "/admin/snippets/commissions/commissionrule/add/"
LIST_URL = "/admin/snippets/commissions/commissionrule/"


def rule_form(taxonomy, **overrides):
    key = DistributionKey.objects.get(key="moitie")
    data = {
        "site": taxonomy.pk,
        "name": "Règle du marché",
        "key": "marche",
        "explanation": "",
        "kinds": ["product"],
        "communes": "",
        "valid_from": "",
        "valid_until": "",
        "provider_rate": "4.00",
        "provider_fixed": "0",
        "provider_min": "",
        "provider_max": "",
        "visitor_rate": "0",
        "visitor_fixed": "0",
        "visitor_min": "",
        "visitor_max": "",
        "distribution": key.pk,
    }
    data.update(overrides)
    return data


def test_finance_submits_and_council_approves(taxonomy, client):
    rules_import(site=taxonomy, data=RULES, publish=True)
    finance = make_user("finances@example.org", groups=(FINANCE_GROUP,))
    council = make_user("conseil@example.org", groups=(COUNCIL_GROUP,))

    client.force_login(finance)
    assert client.get(LIST_URL).status_code == 200
    # Finance cannot publish: asking to is only saving a draft.
    client.post(ADD_URL, rule_form(taxonomy, **{"action-publish": "1"}))
    rule = CommissionRule.objects.get(key="marche")
    assert not rule.live
    response = client.post(
        f"{LIST_URL}edit/{rule.pk}/", rule_form(taxonomy, **{"action-submit": "1"})
    )
    assert response.status_code in (200, 302)
    rule.refresh_from_db()
    assert not rule.live
    state = WorkflowState.objects.get(object_id=str(rule.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS

    client.force_login(council)
    task_state = state.current_task_state
    url = f"{LIST_URL}workflow/action/{rule.pk}/approve/{task_state.pk}/"
    response = client.post(url, {"comment": ""})
    assert response.status_code in (200, 302)
    rule.refresh_from_db()
    assert rule.live and rule.provider_rate == Decimal("4.00")
    assert "marche" in {s.key for s in live_rule_specs(site_id=taxonomy.pk)}


def test_admin_submit_of_a_tie_shows_the_error(taxonomy, client):
    rules_import(site=taxonomy, data=RULES, publish=True)
    finance = make_user("finances@example.org", groups=(FINANCE_GROUP,))
    client.force_login(finance)
    response = client.post(ADD_URL, rule_form(taxonomy, kinds=[], **{"action-submit": "1"}))
    assert response.status_code == 200
    assert "Règle de base" in response.content.decode()
    assert not CommissionRule.objects.filter(key="marche").exists()


def test_shares_must_total_one_hundred_in_the_admin(taxonomy, client):
    rules_import(site=taxonomy, data=RULES, publish=True)
    finance = make_user("finances@example.org", groups=(FINANCE_GROUP,))
    client.force_login(finance)
    fonds = Beneficiary.objects.get(key="fonds")
    data = {
        "site": taxonomy.pk,
        "name": "Tout au fonds",
        "key": "fonds-seul",
        "description": "",
        "shares-TOTAL_FORMS": "1",
        "shares-INITIAL_FORMS": "0",
        "shares-MIN_NUM_FORMS": "0",
        "shares-MAX_NUM_FORMS": "1000",
        "shares-0-beneficiary": fonds.pk,
        "shares-0-percentage": "99.99",
        "shares-0-ORDER": "1",
        "shares-0-id": "",
    }
    response = client.post("/admin/snippets/commissions/distributionkey/add/", data)
    assert response.status_code == 200
    assert not DistributionKey.objects.filter(key="fonds-seul").exists()
    data["shares-0-percentage"] = "100.00"
    response = client.post("/admin/snippets/commissions/distributionkey/add/", data)
    assert response.status_code == 302
    assert DistributionKey.objects.filter(key="fonds-seul").exists()


def test_editors_and_providers_cannot_see_rules(taxonomy, client, editor):
    rules_import(site=taxonomy, data=RULES, publish=True)
    rule = CommissionRule.objects.get(key="base")
    member = make_user("membre@example.org")
    provider = factories.provider(taxonomy, applied_by=member)
    assert member in provider.members.all()
    for user in (editor, member):
        client.force_login(user)
        for url in (LIST_URL, ADD_URL, f"{LIST_URL}edit/{rule.pk}/"):
            response = client.get(url)
            assert response.status_code in (302, 403), (user, url)
        response = client.post(f"{LIST_URL}edit/{rule.pk}/", rule_form(taxonomy, key="base"))
        assert response.status_code in (302, 403)
    assert CommissionRule.objects.get(key="base").provider_rate == Decimal("8.00")


def test_rule_preview_says_the_rule_in_plain_words(taxonomy, rf):
    rules_import(site=taxonomy, data=RULES, publish=True)
    rule = CommissionRule.objects.get(key="camping")
    rule.provider_rate = Decimal("7.00")
    request = rf.get("/")
    request.user = make_user("finances@example.org", groups=(FINANCE_GROUP,))
    from django.utils import translation

    with translation.override("fr"):
        html = rule.serve_preview(request, "").rendered_content
    assert "7\u00a0% du prix" in html or "7 % du prix" in html or "7\u00a0%" in html
    assert "Campings" in html


def test_transparency_page_is_public_and_plain(taxonomy, client):
    url = "/transparence/"
    response = client.get(url)
    assert response.status_code == 200
    assert (
        "Aucune règle" in response.content.decode()
        or "No commission rule" in response.content.decode()
    )

    rules_import(site=taxonomy, data=RULES, publish=True)
    response = client.get(url)
    html = response.content.decode()
    assert "Règle de base" in html and "Campings" in html
    assert "<svg" in html and "Fonds local" in html and "Office de tourisme" in html
    assert "0,00" in html  # nothing distributed before any booking
    assert html.count('class="history-entry"') >= 3  # key and rules published, dated
    assert html.count("<time datetime=") >= 3

    response = client.get("/en" + url)
    assert response.status_code == 200
    assert "Provider commission" in response.content.decode()


def test_dashboard_panel_lists_live_rules_or_says_there_are_none(taxonomy, client):
    finance = make_user("finances@example.org", groups=(FINANCE_GROUP,))
    client.force_login(finance)
    html = client.get("/admin/").content.decode()
    assert 'id="live-rules-heading"' in html
    assert "commission is zero" in html or "commission est nulle" in html
    rules_import(site=taxonomy, data=RULES, publish=True)
    html = client.get("/admin/").content.decode()
    assert "Règle de base" in html and "Campings" in html


def test_transparency_page_shows_what_the_ledger_credited(taxonomy, client):
    from commissions.engine import Line
    from commissions.selectors import line_quote
    from marketplace.books.ledger import ledger_post, quote_entries

    rules_import(site=taxonomy, data=RULES, publish=True)
    quote = line_quote(site_id=taxonomy.pk, line=Line(subtotal=10_000, booked_on=dt.date.today()))
    ledger_post(
        site=taxonomy,
        kind="order_confirmed",
        idempotency_key="order-1",
        entries=quote_entries(quote=quote, provider_account="provider:1"),
    )
    html = client.get("/transparence/").content.decode()
    assert "4,00\u00a0€" in html  # 800 cents commission, half to each beneficiary
    assert "8,00\u00a0€" in html  # total


def test_the_rule_form_s_own_labels_start_with_a_capital():
    fields = CommissionRuleForm.base_fields
    assert (str(fields["kinds"].label), str(fields["communes"].label)) == (
        "Types d'offre",
        "Communes",
    )
