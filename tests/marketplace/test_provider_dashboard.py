"""A provider's dashboard on the admin home (issue 14): today's arrivals and departures,
what waits on the provider, what it is owed and when, what needs attention.

"Today" is fixed through the dashboard's seam (``marketplace.dashboard.local_today``): a
day three weeks ahead, so that bookings made through the real services (cart, checkout,
payment) arrive, leave and take their slots on it.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.services import FINANCE_GROUP
from commissions.rules_io import rules_import
from marketplace import dashboard
from marketplace.books.ledger import provider_account
from marketplace.dashboard import ProviderDashboardPanel, provider_dashboard
from marketplace.models import BookingStatus
from marketplace.orders.transitions import booking_cancel
from marketplace.payouts.payable import payable_balances
from tests import factories
from tests.conftest import make_provider, make_user
from tests.marketplace.orders.test_booking_admin import RULES, book
from tests.snapshots import Replay

TODAY = timezone.localdate() + dt.timedelta(days=21)


def stay(offer, *, start: dt.date, nights: int = 2, units: int = 1):
    end = start + dt.timedelta(days=nights)
    return (offer, {"start": start.isoformat(), "end": end.isoformat(), "units": str(units)})


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(dashboard, "local_today", lambda: TODAY)
    return TODAY


def build_world(territory, category, today):
    rules_import(site=territory, data=RULES, publish=True)
    alice = make_user("alice@example.org")
    bob = make_user("bob@example.org")
    camping = make_provider(territory, name="Camping des Pins", category=category, member=alice)
    farm = make_provider(territory, name="Ferme Bob", category=category, member=bob)
    pitch = factories.stay(camping, title="Emplacement tente", units=20, price_per_night=2000)
    canoe = factories.activity(
        camping,
        title="Descente en canoë",
        slots=[(at(today, 10), 8, 0), (at(today + dt.timedelta(days=1), 10), 8, 0)],
    )
    gite = factories.stay(farm, title="Gîte de la ferme", units=2, price_per_night=9000)
    vera = make_user("vera@example.org", first_name="Vera", last_name="Visiteuse")
    other = make_user("other@example.org")
    slots = list(canoe.slots.order_by("starts_at"))
    orders = {
        "arrival": book(user=vera, lines=[stay(pitch, start=today)]),
        "departure": book(
            user=other, lines=[stay(pitch, start=today - dt.timedelta(days=3), nights=3)]
        ),
        "tomorrow": book(user=other, lines=[stay(pitch, start=today + dt.timedelta(days=1))]),
        "canoe_today": book(user=vera, lines=[(canoe, {"slot": str(slots[0].pk), "persons": "2"})]),
        "canoe_tomorrow": book(
            user=other, lines=[(canoe, {"slot": str(slots[1].pk), "persons": "1"})]
        ),
        "farm_arrival": book(user=vera, lines=[stay(gite, start=today)]),
    }
    bookings = {name: order.bookings.get() for name, order in orders.items()}
    return {
        "site": territory,
        "alice": alice,
        "bob": bob,
        "camping": camping,
        "farm": farm,
        "pitch": pitch,
        "canoe": canoe,
        "gite": gite,
        "vera": vera,
        "other": other,
        **bookings,
    }


world_replay = Replay(build_world)


@pytest.fixture
def world(territory, category, today):
    """Two providers with their members, offers and paid bookings around ``today``, built
    once through the real services and then replayed (tests/snapshots.py)."""
    return world_replay(territory, category, today)


def refs(bookings) -> set[str]:
    return {booking.reference for booking in bookings}


def test_today_shows_only_todays_arrivals_departures_and_activities(world, today):
    board = provider_dashboard(user=world["alice"])
    assert board.today == today
    assert refs(board.arrivals) == {world["arrival"].reference}
    assert refs(board.departures) == {world["departure"].reference}
    assert refs(board.activities) == {world["canoe_today"].reference}
    # Tomorrow's stay and slot and the other provider's arrival are not today's.
    everything = refs(board.arrivals + board.departures + board.activities + board.goods)
    for name in ("tomorrow", "canoe_tomorrow", "farm_arrival"):
        assert world[name].reference not in everything


def test_the_dashboard_shows_one_providers_data_to_its_members_only(client, world):
    client.force_login(world["alice"])
    page = client.get("/admin/").content.decode()
    assert "data-provider-dashboard" in page
    assert world["arrival"].reference in page and world["departure"].reference in page
    assert "Vera Visiteuse" in page and "vera@example.org" in page
    assert f"/admin/bookings/inspect/{world['arrival'].pk}/" in page
    assert world["farm_arrival"].reference not in page
    assert "Gîte de la ferme" not in page

    client.force_login(world["bob"])
    page = client.get("/admin/").content.decode()
    assert world["farm_arrival"].reference in page
    for name in ("arrival", "departure", "canoe_today"):
        assert world[name].reference not in page
    # The farm waits on nothing: the panel says what it looked at.
    assert "Aucune réservation, offre ou coordonnée bancaire n'attend votre action." in page


def test_finance_staff_get_no_provider_dashboard(client, world):
    finance = make_user("finances@example.org", groups=(FINANCE_GROUP,))
    client.force_login(finance)
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "data-provider-dashboard" not in page.content.decode()
    assert provider_dashboard(user=finance) is None


def test_owed_amounts_are_the_ledgers_payable_balances(client, world, today):
    account = provider_account(world["camping"].pk)
    expected = payable_balances(site=world["site"], on=today, accounts=[account])[account]
    assert expected.credited > 0  # the camping's paid bookings
    board = provider_dashboard(user=world["alice"])
    (owed,) = board.owed
    assert owed.provider == world["camping"]
    assert owed.payable == expected
    client.force_login(world["alice"])
    page = client.get("/admin/").content.decode()
    from commissions.money import money

    assert money(expected.payable, "EUR") in page
    assert money(expected.due, "EUR") in page
    if expected.next_due_on:
        from django.utils.formats import date_format

        assert date_format(expected.next_due_on, "DATE_FORMAT") in page


def test_a_visitors_cancellation_waits_on_its_provider_only(world, today):
    now = at(today, 8)  # this morning, before either stay begins
    booking_cancel(
        booking_id=world["tomorrow"].pk, by_provider=False, reason="Malade", notify=False, now=now
    )
    booking_cancel(
        booking_id=world["farm_arrival"].pk,
        by_provider=False,
        reason="Malade",
        notify=False,
        now=now,
    )
    board = provider_dashboard(user=world["alice"])
    assert refs(board.cancellations) == {world["tomorrow"].reference}
    assert board.cancellations[0].status == BookingStatus.CANCELLED_BY_VISITOR
    assert refs(provider_dashboard(user=world["bob"]).cancellations) == {
        world["farm_arrival"].reference
    }


def test_a_checkout_awaiting_payment_is_counted(world, today):
    book(
        user=world["vera"],
        lines=[stay(world["pitch"], start=today + dt.timedelta(days=5))],
        pay=False,
    )
    assert provider_dashboard(user=world["alice"]).awaiting_payment == 1
    assert provider_dashboard(user=world["bob"]).awaiting_payment == 0


def test_attention_full_nights_and_slots_closures_low_stock_and_missing_cover(world, today):
    from marketplace.models import Closure

    slot = world["canoe"].slots.order_by("starts_at").first()
    slot.places_taken = slot.places
    slot.save(update_fields=["places_taken"])
    full_on = today + dt.timedelta(days=2)
    factories.take_nights(world["pitch"], full_on, 1, world["pitch"].units)
    factories.take_nights(world["pitch"], today + dt.timedelta(days=10), 1, world["pitch"].units)
    factories.take_nights(world["gite"], full_on, 1, world["gite"].units)  # another's
    soon = Closure.objects.create(
        page=world["pitch"],
        start_date=today + dt.timedelta(days=5),
        end_date=today + dt.timedelta(days=9),
    )
    Closure.objects.create(  # too far ahead to matter this morning
        page=world["pitch"],
        start_date=today + dt.timedelta(days=40),
        end_date=today + dt.timedelta(days=45),
    )
    Closure.objects.create(page=world["gite"], start_date=today, end_date=today)  # another's
    honey = factories.product(world["camping"], title="Miel", stock=2)
    board = provider_dashboard(user=world["alice"])
    assert [s.pk for s in board.full_slots] == [slot.pk]
    assert [(n.offer_id, n.date) for n in board.full_nights] == [(world["pitch"].pk, full_on)]
    assert [c.pk for c in board.closures] == [soon.pk]
    assert [o.pk for o in board.low_stock] == [honey.pk]
    assert honey.pk in {o.pk for o in board.no_cover}  # the factories give no cover image
    assert world["gite"].pk not in {o.pk for o in board.no_cover}  # another provider's


def test_an_offer_under_the_editors_review_waits_on_them(client, world, territory):
    from marketplace.models import ProductOfferPage
    from tests.marketplace.test_workflow import require_approval

    require_approval(territory, True)
    offer = ProductOfferPage(title="Confiture", summary="Maison", price_per_item=500, stock=9)
    world["camping"].page.add_child(instance=offer)
    offer.save_revision(user=world["alice"])
    offer.get_workflow().start(offer, world["alice"])
    board = provider_dashboard(user=world["alice"])
    assert [o.pk for o in board.offers_in_moderation] == [offer.pk]
    assert offer.pk not in {o.pk for o in board.offers_draft}
    assert not provider_dashboard(user=world["bob"]).offers_in_moderation
    client.force_login(world["alice"])
    assert 'data-waiting="moderation"' in client.get("/admin/").content.decode()


def test_the_dashboard_runs_a_fixed_number_of_queries(world, today):
    def measured() -> int:
        user = type(world["alice"]).objects.get(pk=world["alice"].pk)
        with CaptureQueriesContext(connection) as queries:
            html = ProviderDashboardPanel(user).render_html({})
        assert "data-provider-dashboard" in html
        return len(queries)

    before = measured()
    for offset in range(4):
        book(user=world["other"], lines=[stay(world["pitch"], start=today)])
        book(
            user=world["vera"],
            lines=[
                stay(world["pitch"], start=today - dt.timedelta(days=2 + offset), nights=2 + offset)
            ],
        )
    canoe_slot = world["canoe"].slots.order_by("starts_at").first()
    book(
        user=world["other"], lines=[(world["canoe"], {"slot": str(canoe_slot.pk), "persons": "3"})]
    )
    board = provider_dashboard(user=world["alice"])
    assert len(board.arrivals) == 5 and len(board.departures) == 5 and len(board.activities) == 2
    after = measured()
    assert after == before, (before, after)
    assert after <= 14, after  # 13 today: see provider_dashboard


def test_drafts_and_bank_details_under_review_wait_on_their_provider_only(client, world):
    from marketplace.models import ProductOfferPage
    from marketplace.payouts.services import bank_account_submit

    draft = ProductOfferPage(title="Confiture", summary="Maison", price_per_item=500, stock=9)
    world["camping"].page.add_child(instance=draft)
    draft.save_revision()
    draft.unpublish()
    bank_account_submit(
        site=world["site"],
        account=provider_account(world["camping"].pk),
        holder_name="Camping des Pins",
        iban="FR7630006000011234567890189",
        by=world["alice"],
    )
    board = provider_dashboard(user=world["alice"])
    assert [o.pk for o in board.offers_draft] == [draft.pk]
    assert [b.account for b in board.bank_details_pending] == [
        provider_account(world["camping"].pk)
    ]
    assert draft.pk not in {o.pk for o in board.no_cover}  # not live: no cover asked yet
    other = provider_dashboard(user=world["bob"])
    assert not other.offers_draft and not other.bank_details_pending

    client.force_login(world["alice"])
    page = client.get("/admin/").content.decode()
    assert 'data-waiting="draft"' in page and "Confiture" in page
    assert 'data-waiting="bank-details"' in page
    client.force_login(world["bob"])
    page = client.get("/admin/").content.decode()
    assert "Confiture" not in page and 'data-waiting="bank-details"' not in page
