"""The tourist tax declaration a platform sends each commune with the payment.

Stays are booked through the real cart and checkout, which freezes their tax
(``tests.tax_helpers.taxed_stay_book``), paid and cancelled through the real transitions,
so the ledger holds what production writes.
Two communes: Arvière-le-Bourg (a campsite at a fixed rate and an unclassified gîte at
5 %, both with the departmental 10 %) and Saint-Martin (a 3-star hotel with a regional
15 %, and a professional host's hotel whose tax the platform does not collect).
"""

import csv
import datetime as dt
import html
import io
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.db.models import Sum
from django.utils import timezone, translation
from wagtail.models import Site

from cms.services import EDITORS_GROUP
from marketplace.books.ledger import ledger_post
from marketplace.books.models import LedgerEntry
from marketplace.books.tax_declaration import (
    CSV_COLUMNS,
    PeriodError,
    declaration_communes,
    declaration_csv,
    declaration_for,
    period_between,
    period_parse,
)
from marketplace.models import TerritorySettings
from marketplace.orders.transitions import booking_cancel
from marketplace.tourist_tax.models import TouristTaxRate
from tests import factories
from tests.booking_helpers import shared_rules
from tests.conftest import make_provider, make_user
from tests.snapshots import Replay
from tests.tax_helpers import taxed_stay_book

URL = "/admin/tourist_tax_declarations/"
ARVIERE, SAINT_MARTIN = "arviere-le-bourg", "saint-martin"


def paris(year, month, day, hour=12, minute=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


def build_world(territory, category):
    shared_rules(territory)
    TerritorySettings.objects.update_or_create(
        site=territory,
        defaults={
            "operator_legal_name": "Communauté de communes du Haut-Vallon",
            "vat_number": "FR12345678901",
            "contact_email": "finances@haut-vallon.example",
        },
    )
    rates = [
        ("Arvière-le-Bourg", "camping_3_5", {"rate": 55, "departmental_percent": 10}),
        (
            "Arvière-le-Bourg",
            "unclassified",
            {"percent": Decimal("5"), "cap": 230, "departmental_percent": 10},
        ),
        ("Saint-Martin", "3_stars", {"rate": 100, "regional_percent": Decimal("15")}),
    ]
    for commune, code, values in rates:
        TouristTaxRate.objects.create(
            site=territory,
            commune=commune,
            category=code,
            valid_from=dt.date(2020, 1, 1),
            **values,
        )

    def host(name, commune, address):
        return make_provider(
            territory, name=name, category=category, commune=commune, address=address
        )

    camping = host("Camping du Torrent", "Arvière-le-Bourg", "2 route du Col")
    gite = host("Gîte des Mélèzes", "Arvière-le-Bourg", "5 chemin des Mélèzes")
    hotel = host("Hôtel de la Place", "Saint-Martin", "1 place de l'Église")
    palace = host("Grand Hôtel", "Saint-Martin", "9 avenue des Thermes")
    common = {"host_is_professional": False, "units": 5, "guests_per_unit": 6}
    pitch = factories.stay(
        camping,
        tax_category="camping_3_5",
        registration_number="05006 000123 7K",
        price_per_night=2400,
        **common,
    )
    cottage = factories.stay(
        gite,
        title="Gîte entier",
        tax_category="unclassified",
        registration_number="05006 000456 AB",
        price_per_night=10000,
        **common,
    )
    room = factories.stay(
        hotel, title="Chambre double", tax_category="3_stars", price_per_night=8000, **common
    )
    strict_room = factories.stay(
        hotel,
        title="Chambre, prix ferme",
        tax_category="3_stars",
        price_per_night=8000,
        cancellation_policy="strict",
        **common,
    )
    suite = factories.stay(
        palace,
        title="Suite",
        tax_category="3_stars",
        price_per_night=20000,
        host_is_professional=True,
        units=2,
        guests_per_unit=2,
    )

    visitor = make_user("famille@example.org")
    today = timezone.localdate()

    def ahead(days, nights):
        start = today + dt.timedelta(days=days)
        return {"start": start, "end": start + dt.timedelta(days=nights)}

    b = {}
    # The last minute of March in Paris (21:30 UTC): March, Q1.
    b["camping_march"] = taxed_stay_book(
        visitor, pitch, **ahead(40, 3), adults=2, minors=2, paid_at=paris(2026, 3, 31, 23, 30)
    )
    # Midnight of 1 April in Paris (still 31 March in UTC): April, Q2.
    b["gite_april"] = taxed_stay_book(
        visitor, cottage, **ahead(41, 2), adults=2, minors=1, paid_at=paris(2026, 4, 1, 0, 0)
    )
    b["hotel"] = taxed_stay_book(
        visitor, room, **ahead(42, 4), adults=1, paid_at=paris(2026, 4, 10)
    )
    b["hotel_strict"] = taxed_stay_book(
        visitor, strict_room, **ahead(43, 2), adults=2, paid_at=paris(2026, 4, 12)
    )
    b["camping_cancelled"] = taxed_stay_book(
        visitor, pitch, **ahead(44, 3), adults=2, minors=2, paid_at=paris(2026, 4, 20)
    )
    b["professional"] = taxed_stay_book(
        visitor, suite, **ahead(45, 1), adults=2, paid_at=paris(2026, 4, 15)
    )
    # The visitor cancels the strict room early: half back. The campsite cancels a stay:
    # all back. Both in May and June, after they were paid.
    booking_cancel(
        booking_id=b["hotel_strict"].pk, by_provider=False, now=paris(2026, 5, 2), notify=False
    )
    booking_cancel(
        booking_id=b["camping_cancelled"].pk,
        by_provider=True,
        now=paris(2026, 6, 10),
        notify=False,
    )
    return {name: booking.reference for name, booking in b.items()}


world_replay = Replay(build_world)


@pytest.fixture
def world(territory, category):
    return world_replay(territory, category)


def ledger_movement(site, commune_slug, period) -> int:
    """What the commune's tax account moved over ``period``, as the ledger says (signs
    flipped: what the platform owes the commune)."""
    start, end = period.bounds()
    moved = LedgerEntry.objects.filter(
        transaction__site=site,
        account=f"tax:tourist:{commune_slug}",
        transaction__occurred_at__gte=start,
        transaction__occurred_at__lt=end,
    ).aggregate(total=Sum("amount"))["total"]
    return -(moved or 0)


# --- The selector ------------------------------------------------------------------------


def test_lines_and_totals_of_two_communes(world, territory):
    q2 = period_parse("2026-T2")
    arviere = declaration_for(site=territory, commune="Arvière-le-Bourg", period=q2)
    assert arviere.commune == "Arvière-le-Bourg"
    refs = [(line.booking_ref, line.kind) for line in arviere.lines]
    assert refs == [
        (world["gite_april"], "collection"),
        (world["camping_cancelled"], "collection"),
        (world["camping_cancelled"], "refund"),
    ]
    gite = arviere.lines[0]
    # 100 € a night / 3 occupants × 5 % = 1,67 € a person-night; the department's 10 %: 0,17 €.
    assert (gite.rate_per_person_night, gite.proportional, gite.price_per_night) == (
        167,
        True,
        10000,
    )
    assert (gite.nights, gite.persons, gite.exempt_persons, gite.persons_taxed) == (2, 3, 1, 2)
    assert (gite.base, gite.departmental, gite.regional, gite.amount) == (668, 68, 0, 736)
    assert gite.registration_number == "05006000456AB"
    assert gite.address == "5 chemin des Mélèzes, 07100 Arvière-le-Bourg"
    assert gite.collection_date == dt.date(2026, 4, 1)
    camping, refund = arviere.lines[1:]
    # 2 adults × 3 nights × 0,55 € (+ 0,06 €): the minors are exempt.
    assert (camping.base, camping.departmental, camping.amount) == (330, 36, 366)
    assert (camping.persons, camping.exempt_persons, camping.price_per_night) == (4, 2, None)
    assert (refund.base, refund.departmental, refund.amount) == (-330, -36, -366)
    assert refund.collection_date == dt.date(2026, 6, 10)
    assert (arviere.base, arviere.departmental, arviere.regional, arviere.total) == (
        668,
        68,
        0,
        736,
    )
    assert (arviere.collected, arviere.refunded) == (736 + 366, 366)

    saint_martin = declaration_for(site=territory, commune="saint-martin", period=q2)
    # The professional host's stay is not the platform's to collect: no line.
    assert [line.booking_ref for line in saint_martin.lines] == [
        world["hotel"],
        world["hotel_strict"],
        world["hotel_strict"],
    ]
    hotel, strict, half_back = saint_martin.lines
    assert (hotel.base, hotel.regional, hotel.amount) == (400, 60, 460)
    assert (strict.base, strict.regional, strict.amount) == (400, 60, 460)
    # Half of the price came back, the tax in full (no stay, no tax): the cancellation's two
    # ledger movements on the commune's account (the policy's share, then the rest of the
    # tax) are one refund line, as the visitor got one refund.
    assert half_back.kind == "refund" and half_back.collection_date == dt.date(2026, 5, 2)
    assert (half_back.base, half_back.regional, half_back.amount) == (-400, -60, -460)
    assert saint_martin.total == 460
    assert saint_martin.total == hotel.amount + strict.amount + half_back.amount


@pytest.mark.parametrize(
    "period",
    ["2026-03", "2026-04", "2026-05", "2026-06", "2026-T1", "2026-T2", "2026-S1", "2026"],
)
def test_the_declaration_total_is_the_ledger_movement_of_the_commune_account(
    world, territory, period
):
    period = period_parse(period)
    for name, slug in (("Arvière-le-Bourg", ARVIERE), ("Saint-Martin", SAINT_MARTIN)):
        declaration = declaration_for(site=territory, commune=name, period=period)
        assert declaration.total == ledger_movement(territory, slug, period), (name, period)
        assert declaration.total == (
            declaration.base + declaration.departmental + declaration.regional
        )
    # And the communes' list says the same.
    summaries = {s.slug: s for s in declaration_communes(site=territory, period=period)}
    for slug in (ARVIERE, SAINT_MARTIN):
        assert summaries[slug].net == ledger_movement(territory, slug, period)


def test_a_refund_is_a_negative_line_in_its_own_period(world, territory):
    may = declaration_for(site=territory, commune="Saint-Martin", period=period_parse("2026-05"))
    assert [line.kind for line in may.lines] == ["refund"]
    assert may.total < 0 and may.collected == 0 and may.refunded == -may.total
    june = declaration_for(
        site=territory, commune="Arvière-le-Bourg", period=period_parse("2026-06")
    )
    assert [(line.kind, line.amount) for line in june.lines] == [("refund", -366)]


def test_period_boundaries_follow_the_territory_clock(world, territory):
    march = declaration_for(
        site=territory, commune="Arvière-le-Bourg", period=period_parse("2026-03")
    )
    april = declaration_for(
        site=territory, commune="Arvière-le-Bourg", period=period_parse("2026-04")
    )
    assert [line.booking_ref for line in march.lines] == [world["camping_march"]]
    assert [line.booking_ref for line in april.lines] == [
        world["gite_april"],
        world["camping_cancelled"],
    ]
    one_day = period_between(since=dt.date(2026, 3, 31), until=dt.date(2026, 3, 31))
    assert [
        line.booking_ref
        for line in declaration_for(
            site=territory, commune="Arvière-le-Bourg", period=one_day
        ).lines
    ] == [world["camping_march"]]
    q1 = declaration_for(site=territory, commune="Arvière-le-Bourg", period=period_parse("2026-Q1"))
    assert q1.total == 366


def test_a_remittance_to_the_commune_is_not_declared(world, territory):
    """Paying the commune (a ``payout`` from its account) is not a collection."""
    q2 = period_parse("2026-T2")
    before = declaration_for(site=territory, commune="Arvière-le-Bourg", period=q2)
    ledger_post(
        site=territory,
        kind="payout",
        idempotency_key="payout:commune:arviere:2026-S1",
        entries=[(f"tax:tourist:{ARVIERE}", 736), ("platform:clearing", -736)],
        occurred_at=paris(2026, 6, 30),
    )
    after = declaration_for(site=territory, commune="Arvière-le-Bourg", period=q2)
    assert [line.amount for line in after.lines] == [line.amount for line in before.lines]
    summary = {s.slug: s for s in declaration_communes(site=territory, period=q2)}[ARVIERE]
    assert (summary.collected, summary.refunded) == (736 + 366, 366)


def test_reads_run_a_fixed_number_of_queries(world, territory, django_assert_num_queries):
    year = period_parse("2026")
    with django_assert_num_queries(4):  # entries, bookings, the communes' two name lists
        declaration = declaration_for(site=territory, commune="Arvière-le-Bourg", period=year)
        assert len(declaration.lines) == 4
        declaration_csv(declaration)
    with django_assert_num_queries(3):  # the grouped sums, the two name lists
        declaration_communes(site=territory, period=year)


def test_communes_summary(world, territory):
    summaries = declaration_communes(site=territory, period=period_parse("2026-S1"))
    by_slug = {s.slug: s for s in summaries}
    assert (by_slug[ARVIERE].collected, by_slug[ARVIERE].refunded, by_slug[ARVIERE].net) == (
        366 + 736 + 366,
        366,
        366 + 736,
    )
    assert by_slug[SAINT_MARTIN].collected == 920
    # A commune the territory knows (a provider's) with nothing collected is listed at zero.
    assert all(s.net == 0 for slug, s in by_slug.items() if slug not in (ARVIERE, SAINT_MARTIN))


def test_periods_are_read_or_refused(db):
    assert (period_parse("2026-07").start, period_parse("2026-07").end) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 7, 31),
    )
    assert period_parse("2024-02").end == dt.date(2024, 2, 29)
    assert (period_parse("2026-T3").start, period_parse("2026-q3").end) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
    )
    assert (period_parse("2026-S2").start, period_parse("2026-H1").end) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 6, 30),
    )
    assert period_parse(" 2026 ").end == dt.date(2026, 12, 31)
    for bad in ("", "juillet", "2026-13", "2026-00", "2026-T5", "2026-S3", "1999", "99999"):
        with pytest.raises(PeriodError):
            period_parse(bad)
    with pytest.raises(PeriodError):
        period_between(since=dt.date(2026, 5, 2), until=dt.date(2026, 5, 1))
    with translation.override("fr"):
        with pytest.raises(PeriodError, match="n'est pas une période"):
            period_parse("juillet")
    with translation.override("en"):
        with pytest.raises(PeriodError, match="is not a period"):
            period_parse("juillet")


# --- CSV ------------------------------------------------------------------------------------

FRENCH_HEADINGS = [
    "Date de perception",
    "Type",
    "Réservation",
    "Début du séjour",
    "Fin du séjour",
    "Adresse de l'hébergement",
    "Numéro d'enregistrement",
    "Catégorie",
    "Loueur professionnel",
    "Nuitées",
    "Personnes",
    "Personnes exonérées",
    "Personnes taxées",
    "Tarif par personne et par nuitée (€)",
    "Prix de la nuitée, non classé (€)",
    "Taxe de séjour (€)",
    "Taxe additionnelle départementale (€)",
    "Taxe additionnelle régionale (€)",
    "Total (€)",
]
ENGLISH_HEADINGS = [
    "Collection date",
    "Type",
    "Booking",
    "Stay start",
    "Stay end",
    "Address of the accommodation",
    "Registration number",
    "Category",
    "Professional host",
    "Nights",
    "Persons",
    "Exempt persons",
    "Persons taxed",
    "Rate per person per night (€)",
    "Price per night, unclassified (€)",
    "Tourist tax (€)",
    "Departmental additional tax (€)",
    "Regional additional tax (€)",
    "Total (€)",
]


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_csv_columns_and_encoding(world, territory):
    declaration = declaration_for(
        site=territory, commune="Arvière-le-Bourg", period=period_parse("2026-T2")
    )
    assert len(CSV_COLUMNS) == len(FRENCH_HEADINGS)
    with translation.override("fr"):
        rows = read_csv(declaration_csv(declaration).encode("utf-8"))
    assert rows[0] == FRENCH_HEADINGS
    gite = dict(zip(FRENCH_HEADINGS, rows[1], strict=True))
    assert gite["Date de perception"] == "2026-04-01"
    assert gite["Type"] == "Perception"
    assert gite["Adresse de l'hébergement"] == "5 chemin des Mélèzes, 07100 Arvière-le-Bourg"
    assert gite["Numéro d'enregistrement"] == "05006000456AB"
    assert gite["Catégorie"].startswith("Non classé")
    assert gite["Loueur professionnel"] == "non"
    assert (gite["Nuitées"], gite["Personnes"], gite["Personnes exonérées"]) == ("2", "3", "1")
    assert gite["Tarif par personne et par nuitée (€)"] == "1,67"
    assert gite["Prix de la nuitée, non classé (€)"] == "100,00"
    assert gite["Taxe de séjour (€)"] == "6,68"
    assert gite["Taxe additionnelle départementale (€)"] == "0,68"
    assert gite["Total (€)"] == "7,36"
    refund = dict(zip(FRENCH_HEADINGS, rows[3], strict=True))
    assert refund["Type"] == "Remboursement (annulation)"
    assert refund["Total (€)"] == "-3,66"
    assert refund["Prix de la nuitée, non classé (€)"] == ""
    assert rows[-1][0] == "Total" and rows[-1][-1] == "7,36"
    assert len(rows) == 1 + 3 + 1


def test_csv_headings_in_english(world, territory):
    declaration = declaration_for(
        site=territory, commune="Arvière-le-Bourg", period=period_parse("2026-T2")
    )
    with translation.override("en"):
        rows = read_csv(declaration_csv(declaration).encode("utf-8"))
    assert rows[0] == ENGLISH_HEADINGS
    assert rows[1][1] == "Collection" and rows[3][1] == "Refund (cancellation)"
    assert rows[1][8] == "no"
    # The numbers keep their format whatever the language: the file is for a French office.
    assert rows[1][-1] == "7,36"


# --- The admin --------------------------------------------------------------------------------


def refused(response) -> bool:
    if response.status_code == 403:
        return True
    return response.status_code == 302 and "declarations" not in urlparse(response["Location"]).path


def test_finance_lists_communes_and_reaches_each_declaration(world, finance, client):
    client.force_login(finance)
    assert URL in client.get("/admin/").content.decode()  # in the menu
    response = client.get(URL, {"period": "2026-T2"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Arvière-le-Bourg" in body and "Saint-Martin" in body
    rows = {row["summary"].slug: row for row in response.context["rows"]}
    assert rows[ARVIERE]["summary"].net == 736
    assert rows[ARVIERE]["url"] == f"{URL}{ARVIERE}/?period=2026-T2"
    assert f'href="{URL}{ARVIERE}/?period=2026-T2"' in body

    page = client.get(rows[ARVIERE]["url"])
    assert page.status_code == 200
    body = page.content.decode()
    assert world["gite_april"] in body and "7,36" in body
    assert f"{URL}{ARVIERE}/csv/?period=2026-T2" in body
    assert f"{URL}{ARVIERE}/print/?period=2026-T2" in body

    csv_response = client.get(f"{URL}{ARVIERE}/csv/", {"period": "2026-T2"})
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv_response["Content-Disposition"]
    assert (
        "taxe-de-sejour-arviere-le-bourg-20260401-20260630.csv"
        in (csv_response["Content-Disposition"])
    )
    assert read_csv(csv_response.content)[0] == FRENCH_HEADINGS

    dates = client.get(URL, {"since": "2026-03-31", "until": "2026-03-31"})
    rows = {row["summary"].slug: row for row in dates.context["rows"]}
    assert rows[ARVIERE]["summary"].collected == 366
    assert rows[ARVIERE]["url"] == f"{URL}{ARVIERE}/?since=2026-03-31&until=2026-03-31"


def test_printable_page(world, finance, client):
    client.force_login(finance)
    response = client.get(f"{URL}{SAINT_MARTIN}/print/", {"period": "2026-04"})
    assert response.status_code == 200
    body = response.content.decode()
    site = Site.objects.get(is_default_site=True)
    for text in (
        site.site_name,
        "Saint-Martin",
        "avril 2026",
        "Communauté de communes du Haut-Vallon",
        "FR12345678901",
        "finances@haut-vallon.example",
        world["hotel"],
        world["hotel_strict"],
        "Taxe additionnelle régionale",
        "9,20",  # the total of April: two stays of 4,60 €
        "L. 2333-34",
        "css/tax-declaration-print.css",
        '<html lang="fr">',
    ):
        assert text in body, text
    assert world["professional"] not in body
    assert "<caption>" in body and 'scope="col"' in body


def test_printable_page_and_headings_in_english(world, finance, client):
    from wagtail.users.models import UserProfile

    UserProfile.objects.update_or_create(user=finance, defaults={"preferred_language": "en"})
    client.force_login(finance)
    body = client.get(f"{URL}{SAINT_MARTIN}/print/", {"period": "2026-04"}).content.decode()
    for text in ("Tourist tax: statement of the sums collected", "April 2026", "Regional"):
        assert text in body, text
    assert '<html lang="en">' in body
    response = client.get(f"{URL}{ARVIERE}/csv/", {"period": "2026-T2"})
    assert read_csv(response.content)[0] == ENGLISH_HEADINGS
    body = client.get(URL, {"period": "2026-T2"}).content.decode()
    assert "Tourist tax declarations" in body and "Collected" in body


def test_a_commune_with_nothing_collected_is_an_explained_empty_page(world, finance, client):
    client.force_login(finance)
    response = client.get(f"{URL}{ARVIERE}/", {"period": "2025"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "rien à déclarer" in body
    assert response.context["declaration"].lines == []
    printable = client.get(f"{URL}{ARVIERE}/print/", {"period": "2025"})
    assert printable.status_code == 200 and "rien à déclarer" in printable.content.decode()
    csv_rows = read_csv(client.get(f"{URL}{ARVIERE}/csv/", {"period": "2025"}).content)
    assert csv_rows[0] == FRENCH_HEADINGS and csv_rows[1][0] == "Total"
    assert client.get(f"{URL}nulle-part/", {"period": "2025"}).status_code == 404


@pytest.mark.parametrize(
    "params, french, english",
    [
        ({"period": "juillet"}, "n'est pas une période", "is not a period"),
        ({"period": "2026-13"}, "Un mois est numéroté de 1 à 12", "A month is numbered 1 to 12"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "avant son début", "before its start"),
        ({"since": "2026-05-02"}, "les deux dates", "both dates"),
        ({"since": "2026-02-30", "until": "2026-03-01"}, "date valide", "valid date"),
        ({"since": "1999-01-01", "until": "1999-02-01"}, "2000", "2000"),
    ],
)
def test_bad_periods_are_explained_not_errors(world, finance, client, params, french, english):
    from wagtail.users.models import UserProfile

    client.force_login(finance)
    for language, expected in (("fr", french), ("en", english)):
        UserProfile.objects.update_or_create(
            user=finance, defaults={"preferred_language": language}
        )
        for url in (URL, f"{URL}{ARVIERE}/"):
            response = client.get(url, params)
            assert response.status_code == 200, url
            assert expected in html.unescape(response.content.decode()), (language, url)
            assert not response.context["rows" if url == URL else "declaration"]
        for url in (f"{URL}{ARVIERE}/csv/", f"{URL}{ARVIERE}/print/"):
            response = client.get(url, params)
            assert response.status_code == 400, url
            assert expected in response.content.decode(), (language, url)


def test_nobody_else_reaches_the_declarations(world, client, territory, category):
    editor = make_user("editrice2@example.org", groups=(EDITORS_GROUP,))
    member = make_user("gerant@example.org")
    make_provider(territory, name="Chez Paul", category=category, member=member)
    for user in (editor, member, make_user("visiteur2@example.org")):
        client.force_login(user)
        assert URL not in client.get("/admin/").content.decode()
        for url in (
            URL,
            f"{URL}{ARVIERE}/",
            f"{URL}{ARVIERE}/csv/",
            f"{URL}{ARVIERE}/print/",
        ):
            response = client.get(url, {"period": "2026"})
            assert refused(response), (user, url, response.status_code)
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_superuser_reaches_the_declarations(world, client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw-long-1")
    client.force_login(root)
    # No period asked: the current half-year (platforms pay by 30 June and 31 December).
    today = timezone.localdate()
    half = f"{today.year}-S{1 if today.month <= 6 else 2}"
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["period"] == period_parse(half)
    assert f'value="{half}"' in response.content.decode()
    assert client.get(URL, {"period": "2026"}).status_code == 200
    assert client.get(f"{URL}{ARVIERE}/csv/", {"period": "2026"}).status_code == 200
