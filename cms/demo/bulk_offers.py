"""Generated offers for the large catalogue (:mod:`cms.demo.bulk`), written in bulk.

The listing fields (kind, provider, listing category, commune, coordinates, price_from,
max_guests, search_text) are computed with the model's own methods, as
``OfferPage.refresh_denormalised`` does; an activity's slots are what
``activity_slots_generate`` would make.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cms.demo.bulk_pages import PageSteps, pages_bulk_insert, rows_insert
from cms.demo.bulk_providers import generated_collection
from cms.demo.images import image_ensure
from cms.models import ProviderPage
from marketplace.models import (
    ActivityOfferPage,
    ActivitySlot,
    Closure,
    OfferPage,
    ProductOfferPage,
    SeasonalPrice,
    StayOfferPage,
    WeeklySlot,
)
from marketplace.models.offers import normalise_text

SHARED_IMAGES_PER_KIND = 4
SLOT_DAYS = 90

GENERATED_OFFER_WORDS = {
    "stay": [
        ("Emplacement nature", "emplacement"), ("Chalet bois", "chalet"),
        ("Chambre double", "chambre"), ("Roulotte", "roulotte"), ("Yourte", "yourte"),
        ("Gîte familial", "gîte"), ("Cabane perchée", "cabane"),
    ],
    "product": [
        ("Miel de fleurs", "pot de 500 g"), ("Tomme fermière", "pièce"),
        ("Confiture de myrtilles", "pot de 350 g"), ("Saucisson", "pièce"),
        ("Jus de poire", "bouteille de 1 l"), ("Bière ambrée", "bouteille de 33 cl"),
        ("Bol en grès", "pièce"), ("Terrine de campagne", "bocal"), ("Lentilles", "sachet"),
        ("Huile de noix", "bouteille"), ("Panier garni", "panier"), ("Pain de seigle", "pain"),
    ],
    "activity": [
        "Descente en canoë", "Balade à cheval", "Randonnée accompagnée", "Atelier poterie",
        "Initiation escalade", "Sortie VTT", "Visite de la ferme", "Atelier cuisine",
        "Course d'orientation", "Pêche en rivière",
    ],
}  # fmt: skip


def _cents(rng: random.Random, low_euros: int, high_euros: int, step: int = 50) -> int:
    return rng.randrange(low_euros * 100, high_euros * 100 + 1, step)


def shared_images(kind: str) -> list:
    collection = generated_collection()
    titles = {"stay": "Séjour", "activity": "Activité", "product": "Produit"}
    return [
        image_ensure(
            title=f"{titles[kind]} (image partagée {n + 1})",
            subtitle="Catalogue généré",
            kind=kind,
            key=f"generated-{kind}-{n}",
            collection=collection,
        )
        for n in range(SHARED_IMAGES_PER_KIND)
    ]


def offer_generate(*, rng: random.Random, kind: str, index: int, today: dt.date):
    """An unsaved specific page with its in-memory children, and its label choice."""
    if kind == "stay":
        name, unit = rng.choice(GENERATED_OFFER_WORDS["stay"])
        units = rng.choice([1, 1, 2, 4, 6, 10, 20, 40])
        guests = rng.choice([2, 2, 4, 4, 5, 6, 8])
        page = StayOfferPage(
            title=f"{name} {index + 1}",
            summary=f"{name} pour {guests} personnes, {units} disponible(s).",
            unit_name=unit,
            units=units,
            guests_per_unit=guests,
            min_nights=rng.choice([1, 1, 2, 3]),
            price_per_night=_cents(rng, 25, 180),
            # Generated lets have no stars: the percentage of the price applies.
            tax_category="unclassified",
        )
        seasons = []
        if rng.random() < 0.6:
            for year in (today.year, today.year + 1):
                seasons.append(
                    SeasonalPrice(
                        name=f"Haute saison {year}",
                        start_date=dt.date(year, 7, 1),
                        end_date=dt.date(year, 8, 31),
                        price_per_night=page.price_per_night + _cents(rng, 5, 40),
                        sort_order=len(seasons),
                    )
                )
            if rng.random() < 0.5:
                seasons.append(
                    SeasonalPrice(
                        name=f"Basse saison {today.year + 1}",
                        start_date=dt.date(today.year + 1, 1, 5),
                        end_date=dt.date(today.year + 1, 3, 31),
                        price_per_night=max(page.price_per_night - _cents(rng, 5, 15), 1000),
                        sort_order=len(seasons),
                    )
                )
        page.seasonal_prices = seasons
        closures = []
        if rng.random() < 0.3:
            start = today + dt.timedelta(days=rng.randint(0, 120))
            closures.append(
                Closure(
                    start_date=start,
                    end_date=start + dt.timedelta(days=rng.randint(3, 30)),
                    reason="Fermeture",
                    sort_order=0,
                )
            )
        page.closures = closures
    elif kind == "activity":
        name = rng.choice(GENERATED_OFFER_WORDS["activity"])
        duration = rng.choice([60, 90, 120, 180, 240])
        page = ActivityOfferPage(
            title=f"{name} {index + 1}",
            summary=f"{name}, {duration // 60} h {duration % 60:02d}, avec un professionnel.",
            price_per_person=_cents(rng, 8, 75),
            duration_minutes=duration,
            places_per_slot=rng.choice([6, 8, 10, 12, 15, 20]),
            meeting_point="Devant l'accueil",
        )
        days = sorted(rng.sample(range(7), k=rng.randint(2, 4)))
        times = rng.sample(["09:00", "10:00", "14:00", "16:30"], k=rng.randint(1, 2))
        page.weekly_slots = [
            WeeklySlot(weekday=day, start_time=dt.time.fromisoformat(t), sort_order=n)
            for n, (day, t) in enumerate((d, t) for d in days for t in sorted(times))
        ]
    else:
        name, unit_label = rng.choice(GENERATED_OFFER_WORDS["product"])
        page = ProductOfferPage(
            title=f"{name} {index + 1}",
            summary=f"{name}, {unit_label}, à retirer en boutique.",
            price_per_item=_cents(rng, 3, 60, step=10),
            stock=rng.choice([0, 5, 10, 20, 50, 100, 200]),
            unit_label=unit_label,
            pickup_instructions="À retirer en boutique.",
        )
    page.description = f"<p>{page.summary}</p>"
    page.cancellation_policy = rng.choice(["", "", "flexible", "moderate", "strict"])
    page.instant_booking = rng.random() < 0.8
    page.search_description = page.summary[:255]
    return page


def _slots_for(page: ActivityOfferPage, *, today: dt.date) -> list[ActivitySlot]:
    """What ``activity_slots_generate`` would make for a new offer, without its queries."""
    tz = timezone.get_current_timezone()
    now = timezone.now()
    by_weekday: dict[int, list[WeeklySlot]] = {}
    for weekly in page.weekly_slots.all():
        by_weekday.setdefault(weekly.weekday, []).append(weekly)
    slots = []
    duration = dt.timedelta(minutes=page.duration_minutes)
    for offset in range(SLOT_DAYS):
        day = today + dt.timedelta(days=offset)
        for weekly in by_weekday.get(day.weekday(), ()):
            starts_at = dt.datetime.combine(day, weekly.start_time, tzinfo=tz)
            if starts_at <= now:
                continue
            slots.append(
                ActivitySlot(
                    offer_id=page.pk,
                    starts_at=starts_at,
                    ends_at=starts_at + duration,
                    places=weekly.places or page.places_per_slot,
                )
            )
    return slots


@transaction.atomic
def offers_write(
    items: list[tuple[ProviderPage, OfferPage, list]],
    *,
    steps: PageSteps,
    images: dict[str, list],
    now,
    today: dt.date,
) -> None:
    """Write one batch of generated offers: pages, inline children, slots and labels."""
    for parent, page, _labels in items:
        provider = parent.provider
        page.slug = slugify(page.title)[:200]
        page.cover_image = images[page.kind][len(page.title) % len(images[page.kind])]
        # Listing fields, as refresh_denormalised() would set them.
        page.provider_id = provider.pk
        page.commune = provider.commune
        page.latitude = provider.latitude
        page.longitude = provider.longitude
        page.listing_category_id = page.category_id or provider.category_id
        page.price_from = page.compute_price_from()
        page.max_guests = page.compute_max_guests()
        page.search_text = normalise_text(
            " ".join(filter(None, [page.title, page.summary, provider.name, page.commune]))
        )
    pages_bulk_insert([(parent, page) for parent, page, _ in items], steps=steps, now=now)

    seasons, closures, weekly_slots, slots, labels = [], [], [], [], []
    LabelThrough = OfferPage.labels.through
    for _parent, page, page_labels in items:
        if isinstance(page, StayOfferPage):
            for row in page.seasonal_prices.all():
                row.page_id = page.pk
                seasons.append(row)
            for row in page.closures.all():
                row.page_id = page.pk
                closures.append(row)
        elif isinstance(page, ActivityOfferPage):
            for row in page.weekly_slots.all():
                row.page_id = page.pk
                weekly_slots.append(row)
            slots.extend(_slots_for(page, today=today))
        labels.extend(LabelThrough(offerpage_id=page.pk, label_id=lab.pk) for lab in page_labels)
    for model, rows in (
        (SeasonalPrice, seasons),
        (Closure, closures),
        (WeeklySlot, weekly_slots),
        (ActivitySlot, slots),
        (LabelThrough, labels),
    ):
        rows_insert(model, rows)
