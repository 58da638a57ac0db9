"""The order page (``/commandes/<ref>/``) as the visitor reads it: one card per booking
(provider, offer, dates, guests, price) and a totals block whose lines visibly add up to
what was paid, the service fee counted once; the cart's totals read the same way."""

import datetime as dt
import re

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from marketplace.models import Cart
from marketplace.orders.cart import cart_line_add
from tests import factories
from tests.booking_helpers import book, shared_rules
from tests.conftest import make_user

AMOUNT = re.compile(r"(-?\d[\d\s\u00a0\u202f.]*,\d{2})\s*€")


def cents(text: str) -> int:
    """The one amount in ``text`` ("1 234,56 €"), in cents."""
    [amount] = AMOUNT.findall(text)
    return int(re.sub(r"[^\d-]", "", amount))


@pytest.fixture
def order(territory):
    shared_rules(territory)
    canoe = factories.provider(
        territory, name="Canoë Vallon", category_obj=factories.category("loisirs", "Loisirs")
    )
    saules = factories.provider(territory, name="Camping des Saules")
    activity = factories.activity(
        canoe,
        title="Descente des gorges",
        price_per_person=3500,
        slots=[(factories.in_days(5), 12, 0)],
    )
    stay = factories.stay(saules, title="Emplacement au bord de l'eau", price_per_night=2400)
    visitor = make_user("voyageuse@example.org")
    cart, _created = Cart.objects.get_or_create(site=territory, user=visitor)
    slot = activity.slots.get()
    cart_line_add(cart=cart, offer=activity, params={"slot": str(slot.pk), "persons": "2"})
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
    assert order.bookings.count() == 2 and order.visitor_fee > 0
    return order


def totals_tables(soup) -> list:
    """The tables of ``main`` that end with a total: a footer whose last row is it."""
    return [table for table in soup.select("main table") if table.select("tfoot tr")]


def assert_adds_up(table, total: int) -> None:
    """Every amount row of ``table`` but the last adds up to the last, which is ``total``."""
    rows = [row for row in table.select("tbody tr, tfoot tr") if AMOUNT.search(row.get_text())]
    amounts = [cents(row.select("td")[-1].get_text()) for row in rows]
    *parts, shown_total = amounts
    lines = [" ".join(row.get_text(" ", strip=True).split()) for row in rows]
    assert shown_total == total, lines
    assert sum(parts) == shown_total, f"these lines do not add up to the total: {lines}"


def test_the_order_totals_add_up_to_what_was_paid_the_fee_counted_once(client, order):
    client.force_login(order.user)
    response = client.get(reverse("order_detail", args=[order.reference]))
    soup = BeautifulSoup(response.content, "html.parser")
    tables = totals_tables(soup)
    assert tables, "no totals block on the order page"
    for table in tables:
        assert_adds_up(table, order.total)
    text = " ".join(soup.select_one("main").get_text(" ", strip=True).split())
    fee = f"{order.visitor_fee // 100},{order.visitor_fee % 100:02d}"
    assert re.search(rf"(dont )?[Ff]rais de service[^0-9]*{fee}", text), text
    assert "Total payé" in text


def test_each_booking_has_its_own_card(client, order):
    client.force_login(order.user)
    response = client.get(reverse("order_detail", args=[order.reference]))
    soup = BeautifulSoup(response.content, "html.parser")
    cards = soup.select("main article.booking-card")
    assert len(cards) == 2
    by_title = {" ".join(card.select_one("h2, h3").get_text().split()): card for card in cards}
    stay = order.bookings.get(kind="stay")
    activity = order.bookings.get(kind="activity")
    stay_card = by_title[stay.offer_title]
    text = stay_card.get_text(" ", strip=True)
    assert "Camping des Saules" in text
    assert stay.start.strftime("%Y") in text
    assert "2 adultes, 1 mineur" in text
    assert cents(stay_card.select_one(".booking-card__total").get_text()) == stay.visitor_total
    activity_card = by_title[activity.offer_title].get_text(" ", strip=True)
    assert "Canoë Vallon" in activity_card and "2 personnes" in activity_card
    links = [a["href"] for a in soup.select("main a[href]")]
    assert reverse("my_bookings") in links
    assert reverse("my_booking", args=[stay.reference]) in links


def test_the_cart_totals_add_up_the_same_way(client, order):
    cart, _created = Cart.objects.get_or_create(site=order.site, user=order.user)
    stay = order.bookings.get(kind="stay").offer.specific
    start = dt.date.today() + dt.timedelta(days=30)
    cart_line_add(
        cart=cart,
        offer=stay,
        params={
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=2)).isoformat(),
            "units": "1",
            "adults": "2",
        },
    )
    client.force_login(order.user)
    soup = BeautifulSoup(client.get(reverse("cart")).content, "html.parser")
    [line] = soup.select("main .cart__line table")
    [*_lines, total] = [cents(td.get_text()) for td in line.select("td")]
    summary = soup.select_one("main .cart__total table")
    assert summary is not None
    assert_adds_up(summary, total)
