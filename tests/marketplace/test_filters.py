"""The offer filters: each alone, combined, ordering, and what they do with bad values."""

import datetime as dt

import pytest
from django.http import QueryDict
from django.utils import timezone, translation

from marketplace.models import ActivitySlot
from marketplace.selectors import offers_for_listing
from tests import factories
from tests.snapshots import Replay

TODAY = timezone.localdate


def day(n: int) -> dt.date:
    return TODAY() + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def _french_first():
    """Requests leave their language active in the thread: start each test in French,
    so ``page.url`` means the French URL."""
    with translation.override("fr"):
        yield


def build_world(territory):
    camping = factories.category("camping", "Camping", "Campsite")
    loisirs = factories.category("loisirs", "Loisirs", "Leisure")
    epicerie = factories.category("epicerie", "Épicerie", "Grocery")
    bio = factories.label("bio", "Agriculture biologique", "Organic")
    accessible = factories.label("accessible", "Accessible", "Accessible")
    campsite = factories.provider(territory, name="Camping des Érables", category_obj=camping)
    river = factories.provider(
        territory, name="Rivière Aventure", category_obj=loisirs, commune="Vallon"
    )
    shop = factories.provider(
        territory, name="Épicerie du Pont", category_obj=epicerie, commune="Vallon"
    )
    shop.labels.add(accessible)
    other_site_provider = None
    data = {
        "site": territory,
        "chalet": factories.stay(
            campsite,
            title="Chalet des Érables",
            units=2,
            guests_per_unit=4,
            min_nights=2,
            price_per_night=8000,
            closures=[(day(20), day(25))],
        ),
        "pitch": factories.stay(
            campsite,
            title="Emplacement tente",
            units=10,
            guests_per_unit=2,
            price_per_night=1500,
            labels=[bio],
        ),
        "canoe": factories.activity(
            river,
            title="Descente en canoë",
            price_per_person=3500,
            slots=[(factories.in_days(3), 8, 0), (factories.in_days(10), 8, 7)],
        ),
        "climbing": factories.activity(
            river,
            title="Escalade découverte",
            price_per_person=4500,
            slots=[(factories.in_days(4), 6, 6)],
        ),
        "honey": factories.product(shop, title="Miel de châtaignier", price_per_item=850, stock=5),
        "jam": factories.product(shop, title="Confiture de myrtilles", price_per_item=600, stock=0),
    }
    data["other_site_provider"] = other_site_provider
    return data


world_replay = Replay(build_world)


@pytest.fixture
def world(territory):
    """``build_world``, built once and then replayed (tests/snapshots.py)."""
    return world_replay(territory)


def titles(world, query: str) -> set[str]:
    search = offers_for_listing(site=world["site"], params=QueryDict(query))
    return {offer.title for offer in search.queryset}


def search(world, query: str):
    return offers_for_listing(site=world["site"], params=QueryDict(query))


ALL = {
    "Chalet des Érables",
    "Emplacement tente",
    "Descente en canoë",
    "Escalade découverte",
    "Miel de châtaignier",
    "Confiture de myrtilles",
}


def test_no_filter_lists_everything(world):
    assert titles(world, "") == ALL


SEARCHES = [
    ("erables", {"Chalet des Érables", "Emplacement tente"}),  # provider name too
    ("ÉRABLES chalet", {"Chalet des Érables"}),
    ("canoe", {"Descente en canoë"}),
    ("CHÂTAIGNIER", {"Miel de châtaignier"}),
    (
        "vallon",
        {
            "Descente en canoë",
            "Escalade découverte",
            "Miel de châtaignier",
            "Confiture de myrtilles",
        },
    ),
    ("introuvable", set()),
    ("50%_", set()),
]


def test_free_text_is_accent_and_case_insensitive(world):
    for q, expected in SEARCHES:
        params = QueryDict(mutable=True)
        params["q"] = q
        assert titles(world, params.urlencode()) == expected, q


def test_category_kind_commune_label(world):
    assert titles(world, "category=camping") == {"Chalet des Érables", "Emplacement tente"}
    assert titles(world, "kind=activity") == {"Descente en canoë", "Escalade découverte"}
    assert titles(world, "commune=Vallon") == ALL - {"Chalet des Érables", "Emplacement tente"}
    assert titles(world, "label=bio") == {"Emplacement tente"}
    # A provider's label covers its offers.
    assert titles(world, "label=accessible") == {"Miel de châtaignier", "Confiture de myrtilles"}


def test_prices_in_euros(world):
    assert titles(world, "price_max=10") == {"Miel de châtaignier", "Confiture de myrtilles"}
    assert titles(world, "price_min=40") == {"Chalet des Érables", "Escalade découverte"}
    assert titles(world, "price_min=8,50&price_max=15") == {
        "Miel de châtaignier",
        "Emplacement tente",
    }


def test_stay_dates_need_every_night_open_and_free(world):
    stays = "kind=stay&start={}&end={}"
    # Before the closure, two nights: both stays.
    assert titles(world, stays.format(day(5), day(7))) == {
        "Chalet des Érables",
        "Emplacement tente",
    }
    # One night is below the chalet's minimum of two.
    assert titles(world, stays.format(day(5), day(6))) == {"Emplacement tente"}
    # Overlapping the closure (20th to 25th included).
    assert titles(world, stays.format(day(18), day(21))) == {"Emplacement tente"}
    assert titles(world, stays.format(day(25), day(27))) == {"Emplacement tente"}
    # Leaving on the closure's first day is fine: that night is not needed.
    assert titles(world, stays.format(day(18), day(20))) == {
        "Chalet des Érables",
        "Emplacement tente",
    }
    # Both chalets taken on one night in the range.
    factories.take_nights(world["chalet"], day(6), 1, 2)
    assert titles(world, stays.format(day(5), day(8))) == {"Emplacement tente"}
    assert titles(world, stays.format(day(7), day(9))) == {
        "Chalet des Érables",
        "Emplacement tente",
    }


def test_stay_guests_need_enough_units(world):
    # Chalet: 2 units × 4 guests; pitch: 10 units × 2 guests.
    assert titles(world, "kind=stay&guests=8") == {"Chalet des Érables", "Emplacement tente"}
    assert titles(world, "kind=stay&guests=9") == {"Emplacement tente"}
    factories.take_nights(world["chalet"], day(6), 1, 1)  # one chalet left that night
    dates = f"start={day(5)}&end={day(8)}&kind=stay"
    assert titles(world, f"{dates}&guests=4") == {"Chalet des Érables", "Emplacement tente"}
    assert titles(world, f"{dates}&guests=5") == {"Emplacement tente"}
    factories.take_nights(world["pitch"], day(7), 1, 8)  # two pitches left: four guests
    assert titles(world, f"{dates}&guests=4") == {"Chalet des Érables", "Emplacement tente"}
    assert titles(world, f"{dates}&guests=5") == set()


def test_activities_need_a_slot_with_places_in_the_range(world):
    acts = "kind=activity&start={}&end={}"
    assert titles(world, acts.format(day(2), day(5))) == {"Descente en canoë"}  # climbing full
    assert titles(world, acts.format(day(5), day(9))) == set()
    # The end day is included for activities.
    assert titles(world, acts.format(day(8), day(10))) == {"Descente en canoë"}
    assert titles(world, acts.format(day(2), day(5)) + "&guests=8") == {"Descente en canoë"}
    assert titles(world, acts.format(day(2), day(5)) + "&guests=9") == set()
    assert titles(world, acts.format(day(9), day(11)) + "&guests=2") == set()  # 1 place left
    ActivitySlot.objects.filter(offer=world["canoe"]).update(cancelled=True)
    assert titles(world, acts.format(day(2), day(12))) == set()


def test_activity_guests_without_dates_need_a_future_slot(world):
    assert titles(world, "kind=activity&guests=8") == {"Descente en canoë"}
    assert titles(world, "kind=activity&guests=1") == {"Descente en canoë"}


def test_products_with_dates_need_stock_and_are_left_out_with_guests(world):
    assert titles(world, f"kind=product&start={day(2)}&end={day(4)}") == {"Miel de châtaignier"}
    assert titles(world, "kind=product&guests=1") == set()
    assert "Miel de châtaignier" not in titles(world, "guests=2")


def test_start_alone_means_one_night_or_that_day(world):
    assert titles(world, f"start={day(3)}") == {
        "Emplacement tente",  # the chalet needs two nights
        "Descente en canoë",
        "Miel de châtaignier",
    }


def test_combined_filters(world):
    query = f"commune=Vallon&start={day(2)}&end={day(5)}&guests=2&price_max=40&q=descente"
    assert titles(world, query) == {"Descente en canoë"}
    query = f"category=camping&start={day(5)}&end={day(7)}&guests=6&label=bio&price_min=10"
    assert titles(world, query) == {"Emplacement tente"}
    assert titles(world, "category=camping&kind=product") == set()


def test_ordering(world):
    def ordered(value):
        return [o.title for o in search(world, f"ordering={value}").queryset]

    by_price = ordered("price")
    assert by_price[0] == "Confiture de myrtilles" and by_price[-1] == "Chalet des Érables"
    assert ordered("-price") == by_price[::-1]
    assert ordered("name") == sorted(ALL)
    assert ordered("newest")[0] == "Confiture de myrtilles"  # published last


BAD_VALUES = [
    ("price_min=abc", "price_min"),
    ("price_min=-5", "price_min"),
    ("price_min=1.234", "price_min"),
    ("price_min=20&price_max=10", "price_max"),
    ("start=demain", "start"),
    ("start=2020-01-01", "start"),
    ("start={d5}&end={d3}", "end"),
    ("start={d5}&end={d5}", "end"),
    ("end={d5}", "end"),
    ("start={d5}&end={d200}", "end"),
    ("category=inconnue", "category"),
    ("label=inconnu", "label"),
    ("kind=voyage", "kind"),
    ("commune=Atlantide", "commune"),
    ("guests=0", "guests"),
    ("guests=500", "guests"),
    ("guests=deux", "guests"),
    ("ordering=random", "ordering"),
    ("q=" + "x" * 10_000, "q"),
]


def test_bad_values_are_reported_and_ignored(world):
    for query, field in BAD_VALUES:
        query = query.format(d3=day(3), d5=day(5), d200=day(200))
        result = search(world, query)
        assert field in result.errors, query
        assert result.error_messages, query
        # The bad filter is ignored: the rest of the catalogue is still there.
        assert {o.title for o in result.queryset} == ALL, query


def test_a_bad_value_does_not_disable_the_other_filters(world):
    result = search(world, "kind=stay&price_min=abc")
    assert "price_min" in result.errors
    assert {o.title for o in result.queryset} == {"Chalet des Érables", "Emplacement tente"}


def test_offers_of_another_site_are_not_listed(world):
    from wagtail.models import Page, Site

    from cms.models import HomePage, ProviderIndexPage

    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="Autre", slug="autre"))
    home.add_child(instance=ProviderIndexPage(title="Prestataires", slug="prestataires"))
    other = Site.objects.create(hostname="autre.example", port=80, root_page=home)
    provider = factories.provider(other, name="Ailleurs")
    factories.stay(provider, title="Chalet d'ailleurs")
    assert "Chalet d'ailleurs" not in titles(world, "")
    assert {o.title for o in offers_for_listing(site=other, params=QueryDict("")).queryset} == {
        "Chalet d'ailleurs"
    }
