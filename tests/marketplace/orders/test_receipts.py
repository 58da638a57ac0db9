"""Receipts for visitors (issue 15 §2): a paid order's receipt and a refund's, as a page and
a PDF, in the visitor's language, their amounts equal to the ledger's to the cent, seen by
the order's owner only, linked from the order page and the e-mails."""

import datetime as dt
import html
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from commissions.money import format_cents
from marketplace.books.models import LedgerEntry
from marketplace.invoices.movements import commission_movements
from marketplace.models import Cart, OrderStatus, TerritorySettings
from marketplace.orders.cart import cart_line_add
from marketplace.orders.receipts import (
    ledger_visitor_debit,
    order_receipt,
    order_refund_receipt,
)
from marketplace.orders.transitions import booking_cancel
from marketplace.tourist_tax.models import TouristTaxRate
from tests import factories
from tests.booking_helpers import activity_in, book, shared_rules
from tests.conftest import make_user

DAY = dt.timedelta(days=1)
AMOUNT = re.compile(r"(-?\d[\d\s\u00a0\u202f.]*,\d{2})\s*€")


def cents(text: str) -> int:
    [amount] = AMOUNT.findall(text)
    return int(re.sub(r"[^\d-]", "", amount))


def flat(text: str) -> str:
    """``text`` with its runs of spaces (non-breaking ones too) as one space."""
    return " ".join(text.split())


def text_of(response) -> str:
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(soup.select_one("main").get_text(" ", strip=True).split())


@pytest.fixture(autouse=True)
def _french_first():
    with translation.override("fr"):
        yield


@pytest.fixture
def operator(territory):
    settings_ = TerritorySettings.for_site(territory)
    settings_.operator_legal_name = "SPL Vallée Active"
    settings_.operator_address = "1 place de la Mairie"
    settings_.operator_postcode = "05100"
    settings_.operator_city = "Briançon"
    settings_.operator_siret = "73282932000074"
    settings_.vat_number = "FR44732829320"
    settings_.travel_operator_number = "IM005100001"
    settings_.save()
    return settings_


@pytest.fixture
def order(territory, operator):
    """Two providers: an activity (canoes) and a stay with the tourist tax (campsite)."""
    shared_rules(territory)
    TouristTaxRate.objects.create(
        site=territory,
        commune="Arvière-le-Bourg",
        category="camping_3_5",
        valid_from=dt.date(2020, 1, 1),
        rate=55,
        departmental_percent=10,
    )
    canoe = factories.provider(
        territory, name="Canoë Vallon", category_obj=factories.category("loisirs", "Loisirs")
    )
    camping = factories.provider(territory, name="Camping des Saules", commune="Arvière-le-Bourg")
    activity = factories.activity(
        canoe,
        title="Descente des gorges",
        price_per_person=3500,
        slots=[(factories.in_days(20), 12, 0)],
        cancellation_policy="moderate",
    )
    stay = factories.stay(
        camping,
        title="Emplacement au bord de l'eau",
        price_per_night=2400,
        tax_category="camping_3_5",
        registration_number="05006 000123 7K",
        host_is_professional=False,
    )
    visitor = make_user("voyageuse@example.org")
    cart, _created = Cart.objects.get_or_create(site=territory, user=visitor)
    cart_line_add(
        cart=cart, offer=activity, params={"slot": str(activity.slots.get().pk), "persons": "2"}
    )
    start = dt.date.today() + dt.timedelta(days=12)
    order = book(
        visitor,
        stay,
        start=start.isoformat(),
        end=(start + dt.timedelta(days=3)).isoformat(),
        units="1",
        adults="2",
        minors="1",
    )
    taxed = order.bookings.get(kind="stay")
    assert order.bookings.count() == 2 and taxed.tax > 0 and order.visitor_fee > 0
    return order


def test_the_receipt_totals_equal_the_ledger(order):
    receipt = order_receipt(order)
    assert receipt.total == order.total == ledger_visitor_debit(order)
    refs = [line.booking.reference for line in receipt.lines]
    movements = commission_movements(site=order.site, booking_refs=refs)
    fee_in_ledger = sum(m.visitor_part for m in movements)
    tax_in_ledger = -sum(
        LedgerEntry.objects.filter(
            transaction__order_ref=order.reference, account__startswith="tax:"
        ).values_list("amount", flat=True)
    )
    assert receipt.totals.service_fee == fee_in_ledger == order.visitor_fee
    assert receipt.totals.tax == tax_in_ledger == order.tax > 0
    for line in receipt.lines:
        booking = line.booking
        assert line.paid.total == booking.visitor_total
        assert line.commission == booking.commission
    stay = next(line for line in receipt.lines if line.booking.kind == "stay")
    assert stay.tax_commune == "Arvière-le-Bourg"


def test_the_french_receipt_page(client, order):
    client.force_login(order.user)
    response = client.get(reverse("order_receipt", args=[order.reference]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = text_of(response)
    assert f"Reçu de la commande {order.reference}" in text
    for name in ("SPL Vallée Active", "73282932000074", "FR44732829320", "IM005100001"):
        assert name in text
    assert "collectée pour la commune de Arvière-le-Bourg" in text
    stay = order.bookings.get(kind="stay")
    assert flat(f"dont {format_cents(stay.allocations['fonds'])} pour Fonds local") in text
    assert "Ce reçu n’est pas une facture" in text or "Ce reçu n'est pas une facture" in text
    soup = BeautifulSoup(response.content, "html.parser")
    summary = soup.select_one(".receipt__summary tfoot")
    assert cents(summary.get_text()) == order.total
    assert "Total payé" in summary.get_text()


def test_the_english_receipt_page(client, order):
    client.force_login(order.user)
    with translation.override("en"):
        url = reverse("order_receipt", args=[order.reference])
    assert url.startswith("/en/")
    response = client.get(url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    text = " ".join(soup.select_one("main").get_text(" ", strip=True).split())
    assert f"Receipt for order {order.reference}" in text
    assert "collected for the commune of Arvière-le-Bourg" in text
    assert "This receipt is not an invoice" in text
    with translation.override("en"):
        assert (
            format_cents(order.total, language="en")
            in soup.select_one(".receipt__summary tfoot").get_text()
        )


def test_only_the_owner_sees_the_receipt(client, order):
    url = reverse("order_receipt", args=[order.reference])
    pdf = reverse("order_receipt_pdf", args=[order.reference])
    # Not signed in: sent to sign in, as for the order page.
    for target in (url, pdf, reverse("order_detail", args=[order.reference])):
        response = client.get(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(make_user("autre@example.org"))
    assert client.get(url).status_code == 404
    assert client.get(pdf).status_code == 404
    assert client.get(reverse("order_detail", args=[order.reference])).status_code == 404


def test_an_unpaid_order_has_no_receipt(client, territory, operator):
    shared_rules(territory)
    provider = factories.provider(territory, name="Canoë Vallon")
    offer = activity_in(provider, ahead=10 * DAY, policy="flexible")
    visitor = make_user("pressee@example.org")
    held = book(visitor, offer, pay=False)
    assert held.status == OrderStatus.PENDING
    client.force_login(visitor)
    assert client.get(reverse("order_receipt", args=[held.reference])).status_code == 404
    assert client.get(reverse("order_receipt_pdf", args=[held.reference])).status_code == 404
    page = client.get(reverse("order_detail", args=[held.reference]))
    assert reverse("order_receipt", args=[held.reference]).encode() not in page.content


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(data)
    result = subprocess.run(  # noqa: S603 (a fixed program on our own file)
        [shutil.which("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    return " ".join(result.stdout.split())


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")
def test_the_pdf_receipt_holds_the_total(client, order, tmp_path):
    client.force_login(order.user)
    response = client.get(reverse("order_receipt_pdf", args=[order.reference]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    assert flat(f"Total payé {format_cents(order.total)}") in text, text
    assert order.reference in text and "SPL Vallée Active" in text
    with translation.override("en"):
        url = reverse("order_receipt_pdf", args=[order.reference])
    english = pdf_text(client.get(url).content, tmp_path)
    assert f"Total paid {format_cents(order.total, language='en')}" in english, english


def cancel_stay(order):
    """The visitor cancels the stay (moderate policy at 12 days: full refund, tax back)."""
    stay = order.bookings.get(kind="stay")
    refund = booking_cancel(booking_id=stay.pk, by_provider=False, by=order.user, notify=False)
    assert refund is not None
    return refund


def test_a_partial_refund_receipt_matches_the_ledger(client, order):
    """The activity cancelled 3 days before under the moderate policy: half back."""
    activity = order.bookings.get(kind="activity")
    later = activity.starts_at - 3 * DAY
    refund = booking_cancel(
        booking_id=activity.pk, by_provider=False, by=order.user, notify=False, now=later
    )
    assert refund is not None and 0 < refund.amount < activity.visitor_total
    receipt = order_refund_receipt(order, refund_id=refund.pk)
    assert receipt.refunded.total == refund.amount
    reversal = dict(
        LedgerEntry.objects.filter(
            transaction__booking_ref=activity.reference, transaction__kind="refund"
        ).values_list("account", "amount")
    )
    assert receipt.refunded.total == -reversal["visitor"]
    [back] = [
        m
        for m in commission_movements(site=order.site, booking_refs=[activity.reference])
        if m.kind == "refund"
    ]
    assert receipt.refunded.service_fee == -back.visitor_part
    assert receipt.refunded.price == refund.amount - receipt.refunded.service_fee
    assert receipt.kept.total == activity.visitor_total - refund.amount
    assert receipt.percent == 50

    client.force_login(order.user)
    page = client.get(reverse("refund_receipt", args=[order.reference, refund.pk]))
    assert page.status_code == 200
    text = text_of(page)
    assert flat(f"Remboursé : {format_cents(refund.amount)}") in text
    assert "Modérée" in text or "modérée" in text
    order_page = client.get(reverse("order_detail", args=[order.reference]))
    assert (
        reverse("refund_receipt", args=[order.reference, refund.pk]).encode() in order_page.content
    )
    assert reverse("order_receipt_pdf", args=[order.reference]).encode() in order_page.content
    client.force_login(make_user("autre@example.org"))
    assert (
        client.get(reverse("refund_receipt", args=[order.reference, refund.pk])).status_code == 404
    )


def test_a_cancelled_stay_gives_its_tourist_tax_back(client, order, tmp_path):
    stay = order.bookings.get(kind="stay")
    refund = cancel_stay(order)
    receipt = order_refund_receipt(order, refund_id=refund.pk)
    assert receipt.refunded.tax == stay.tax
    assert receipt.refunded.total == refund.amount
    tax_left = sum(
        LedgerEntry.objects.filter(
            transaction__booking_ref=stay.reference, account__startswith="tax:"
        ).values_list("amount", flat=True)
    )
    assert tax_left == 0 and receipt.kept.tax == 0
    client.force_login(order.user)
    response = client.get(reverse("refund_receipt_pdf", args=[order.reference, refund.pk]))
    assert response.content.startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = pdf_text(response.content, tmp_path)
        assert flat(format_cents(refund.amount)) in text


def test_the_e_mails_link_the_receipts(
    territory, operator, mailoutbox, django_capture_on_commit_callbacks
):
    shared_rules(territory)
    provider = factories.provider(territory, name="Canoë Vallon", email="club@example.org")
    offer = activity_in(provider, ahead=10 * DAY, policy="flexible")
    visitor = make_user("voyageuse@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        order = book(visitor, offer, language="en")
    [confirmation] = [m for m in mailoutbox if m.to == [visitor.email]]
    link = f"{settings.PUBLIC_URL}/en/commandes/{order.reference}/recu/"
    [(content, _mimetype)] = confirmation.alternatives
    assert link in confirmation.body and link in html.unescape(content)
    mailoutbox.clear()
    booking = order.bookings.get()
    with django_capture_on_commit_callbacks(execute=True):
        refund = booking_cancel(booking_id=booking.pk, by_provider=False, by=visitor)
    [cancelled] = [m for m in mailoutbox if m.to == [visitor.email]]
    link = f"{settings.PUBLIC_URL}/en/commandes/{order.reference}/remboursements/{refund.pk}/recu/"
    assert link in cancelled.body


def test_a_late_refunded_order_has_no_receipt(client, territory, operator):
    """Paid after its places went: refunded whole, never in the books: no receipt."""
    shared_rules(territory)
    provider = factories.provider(territory, name="Canoë Vallon")
    offer = activity_in(provider, ahead=10 * DAY, policy="flexible")
    visitor = make_user("tardive@example.org")
    order = book(visitor, offer, pay=False)
    order.status = OrderStatus.REFUNDED
    order.paid_at = timezone.now()
    order.save()
    client.force_login(visitor)
    assert client.get(reverse("order_receipt", args=[order.reference])).status_code == 404


def test_a_free_order_has_a_receipt_of_nothing(client, territory, operator):
    """A 0 € booking moves no money (nothing in the ledger): its receipt says 0 €."""
    shared_rules(territory)
    provider = factories.provider(territory, name="Office de la Vallée")
    offer = activity_in(provider, ahead=10 * DAY, policy="flexible", price=0, title="Visite")
    visitor = make_user("curieuse@example.org")
    order = book(visitor, offer)
    assert order.status == OrderStatus.PAID and order.total == 0
    receipt = order_receipt(order)
    assert receipt.total == 0 == ledger_visitor_debit(order)
    client.force_login(visitor)
    response = client.get(reverse("order_receipt", args=[order.reference]))
    soup = BeautifulSoup(response.content, "html.parser")
    assert cents(soup.select_one(".receipt__summary tfoot").get_text()) == 0


def test_the_receipt_page_reads_a_fixed_number_of_queries(
    client, order, django_assert_max_num_queries
):
    client.force_login(order.user)
    url = reverse("order_receipt", args=[order.reference])
    client.get(url)  # caches warmed (site, settings)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_a_late_cancelled_stay_gets_its_tax_back_only(client, order):
    """Cancelled the day before under a strict policy: no price or fee back, the tax is."""
    stay = order.bookings.get(kind="stay")
    stay.cancellation_policy = "strict"
    stay.save(update_fields=["cancellation_policy"])
    refund = booking_cancel(
        booking_id=stay.pk,
        by_provider=False,
        by=order.user,
        notify=False,
        now=stay.starts_at - DAY,
    )
    assert refund is not None and refund.amount == stay.tax
    receipt = order_refund_receipt(order, refund_id=refund.pk)
    assert (receipt.refunded.price, receipt.refunded.service_fee) == (0, 0)
    assert receipt.refunded.tax == stay.tax == receipt.refunded.total
    assert receipt.kept.total == stay.subtotal + stay.visitor_fee and receipt.percent == 0
    client.force_login(order.user)
    text = text_of(client.get(reverse("refund_receipt", args=[order.reference, refund.pk])))
    assert "ne doit pas de taxe de séjour" in text
    booking_page = client.get(reverse("my_booking", args=[stay.reference]))
    assert reverse("refund_receipt", args=[order.reference, refund.pk]).encode() in (
        booking_page.content
    )


def test_a_provider_cancellation_refunds_everything(client, order):
    activity = order.bookings.get(kind="activity")
    refund = booking_cancel(booking_id=activity.pk, by_provider=True, notify=False)
    receipt = order_refund_receipt(order, refund_id=refund.pk)
    assert receipt.refunded == receipt.paid and receipt.kept.total == 0
    assert receipt.refunded.total == refund.amount == activity.visitor_total
    client.force_login(order.user)
    text = text_of(client.get(reverse("refund_receipt", args=[order.reference, refund.pk])))
    assert "Le prestataire a annulé" in text


def test_with_vat_the_commission_funds_what_each_beneficiary_keeps(request, operator):
    """The operator subject to VAT sets the VAT aside at confirmation: the receipt's
    "dont X € pour …" are what each beneficiary keeps (the ledger's net), and the VAT is
    its own line; together they still make the commission."""
    operator.subject_to_vat = True
    operator.vat_rate = Decimal("20.00")
    operator.save()
    order = request.getfixturevalue("order")
    receipt = order_receipt(order)
    vat_name = "la TVA sur la commission, due à l'État"
    for line in receipt.lines:
        booking = line.booking
        shares = dict((str(name), cents) for name, cents in line.shares)
        vat = shares.pop(vat_name)
        assert (
            vat
            == -sum(
                LedgerEntry.objects.filter(
                    transaction__booking_ref=booking.reference, account="tax:vat"
                ).values_list("amount", flat=True)
            )
            > 0
        )
        kept = {
            account: -total
            for account, total in _account_totals(booking.reference).items()
            if account.startswith("beneficiary:") or account == "platform:operator"
        }
        assert sorted(shares.values()) == sorted(cents for cents in kept.values() if cents)
        assert line.commission == booking.commission == sum(shares.values()) + vat


def _account_totals(booking_ref: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for account, amount in LedgerEntry.objects.filter(
        transaction__booking_ref=booking_ref
    ).values_list("account", "amount"):
        totals[account] = totals.get(account, 0) + amount
    return totals
