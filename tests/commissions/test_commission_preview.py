"""The preview elected officials read before voting (issue 11, part 3).

A draft rule, a draft distribution key and a beneficiary change are previewed on a full
admin page: past bookings of a period the reader chooses, quoted with the live rules and
with the draft, per beneficiary, category and provider, each side apart, with names, signed
differences and the number of bookings behind each figure; and a printable A4 version.
Through the real admin URLs as finance, council and others; the figures are checked
against the engine's quotes by a property test.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from commissions.engine import Line, RuleSpec, Scope, Side, quote
from commissions.models import Beneficiary, CommissionRule, DistributionKey, DistributionShare
from commissions.rules_io import rules_import
from commissions.simulation import (
    Period,
    beneficiary_preview,
    lines_for,
    period_preset,
    simulate,
)
from marketplace.simulation import booking_lines
from tests import factories
from tests.conftest import make_user
from tests.marketplace.orders.test_simulation_bookings import RULES, _paid
from tests.snapshots import Replay

TODAY = dt.date(2026, 10, 15)


def build_shop(territory):
    rules_import(site=territory, data=RULES, publish=True)
    camping = factories.provider(territory, name="Camping des Saules")
    bakery = factories.provider(
        territory,
        name="Boulangerie du Pont",
        category_obj=factories.category("commerce", name="Commerces", name_en="Shops"),
    )
    return {
        "site": territory,
        "visitor": make_user("simulation@example.org"),
        "stay": factories.stay(camping, units=5, price_per_night=3000),
        "bread": factories.product(bakery, price_per_item=500, stock=80),
        "camping": camping,
        "bakery": bakery,
    }


shop_replay = Replay(build_shop)


@pytest.fixture
def shop(territory):
    """``build_shop``, built once and then replayed (tests/snapshots.py)."""
    return shop_replay(territory)


def build_bookings(shop):
    """A stay of 120 € ten days ago, bread for 20 € forty days ago."""
    return [
        _paid(shop, days_ago=10, offer=shop["stay"], quantity=2),
        _paid(shop, days_ago=40, offer=shop["bread"], quantity=4),
    ]


bookings_replay = Replay(build_bookings)


@pytest.fixture
def bookings(shop):
    """``build_bookings``, built once and then replayed (tests/snapshots.py)."""
    return bookings_replay(shop)


def _draft_base(rate="8.00"):
    """A draft revision of the base rule raising the provider side (live stays at 5 %)."""
    rule = CommissionRule.objects.get(key="base")
    rule.provider_rate = Decimal(rate)
    revision = rule.save_revision()
    return CommissionRule.objects.get(pk=rule.pk), revision


def _english(user):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()


def rule_url(rule, **query):
    url = reverse("commissions_preview_rule", args=[rule.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def text(response) -> str:
    """The page's visible text, tags removed and spaces folded."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\u00a0", " ").split())


# --- The rule preview page, through the admin ---------------------------------------------


def test_rule_preview_shows_names_signed_differences_and_both_sides(
    client, shop, bookings, finance
):
    rule, revision = _draft_base()
    client.force_login(finance)
    response = client.get(rule_url(rule))
    assert response.status_code == 200
    page = text(response)
    # Names, never slugs.
    for name in ("Fonds local", "Office de tourisme", "Camping des Saules", "Boulangerie du Pont"):
        assert name in page
    assert "Commerces" in page and "Camping" in page
    for slug in (shop["camping"].slug, shop["bakery"].slug, "moitie"):
        assert slug not in page
    preview = response.context["preview"]
    sim = preview.simulation
    assert sim.bookings == 2
    # Provider side 5 % → 8 % on 120 € + 20 €; service fees (2 %) unchanged.
    assert (sim.totals.provider.live, sim.totals.provider.draft) == (700, 1120)
    assert (sim.totals.visitor.live, sim.totals.visitor.draft) == (280, 280)
    assert "+4,20 €" in page and "+60,0 %" in page
    # Each beneficiary gets half: +2,10 €, 490 → 700 (+42,9 %).
    rows = preview.beneficiary_rows
    assert [(r.name, r.figure.live, r.figure.draft) for r in rows] == [
        ("Fonds local", 490, 700),
        ("Office de tourisme", 490, 700),
    ]
    assert "+2,10 €" in page and "+42,9 %" in page
    # Providers sorted by impact: the camping (+3,60 €) before the bakery (+0,60 €).
    providers = [r.name for r in preview.provider_rows]
    assert providers == ["Camping des Saules", "Boulangerie du Pont"]
    assert page.index("Camping des Saules") < page.index("Boulangerie du Pont")
    # The visitor's side and the provider's side are shown apart.
    assert "Frais de service (visiteurs)" in page and "Commission du prestataire" in page
    assert f"révision n° {revision.pk}" in page
    # Accessible tables: a caption and header cells with a scope.
    html = response.content.decode()
    assert html.count("<caption") >= 4 and 'scope="col"' in html and 'scope="row"' in html


def test_the_preview_speaks_english_too(client, shop, bookings, finance):
    rule, _revision = _draft_base()
    _english(finance)
    client.force_login(finance)
    page = text(client.get(rule_url(rule)))
    assert "Service fees" in page and "€4.20" in page and "+60.0%" in page


def test_new_beneficiaries_and_zero_figures_say_new_or_dash(client, shop, bookings, finance):
    rule = CommissionRule.objects.get(key="base")
    client.force_login(finance)
    page = text(client.get(rule_url(rule)))  # latest revision = live: nothing changes
    assert "+0,00 €" not in page and "0,00 € 0,0 %" in page
    # A draft key sending everything to a new beneficiary: "nouveau" where today is 0.
    new = Beneficiary.objects.create(
        site=shop["site"], key="asso", name="Association des sentiers", kind="association"
    )
    key = DistributionKey.objects.get(key="moitie")
    key.shares = [DistributionShare(beneficiary=new, percentage=Decimal(100))]
    key.save_revision()
    assert DistributionKey.objects.get(key="moitie").shares.count() == 2  # live unchanged
    response = client.get(reverse("commissions_preview_key", args=[key.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "Association des sentiers" in page and "nouveau" in page
    rows = {r.name: r.figure for r in response.context["preview"].beneficiary_rows}
    assert (rows["Association des sentiers"].live, rows["Association des sentiers"].draft) == (
        0,
        980,
    )
    assert (rows["Fonds local"].live, rows["Fonds local"].draft) == (490, 0)
    # The live rules quoted with this key are named.
    assert "Règle de base" in page


def test_council_reads_the_preview_others_cannot(client, shop, bookings, council, editor):
    rule, _revision = _draft_base()
    key = DistributionKey.objects.get(key="moitie")
    fonds = Beneficiary.objects.get(key="fonds")
    urls = [
        rule_url(rule),
        reverse("commissions_preview_key", args=[key.pk]),
        reverse("commissions_preview_beneficiary", args=[fonds.pk]),
    ]
    client.force_login(council)
    for url in urls:
        assert client.get(url).status_code == 200, url
        assert client.get(url + "?print=1").status_code == 200, url
    member = make_user("membre@example.org")
    factories.provider(shop["site"], applied_by=member)
    for user in (editor, member):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code in (302, 403, 404), (user, url)
    client.logout()
    assert client.get(urls[0]).status_code == 302


def test_unknown_objects_and_foreign_revisions_are_404(client, shop, bookings, finance):
    rule, revision = _draft_base()
    other = CommissionRule.objects.exclude(pk=rule.pk).first()
    client.force_login(finance)
    assert client.get(reverse("commissions_preview_rule", args=[999999])).status_code == 404
    assert client.get(reverse("commissions_preview_key", args=[999999])).status_code == 404
    assert client.get(rule_url(rule, revision=revision.pk)).status_code == 200
    key_revision = DistributionKey.objects.get(key="moitie").save_revision()
    assert client.get(rule_url(rule, revision=key_revision.pk)).status_code == 404
    if other is not None:
        assert client.get(rule_url(other, revision=revision.pk)).status_code == 404
    for garbage in ("abc", "-1", "99999999999999999999", ""):
        assert client.get(rule_url(rule, revision=garbage)).status_code in (200, 404)


def test_a_given_revision_is_previewed_instead_of_the_latest(client, shop, bookings, finance):
    _rule, first = _draft_base("8.00")
    rule, _second = _draft_base("10.00")
    client.force_login(finance)
    sim = client.get(rule_url(rule)).context["preview"].simulation
    assert sim.totals.provider.draft == 1400  # 10 %
    sim = client.get(rule_url(rule, revision=first.pk)).context["preview"].simulation
    assert sim.totals.provider.draft == 1120  # 8 %


# --- The period ------------------------------------------------------------------------------


def test_the_reader_chooses_the_period(client, shop, bookings, finance):
    rule, _revision = _draft_base()
    client.force_login(finance)
    assert client.get(rule_url(rule)).context["preview"].simulation.bookings == 2
    response = client.get(rule_url(rule, period="30"))
    assert response.context["preview"].simulation.bookings == 1
    today = timezone.localdate()
    since = (today - dt.timedelta(days=45)).isoformat()
    until = (today - dt.timedelta(days=20)).isoformat()
    response = client.get(rule_url(rule, period="custom", since=since, until=until))
    preview = response.context["preview"]
    assert preview.simulation.bookings == 1
    assert [r.name for r in preview.provider_rows] == ["Boulangerie du Pont"]
    # The bookings behind each figure.
    assert preview.provider_rows[0].provider.live_bookings == 1
    assert "1 réservation" in text(response)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "2026-05-01", "until": "2026-04-01"}, "La date de début est après la date"),
        ({"since": "garbage", "until": "2026-04-01"}, "Saisissez une date valide"),
        ({"since": "2019-01-01", "until": "2026-04-01"}, "au plus 731 jours"),
        ({"since": "0001-01-01", "until": "9999-12-31"}, "au plus 731 jours"),
        ({"since": "", "until": ""}, "Indiquez les dates"),
    ],
)
def test_a_wrong_custom_period_is_a_clear_error(client, shop, finance, query, message):
    rule, _revision = _draft_base()
    client.force_login(finance)
    response = client.get(rule_url(rule, period="custom", **query))
    assert response.status_code == 200
    assert message in text(response)
    assert response.context["preview"] is None


def test_a_wrong_period_in_english(client, shop, finance):
    rule, _revision = _draft_base()
    _english(finance)
    client.force_login(finance)
    response = client.get(rule_url(rule, period="custom", since="2026-05-01", until="2026-04-01"))
    assert "The start date is after the end date" in text(response)
    response = client.get(rule_url(rule, period="nonsense"))
    assert response.status_code == 200 and "Select a valid choice" in text(response)


def test_period_presets():
    assert period_preset("30", today=TODAY) == Period(dt.date(2026, 9, 16), TODAY)
    assert period_preset("90", today=TODAY).days == 90
    assert period_preset("365", today=TODAY).days == 365
    # The last summer that began: this year's July and August once July has started...
    assert period_preset("summer", today=TODAY) == Period(dt.date(2026, 7, 1), dt.date(2026, 8, 31))
    assert period_preset("summer", today=dt.date(2026, 7, 10)) == Period(
        dt.date(2026, 7, 1), dt.date(2026, 7, 10)
    )
    assert period_preset("summer", today=dt.date(2026, 3, 1)) == Period(
        dt.date(2025, 7, 1), dt.date(2025, 8, 31)
    )
    # ...and the same 90 days a year earlier, to compare with a season gone by.
    assert period_preset("last-year", today=TODAY) == Period(
        dt.date(2025, 7, 18), dt.date(2025, 10, 15)
    )


def test_line_source_keeps_to_the_period_inclusive(shop, bookings):
    today = timezone.localdate()
    forty = today - dt.timedelta(days=40)
    assert len(list(booking_lines(site=shop["site"], since=forty, until=forty))) == 1
    assert list(booking_lines(site=shop["site"], since=forty, until=forty - dt.timedelta(1))) == []
    assert len(lines_for(site=shop["site"], since=forty, until=today)) == 2
    ten = today - dt.timedelta(days=10)
    assert len(list(booking_lines(site=shop["site"], since=ten, until=ten))) == 1


def test_the_preview_runs_a_fixed_number_of_queries(
    client, shop, bookings, finance, django_assert_max_num_queries
):
    rule, _revision = _draft_base()
    client.force_login(finance)
    client.get(rule_url(rule))  # warm the session and the caches
    with django_assert_max_num_queries(45) as few:
        client.get(rule_url(rule, period="365"))
    for days_ago in (12, 13, 14, 15, 16, 17):
        _paid(shop, days_ago=days_ago, offer=shop["bread"], quantity=1)
        _paid(shop, days_ago=days_ago, offer=shop["stay"], quantity=1)
    with django_assert_max_num_queries(len(few.captured_queries)) as more:
        response = client.get(rule_url(rule, period="365"))
    assert response.context["preview"].simulation.bookings == 14
    assert len(more.captured_queries) == len(few.captured_queries)


# --- Drafts of distribution keys and beneficiaries -----------------------------------------


def test_key_preview_quotes_every_live_rule_using_the_key(client, shop, bookings, finance):
    key = DistributionKey.objects.get(key="moitie")
    fonds = Beneficiary.objects.get(key="fonds")
    ot = Beneficiary.objects.get(key="ot")
    key.shares = [
        DistributionShare(beneficiary=fonds, percentage=Decimal(80), sort_order=0),
        DistributionShare(beneficiary=ot, percentage=Decimal(20), sort_order=1),
    ]
    key.save_revision()
    client.force_login(finance)
    response = client.get(reverse("commissions_preview_key", args=[key.pk]))
    assert response.status_code == 200
    preview = response.context["preview"]
    rows = {r.name: r.figure for r in preview.beneficiary_rows}
    assert (rows["Fonds local"].live, rows["Fonds local"].draft) == (490, 784)
    assert (rows["Office de tourisme"].live, rows["Office de tourisme"].draft) == (490, 196)
    # What is taken does not change, only who receives it.
    assert preview.simulation.totals.commission.difference == 0
    assert [r.name for r in preview.rules] == ["Règle de base"]
    assert preview.beneficiary_rows[0].name == "Fonds local"  # equal impact: by name
    assert preview.shares == [
        ("Fonds local", Decimal("50.00"), Decimal(80)),
        ("Office de tourisme", Decimal("50.00"), Decimal(20)),
    ]
    page = text(response)
    assert "Parts aujourd'hui et dans le brouillon" in page
    # Amounts per category and provider do not change with a key: not shown.
    assert "Par catégorie" not in page and "Camping des Saules" not in page


def test_beneficiary_preview_of_an_in_memory_draft(shop, bookings):
    live = Beneficiary.objects.get(key="ot")
    draft = Beneficiary.objects.get(key="ot")
    draft.stripe_account = "acct_nouveau"
    draft.active = False
    today = timezone.localdate()
    preview = beneficiary_preview(
        live=live, draft=draft, period=Period(today - dt.timedelta(days=90), today)
    )
    assert preview.received.live == 490 and preview.received.live_bookings == 2
    changes = {c.field: (c.old, c.new) for c in preview.changes}
    assert changes["stripe_account"] == ("conservé par l'opérateur", "acct_nouveau")
    assert changes["active"] == ("oui", "non")
    assert set(changes) == {"stripe_account", "active"}
    assert [k.name for k in preview.keys] == ["Moitié-moitié"]
    assert [r.name for r in preview.rules] == ["Règle de base"]
    assert preview.deactivated_but_named


def test_beneficiary_preview_page_and_links_from_edit_pages(client, shop, bookings, finance):
    fonds = Beneficiary.objects.get(key="fonds")
    rule = CommissionRule.objects.get(key="base")
    key = DistributionKey.objects.get(key="moitie")
    client.force_login(finance)
    response = client.get(reverse("commissions_preview_beneficiary", args=[fonds.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "Fonds local" in page and "Règle de base" in page
    assert "Moitié-moitié : une part de 50,00 %" in page
    assert "4,90 €" in page  # what it received over the last 90 days
    for edit, preview in (
        (f"/admin/snippets/commissions/commissionrule/edit/{rule.pk}/", rule_url(rule)),
        (
            f"/admin/snippets/commissions/distributionkey/edit/{key.pk}/",
            reverse("commissions_preview_key", args=[key.pk]),
        ),
        (
            f"/admin/snippets/commissions/beneficiary/edit/{fonds.pk}/",
            reverse("commissions_preview_beneficiary", args=[fonds.pk]),
        ),
    ):
        html = client.get(edit).content.decode()
        assert f'href="{preview}"' in html, edit


# --- The printable version ---------------------------------------------------------------


def test_printable_view_for_the_deliberation(client, shop, bookings, finance):
    rule, revision = _draft_base()
    client.force_login(finance)
    response = client.get(rule_url(rule, print="1", period="30"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "@page" in html and "size: A4" in html
    page = text(response)
    assert "Comptoir test" in page  # the territory
    assert timezone.localdate().strftime("%d/%m/%Y") in page  # generated on
    assert "Règle de base" in page and f"révision n° {revision.pk}" in page
    since = timezone.localdate() - dt.timedelta(days=29)
    assert since.strftime("%d/%m/%Y") in page  # the period
    assert "w-sidebar" not in html and "wagtail-sidebar" not in html  # no admin chrome


# --- The figures are the engine's -----------------------------------------------------------

PROVIDERS = ["ferme", "camping", "gite"]
CATEGORIES = ["", "camping", "commerce"]
DAY = dt.date(2026, 7, 1)

lines_strategy = st.lists(
    st.builds(
        Line,
        subtotal=st.integers(0, 500_000),
        booked_on=st.just(DAY),
        provider=st.sampled_from(PROVIDERS),
        categories=st.sampled_from(CATEGORIES).map(lambda c: (c,) if c else ()),
    ),
    max_size=25,
)


@st.composite
def rule_sets(draw):
    def side():
        return Side(
            rate=draw(st.decimals(0, 30, places=2)),
            fixed=draw(st.integers(0, 500)),
            minimum=draw(st.one_of(st.none(), st.integers(0, 300))),
        )

    def distribution():
        first = draw(st.integers(0, 100))
        return (("fonds", Decimal(first)), ("ot", Decimal(100 - first)))

    specs = [
        RuleSpec(
            "base",
            "base",
            provider_side=side(),
            visitor_side=side(),
            distribution=distribution(),
        )
    ]
    for category in draw(st.sets(st.sampled_from(CATEGORIES[1:]))):
        specs.append(
            RuleSpec(
                category,
                category,
                scope=Scope(categories=frozenset({category})),
                provider_side=side(),
                visitor_side=side(),
                distribution=draw(st.one_of(st.just(()), st.just(distribution()))),
            )
        )
    return specs


@settings(max_examples=150, deadline=None)
@given(lines=lines_strategy, live=rule_sets(), draft=rule_sets())
def test_preview_figures_are_sums_of_the_engine_quotes(lines, live, draft):
    sim = simulate(lines=lines, live_specs=live, draft_specs=draft)
    quotes = {
        "live": [quote(line, live) for line in lines],
        "draft": [quote(line, draft) for line in lines],
    }

    def figure_value(figure, which):
        return getattr(figure, which)

    for which, qs in quotes.items():
        # Totals per side.
        assert figure_value(sim.totals.visitor, which) == sum(q.visitor_fee for q in qs)
        assert figure_value(sim.totals.provider, which) == sum(q.provider_commission for q in qs)
        assert figure_value(sim.totals.commission, which) == sum(q.commission for q in qs)
        # Per beneficiary.
        keys = {k for q in qs for k in q.allocations}
        for key in keys:
            expected = sum(q.allocations.get(key, 0) for q in qs)
            assert figure_value(sim.beneficiaries[key], which) == expected
        # Per category and provider, each side.
        for attr, group_of in (
            ("categories", lambda line: line.categories[0] if line.categories else ""),
            ("providers", lambda line: line.provider),
        ):
            groups = getattr(sim, attr)
            assert set(groups) == {group_of(line) for line in lines}
            for group, sides in groups.items():
                mine = [q for q, line in zip(qs, lines, strict=True) if group_of(line) == group]
                assert figure_value(sides.visitor, which) == sum(q.visitor_fee for q in mine)
                assert figure_value(sides.provider, which) == sum(
                    q.provider_commission for q in mine
                )
                assert figure_value(sides.commission, which) == sum(q.commission for q in mine)
                assert sides.commission.live_bookings == len(mine)
            # Totals equal the sums of the rows, side by side.
            for side in ("visitor", "provider", "commission"):
                assert figure_value(getattr(sim.totals, side), which) == sum(
                    figure_value(getattr(s, side), which) for s in groups.values()
                )
        assert figure_value(sim.totals.commission, which) == sum(
            figure_value(f, which) for f in sim.beneficiaries.values()
        )
    assert sim.bookings == len(lines)
    assert sim.totals.commission.live_bookings == len(lines)


def test_differences_are_signed_and_say_new_or_dash():
    from django.utils import translation

    from commissions.simulation import Figure
    from commissions.templatetags.comptoir_money import cents_signed, change_percent

    with translation.override("fr"):
        assert cents_signed(420) == "+4,20\u00a0€"
        assert cents_signed(-420) == "\u22124,20\u00a0€"
        assert cents_signed(0) == "0,00\u00a0€"
        assert change_percent(Figure(live=700, draft=1120)) == "+60,0\u00a0%"
        assert change_percent(Figure(live=300, draft=200)) == "\u221233,3\u00a0%"
        assert change_percent(Figure(live=300, draft=300)) == "0,0\u00a0%"
        assert change_percent(Figure(live=0, draft=5)) == "nouveau"
        assert change_percent(Figure(live=0, draft=0)) == "—"
    with translation.override("en"):
        assert cents_signed(-5) == "\u2212€0.05"
        assert change_percent(Figure(live=0, draft=5)) == "new"
        assert change_percent(Figure(live=3, draft=4)) == "+33.3%"


def test_side_panel_preview_names_and_links_to_the_full_page(shop, bookings, finance, rf):
    from django.utils import translation

    rule, _revision = _draft_base()
    draft = rule.get_latest_revision_as_object()
    request = rf.get("/")
    request.user = finance
    with translation.override("fr"):
        html = draft.serve_preview(request, "").rendered_content
    assert reverse("commissions_preview_rule", args=[rule.pk]) in html
    assert "Camping des Saules" in html and "Fonds local" in html and "+2,10" in html
    assert shop["camping"].slug not in html


def test_a_draft_valid_from_a_later_day_is_quoted_as_in_force_not_as_zero(
    client, shop, bookings, finance
):
    """The council votes in autumn the base rule for next year (8 % from a day to come).
    The period's bookings were made before that day: quoted with the draft as if made on
    its first day, not with no rule at all (which read as all commission lost)."""
    rule = CommissionRule.objects.get(key="base")
    rule.provider_rate = Decimal("8.00")
    starts = timezone.localdate() + dt.timedelta(days=30)
    rule.valid_from = starts
    rule.save_revision()
    client.force_login(finance)
    response = client.get(rule_url(rule))
    sim = response.context["preview"].simulation
    assert (sim.totals.provider.live, sim.totals.provider.draft) == (700, 1120)
    assert (sim.totals.visitor.live, sim.totals.visitor.draft) == (280, 280)
    page = text(response)
    assert "comme si elles avaient été faites le " + starts.strftime("%d/%m/%Y") in page
    # A start already past (20 days ago) is the draft's real start: the bread sold 40
    # days ago stays outside it (8 % on the stay only), and no such sentence.
    rule.valid_from = timezone.localdate() - dt.timedelta(days=20)
    rule.save_revision()
    response = client.get(rule_url(rule))
    assert response.context["preview"].simulation.totals.provider.draft == 960
    assert "comme si elles avaient" not in text(response)
    # The edit page's side panel says it too.
    from django.test import RequestFactory
    from django.utils import translation

    rule.valid_from = starts
    draft = rule  # the in-memory draft the side panel previews
    request = RequestFactory().get("/")
    request.user = finance
    with translation.override("fr"):
        html = draft.serve_preview(request, "").rendered_content
    assert "comme si elles avaient été faites le " + starts.strftime("%d/%m/%Y") in html


def test_every_preview_runs_a_fixed_number_of_queries_whatever_the_providers(
    client, shop, bookings, finance, django_assert_max_num_queries
):
    """More bookings from more providers, categories and labels: not one query more, for
    the rule, the key and the beneficiary previews alike."""
    rule, _revision = _draft_base()
    key = DistributionKey.objects.get(key="moitie")
    key.save_revision()
    fonds = Beneficiary.objects.get(key="fonds")
    urls = [
        rule_url(rule, period="365"),
        reverse("commissions_preview_key", args=[key.pk]) + "?period=365",
        reverse("commissions_preview_beneficiary", args=[fonds.pk]) + "?period=365",
    ]
    client.force_login(finance)
    counts = {}
    for url in urls:
        client.get(url)  # warm the session and the caches
        with django_assert_max_num_queries(60) as few:
            client.get(url)
        counts[url] = len(few.captured_queries)
    for n in range(3):
        provider = factories.provider(
            shop["site"],
            name=f"Ferme {n}",
            category_obj=factories.category(f"ferme-{n}", name=f"Fermes {n}"),
        )
        provider.labels.add(factories.label(f"label-{n}"))
        offer = factories.product(provider, price_per_item=700, stock=50)
        _paid(shop, days_ago=12 + n, offer=offer, quantity=1)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            response = client.get(url)
        assert response.context["preview"].simulation.bookings == 5, url


def test_a_revision_in_other_digits_is_a_404_not_a_500(client, shop, bookings, finance):
    """``"²".isdigit()`` is true but ``int("²")`` fails (the admin's safety net then
    answers 400): a revision that is not 0-9 digits is simply not found."""
    rule, _revision = _draft_base()
    client.force_login(finance)
    for garbage in ("²", "¹²", "٣", "1²"):
        response = client.get(rule_url(rule, revision=garbage))
        assert response.status_code == 404, garbage
