"""The transparency page's history: every change that went live, in plain words.

What changed (old → new), when it went live, which role submitted it, when the council
approved it; personal names only when the territory chooses to publish them. The
changes go through the real admin: finance submits, the council approves.
"""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from wagtail.models import WorkflowState

from cms.services import COUNCIL_GROUP, FINANCE_GROUP
from commissions.models import CommissionRule, DistributionKey
from commissions.rules_io import rules_import
from commissions.transparency import transparency_data
from marketplace.models import TerritorySettings
from tests import factories
from tests.commissions.test_commissions import LIST_URL, RULES, rule_form
from tests.conftest import make_user

KEY_URL = "/admin/snippets/commissions/distributionkey/"
PAGE = "/transparence/"


@pytest.fixture
def taxonomy(territory):
    factories.category("camping")
    rules_import(site=territory, data=RULES, publish=True)
    return territory


@pytest.fixture
def finance(taxonomy):
    return make_user(
        "finances@example.org",
        groups=(FINANCE_GROUP,),
        first_name="Françoise",
        last_name="Trésorière",
    )


@pytest.fixture
def council(taxonomy):
    return make_user(
        "conseil@example.org", groups=(COUNCIL_GROUP,), first_name="Claude", last_name="Élu"
    )


def approve(client, council, obj, list_url):
    state = WorkflowState.objects.for_instance(obj).order_by("-pk").first()
    client.force_login(council)
    url = f"{list_url}workflow/action/{obj.pk}/approve/{state.current_task_state.pk}/"
    response = client.post(url, {"comment": ""})
    assert response.status_code == 302


def camping_form(taxonomy, **overrides):
    values = {
        "key": "camping",
        "name": "Campings",
        "explanation": "Les campings paient moins.",
        "categories": [factories.category("camping").pk],
        "kinds": ["stay"],
        "valid_from": "2026-01-01",
        "provider_rate": "5.00",
        "provider_max": "50.00",
        "visitor_rate": "1.50",
        "visitor_fixed": "0.20",
    }
    values.update(overrides)
    return rule_form(taxonomy, **values)


def change_camping(client, finance, council, taxonomy, **overrides):
    rule = CommissionRule.objects.get(key="camping")
    client.force_login(finance)
    response = client.post(
        f"{LIST_URL}edit/{rule.pk}/", camping_form(taxonomy, **overrides, **{"action-submit": "1"})
    )
    assert response.status_code == 302, response.context["form"].errors
    approve(client, council, rule, LIST_URL)


def new_market_rule(client, finance, council, taxonomy):
    client.force_login(finance)
    response = client.post(f"{LIST_URL}add/", rule_form(taxonomy, **{"action-submit": "1"}))
    assert response.status_code == 302, response.context["form"].errors
    approve(client, council, CommissionRule.objects.get(key="marche"), LIST_URL)


def change_key_shares(client, finance, council, taxonomy, first, second):
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
        "action-submit": "1",
    }
    for i, (share, percentage) in enumerate(zip(key.shares.all(), (first, second), strict=True)):
        data.update(
            {
                f"shares-{i}-id": share.pk,
                f"shares-{i}-beneficiary": share.beneficiary_id,
                f"shares-{i}-percentage": percentage,
                f"shares-{i}-ORDER": str(i + 1),
            }
        )
    client.force_login(finance)
    response = client.post(f"{KEY_URL}edit/{key.pk}/", data)
    assert response.status_code == 302, response.context["form"].errors
    approve(client, council, key, KEY_URL)


def history_text(client, url=PAGE) -> str:
    client.logout()
    body = client.get(url).content.decode()
    section = re.search(r'<section aria-labelledby="history-heading">.*?</section>', body, re.S)
    assert section, "the history section is on the page"
    # Whitespace (non-breaking spaces included) collapsed to plain spaces.
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", section.group(0))))


def test_history_says_what_changed_who_submitted_and_when_the_council_approved(
    client, taxonomy, finance, council
):
    change_camping(client, finance, council, taxonomy, provider_rate="6.00")
    change_camping(
        client, finance, council, taxonomy, provider_rate="6.00", valid_until="2027-12-31"
    )
    new_market_rule(client, finance, council, taxonomy)
    change_key_shares(client, finance, council, taxonomy, "60.00", "40.00")

    text = history_text(client)
    # What changed, old → new, in plain words (the wording of the rules' descriptions).
    assert "Commission du prestataire : 5 % du prix, au plus 50,00 € → 6 % du prix" in text
    assert "Prend fin le 31 décembre 2027" in text
    assert "Nouvelle règle « Règle du marché »" in text
    assert "Fonds local : 50 % → 60 %" in text
    assert "Office de tourisme : 50 % → 40 %" in text
    # Names, not slugs or ids.
    assert "catégories : Camping; types d'offre : Séjour" in text
    assert "types d'offre : Produit" in text
    assert "moitie" not in text and "marche" not in text
    # Who: the role that submitted, the council's approval and its date.
    assert text.count("Finances du territoire") == 4
    assert text.count("Conseil") >= 4
    # The first publication (an import, no workflow) says so.
    assert "Nouvelle règle « Campings »" in text
    # No personal name unless the territory publishes them.
    for name in ("Françoise", "Trésorière", "Claude", "Élu", "finances@", "conseil@"):
        assert name not in text
    # Most recent first: the key's change heads the list.
    assert text.index("Fonds local : 50") < text.index("Nouvelle règle « Règle du marché »")

    english = history_text(client, "/en" + PAGE)
    assert "Provider commission: 5% of the price, at most €50.00 → 6% of the price" in english
    assert "New rule “Règle du marché”" in english
    assert "Ends on Dec. 31, 2027" in english
    assert "Submitted by" in english and "Approved by the council" in english


def test_names_are_published_when_the_territory_chooses(client, taxonomy, finance, council):
    change_key_shares(client, finance, council, taxonomy, "60.00", "40.00")
    settings = TerritorySettings.for_site(taxonomy)
    assert settings.transparency_show_names is False
    settings.transparency_show_names = True
    settings.save()
    text = history_text(client)
    assert "Françoise Trésorière" in text and "Claude Élu" in text
    assert "finances@" not in text  # a name, never an e-mail address


def test_history_queries_do_not_grow_with_the_entries(
    client, taxonomy, finance, council, django_assert_max_num_queries
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            with translation.override("fr"):
                data = transparency_data(site=taxonomy, show_names=True)
        return len(queries.captured_queries), len(data["history"])

    change_key_shares(client, finance, council, taxonomy, "60.00", "40.00")
    few, few_entries = count()
    for rate in ("6.00", "7.00", "8.00"):
        change_camping(client, finance, council, taxonomy, provider_rate=rate)
    new_market_rule(client, finance, council, taxonomy)
    change_key_shares(client, finance, council, taxonomy, "70.00", "30.00")
    many, many_entries = count()
    assert many_entries == few_entries + 5
    assert many == few
    client.logout()
    # 40, and 3 since pages are translatable: Wagtail finds the active locale and the
    # site's home in that language before routing.
    with django_assert_max_num_queries(43):
        assert client.get(PAGE).status_code == 200


def test_beneficiary_changes_in_plain_words(db):
    """Beneficiaries get revisions on another branch: their describer is ready for them."""
    from commissions.history import Names, describe_beneficiary

    before = {"name": "Fonds local", "kind": "local_fund", "stripe_account": "", "active": True}
    after = dict(before, name="Fonds du Haut-Plateau", stripe_account="acct_1", active=False)
    with translation.override("fr"):
        changes = describe_beneficiary(before, after, Names([]))
        created = describe_beneficiary(None, before, Names([]))
    assert changes == [
        "Nom : Fonds local → Fonds du Haut-Plateau",
        "Destination des versements modifiée.",
        "Désactivé : ne reçoit plus de part.",
    ]
    assert "acct_1" not in " ".join(changes)  # the account itself is not public
    assert created == ["Nouveau bénéficiaire «\u00a0Fonds local\u00a0» (Fonds local)."]


def test_a_scheduled_change_is_listed_when_it_goes_live(client, taxonomy, finance, council):
    import datetime as dt

    from django.utils import timezone
    from wagtail.models import Revision

    from cms.tasks import publish_scheduled_content

    go_live = timezone.localtime() + dt.timedelta(days=2)
    change_camping(
        client,
        finance,
        council,
        taxonomy,
        provider_rate="7.00",
        go_live_at=go_live.strftime("%Y-%m-%d %H:%M"),
    )
    # Approved, not yet live: nothing new in the history.
    assert "7 % du prix" not in history_text(client)

    past = timezone.now() - dt.timedelta(minutes=1)
    for revision in Revision.objects.filter(approved_go_live_at__isnull=False):
        revision.approved_go_live_at = past
        revision.content["go_live_at"] = past.isoformat()
        revision.save()
    publish_scheduled_content.call_local()
    text = history_text(client)
    assert "Commission du prestataire : 5 % du prix, au plus 50,00 € → 7 % du prix" in text
    head = text[: text.index("Règle de commission « Règle de base »")]
    assert head.count("Finances du territoire") == 1 and "Conseil, le" in head


def test_the_whole_page_names_no_one_and_no_payout_account(client, taxonomy, finance, council):
    """A payout destination approved through the admin, a rule a superuser publishes
    directly: the public page (not only its history) shows roles, never a person's
    name, username or e-mail, nor a Stripe account."""
    from commissions.models import Beneficiary
    from tests.commissions.test_commission_governance import form_data, url

    fund = Beneficiary.objects.get(key="fonds")
    client.force_login(finance)
    data = form_data(client, "beneficiary", fund)
    data.update({"stripe_account": "acct_1SECRETDEST", "action-submit": "1"})
    assert client.post(url("beneficiary", "edit", fund), data).status_code == 302
    approve(client, council, fund, "/admin/snippets/commissions/beneficiary/")
    fund.refresh_from_db()
    assert fund.stripe_account == "acct_1SECRETDEST"

    boss = make_user(
        "dominique.patronne@example.org",
        is_superuser=True,
        is_staff=True,
        first_name="Dominique",
        last_name="Patronne",
    )
    rule = CommissionRule.objects.get(key="camping")
    client.force_login(boss)
    data = form_data(client, "commissionrule", rule)
    data.update({"provider_rate": "6.00", "action-publish": "1"})
    assert client.post(url("commissionrule", "edit", rule), data).status_code == 302

    client.logout()
    body = html.unescape(client.get(PAGE).content.decode())
    history = history_text(client)
    assert "Destination des versements modifiée" in history
    assert "Administrateur" in history or "Administrator" in history
    for secret in (
        "acct_",
        "Françoise",
        "Trésorière",
        "Claude",
        "Élu",
        "Dominique",
        "Patronne",
        "dominique.patronne",
        "finances@",
        "conseil@",
        "@example.org",
    ):
        assert secret not in body, secret
