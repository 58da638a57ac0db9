"""The DAC7 report (issue 15 §3): the figures per quarter are the ledger's, the small
sellers of goods are left out, missing data is listed, shown to its provider and e-mailed
once, and the provider's details are validated.

Bookings are made and paid through the real checkout, on fixed days of 2025 (in the
territory's time zone, Europe/Paris); refunds are the ledger's reversals of their
confirmation, as the cancellation posts them.
"""

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site
from wagtail.users.models import UserProfile

from marketplace.books.dac7 import (
    IMMOVABLE_PROPERTY,
    PERSONAL_SERVICES,
    dac7_report,
    seller_missing,
)
from marketplace.books.dac7_files import CSV_COLUMNS
from marketplace.books.ledger import ledger_reverse, provider_account
from marketplace.books.models import LedgerEntry, LedgerTransaction
from marketplace.forms import SellerDetailsForm
from marketplace.invoices.movements import commission_movements
from marketplace.models import Booking
from marketplace.orders.accounting import confirmed_key
from marketplace.orders.transitions import order_pay
from marketplace.payouts.models import BankAccount, BankAccountStatus
from tests import factories
from tests.booking_helpers import activity_in, book, shared_rules
from tests.conftest import make_provider, make_user

PARIS = ZoneInfo("Europe/Paris")
YEAR = 2025
DAY = dt.timedelta(days=1)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def paid(offer, *, when: dt.datetime, who: str, **params) -> Booking:
    """``offer`` booked by a new visitor and paid at ``when``."""
    order = book(make_user(f"{who}@example.org"), offer, pay=False, **params)
    order_pay(order_id=order.pk, payment_ref=f"test:{order.reference}", now=when, notify=False)
    return order.bookings.get()


def refunded(booking: Booking, *, when: dt.datetime, fraction=None):
    confirmation = LedgerTransaction.objects.get(idempotency_key=confirmed_key(booking))
    return ledger_reverse(
        transaction=confirmation,
        idempotency_key=f"booking:{booking.pk}:refund:test:{when.isoformat()}",
        fraction=fraction,
        occurred_at=when,
    )


def ledger_quarter(provider, quarter: int) -> int:
    """What the ledger credited ``provider`` in ``quarter`` of YEAR (Paris), net."""
    start = at(YEAR, 3 * quarter - 2, 1)
    end = at(YEAR + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    total = LedgerEntry.objects.filter(
        account=provider_account(provider.pk),
        transaction__kind__in=["order_confirmed", "refund"],
        transaction__occurred_at__gte=start,
        transaction__occurred_at__lt=end,
    ).aggregate(total=Sum("amount"))["total"]
    return -(total or 0)


@pytest.fixture
def world(territory, category):
    shared_rules(territory)  # provider 5 %, visitor 2 %
    alice = make_user("alice@example.org")
    canoes = make_provider(
        territory,
        name="Canoës du Val",
        category=category,
        member=alice,
        tax_identifier="",
    )
    vera = make_user("vera@example.org")
    gite = make_provider(
        territory,
        name="Gîte Vial",
        category=category,
        member=vera,
        legal_form="individual",
        first_names="Martine",
        last_name="Vial",
        birth_place="Privas",
    )
    outing = activity_in(canoes, ahead=10 * DAY, policy="moderate", price=4000, title="Descente")
    room = factories.stay(gite, title="Chambre du tilleul", units=3, price_per_night=6000)
    start = timezone.localdate() + 30 * DAY
    stay = {"start": start.isoformat(), "end": (start + 2 * DAY).isoformat(), "units": "2"}
    bookings = {
        "q1": paid(outing, when=at(YEAR, 2, 10, 12), who="v1"),
        # 00:30 in Paris on 1 April is still 31 March in UTC: the quarter is Paris's.
        "q2": paid(outing, when=at(YEAR, 4, 1, 0, 30), who="v2"),
        "gone": paid(outing, when=at(YEAR, 5, 3, 9), who="v3"),
        "stay": paid(room, when=at(YEAR, 11, 5, 9), who="v4", **stay),
        "last_year": paid(outing, when=at(YEAR - 1, 12, 20, 9), who="v5"),
    }
    refunds = {
        "q1_half": refunded(bookings["q1"], when=at(YEAR, 8, 1, 9), fraction=(1, 2)),  # Q3
        "gone": refunded(bookings["gone"], when=at(YEAR, 5, 20, 9)),  # Q2, in full
        "last_year": refunded(bookings["last_year"], when=at(YEAR, 1, 5, 9), fraction=(1, 4)),
    }
    # The stay's nights: two units from 30 December to 2 January, two nights in the year.
    Booking.objects.filter(pk=bookings["stay"].pk).update(
        start=dt.date(YEAR, 12, 30), end=dt.date(YEAR + 1, 1, 2)
    )
    return {
        "canoes": canoes,
        "gite": gite,
        "alice": alice,
        "vera": vera,
        "refunds": refunds,
        **bookings,
    }


def taken_back(refund, provider) -> int:
    """What a refund took back from the provider's credit (positive cents)."""
    return refund.entries.get(account=provider_account(provider.pk)).amount


def test_figures_per_quarter_are_the_ledgers(world, territory):
    report = dac7_report(site=territory, year=YEAR)
    sellers = {seller.provider.pk: seller for seller in report.sellers}
    assert set(sellers) == {world["canoes"].pk, world["gite"].pk}
    for provider in (world["canoes"], world["gite"]):
        seller = sellers[provider.pk]
        for quarter in (1, 2, 3, 4):
            assert seller.quarter_total("consideration", quarter) == ledger_quarter(
                provider, quarter
            ), (provider.name, quarter)
        assert seller.quarter_total("taxes", 1) == 0

    [services] = sellers[world["canoes"].pk].lines
    assert services.category == PERSONAL_SERVICES
    q = services.quarters
    first, second = world["q1"], world["q2"]
    canoes, refunds = world["canoes"], world["refunds"]
    # Consideration is net of the commission, refunds in their own quarter (last year's
    # booking's too); fees are the provider's commission.
    assert q[1].consideration == first.provider_net - taken_back(refunds["last_year"], canoes)
    assert q[2].consideration == second.provider_net  # the full refund nets to zero
    assert q[3].consideration == -taken_back(refunds["q1_half"], canoes)
    assert abs(q[3].consideration * 2 + first.provider_net) <= 1  # half, to the cent
    # A booking counts where it was credited; the fully refunded one and last year's not.
    assert [q[n].activities for n in (1, 2, 3, 4)] == [1, 1, 0, 0]
    assert q[2].fees == second.provider_commission
    assert abs(q[3].fees * 2 + first.provider_commission) <= 1
    assert q[1].fees < first.provider_commission  # last year's refund gave some back
    assert sum(q[n].fees for n in (1, 2, 3, 4)) == sum(
        m.provider_part
        for m in commission_movements(site=territory, start=at(YEAR, 1, 1), end=at(YEAR + 1, 1, 1))
        if m.provider_id == canoes.pk
    )

    [room] = sellers[world["gite"].pk].lines
    assert room.category == IMMOVABLE_PROPERTY and room.property_title == "Chambre du tilleul"
    assert room.quarters[4].activities == 1
    assert room.quarters[4].consideration == world["stay"].provider_net
    assert room.quarters[4].fees == world["stay"].provider_commission
    assert room.quarters[4].nights == 4  # two units, two nights in the year


def test_a_small_seller_of_goods_is_left_out_and_a_big_one_is_not(territory, category):
    shared_rules(territory)
    small = make_provider(territory, name="Miellerie", category=category)
    big = make_provider(territory, name="Cave", category=category)
    honey = factories.product(small, title="Miel", price_per_item=850)
    wine = factories.product(big, title="Grand cru", price_per_item=150_000, stock=5)
    for n in range(3):
        paid(honey, when=at(YEAR, 3, 1 + n, 10), who=f"h{n}")
    for n in range(2):
        paid(wine, when=at(YEAR, 6, 1 + n, 10), who=f"w{n}")
    report = dac7_report(site=territory, year=YEAR)
    assert [s.provider.name for s in report.sellers] == ["Cave"]
    [excluded] = report.excluded
    assert (excluded.provider.name, excluded.activities) == ("Miellerie", 3)


def test_missing_data_is_listed_per_provider(world, territory):
    assert seller_missing(world["canoes"]) == ["tax_identifier"]
    assert seller_missing(world["gite"]) == ["birth_date", "tax_identifier"]
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("dac7_report", year=YEAR, missing=True, stdout=stdout, stderr=stderr)
    rows = list(csv.reader(io.StringIO(stdout.getvalue().lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["provider_id", "name", "legal_form", "email", "missing"]
    assert {row[1]: row[4] for row in rows[1:]} == {
        "Canoës du Val": "tax_identifier",
        "Gîte Vial": "birth_date,tax_identifier",
    }
    assert f"missing data: provider {world['gite'].pk} (Gîte Vial): birth_date" in (
        stderr.getvalue()
    )


def test_the_csv_columns_and_encoding(world, territory):
    BankAccount.objects.create(
        site=territory,
        account=provider_account(world["canoes"].pk),
        holder_name="Canoës du Val SARL",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        status=BankAccountStatus.APPROVED,
        submitted_at=at(YEAR, 1, 1, 9),
        decided_at=at(YEAR, 1, 2, 9),
    )
    stdout = io.BytesIO()

    class Out(io.TextIOWrapper):
        pass

    out = Out(stdout, encoding="utf-8")
    call_command("dac7_report", year=YEAR, stdout=out, stderr=io.StringIO())
    out.flush()
    raw = stdout.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert b"\r\n" in raw
    records = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert len(records) == 8  # two sellers, one line each, four quarters
    canoes_q2 = next(
        r for r in records if r["provider_id"] == str(world["canoes"].pk) and r["quarter"] == "Q2"
    )
    net = world["q2"].provider_net
    assert canoes_q2["consideration"] == f"{net // 100},{net % 100:02d}"
    assert canoes_q2["number_of_activities"] == "1"
    assert canoes_q2["iban"] == "FR7630006000011234567890189"
    assert canoes_q2["activity"] == "personal_services" and canoes_q2["year"] == "2025"
    gite_q4 = next(
        r for r in records if r["provider_id"] == str(world["gite"].pk) and r["quarter"] == "Q4"
    )
    assert gite_q4["nights"] == "4" and gite_q4["legal_form"] == "individual"
    assert gite_q4["first_names"] == "Martine" and gite_q4["property_title"] == "Chambre du tilleul"


def test_the_report_reads_a_fixed_number_of_queries(
    world, territory, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        report = dac7_report(site=territory, year=YEAR)
    assert len(report.sellers) == 2


def test_nights_alone_make_no_seller_reportable(world, territory):
    """The stay paid in 2025 has nights in 2026, and nothing was paid in 2026."""
    report = dac7_report(site=territory, year=YEAR + 1)
    assert report.sellers == [] and report.excluded == []


def test_the_xml_names_the_sellers_and_their_quarters(world, territory):
    stdout = io.StringIO()
    call_command("dac7_report", year=YEAR, format="xml", stdout=stdout, stderr=io.StringIO())
    text = stdout.getvalue()
    root = ET.fromstring(text.encode())  # noqa: S314 (our own output)
    ns = {"dpi": "urn:oecd:ties:dpi:v1"}
    assert len(root.findall("dpi:DPIBody/dpi:ReportableSeller", ns)) == 2
    cons = root.find(".//dpi:PersonalServices/dpi:Consideration/dpi:ConsQ2", ns)
    net = world["q2"].provider_net
    assert cons.text == f"{net // 100}.{net % 100:02d}" and cons.get("currCode") == "EUR"
    assert "<dpi:ReportableSeller>" in text and "<dpi:PropertyListing>" in text
    assert "<dpi:RentedDays>4</dpi:RentedDays>" in text
    assert "<dpi:FirstName>Martine</dpi:FirstName>" in text


def test_site_chooses_the_territory(world, territory, category):
    other_site = Site.objects.create(
        hostname="autre.example", port=80, root_page=territory.root_page, site_name="Autre"
    )
    stdout = io.StringIO()
    call_command(
        "dac7_report", year=YEAR, site="autre.example", stdout=stdout, stderr=io.StringIO()
    )
    assert stdout.getvalue().lstrip("\ufeff").count("\r\n") == 1  # the header only
    assert dac7_report(site=other_site, year=YEAR).sellers == []
    stdout = io.StringIO()
    call_command("dac7_report", year=YEAR, site="localhost", stdout=stdout, stderr=io.StringIO())
    assert "Canoës du Val" in stdout.getvalue()


def test_the_missing_data_panel_shows_only_to_that_providers_members(world, client):
    client.force_login(world["vera"])
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="seller-details-missing' in text or "seller-details-missing" in text
    assert "Gîte Vial" in text and reverse("seller_details:provider", args=[world["gite"].pk]) in (
        text
    )
    assert reverse("seller_details:provider", args=[world["canoes"].pk]) not in text
    # Complete, the panel goes.
    gite = world["gite"]
    gite.birth_date = dt.date(1970, 5, 4)
    gite.tax_identifier = "1234567890123"
    gite.save()
    text = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "seller-details-missing" not in text
    # Another provider's details page is a 404.
    assert (
        client.get(reverse("seller_details:provider", args=[world["canoes"].pk])).status_code == 404
    )


def test_the_email_goes_once_a_year(world, territory):
    UserProfile.objects.create(user=world["alice"], preferred_language="en")
    mail.outbox.clear()
    call_command(
        "dac7_report", year=YEAR, notify_missing=True, stdout=io.StringIO(), stderr=io.StringIO()
    )
    to = sorted(address for message in mail.outbox for address in message.to)
    assert "alice@example.org" in to and "vera@example.org" in to
    vera = next(m for m in mail.outbox if m.to == ["vera@example.org"])
    assert reverse("seller_details:provider", args=[world["gite"].pk]) in vera.body
    assert "date de naissance" in vera.body and vera.subject.startswith("Déclaration fiscale")
    alice = next(m for m in mail.outbox if m.to == ["alice@example.org"])
    assert alice.subject == "Tax report: details missing for Canoës du Val"
    assert "tax identification number" in alice.body
    sent = len(mail.outbox)
    call_command(
        "dac7_report", year=YEAR, notify_missing=True, stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert len(mail.outbox) == sent
    # Another year's report tells them again (the canoes sold in December of the year before).
    call_command(
        "dac7_report",
        year=YEAR - 1,
        notify_missing=True,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert len(mail.outbox) > sent


def _form(provider, **data):
    values = {
        "legal_form": provider.legal_form,
        "first_names": provider.first_names,
        "last_name": provider.last_name,
        "birth_date": provider.birth_date.isoformat() if provider.birth_date else "",
        "birth_place": provider.birth_place,
        "tax_identifier": provider.tax_identifier,
        "tax_country": provider.tax_country,
        "vat_number": provider.vat_number,
    }
    values.update(data)
    return SellerDetailsForm(data=values, instance=provider)


def test_the_seller_form_validates_the_identity(world):
    gite, canoes = world["gite"], world["canoes"]
    form = _form(gite, birth_date="")
    assert not form.is_valid() and "birth_date" in form.errors
    form = _form(gite, birth_date="1970-05-04", tax_identifier="12345")
    assert not form.is_valid() and "tax_identifier" in form.errors
    form = _form(gite, birth_date="1970-05-04", tax_identifier="1 234 567 890 123")
    assert form.is_valid(), form.errors
    form.save()
    gite.refresh_from_db()
    assert gite.tax_identifier == "1234567890123" and seller_missing(gite) == []
    assert not _form(canoes, tax_identifier="1234").is_valid()
    assert not _form(canoes, tax_identifier="999999999").is_valid()  # not the SIRET's
    assert _form(canoes, tax_identifier=canoes.siret[:9]).is_valid()
    assert not _form(canoes, tax_country="France").is_valid()


def test_a_member_completes_the_details_in_the_admin(world, client):
    client.force_login(world["vera"])
    url = reverse("seller_details:provider", args=[world["gite"].pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "legal_form": "individual",
            "first_names": "Martine",
            "last_name": "Vial",
            "birth_date": "1970-05-04",
            "birth_place": "Privas",
            "tax_identifier": "1234567890123",
            "tax_country": "FR",
            "vat_number": "",
        },
    )
    assert response.status_code == 302
    world["gite"].refresh_from_db()
    assert world["gite"].birth_date == dt.date(1970, 5, 4)


def test_the_editors_provider_form_validates_the_identity_too(world, client, editor):
    client.force_login(editor)
    url = reverse("providers:edit", args=[world["gite"].pk])
    page = client.get(url).content.decode()
    assert 'name="birth_date"' in page and 'name="tax_identifier"' in page
    assert "numéro fiscal" in page  # the help text
