"""Activity slots generated from the weekly pattern, on publish and every night."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cms.models import ProviderPage
from marketplace.models import ActivityOfferPage, ActivitySlot, TerritorySettings, WeeklySlot
from marketplace.services import activity_slots_extend_all, activity_slots_generate
from marketplace.tasks import activity_slots_extend
from tests.config.test_admin_isolation import add_form
from tests.conftest import make_provider, make_user

PARIS = ZoneInfo(settings.TIME_ZONE)
# A Monday, the week before France moves to summer time (28 March 2027).
MONDAY = dt.date(2027, 3, 22)


@pytest.fixture
def provider_page(territory, category):
    member = make_user("guide@example.org")
    provider = make_provider(territory, name="Guides du Causse", category=category, member=member)
    return ProviderPage.objects.get(provider=provider)


@pytest.fixture
def activity(provider_page):
    offer = provider_page.add_child(
        instance=ActivityOfferPage(
            title="Via ferrata",
            slug="via-ferrata",
            summary="Trois heures sur la falaise.",
            price_per_person=3500,
            duration_minutes=180,
            places_per_slot=8,
        )
    )
    WeeklySlot.objects.create(page=offer, weekday=0, start_time=dt.time(10, 0))
    WeeklySlot.objects.create(page=offer, weekday=2, start_time=dt.time(14, 30), places=4)
    return ActivityOfferPage.objects.get(pk=offer.pk)


def local_starts(offer):
    return [s.starts_at.astimezone(PARIS) for s in offer.slots.order_by("starts_at")]


def test_generates_slots_from_weekly_pattern_in_local_time(activity):
    assert MONDAY.weekday() == 0
    created = activity_slots_generate(offer=activity, start=MONDAY, days=14)
    assert created == 4
    starts = local_starts(activity)
    assert [(s.date(), s.time()) for s in starts] == [
        (dt.date(2027, 3, 22), dt.time(10, 0)),
        (dt.date(2027, 3, 24), dt.time(14, 30)),
        (dt.date(2027, 3, 29), dt.time(10, 0)),
        (dt.date(2027, 3, 31), dt.time(14, 30)),
    ]
    # Across the change to summer time the local time stays, the UTC time moves.
    utc = [s.starts_at.astimezone(dt.UTC).time() for s in activity.slots.order_by("starts_at")]
    assert utc[0] == dt.time(9, 0) and utc[2] == dt.time(8, 0)
    slots = list(activity.slots.order_by("starts_at"))
    assert [s.places for s in slots] == [8, 4, 8, 4]
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=180) for s in slots)


def test_generation_is_idempotent(activity):
    assert activity_slots_generate(offer=activity, start=MONDAY, days=14) == 4
    assert activity_slots_generate(offer=activity, start=MONDAY, days=14) == 0
    assert activity_slots_generate(offer=activity, start=MONDAY, days=21) == 2
    assert activity.slots.count() == 6


def test_past_times_are_skipped(activity):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    activity_slots_generate(offer=activity, start=yesterday, days=14)
    assert activity.slots.exists()
    assert not activity.slots.filter(starts_at__lte=timezone.now()).exists()


def test_pattern_changes_never_touch_slots_with_places_taken(activity):
    activity_slots_generate(offer=activity, start=MONDAY, days=14)
    booked = activity.slots.order_by("starts_at").first()  # Monday 22, 10:00
    booked.places_taken = 3
    booked.save()

    # The provider drops Mondays and gives more places.
    activity.weekly_slots.filter(weekday=0).delete()
    activity.places_per_slot = 10
    activity.save()
    WeeklySlot.objects.filter(page=activity).update(places=None)
    assert activity_slots_generate(offer=activity, start=MONDAY, days=14) == 0

    booked.refresh_from_db()
    assert not booked.cancelled and booked.places == 8 and booked.places_taken == 3
    other_monday = activity.slots.get(starts_at__date=dt.date(2027, 3, 29))
    assert other_monday.cancelled
    assert list(
        activity.slots.filter(cancelled=False)
        .exclude(pk=booked.pk)
        .values_list("places", flat=True)
    ) == [10, 10]

    # Mondays come back: the free slot is offered again.
    WeeklySlot.objects.create(page=activity, weekday=0, start_time=dt.time(10, 0))
    activity_slots_generate(offer=activity, start=MONDAY, days=14)
    other_monday.refresh_from_db()
    assert not other_monday.cancelled


def test_publishing_an_activity_generates_90_days(activity):
    assert not activity.slots.exists()
    activity.save_revision().publish()
    today = timezone.localdate()
    horizon = dt.datetime.combine(today + dt.timedelta(days=90), dt.time.min, tzinfo=PARIS)
    slots = activity.slots.all()
    # Two slots a week for 90 days (give or take today's, if already past).
    assert 24 <= slots.count() <= 28
    assert all(s.starts_at < horizon for s in slots)


def test_daily_task_extends_live_activities_only(activity, provider_page):
    draft = provider_page.add_child(
        instance=ActivityOfferPage(
            title="Brouillon", slug="brouillon", summary="x", price_per_person=100, live=False
        )
    )
    WeeklySlot.objects.create(page=draft, weekday=0, start_time=dt.time(9, 0))
    activity.save_revision().publish()
    activity.slots.all().delete()

    created = activity_slots_extend_all(today=MONDAY)
    assert created == 26
    assert not ActivitySlot.objects.filter(offer=draft).exists()
    assert activity_slots_extend_all(today=MONDAY) == 0
    assert activity_slots_extend_all(today=MONDAY + dt.timedelta(days=7)) == 2

    # The huey periodic task runs the same service.
    assert activity_slots_extend.call_local() >= 0


def test_member_activity_with_weekly_slots_through_admin(client, territory, provider_page):
    settings_ = TerritorySettings.for_site(territory)
    settings_.require_offer_approval = False
    settings_.save()
    member = provider_page.provider.members.get()
    client.force_login(member)
    data = add_form(client, "activityofferpage", provider_page)
    data.update(
        {
            "title": "Spéléologie",
            "slug": "speleo",
            "summary": "Deux heures sous terre.",
            "price_per_person": "40.00",
            "duration_minutes": "120",
            "places_per_slot": "6",
            "weekly_slots-TOTAL_FORMS": "1",
            "weekly_slots-0-weekday": "5",
            "weekly_slots-0-start_time": "09:30",
            "weekly_slots-0-places": "",
            "weekly_slots-0-ORDER": "1",
            "action-submit": "1",
        }
    )
    url = reverse(
        "wagtailadmin_pages:add", args=("marketplace", "activityofferpage", provider_page.pk)
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    offer = ActivityOfferPage.objects.get(slug="speleo")
    assert offer.live
    assert offer.price_from == 4000 and offer.max_guests == 6
    starts = local_starts(offer)
    assert 12 <= len(starts) <= 13
    assert all(s.weekday() == 5 and s.time() == dt.time(9, 30) for s in starts)
    assert set(offer.slots.values_list("places", flat=True)) == {6}
