"""Seasons: a rule on the dates of the service ("10 % on stays in July and August,
whenever booked"), through the admin, the cart, checkout, the listing and the simulation."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from wagtail.models import WorkflowState

from commissions.describe import rule_sentences
from commissions.models import CommissionRule, DistributionKey
from commissions.rules_io import RulesImportError, rules_export, rules_import
from commissions.selectors import live_rule_specs
from marketplace.commission import offers_all_in_prices
from marketplace.models import Booking, Cart
from marketplace.orders.cart import cart_line_add, cart_lines_priced
from marketplace.simulation import booking_lines
from tests import factories
from tests.booking_helpers import book, rule, shared_rules, side

LIST_URL = "/admin/snippets/commissions/commissionrule/"
ADD_URL = f"{LIST_URL}add/"
TODAY = timezone.localdate()
NEXT_YEAR = TODAY.year + 1


def summer(key="ete", name="Été", **scope_values) -> dict:
    """10 % on the provider's side for services in July and August, whenever booked."""
    data = rule(key, name, provider=side("10.00"), visitor=side(), **scope_values)
    data["season"] = {"start": "07-01", "end": "08-31"}
    return data


def base() -> dict:
    return rule("base", "Base", provider=side("5.00"), visitor=side())


@pytest.fixture
def camping(territory):
    return factories.provider(territory, name="Camping des Pins")


def rule_form(site, **overrides) -> dict:
    data = {
        "site": site.pk,
        "name": "Haute saison",
        "key": "haute-saison",
        "explanation": "",
        "communes": "",
        "valid_from": "",
        "valid_until": "",
        "season_start_day": "1",
        "season_start_month": "7",
        "season_end_day": "31",
        "season_end_month": "8",
        "provider_rate": "10.00",
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


def approve(client, council, rule_obj) -> None:
    state = WorkflowState.objects.get(
        object_id=str(rule_obj.pk), status=WorkflowState.STATUS_IN_PROGRESS
    )
    client.force_login(council)
    url = f"{LIST_URL}workflow/action/{rule_obj.pk}/approve/{state.current_task_state.pk}/"
    response = client.post(url, {"comment": ""})
    assert response.status_code in (200, 302)


def test_a_season_rule_goes_live_through_the_council_and_prices_summer_stays(
    territory, camping, finance, council, client, visitor
):
    shared_rules(territory, rules=[base()])
    client.force_login(finance)
    response = client.post(ADD_URL, rule_form(territory, **{"action-submit": "1"}))
    assert response.status_code == 302, response.context["form"].errors
    haute = CommissionRule.objects.get(key="haute-saison")
    approve(client, council, haute)
    haute.refresh_from_db()
    assert haute.live
    assert (haute.season_start_day, haute.season_start_month) == (1, 7)
    assert (haute.season_end_day, haute.season_end_month) == (31, 8)

    offer = factories.stay(camping, price_per_night=10_000)
    # Booked today (December), stays next summer: the season rule, 10 %.
    july = book(visitor, offer, start=dt.date(NEXT_YEAR, 7, 10), end=dt.date(NEXT_YEAR, 7, 11))
    booking = july.bookings.get()
    assert (booking.rule_key, booking.provider_commission) == ("haute-saison", 1000)
    # Across the boundary: the arrival decides, for the whole stay.
    late = book(visitor, offer, start=dt.date(NEXT_YEAR, 8, 30), end=dt.date(NEXT_YEAR, 9, 2))
    assert late.bookings.get().rule_key == "haute-saison"
    early = book(visitor, offer, start=dt.date(NEXT_YEAR, 6, 29), end=dt.date(NEXT_YEAR, 7, 2))
    assert early.bookings.get().rule_key == "base"
    # The simulation reads the same dates from the bookings.
    lines = list(booking_lines(site=territory, since=TODAY, until=TODAY))
    assert [line.service_on for line in lines] == [
        dt.date(NEXT_YEAR, 7, 10),
        dt.date(NEXT_YEAR, 8, 30),
        dt.date(NEXT_YEAR, 6, 29),
    ]


def test_the_cart_and_the_offer_page_read_the_service_date(territory, camping, client, visitor):
    shared_rules(territory, rules=[base(), summer()])
    offer = factories.stay(camping, price_per_night=10_000)
    cart = Cart.objects.create(site=territory, user=visitor)
    for start in (dt.date(NEXT_YEAR, 8, 1), dt.date(NEXT_YEAR, 10, 1)):
        params = {"start": start.isoformat(), "end": (start + dt.timedelta(days=1)).isoformat()}
        cart_line_add(cart=cart, offer=offer, params=params)
    rules_used = sorted(p.commission.rule for p in cart_lines_priced(cart=cart))
    assert rules_used == ["base", "ete"]

    page = client.get(
        offer.url, {"start": f"{NEXT_YEAR}-07-14", "end": f"{NEXT_YEAR}-07-15", "units": "1"}
    )
    assert page.status_code == 200
    assert page.context["breakdown"].commission_quote.rule == "ete"


def test_activities_by_slot_date_and_products_by_booking_date(territory, camping, visitor):
    slot_day = TODAY + dt.timedelta(days=10)
    season = {"start": slot_day.strftime("%m-%d"), "end": slot_day.strftime("%m-%d")}
    day_rule = dict(rule("jour", "Jour J", provider=side("9.00"), visitor=side()), season=season)
    today_rule = dict(
        rule("aujourdhui", "Aujourd'hui", provider=side("7.00"), visitor=side(), kinds=["product"]),
        season={"start": TODAY.strftime("%m-%d"), "end": TODAY.strftime("%m-%d")},
    )
    shared_rules(territory, rules=[base(), day_rule, today_rule])
    start = timezone.make_aware(dt.datetime.combine(slot_day, dt.time(10)))
    canoe = factories.activity(camping, slots=[(start, 8, 0), (start + dt.timedelta(days=1), 8, 0)])
    honey = factories.product(camping)
    first, second = canoe.slots.order_by("starts_at")
    assert book(visitor, canoe, slot=first.pk, persons=1).bookings.get().rule_key == "jour"
    assert book(visitor, canoe, slot=second.pk, persons=1).bookings.get().rule_key == "base"
    assert book(visitor, honey, quantity=1).bookings.get().rule_key == "aujourdhui"


def test_listing_prices_without_dates_ignore_seasons(territory, camping):
    """A card's "from" price has no dates yet: no season applies to stays and activities;
    a product's date of service is its booking date."""
    winter = dict(
        rule("hiver", "Hiver", provider=side(), visitor=side("10.00")),
        season={"start": "11-01", "end": "03-31"},
    )
    shared_rules(
        territory, rules=[rule("base", "Base", provider=side(), visitor=side("2.00")), winter]
    )
    stay = factories.stay(camping, price_per_night=10_000)
    honey = factories.product(camping, price_per_item=1000)
    offers = [stay.specific, honey.specific]
    for offer in offers:
        offer.price_from = 10_000 if offer.kind == "stay" else 1000
    offers_all_in_prices(offers=offers, site_id=territory.pk, booked_on=dt.date(NEXT_YEAR, 1, 5))
    assert offers[0].visitor_fee_from == 200  # base rule: a stay's nights are not chosen
    assert offers[1].visitor_fee_from == 100  # bought in January: winter
    offers_all_in_prices(offers=offers, site_id=territory.pk, booked_on=dt.date(NEXT_YEAR, 5, 5))
    assert offers[1].visitor_fee_from == 20


def test_season_is_validated_in_the_admin(territory, finance, client):
    shared_rules(territory, rules=[base()])
    client.force_login(finance)
    response = client.post(
        ADD_URL,
        rule_form(territory, season_end_day="", season_end_month="", **{"action-submit": "1"}),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["season_end_day"]
    response = client.post(ADD_URL, rule_form(territory, season_end_day="31", season_end_month="4"))
    assert response.status_code == 200
    assert response.context["form"].errors["season_end_day"]
    assert not CommissionRule.objects.filter(key="haute-saison").exists()
    # Over the new year is a season too.
    response = client.post(
        ADD_URL,
        rule_form(
            territory,
            season_start_day="1",
            season_start_month="11",
            season_end_day="31",
            season_end_month="3",
        ),
    )
    assert response.status_code == 302
    assert CommissionRule.objects.get(key="haute-saison").season.contains(dt.date(2027, 1, 2))


def test_the_season_in_plain_words_french_first(territory):
    shared_rules(territory, rules=[base(), summer()])
    spec = next(s for s in live_rule_specs(site_id=territory.pk) if s.key == "ete")
    with translation.override("fr"):
        text = " ".join(rule_sentences(spec))
        assert "du 1 juillet au 31 août" in text
        assert "quelle que soit la date de réservation" in text
    with translation.override("en"):
        text = " ".join(rule_sentences(spec))
        assert "from 1 July to 31 August" in text and "whatever the booking date" in text
    spec = next(s for s in live_rule_specs(site_id=territory.pk) if s.key == "base")
    with translation.override("en"):
        assert "season" not in " ".join(rule_sentences(spec)).lower()


def test_export_and_import_carry_the_season(territory):
    winter = dict(
        rule("hiver", "Hiver", provider=side("3.00"), visitor=side()),
        season={"start": "11-01", "end": "03-31"},
    )
    shared_rules(territory, rules=[base(), summer(), winter])
    exported = rules_export(site=territory)
    seasons = {r["key"]: r["season"] for r in exported["rules"]}
    assert seasons == {
        "base": None,
        "ete": {"start": "07-01", "end": "08-31"},
        "hiver": {"start": "11-01", "end": "03-31"},
    }
    rules_import(site=territory, data=json.loads(json.dumps(exported)), publish=True)
    assert rules_export(site=territory) == exported
    hiver = CommissionRule.objects.get(key="hiver")
    assert hiver.to_spec().scope.season.contains(dt.date(2027, 2, 1))
    assert hiver.provider_rate == Decimal("3.00")


@pytest.mark.parametrize(
    ("season", "field"),
    [
        ({"start": "04-31", "end": "05-01"}, "rules[0].season.start"),
        ({"start": "07-01"}, "rules[0].season"),
        ({"start": "07-01", "end": "13-01"}, "rules[0].season.end"),
        ("summer", "rules[0].season"),
    ],
)
def test_an_invalid_season_is_refused_naming_the_field(territory, season, field):
    with pytest.raises(RulesImportError) as excinfo:
        shared_rules(territory, rules=[dict(base(), season=season)])
    assert field in excinfo.value.messages[0]
    assert not CommissionRule.objects.exists()
    assert not Booking.objects.exists()


def test_the_admin_form_has_the_season_panel(territory, finance, client):
    shared_rules(territory, rules=[base()])
    client.force_login(finance)
    response = client.get(ADD_URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Saison (dates de la prestation)" in text
    assert 'name="season_start_month"' in text and 'name="season_end_day"' in text


def test_the_quote_command_reads_the_service_date(territory):
    import io

    from django.core.management import call_command

    shared_rules(territory, rules=[base(), summer()])

    def rule_for(*extra):
        out = io.StringIO()
        call_command("commission_quote", "--amount", "10000", *extra, stdout=out)
        return json.loads(out.getvalue())["rule"]

    assert rule_for() == "base"
    assert rule_for("--service-date", f"{NEXT_YEAR}-07-14") == "ete"
    assert rule_for("--service-date", f"{NEXT_YEAR}-09-14") == "base"


def test_the_quote_command_prices_a_product_on_its_booking_date_as_the_shop_does(territory):
    """A product's service date is its booking date (the cart and checkout say so): the
    command, asked for a product without --service-date, answers as the shop would."""
    import io

    from django.core.management import call_command

    this_month = {"start": f"{TODAY.month:02d}-01", "end": f"{TODAY.month:02d}-{TODAY.day:02d}"}
    month_rule = dict(
        rule("mois", "Ce mois", provider=side("9.00"), visitor=side(), kinds=["product"]),
        season=this_month,
    )
    products = rule(
        "produits", "Produits", provider=side("4.00"), visitor=side(), kinds=["product"]
    )
    shared_rules(territory, rules=[base(), products, month_rule])

    def rule_for(*extra):
        out = io.StringIO()
        call_command("commission_quote", "--amount", "10000", *extra, stdout=out)
        return json.loads(out.getvalue())["rule"]

    assert rule_for("--kind", "product") == "mois"
    assert rule_for(
        "--kind", "product", "--date", f"{NEXT_YEAR}-{TODAY.month % 12 + 1:02d}-15"
    ) == ("produits")
    # A stay without dates: no season, as on a listing.
    assert rule_for("--kind", "stay") == "base"


def test_what_the_visitor_is_shown_is_stored_and_previewed_alike(
    territory, camping, visitor, client
):
    """One service date everywhere: the offer page's breakdown, the booking's stored
    commission and the preview's "today" figure agree, for a stay across the season's
    end and for an activity whose slot, at 00:30 in the territory, is still the day
    before in UTC."""
    from commissions.simulation import Period, rule_simulate

    slot_day = TODAY + dt.timedelta(days=10)
    one_day = {"start": slot_day.strftime("%m-%d"), "end": slot_day.strftime("%m-%d")}
    day_rule = dict(
        rule("jour", "Jour J", provider=side("9.00"), visitor=side("1.00")), season=one_day
    )
    shared_rules(territory, rules=[base(), summer(), day_rule])
    stay = factories.stay(camping, price_per_night=10_000)
    early = timezone.make_aware(dt.datetime.combine(slot_day, dt.time(0, 30)))
    assert early.astimezone(dt.UTC).date() == slot_day - dt.timedelta(days=1)
    canoe = factories.activity(camping, slots=[(early, 8, 0)])
    choices = [
        (stay, {"start": f"{NEXT_YEAR}-08-31", "end": f"{NEXT_YEAR}-09-02", "units": "1"}),
        (canoe, {"slot": str(canoe.slots.get().pk), "persons": "2"}),
    ]
    stored = []
    for offer, params in choices:
        shown = client.get(offer.url, params).context["breakdown"].commission_quote
        booking = book(visitor, offer, **params).bookings.get()
        assert (booking.rule_key, booking.visitor_fee, booking.provider_commission) == (
            shown.rule,
            shown.visitor_fee,
            shown.provider_commission,
        )
        stored.append(booking)
    assert [b.rule_key for b in stored] == ["ete", "jour"]
    draft = CommissionRule.objects.get(key="base")
    simulation = rule_simulate(draft=draft, site=territory, period=Period(TODAY, TODAY))
    assert simulation.totals.visitor.live == sum(b.visitor_fee for b in stored)
    assert simulation.totals.provider.live == sum(b.provider_commission for b in stored)


def test_the_preview_reads_dates_in_the_territorys_time_zone_whatever_the_readers(
    territory, camping, visitor, finance, client
):
    """Wagtail's admin runs each view in the reader's own time zone (their profile).
    A finance officer set to UTC must read the same figures as one in the territory:
    the 00:30 slot is on its day in the territory, as it was when it was sold."""
    from django.urls import reverse
    from wagtail.users.models import UserProfile

    slot_day = TODAY + dt.timedelta(days=10)
    one_day = {"start": slot_day.strftime("%m-%d"), "end": slot_day.strftime("%m-%d")}
    day_rule = dict(rule("jour", "Jour J", provider=side("9.00"), visitor=side()), season=one_day)
    shared_rules(territory, rules=[base(), day_rule])
    early = timezone.make_aware(dt.datetime.combine(slot_day, dt.time(0, 30)))
    canoe = factories.activity(camping, slots=[(early, 8, 0)])
    booking = book(visitor, canoe, slot=str(canoe.slots.get().pk), persons="2").bookings.get()
    assert booking.rule_key == "jour"
    profile = UserProfile.get_for_user(finance)
    profile.current_time_zone = "UTC"
    profile.save()
    client.force_login(finance)
    rule_obj = CommissionRule.objects.get(key="base")
    response = client.get(reverse("commissions_preview_rule", args=[rule_obj.pk]), {"period": "30"})
    totals = response.context["preview"].simulation.totals
    assert totals.provider.live == booking.provider_commission
