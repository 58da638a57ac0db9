"""A large generated catalogue for benchmarks, written in bulk.

Providers still go through ``provider_approve`` (their admin group, collection and page
are what the storefront and admin expect). Offers are written without page revisions:
the ``wagtailcore_page`` rows with ``bulk_create`` (paths computed here, as treebeard
would), then each inheritance level's table with one multi-row INSERT per batch, then
the inline children. The listing fields (kind, provider, listing category, commune,
coordinates, price_from, max_guests, search_text) are computed with the model's own
methods, so that they match what ``OfferPage.refresh_denormalised`` gives.

Everything generated is derived from ``random.Random(f"{seed}-...-{index}")``: the same
numbers and seed give the same catalogue, and growing it later only adds the difference.
"""

import datetime as dt
import random
import uuid
from collections.abc import Callable
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Collection, Page, Site

from cms.models import ProviderPage
from cms.seeding import data
from cms.seeding.demo import siret_for
from cms.seeding.images import image_ensure
from marketplace.models import (
    ActivityOfferPage,
    ActivitySlot,
    Closure,
    Label,
    OfferPage,
    ProductOfferPage,
    Provider,
    ProviderCategory,
    ProviderStatus,
    SeasonalPrice,
    StayOfferPage,
    WeeklySlot,
)
from marketplace.models.offers import normalise_text
from marketplace.services import provider_approve

GENERATED_PREFIX = "gen-"
SHARED_IMAGES_PER_KIND = 4
SLOT_DAYS = 90
BATCH = 1000
CATEGORY_KIND = {slug: kind for slug, _fr, _en, _order, kind in data.CATEGORIES}


def _rng(seed: int, what: str, index: int) -> random.Random:
    return random.Random(f"{seed}-{what}-{index}")  # noqa: S311 (demo data, not secrets)


def _cents(rng: random.Random, low_euros: int, high_euros: int, step: int = 50) -> int:
    return rng.randrange(low_euros * 100, high_euros * 100 + 1, step)


# --- providers -------------------------------------------------------------------------------


def providers_generate(*, site: Site, count: int, start: int, seed: int, by) -> int:
    """Create ``count`` generated providers numbered from ``start`` and approve them."""
    categories = {c.slug: c for c in ProviderCategory.objects.filter(slug__in=CATEGORY_KIND)}
    labels = list(Label.objects.order_by("slug"))
    category_slugs = sorted(categories)
    created = []
    for index in range(start, start + count):
        rng = _rng(seed, "provider", index)
        category = categories[rng.choice(category_slugs)]
        kind = CATEGORY_KIND[category.slug]
        commune, postcode, lat, lon = rng.choice(data.COMMUNES)
        name = (
            f"{rng.choice(data.GENERATED_PROVIDER_NAMES[kind])} "
            f"{rng.choice(data.GENERATED_PLACE_WORDS)} n° {index + 1}"
        )
        slug = f"{GENERATED_PREFIX}{index + 1:05d}-{slugify(name)}"[:160]
        provider = Provider(
            site=site,
            name=name,
            legal_name=f"{name} SARL",
            slug=slug,
            category=category,
            commune=commune,
            address=f"{rng.randint(1, 90)} route {rng.choice(data.GENERATED_PLACE_WORDS)}",
            postcode=postcode,
            latitude=(Decimal(lat) + Decimal(rng.randint(-200, 200)) / 10000).quantize(
                Decimal("0.000001")
            ),
            longitude=(Decimal(lon) + Decimal(rng.randint(-200, 200)) / 10000).quantize(
                Decimal("0.000001")
            ),
            siret=siret_for(slug),
            contact_name="Contact démo",
            email=f"contact@{GENERATED_PREFIX}{index + 1:05d}.localhost",
            description=f"{name}, à {commune} : un prestataire généré pour les essais de charge.",
        )
        created.append((provider, rng.sample(labels, k=rng.randint(0, min(2, len(labels))))))
    Provider.objects.bulk_create([p for p, _ in created])
    Through = Provider.labels.through
    Through.objects.bulk_create(
        [
            Through(provider_id=p.pk, label_id=label.pk)
            for p, provider_labels in created
            for label in provider_labels
        ]
    )
    for provider, _ in created:
        provider_approve(provider=provider, by=by)
    return len(created)


# --- offers ------------------------------------------------------------------------------------


def shared_images(kind: str) -> list:
    root = Collection.get_first_root_node()
    collection = Collection.objects.child_of(root).filter(
        name="Catalogue généré"
    ).first() or root.add_child(name="Catalogue généré")
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


def _offer_generate(*, rng: random.Random, kind: str, index: int, today: dt.date):
    """An unsaved specific page with its in-memory children, and its label choice."""
    if kind == "stay":
        name, unit = rng.choice(data.GENERATED_OFFER_WORDS["stay"])
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
        name = rng.choice(data.GENERATED_OFFER_WORDS["activity"])
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
        name, unit_label = rng.choice(data.GENERATED_OFFER_WORDS["product"])
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


def _insert_level(model, objs) -> None:
    """One multi-row INSERT per batch into ``model``'s own table (one inheritance level)."""
    fields = model._meta.local_concrete_fields
    batch = max(1, min(BATCH, connection.ops.bulk_batch_size(fields, objs) or BATCH))
    for i in range(0, len(objs), batch):
        model._base_manager._insert(objs[i : i + batch], fields=fields, using=connection.alias)


def _slots_for(page: ActivityOfferPage, *, today: dt.date) -> list[ActivitySlot]:
    tz = timezone.get_current_timezone()
    by_weekday: dict[int, list[WeeklySlot]] = {}
    for weekly in page.weekly_slots.all():
        by_weekday.setdefault(weekly.weekday, []).append(weekly)
    slots = []
    duration = dt.timedelta(minutes=page.duration_minutes)
    for offset in range(SLOT_DAYS):
        day = today + dt.timedelta(days=offset)
        for weekly in by_weekday.get(day.weekday(), ()):
            starts_at = dt.datetime.combine(day, weekly.start_time, tzinfo=tz)
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
def _offers_write(
    items: list[tuple[ProviderPage, Provider, OfferPage, list]],
    *,
    images: dict[str, list],
    now,
    today: dt.date,
) -> None:
    """Write one batch of generated offers (their parents' next paths are computed here)."""
    content_types = {
        model: ContentType.objects.get_for_model(model)
        for model in (StayOfferPage, ActivityOfferPage, ProductOfferPage)
    }
    # Next free step under each parent, from the database (robust to earlier runs).
    parent_ids = {parent.pk for parent, *_ in items}
    parents = {p.pk: p for p in Page.objects.filter(pk__in=parent_ids)}
    last_paths: dict[int, int] = {}
    for parent in parents.values():
        last = Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1).aggregate(
            last=Max("path")
        )["last"]
        last_paths[parent.pk] = Page._str2int(last[-Page.steplen :]) if last else 0

    base_rows = []
    added: dict[int, int] = {}
    for parent_page, provider, page, _labels in items:
        parent = parents[parent_page.pk]
        step = last_paths[parent.pk] + 1
        last_paths[parent.pk] = step
        added[parent.pk] = added.get(parent.pk, 0) + 1
        page.slug = slugify(page.title)[:200] or f"offre-{step}"
        page.path = Page._get_path(parent.path, parent.depth + 1, step)
        page.depth = parent.depth + 1
        page.numchild = 0
        page.url_path = f"{parent.url_path}{page.slug}/"
        page.draft_title = page.title
        page.live = True
        page.has_unpublished_changes = False
        page.first_published_at = page.last_published_at = now
        page.locale_id = parent.locale_id
        page.translation_key = uuid.uuid4()
        page.content_type = content_types[type(page)]
        page.cover_image = images[page.kind][step % len(images[page.kind])]
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
        base_rows.append(
            Page(
                **{
                    f.attname: getattr(page, f.attname)
                    for f in Page._meta.concrete_fields
                    if not f.primary_key
                }
            )
        )
    Page.objects.bulk_create(base_rows, batch_size=500)
    for page, base in zip((item[2] for item in items), base_rows, strict=True):
        page.pk = page.id = page.page_ptr_id = page.offerpage_ptr_id = base.pk

    _insert_level(OfferPage, [item[2] for item in items])
    for model in (StayOfferPage, ActivityOfferPage, ProductOfferPage):
        _insert_level(model, [item[2] for item in items if type(item[2]) is model])

    seasons, closures, weekly_slots, slots, labels = [], [], [], [], []
    LabelThrough = OfferPage.labels.through
    for _parent, _provider, page, page_labels in items:
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
    SeasonalPrice.objects.bulk_create(seasons, batch_size=BATCH)
    Closure.objects.bulk_create(closures, batch_size=BATCH)
    WeeklySlot.objects.bulk_create(weekly_slots, batch_size=BATCH)
    ActivitySlot.objects.bulk_create(slots, batch_size=BATCH)
    LabelThrough.objects.bulk_create(labels, batch_size=BATCH)
    for parent_id, n in added.items():
        Page.objects.filter(pk=parent_id).update(numchild=models.F("numchild") + n)


def catalogue_extend(
    *, offers: int, providers: int, seed: int = 2026, log: Callable[[str], None] = print
) -> dict:
    """Grow the default territory to at least ``providers`` approved providers and
    ``offers`` live offers with generated ones. Returns what was added."""
    from django.contrib.auth import get_user_model

    site = Site.objects.get(is_default_site=True)
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    today = timezone.localdate()
    added = {"providers": 0, "offers": 0}

    approved = Provider.objects.filter(site=site, status=ProviderStatus.APPROVED)
    missing = providers - approved.count()
    if missing > 0:
        generated = Provider.objects.filter(slug__startswith=GENERATED_PREFIX).count()
        for start in range(generated, generated + missing, 100):
            n = min(100, generated + missing - start)
            with transaction.atomic():
                added["providers"] += providers_generate(
                    site=site, count=n, start=start, seed=seed, by=admin
                )
            log(f"  providers: {added['providers']}/{missing}")

    live = OfferPage.objects.filter(live=True, provider__site=site)
    missing = offers - live.count()
    if missing > 0:
        pages = list(
            ProviderPage.objects.filter(provider__site=site, provider__status="approved")
            .select_related("provider", "provider__category")
            .order_by("provider__slug")
        )
        pool = [p for p in pages if p.provider.slug.startswith(GENERATED_PREFIX)] or pages
        all_labels = list(Label.objects.order_by("slug"))
        images = {kind: shared_images(kind) for kind in ("stay", "activity", "product")}
        now = timezone.now()
        first = OfferPage.objects.filter(provider__slug__startswith=GENERATED_PREFIX).count()
        if pool is pages:
            first = live.count()
        for batch_start in range(first, first + missing, BATCH):
            items = []
            for index in range(batch_start, min(batch_start + BATCH, first + missing)):
                parent = pool[index % len(pool)]
                rng = _rng(seed, "offer", index)
                kind = CATEGORY_KIND.get(parent.provider.category.slug, "product")
                page = _offer_generate(rng=rng, kind=kind, index=index, today=today)
                page_labels = rng.sample(all_labels, k=rng.randint(0, min(2, len(all_labels))))
                items.append((parent, parent.provider, page, page_labels))
            _offers_write(items, images=images, now=now, today=today)
            added["offers"] += len(items)
            log(f"  offers: {added['offers']}/{missing}")
    added["total_offers"] = live.count()
    return added
