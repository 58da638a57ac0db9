"""Denial of inventory: one account cannot hold what everybody else wants to book.

The audit's attack: one self-registered, verified account held, in 26 checkouts, every
future activity place, every product's stock and six months of every stay, and renewed
the holds forever ("Abandonner" puts the lines back in the cart, checkout holds again).
The territory's settings now cap what one account holds unpaid (orders, units of one
offer, nights of one stay, lines of one order), a cool-down stops the same account from
holding again at once what it let go, and checkout is rate-limited per account and per
IP. Every refusal is a message in the visitor's language and changes nothing.
"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.models import (
    ActivitySlot,
    Booking,
    BookingStatus,
    Cart,
    CartLine,
    Order,
    OrderStatus,
    ProductStock,
    StayNight,
    TerritorySettings,
)
from marketplace.orders.cart import cart_line_add, cart_lines_priced, cart_restore
from marketplace.orders.transitions import (
    BookingError,
    checkout,
    holds_expire,
    order_abandon,
    order_pay,
)
from tests import factories
from tests.conftest import make_provider, make_user
from tests.snapshots import Replay

DAY = dt.timedelta(days=1)


@pytest.fixture
def no_rate_limit(settings):
    """The inventory limits on their own (the rate limit has its own tests)."""
    settings.ACCOUNT_RATE_LIMITS = {**getattr(settings, "ACCOUNT_RATE_LIMITS", {}), "checkout": ""}


def build_camping(territory, category):
    return make_provider(territory, name="Camping des Pins", category=category)


camping_replay = Replay(build_camping)


@pytest.fixture
def camping(territory, category):
    """``build_camping``, built once and then replayed (tests/snapshots.py)."""
    return camping_replay(territory, category)


def build_offers(camping):
    """What the attacker goes after: an activity, a gîte, pitches and honey."""
    return {
        "canoe": factories.activity(
            camping,
            title="Descente en canoë",
            slots=[(factories.in_days(d), 8, 0) for d in (3, 4, 5)],
        ),
        "gite": factories.stay(camping, title="Gîte de la Combe", units=1, min_nights=1),
        "pitch": factories.stay(camping, title="Emplacement", units=12, min_nights=1),
        "honey": factories.product(camping, title="Miel", stock=30),
    }


offers_replay = Replay(build_offers)


@pytest.fixture
def offers(camping):
    """``build_offers``, built once and then replayed (tests/snapshots.py)."""
    return offers_replay(camping)


def _limits_set(**values) -> None:
    """Change the territory's limits (as its settings page would)."""
    from wagtail.models import Site

    limits = TerritorySettings.for_site(Site.objects.get(is_default_site=True))
    for name, value in values.items():
        setattr(limits, name, value)
    limits.save()


def _day(n: int) -> str:
    return (timezone.localdate() + n * DAY).isoformat()


def _url(name, *args, language="en"):
    with translation.override(language):
        return reverse(name, args=args)


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def _login(email: str, ip: str = "203.0.113.7") -> tuple[Client, object]:
    person = make_user(email, password=None)
    client = Client(REMOTE_ADDR=ip)
    client.force_login(person)
    return client, person


def _add(client, offer, language="en", **params):
    return client.post(_url("cart_add", offer.pk, language=language), params, follow=True)


def _cart(person) -> Cart | None:
    return Cart.objects.filter(user=person).first()


def _checkout(client, person, language="en"):
    cart = _cart(person)
    key = str(cart.version) if cart else ""
    return client.post(_url("checkout", language=language), {"checkout_key": key}, follow=True)


def _abandon(client, order):
    return client.post(_url("dev_pay", order.reference), {"action": "abandon"}, follow=True)


def _snapshot(person) -> tuple:
    """Everything a refused checkout must leave as it was."""
    cart = _cart(person)
    return (
        Order.objects.count(),
        Booking.objects.count(),
        sorted(StayNight.objects.values_list("offer_id", "date", "units_taken")),
        sorted(ActivitySlot.objects.values_list("pk", "places_taken")),
        sorted(ProductStock.objects.values_list("offer_id", "taken")),
        cart.version if cart else None,
        sorted(CartLine.objects.values_list("pk", flat=True)),
    )


def _held(person, offer) -> dict:
    """What ``person`` holds unpaid on ``offer``: units per night, or places, or items."""
    bookings = Booking.objects.filter(
        order__user=person,
        order__status=OrderStatus.PENDING,
        status=BookingStatus.HELD,
        offer=offer,
    )
    nights: dict = {}
    total = 0
    for booking in bookings:
        total += booking.quantity
        if booking.kind == "stay":
            day = booking.start
            while day < booking.end:
                nights[day] = nights.get(day, 0) + booking.quantity
                day += DAY
    return {"total": total, "nights": nights}


# --- The attack -----------------------------------------------------------------------------


def _quick_add(client, offer, **params) -> None:
    client.post(_url("cart_add", offer.pk), params)


def _quick_checkout(client, person) -> bool:
    """Check out without reading the next page; True when an order was placed."""
    cart = _cart(person)
    response = client.post(_url("checkout"), {"checkout_key": str(cart.version) if cart else ""})
    return "/commandes/" in response.get("Location", "") or "/orders/" in response.get(
        "Location", ""
    )


def _empty(client, person) -> None:
    for pk in CartLine.objects.filter(cart__user=person).values_list("pk", flat=True):
        client.post(_url("cart_remove", pk))


def _grab(client, offers, *, greedy: bool, window: int):
    """Put in the cart everything still free (``greedy``), or just what the limits allow."""
    limits = TerritorySettings.for_site(offers["honey"].get_site())
    room = limits.max_held_per_offer
    for slot in offers["canoe"].slots.order_by("starts_at"):
        free = slot.places - slot.places_taken
        persons = free if greedy else min(free, room)
        if persons:
            room -= persons
            _quick_add(client, offers["canoe"], slot=str(slot.pk), persons=str(persons))
    for key in ("gite", "pitch"):
        stay = offers[key]
        length = 90 if greedy else limits.max_held_nights
        # Six months of every stay, or a month at a time further and further on.
        starts = [1, 91] if greedy else [1 + (window % 6) * length]
        for start in starts:
            taken = StayNight.objects.filter(
                offer=stay, date__gte=_day(start), date__lt=_day(start + length)
            )
            used = max(taken.values_list("units_taken", flat=True), default=0)
            free = stay.units - used
            if free:
                units = free if greedy else min(free, limits.max_held_per_offer)
                _quick_add(
                    client, stay, start=_day(start), end=_day(start + length), units=str(units)
                )
    honey = offers["honey"]
    stock = ProductStock.objects.filter(offer=honey).first()
    free = honey.stock - (stock.taken if stock else 0)
    if free:
        quantity = free if greedy else min(free, limits.max_held_per_offer)
        _quick_add(client, honey, quantity=str(quantity))


def _assert_within_limits(person, offers):
    limits = TerritorySettings.for_site(offers["honey"].get_site())
    pending = Order.objects.filter(user=person, status=OrderStatus.PENDING)
    assert pending.count() <= limits.max_unpaid_orders
    for order in Order.objects.filter(user=person):
        assert order.bookings.count() <= limits.max_lines_per_order
    for offer in offers.values():
        held = _held(person, offer)
        if offer.kind == "stay":
            assert max(held["nights"].values(), default=0) <= limits.max_held_per_offer
            assert len(held["nights"]) <= limits.max_held_nights
        else:
            assert held["total"] <= limits.max_held_per_offer


def test_one_account_cannot_grab_everything_and_another_visitor_still_books(offers, no_rate_limit):
    attacker_client, attacker = _login("pirate@example.org")
    placed = 0
    for round_ in range(26):
        # "Abandonner" put the lines back in the cart: check them out again.
        if not _quick_checkout(attacker_client, attacker):
            _empty(attacker_client, attacker)
        # Then everything still free (every other round), or just what the limits allow.
        _grab(attacker_client, offers, greedy=round_ % 2 == 0, window=round_ // 2)
        if _quick_checkout(attacker_client, attacker):
            placed += 1
        else:
            _empty(attacker_client, attacker)
        if round_ % 3 == 2:
            oldest = (
                Order.objects.filter(user=attacker, status=OrderStatus.PENDING)
                .order_by("pk")
                .first()
            )
            if oldest is not None:
                _abandon(attacker_client, oldest)
        _assert_within_limits(attacker, offers)
    # The attacker did book (the limits are not a wall), but never held the lot.
    assert placed >= 1

    other_client, other = _login("famille@example.org", ip="198.51.100.20")
    canoe_slot = next(
        slot
        for slot in offers["canoe"].slots.order_by("starts_at")
        if slot.places - slot.places_taken >= 2
    )
    _add(other_client, offers["canoe"], slot=str(canoe_slot.pk), persons="2")
    _add(other_client, offers["pitch"], start=_day(2), end=_day(5), units="1")
    _add(other_client, offers["honey"], quantity="3")
    # Some nights of the gîte in the six months the attacker went after are still free.
    taken = set(
        StayNight.objects.filter(offer=offers["gite"], units_taken__gt=0).values_list(
            "date", flat=True
        )
    )
    first_free = next(n for n in range(1, 180) if timezone.localdate() + n * DAY not in taken)
    _add(other_client, offers["gite"], start=_day(first_free), end=_day(first_free + 1))
    assert CartLine.objects.filter(cart__user=other).count() == 4
    response = _checkout(other_client, other)
    order = Order.objects.get(user=other)
    assert order.status == OrderStatus.PENDING and order.bookings.count() == 4, _messages(response)


# --- Each limit -------------------------------------------------------------------------------


def test_unpaid_orders_are_capped_with_a_clear_message_and_nothing_changes(offers, no_rate_limit):
    client, person = _login("pressé@example.org")
    for _n in range(2):
        _add(client, offers["honey"], quantity="1")
        _checkout(client, person)
    assert Order.objects.filter(user=person, status=OrderStatus.PENDING).count() == 2
    _add(client, offers["honey"], quantity="1")
    before = _snapshot(person)
    response = _checkout(client, person)
    assert "2 orders awaiting payment" in _messages(response)
    assert _snapshot(person) == before
    # In French too.
    response = _checkout(client, person, language="fr")
    assert "2 commandes en attente de paiement" in _messages(response)
    assert _snapshot(person) == before
    # Paying one makes room again.
    order_pay(order_id=Order.objects.filter(user=person).order_by("pk").first().pk)
    _checkout(client, person)
    assert Order.objects.filter(user=person, status=OrderStatus.PENDING).count() == 2


def test_the_unpaid_orders_cap_is_a_territory_setting(offers, no_rate_limit):
    _limits_set(max_unpaid_orders=1)
    client, person = _login("un@example.org")
    _add(client, offers["honey"], quantity="1")
    _checkout(client, person)
    _add(client, offers["honey"], quantity="1")
    response = _checkout(client, person)
    assert "1 order awaiting payment" in _messages(response)
    assert Order.objects.filter(user=person).count() == 1


def test_items_of_one_product_held_by_one_account_are_capped(offers, no_rate_limit):
    client, person = _login("miel@example.org")
    _add(client, offers["honey"], quantity="6")
    _checkout(client, person)
    # 6 held and 5 more in the cart: 11 > 10.
    _add(client, offers["honey"], quantity="5")
    before = _snapshot(person)
    response = _checkout(client, person)
    assert "Miel: one person can hold at most 10 items" in _messages(response)
    assert "you would hold 11" in _messages(response)
    assert _snapshot(person) == before
    french = _checkout(client, person, language="fr")
    assert "Miel : une même personne peut bloquer au plus 10 articles" in _messages(french)
    # Four more fit.
    CartLine.objects.filter(cart__user=person).delete()
    _add(client, offers["honey"], quantity="4")
    _checkout(client, person)
    assert _held(person, offers["honey"])["total"] == 10


def test_places_of_one_activity_count_over_all_its_slots(offers, no_rate_limit):
    client, person = _login("canoe@example.org")
    slots = list(offers["canoe"].slots.order_by("starts_at"))
    _add(client, offers["canoe"], slot=str(slots[0].pk), persons="8")
    _add(client, offers["canoe"], slot=str(slots[1].pk), persons="3")
    before = _snapshot(person)
    response = _checkout(client, person)
    assert "Descente en canoë: one person can hold at most 10 places" in _messages(response)
    assert _snapshot(person) == before


def test_units_per_night_and_nights_of_one_stay_are_capped(offers, no_rate_limit):
    client, person = _login("nuits@example.org")
    # 32 nights of the gîte in one line: more than 31.
    _add(client, offers["gite"], start=_day(1), end=_day(33))
    before = _snapshot(person)
    response = _checkout(client, person)
    assert "Gîte de la Combe: one person can hold at most 31 nights" in _messages(response)
    assert _snapshot(person) == before
    CartLine.objects.filter(cart__user=person).delete()
    # 31 nights are fine; then another night, in a second order, is one too many.
    _add(client, offers["gite"], start=_day(1), end=_day(32))
    _checkout(client, person)
    assert Order.objects.filter(user=person).count() == 1
    _add(client, offers["gite"], start=_day(40), end=_day(41))
    response = _checkout(client, person)
    assert "at most 31 nights" in _messages(response)
    assert Order.objects.filter(user=person).count() == 1
    CartLine.objects.filter(cart__user=person).delete()
    # Units of the pitches: 6 held on nights 2-4, 5 more on night 3 is 11 on that night.
    _add(client, offers["pitch"], start=_day(2), end=_day(5), units="6")
    _add(client, offers["pitch"], start=_day(3), end=_day(4), units="5")
    response = _checkout(client, person)
    assert "Emplacement: one person can hold at most 10 units per night" in _messages(response)
    assert Order.objects.filter(user=person).count() == 1


def test_paid_bookings_do_not_count_against_the_hold_caps(offers, no_rate_limit):
    client, person = _login("fidele@example.org")
    _add(client, offers["honey"], quantity="10")
    _checkout(client, person)
    order_pay(order_id=Order.objects.get(user=person).pk, payment_ref="test")
    _add(client, offers["honey"], quantity="10")
    _checkout(client, person)
    assert Order.objects.filter(user=person, status=OrderStatus.PENDING).count() == 1


def test_the_service_enforces_the_limits_not_only_the_view(offers):
    person = make_user("service@example.org", password=None)
    cart = Cart.objects.create(site=offers["honey"].get_site(), user=person)
    cart_line_add(cart=cart, offer=offers["honey"], params={"quantity": "11"})
    cart.refresh_from_db()
    with translation.override("en"), pytest.raises(BookingError, match="at most 10 items"):
        checkout(
            cart=cart,
            user=person,
            checkout_key=cart.version,
            priced_lines=cart_lines_priced(cart=cart),
        )
    assert not Order.objects.exists() and not ProductStock.objects.filter(taken__gt=0).exists()


def test_a_cart_over_the_lines_cap_cannot_be_checked_out(offers, no_rate_limit):
    _limits_set(max_lines_per_order=3)
    client, person = _login("lignes@example.org")
    for _n in range(3):
        _add(client, offers["honey"], quantity="1")
    response = _add(client, offers["honey"], quantity="1")
    assert "A cart holds at most 3 lines" in _messages(response)
    # A cart that somehow has more (the cap lowered since) is refused at checkout.
    CartLine.objects.create(cart=_cart(person), offer=offers["honey"], quantity=1)
    before = _snapshot(person)
    response = _checkout(client, person)
    assert "An order holds at most 3 lines" in _messages(response)
    assert _snapshot(person) == before


def test_cart_restore_respects_the_lines_cap(offers, no_rate_limit):
    """The audit's order of 100 bookings: abandon, restore on top of a full cart, again."""
    _limits_set(max_held_per_offer=100)
    client, person = _login("cent@example.org")
    for _n in range(20):
        _add(client, offers["honey"], quantity="1")
    _checkout(client, person)
    order = Order.objects.get(user=person)
    assert order.bookings.count() == 20
    for _n in range(15):
        _add(client, offers["honey"], quantity="1")
    assert cart_restore(order=order) == 5
    assert CartLine.objects.filter(cart__user=person).count() == 20
    # Under the lower cap of a territory's settings too.
    _limits_set(max_lines_per_order=10)
    CartLine.objects.filter(cart__user=person).delete()
    assert cart_restore(order=order) == 10
    assert CartLine.objects.filter(cart__user=person).count() == 10


def test_abandon_says_when_lines_did_not_fit_back(offers, no_rate_limit):
    _limits_set(max_lines_per_order=3)
    client, person = _login("place@example.org")
    for _n in range(3):
        _add(client, offers["honey"], quantity="1")
    _checkout(client, person)
    for _n in range(2):
        _add(client, offers["honey"], quantity="1")
    response = _abandon(client, Order.objects.get(user=person))
    assert "2 lines did not fit back in your cart" in _messages(response)
    assert CartLine.objects.filter(cart__user=person).count() == 3


# --- The cool-down ------------------------------------------------------------------------------


def _service_checkout(person, offer, *, now, **params):
    cart, _created = Cart.objects.get_or_create(site=offer.get_site(), user=person)
    CartLine.objects.filter(cart=cart).delete()
    cart_line_add(cart=cart, offer=offer, params=params)
    cart.refresh_from_db()
    return checkout(
        cart=cart,
        user=person,
        checkout_key=cart.version,
        priced_lines=cart_lines_priced(cart=cart),
        now=now,
    )


def test_after_abandoning_the_same_capacity_cannot_be_held_again_at_once(offers, no_rate_limit):
    client, person = _login("encore@example.org")
    slot = offers["canoe"].slots.order_by("starts_at").first()
    _add(client, offers["canoe"], slot=str(slot.pk), persons="4")
    _add(client, offers["gite"], start=_day(10), end=_day(14))
    _checkout(client, person)
    response = _abandon(client, Order.objects.get(user=person))
    assert "from" in _messages(response)  # when they can check out those lines again
    assert CartLine.objects.filter(cart__user=person).count() == 2
    before = _snapshot(person)
    response = _checkout(client, person)
    text = _messages(response)
    assert "Descente en canoë: you gave it up less than 15 minutes ago" in text, text
    assert _snapshot(person) == before
    french = _checkout(client, person, language="fr")
    assert "Descente en canoë : vous y avez renoncé il y a moins de 15 minutes" in _messages(french)
    # Other capacity of the same offers is not affected: another slot, other nights.
    CartLine.objects.filter(cart__user=person).delete()
    other_slot = offers["canoe"].slots.order_by("starts_at")[1]
    _add(client, offers["canoe"], slot=str(other_slot.pk), persons="4")
    _add(client, offers["gite"], start=_day(14), end=_day(16))
    _checkout(client, person)
    assert Order.objects.filter(user=person, status=OrderStatus.PENDING).count() == 1


def test_the_cool_down_after_abandoning_ends(offers):
    person = make_user("patient@example.org", password=None)
    start = timezone.now()
    order = _service_checkout(person, offers["honey"], now=start, quantity="2")
    order_abandon(order_id=order.pk)
    released = Order.objects.get(pk=order.pk).released_at
    assert released is not None
    with translation.override("en"), pytest.raises(BookingError, match="less than 15 minutes"):
        _service_checkout(
            person, offers["honey"], now=released + dt.timedelta(minutes=14), quantity="1"
        )
    again = _service_checkout(
        person, offers["honey"], now=released + dt.timedelta(minutes=16), quantity="1"
    )
    assert again.status == OrderStatus.PENDING


def test_after_letting_a_hold_expire_the_same_capacity_waits_too(offers):
    person = make_user("lent@example.org", password=None)
    start = timezone.now()
    order = _service_checkout(person, offers["pitch"], now=start, start=_day(5), end=_day(8))
    expired_at = order.hold_expires_at
    # The periodic task runs a little after the hold ran out.
    assert holds_expire(now=expired_at + dt.timedelta(seconds=40)) == 1
    with translation.override("en"), pytest.raises(BookingError, match="less than 15 minutes"):
        _service_checkout(
            person,
            offers["pitch"],
            now=expired_at + dt.timedelta(minutes=10),
            start=_day(7),
            end=_day(9),
        )
    # Nights that do not overlap are fine at once; the same ones after the cool-down.
    other = _service_checkout(
        person,
        offers["pitch"],
        now=expired_at + dt.timedelta(minutes=10),
        start=_day(8),
        end=_day(9),
    )
    assert other.status == OrderStatus.PENDING
    later = _service_checkout(
        person,
        offers["pitch"],
        now=expired_at + dt.timedelta(minutes=16),
        start=_day(5),
        end=_day(8),
    )
    assert later.status == OrderStatus.PENDING


def test_an_expired_hold_the_task_has_not_released_yet_is_released_at_checkout(offers):
    """Its cool-down runs from when the hold ran out, not from the late release."""
    person = make_user("retour@example.org", password=None)
    start = timezone.now()
    first = _service_checkout(person, offers["honey"], now=start, quantity="1")
    second = _service_checkout(person, offers["honey"], now=start, quantity="1")
    # Two hours later (no worker ran): both holds ran out long ago.
    later = start + dt.timedelta(hours=2)
    third = _service_checkout(person, offers["honey"], now=later, quantity="1")
    assert third.status == OrderStatus.PENDING
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.EXPIRED
        assert order.released_at == order.hold_expires_at
    assert ProductStock.objects.get(offer=offers["honey"]).taken == 1


def test_another_account_is_not_cooled_down(offers, no_rate_limit):
    client, person = _login("premier@example.org")
    _add(client, offers["honey"], quantity="2")
    _checkout(client, person)
    _abandon(client, Order.objects.get(user=person))
    other_client, other = _login("second@example.org", ip="198.51.100.30")
    _add(other_client, offers["honey"], quantity="2")
    _checkout(other_client, other)
    assert Order.objects.filter(user=other, status=OrderStatus.PENDING).count() == 1


# --- The rate limit -----------------------------------------------------------------------------


def test_checkout_is_rate_limited_per_account(offers, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **getattr(settings, "ACCOUNT_RATE_LIMITS", {}),
        "checkout": "3/5m/user",
    }
    client, person = _login("rapide@example.org")
    _limits_set(max_unpaid_orders=10)
    for n in range(3):
        # Each from another address: the account's limit does not care.
        client.defaults["REMOTE_ADDR"] = f"203.0.113.{10 + n}"
        _add(client, offers["honey"], quantity="1")
        _checkout(client, person)
    assert Order.objects.filter(user=person).count() == 3
    client.defaults["REMOTE_ADDR"] = "203.0.113.99"
    _add(client, offers["honey"], quantity="1")
    before = _snapshot(person)
    response = _checkout(client, person)
    assert "Too many checkouts" in _messages(response)
    assert _snapshot(person) == before
    french = _checkout(client, person, language="fr")
    assert "Trop de commandes" in _messages(french)
    # Someone else, from the same address, is not slowed down by this account.
    other_client, other = _login("voisin@example.org", ip="203.0.113.99")
    _add(other_client, offers["honey"], quantity="1")
    _checkout(other_client, other)
    assert Order.objects.filter(user=other).count() == 1


def test_checkout_is_rate_limited_per_ip(offers, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **getattr(settings, "ACCOUNT_RATE_LIMITS", {}),
        "checkout": "2/5m/ip",
    }
    people = [_login(f"compte{n}@example.org", ip="192.0.2.50") for n in range(3)]
    for client, _person in people:
        _add(client, offers["honey"], quantity="1")
    _checkout(*people[0])
    _checkout(*people[1])
    client, person = people[2]
    before = _snapshot(person)
    response = _checkout(client, person)
    assert "Too many checkouts" in _messages(response)
    assert _snapshot(person) == before
    # The same account from another address goes through.
    client.defaults["REMOTE_ADDR"] = "192.0.2.51"
    _checkout(client, person)
    assert Order.objects.filter(user=person).count() == 1


def test_the_rate_limit_finds_the_client_behind_the_trusted_proxy(offers, settings):
    """allauth's client IP: with ALLAUTH_TRUSTED_PROXY_COUNT, X-Forwarded-For's client."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {
        **getattr(settings, "ACCOUNT_RATE_LIMITS", {}),
        "checkout": "1/5m/ip",
    }
    first, first_person = _login("a@example.org", ip="10.0.0.1")
    second, second_person = _login("b@example.org", ip="10.0.0.1")
    for client, person, forwarded in (
        (first, first_person, "198.51.100.1"),
        (second, second_person, "198.51.100.2"),
    ):
        client.defaults["HTTP_X_FORWARDED_FOR"] = forwarded
        _add(client, offers["honey"], quantity="1")
        _checkout(client, person)
    # Two clients behind the same proxy: each its own limit.
    assert Order.objects.count() == 2
    _add(first, offers["honey"], quantity="1")
    response = _checkout(first, first_person)
    assert "Too many checkouts" in _messages(response)
    assert Order.objects.count() == 2


def test_the_default_rate_stops_26_checkouts_in_a_row(offers):
    client, person = _login("rafale@example.org")
    refused = 0
    for _n in range(26):
        _add(client, offers["honey"], quantity="1")
        response = _checkout(client, person)
        refused += "Too many checkouts" in _messages(response)
    assert refused >= 20
    assert Order.objects.filter(user=person).count() <= 2


# --- The settings page --------------------------------------------------------------------------


def test_the_territory_settings_page_shows_the_limits(client, territory):
    admin = make_user("admin@example.org", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("wagtailsettings:edit", args=["marketplace", "territorysettings", territory.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for field in (
        "max_unpaid_orders",
        "max_held_per_offer",
        "max_held_nights",
        "max_lines_per_order",
        "hold_cooldown_minutes",
    ):
        assert f'name="{field}"' in html
