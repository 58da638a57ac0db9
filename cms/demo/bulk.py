"""A large generated catalogue for benchmarks, written in bulk.

Providers get what ``provider_approve`` gives them (admin group, image collection with
its permissions, a live provider page with the group's page permissions), written in
bulk; the demo's providers go through the service itself, and a test compares the two.
Pages are written without revisions: the ``wagtailcore_page`` rows with ``bulk_create``
(paths computed here, as treebeard would), then each inheritance level's table with
multi-row INSERTs, then the inline children. The listing fields (kind, provider,
listing category, commune, coordinates, price_from, max_guests, search_text) are
computed with the model's own methods, as ``OfferPage.refresh_denormalised`` does.

Everything generated is derived from ``random.Random(f"{seed}-...-{index}")``: the same
numbers and seed give the same catalogue, and growing it later only adds the difference.
"""

import datetime as dt
import random
import time
import uuid
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Max
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import (
    Collection,
    CollectionViewRestriction,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Site,
)

from cms.demo.images import image_ensure
from cms.demo.seed import siret_for
from cms.demo.territory import CATEGORIES, COMMUNES
from cms.models import ProviderPage
from cms.services import PROVIDER_PAGE_PERMISSIONS, provider_index_for_site
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
from marketplace.services import (
    DOCUMENT_PERMISSIONS,
    IMAGE_PERMISSIONS,
    PROVIDER_BOOKING_PERMISSIONS,
    collection_staff_groups,
    provider_group_name,
)

GENERATED_PREFIX = "gen-"
SHARED_IMAGES_PER_KIND = 4
SLOT_DAYS = 90
BATCH = 1000
GENERATED_COLLECTION = "Catalogue généré"
PAGE_FIELDS = Page._meta.concrete_fields
CATEGORY_KIND = {slug: kind for slug, _fr, _en, _order, kind in CATEGORIES}

# Words for the generated catalogue (--offers / --providers).
GENERATED_PROVIDER_NAMES = {
    "stay": ["Camping", "Gîte", "Chambres d'hôtes", "Domaine", "Chalets", "Auberge"],
    "product": ["Ferme", "Fromagerie", "Rucher", "Cave", "Atelier", "Épicerie", "Moulin"],
    "activity": ["Base nautique", "Écurie", "Guides", "Atelier", "Club", "Maison"],
}
GENERATED_PLACE_WORDS = [
    "des Chazeaux", "du Pré Haut", "de la Combe", "des Granges", "du Bief", "des Crêts",
    "de la Source", "du Vieux Pont", "des Sapins", "de la Fontaine", "des Monts", "du Val",
    "de la Chaume", "des Genêts", "du Moulin", "de l'Ance", "des Roches", "du Plateau",
]  # fmt: skip
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


def _rng(seed: int, what: str, index: int) -> random.Random:
    return random.Random(f"{seed}-{what}-{index}")  # noqa: S311 (demo data, not secrets)


def _cents(rng: random.Random, low_euros: int, high_euros: int, step: int = 50) -> int:
    return rng.randrange(low_euros * 100, high_euros * 100 + 1, step)


# --- pages ------------------------------------------------------------------------------------


class PageSteps:
    """The next free treebeard step under each parent, read once, kept in memory."""

    def __init__(self, parent: Page):
        depth = parent.depth + 1
        rows = (
            Page.objects.filter(path__startswith=parent.path, depth=depth + 1)
            .annotate(parent_path=Substr("path", 1, depth * Page.steplen))
            .values("parent_path")
            .annotate(last=Max("path"))
            .values_list("parent_path", "last")
        )
        self.last = {path: Page._str2int(last[-Page.steplen :]) for path, last in rows}
        children = Page.objects.filter(path__startswith=parent.path, depth=depth)
        self.last[parent.path] = max(
            (
                Page._str2int(path[-Page.steplen :])
                for path in children.values_list("path", flat=True)
            ),
            default=0,
        )

    def next(self, parent: Page) -> int:
        step = self.last.get(parent.path, 0) + 1
        self.last[parent.path] = step
        return step


def pages_bulk_insert(items: list[tuple[Page, Page]], *, steps: PageSteps, now) -> None:
    """Insert live pages without revisions: ``items`` are (parent, unsaved specific page).

    Sets what ``add_child`` and a first publication would (path, depth, url_path,
    locale, translation key, publication dates), inserts the ``wagtailcore_page`` rows
    with ``bulk_create``, then each inheritance level's table with multi-row INSERTs,
    and bumps the parents' ``numchild``.
    """
    content_types = ContentType.objects.get_for_models(*{type(page) for _p, page in items})
    base_rows, added = [], {}
    for parent, page in items:
        step = steps.next(parent)
        added[parent.pk] = added.get(parent.pk, 0) + 1
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
        base_rows.append(
            Page(**{f.attname: getattr(page, f.attname) for f in PAGE_FIELDS if not f.primary_key})
        )
    Page.objects.bulk_create(base_rows, batch_size=BATCH)
    by_level: dict[type, list] = {}
    for (_parent, page), base in zip(items, base_rows, strict=True):
        levels = [m for m in reversed(type(page)._meta.get_parent_list()) if m is not Page]
        levels.append(type(page))
        page.pk = page.id = base.pk
        for level in levels:
            setattr(page, level._meta.pk.attname, base.pk)
            by_level.setdefault(level, []).append(page)
    # Parents' tables first (OfferPage before StayOfferPage): insertion order of the dict.
    for level in sorted(by_level, key=lambda m: len(m._meta.get_parent_list())):
        _insert_level(level, by_level[level])
    for parent_id, n in added.items():
        Page.objects.filter(pk=parent_id).update(numchild=models.F("numchild") + n)


def _insert_level(model, objs) -> None:
    """Insert ``objs`` into ``model``'s own table (one inheritance level, or a plain model
    whose ids are not needed afterwards) with one prepared statement and ``executemany``.

    Much cheaper than ``bulk_create`` for tens of thousands of rows: the SQL is built
    once and each value goes through the field's own ``get_db_prep_save``.
    """
    if not objs:
        return
    fields = [
        f
        for f in model._meta.local_concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from model meta)
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    rows = [
        tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
        for obj in objs
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])


# --- providers -------------------------------------------------------------------------------


def _provider_generate(*, rng: random.Random, index: int, site: Site, categories: dict):
    category = categories[rng.choice(sorted(categories))]
    kind = CATEGORY_KIND[category.slug]
    commune, postcode, lat, lon = rng.choice(COMMUNES)
    name = (
        f"{rng.choice(GENERATED_PROVIDER_NAMES[kind])} "
        f"{rng.choice(GENERATED_PLACE_WORDS)} n° {index + 1}"
    )
    slug = f"{GENERATED_PREFIX}{index + 1:05d}-{slugify(name)}"[:160]
    jitter = Decimal("0.000001")
    return Provider(
        site=site,
        name=name,
        legal_name=f"{name} SARL",
        slug=slug,
        category=category,
        commune=commune,
        address=f"{rng.randint(1, 90)} route {rng.choice(GENERATED_PLACE_WORDS)}",
        postcode=postcode,
        latitude=(Decimal(lat) + Decimal(rng.randint(-200, 200)) / 10000).quantize(jitter),
        longitude=(Decimal(lon) + Decimal(rng.randint(-200, 200)) / 10000).quantize(jitter),
        siret=siret_for(slug),
        contact_name="Contact démo",
        email=f"contact@{GENERATED_PREFIX}{index + 1:05d}.localhost",
        description=f"{name}, à {commune} : un prestataire généré pour les essais de charge.",
    )


@transaction.atomic
def providers_generate(*, site: Site, count: int, start: int, seed: int, by, now) -> int:
    """Create ``count`` approved generated providers numbered from ``start``, in bulk.

    Writes what ``provider_approve`` and the page it triggers write (admin group with
    admin access, image/document collection and its permissions, a live provider page
    with the group's page permissions), without revisions or notifications.
    """
    categories = {c.slug: c for c in ProviderCategory.objects.filter(slug__in=CATEGORY_KIND)}
    labels = list(Label.objects.order_by("slug"))
    providers, provider_labels = [], []
    for index in range(start, start + count):
        rng = _rng(seed, "provider", index)
        provider = _provider_generate(rng=rng, index=index, site=site, categories=categories)
        provider.status = ProviderStatus.APPROVED
        provider.reviewed_by = by
        provider.reviewed_at = now
        providers.append(provider)
        provider_labels.append(rng.sample(labels, k=rng.randint(0, min(2, len(labels)))))
    Provider.objects.bulk_create(providers)

    groups = [Group(name=provider_group_name(p)) for p in providers]
    Group.objects.bulk_create(groups)
    # What provider_permissions_ensure gives: the admin, and the provider's own bookings.
    group_permissions = [
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"),
        *Permission.objects.filter(
            content_type__app_label="marketplace", codename__in=PROVIDER_BOOKING_PERMISSIONS
        ),
    ]
    Group.permissions.through.objects.bulk_create(
        [
            Group.permissions.through(group_id=g.pk, permission_id=permission.pk)
            for g in groups
            for permission in group_permissions
        ]
    )

    # Collections are kept sorted by name among siblings (treebeard ``node_order_by``):
    # generated ones live under their own parent, named so that creation order is name order.
    parent = generated_collection()
    last = parent.get_last_child()
    first_step = Collection._str2int(last.path[-Collection.steplen :]) + 1 if last else 1
    collections = [
        Collection(
            name=f"{start + n + 1:05d} · {p.name}"[:255],
            path=Collection._get_path(parent.path, parent.depth + 1, first_step + n),
            depth=parent.depth + 1,
            numchild=0,
        )
        for n, p in enumerate(providers)
    ]
    Collection.objects.bulk_create(collections)
    Collection.objects.filter(pk=parent.pk).update(numchild=models.F("numchild") + len(collections))
    collection_permissions = list(
        Permission.objects.filter(codename__in=IMAGE_PERMISSIONS + DOCUMENT_PERMISSIONS)
    )
    GroupCollectionPermission.objects.bulk_create(
        [
            GroupCollectionPermission(group=g, collection=c, permission=perm)
            for g, c in zip(groups, collections, strict=True)
            for perm in collection_permissions
        ]
    )
    # What provider_collection_private gives: files private to the group and the staff.
    restrictions = [
        CollectionViewRestriction(collection=c, restriction_type=CollectionViewRestriction.GROUPS)
        for c in collections
    ]
    CollectionViewRestriction.objects.bulk_create(restrictions)
    staff = list(collection_staff_groups(collections[0])) if collections else []
    CollectionViewRestriction.groups.through.objects.bulk_create(
        [
            CollectionViewRestriction.groups.through(
                collectionviewrestriction_id=r.pk, group_id=g.pk
            )
            for r, group in zip(restrictions, groups, strict=True)
            for g in [group, *staff]
        ]
    )
    for provider, group, collection in zip(providers, groups, collections, strict=True):
        provider.group, provider.collection = group, collection
    Provider.objects.bulk_update(providers, ["group", "collection"])
    Provider.labels.through.objects.bulk_create(
        [
            Provider.labels.through(provider_id=p.pk, label_id=label.pk)
            for p, chosen in zip(providers, provider_labels, strict=True)
            for label in chosen
        ]
    )

    index_page = provider_index_for_site(site)
    pages = [
        ProviderPage(
            title=p.name,
            slug=p.slug,
            provider=p,
            search_description=p.description[:255],
            owner=by,
        )
        for p in providers
    ]
    pages_bulk_insert([(index_page, page) for page in pages], steps=PageSteps(index_page), now=now)
    page_permissions = list(
        Permission.objects.filter(
            content_type__app_label="wagtailcore",
            codename__in=[f"{t}_page" for t in PROVIDER_PAGE_PERMISSIONS],
        )
    )
    GroupPagePermission.objects.bulk_create(
        [
            GroupPagePermission(group=g, page_id=page.pk, permission=perm)
            for g, page in zip(groups, pages, strict=True)
            for perm in page_permissions
        ]
    )
    return len(providers)


# --- offers ------------------------------------------------------------------------------------


def generated_collection() -> Collection:
    """Parent of the generated providers' collections, holding the shared images."""
    root = Collection.get_first_root_node()
    existing = Collection.objects.child_of(root).filter(name=GENERATED_COLLECTION).first()
    return existing or root.add_child(name=GENERATED_COLLECTION)


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


def _offer_generate(*, rng: random.Random, kind: str, index: int, today: dt.date):
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
def _offers_write(
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
        _insert_level(model, rows)


def catalogue_extend(
    *, offers: int, providers: int, seed: int = 2026, log: Callable[[str], None] = print
) -> dict:
    """Grow the default territory to at least ``providers`` approved providers and
    ``offers`` live offers with generated ones. Returns what was added."""
    site = Site.objects.get(is_default_site=True)
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    today, now = timezone.localdate(), timezone.now()
    added = {"providers": 0, "offers": 0}
    started = time.monotonic()

    approved = Provider.objects.filter(site=site, status=ProviderStatus.APPROVED)
    missing = providers - approved.count()
    if missing > 0:
        generated = Provider.objects.filter(slug__startswith=GENERATED_PREFIX).count()
        for start in range(generated, generated + missing, BATCH):
            added["providers"] += providers_generate(
                site=site,
                count=min(BATCH, generated + missing - start),
                start=start,
                seed=seed,
                by=admin,
                now=now,
            )
            log(f"  providers: {added['providers']}/{missing} ({time.monotonic() - started:.1f} s)")

    live = OfferPage.objects.filter(live=True, provider__site=site)
    missing = offers - live.count()
    if missing > 0:
        pages = list(
            ProviderPage.objects.filter(provider__site=site, provider__status="approved")
            .select_related("provider", "provider__category")
            .order_by("provider__slug")
        )
        pool = [p for p in pages if p.provider.slug.startswith(GENERATED_PREFIX)] or pages
        if pool is pages:
            first = live.count()
        else:
            first = OfferPage.objects.filter(provider__slug__startswith=GENERATED_PREFIX).count()
        all_labels = list(Label.objects.order_by("slug"))
        images = {kind: shared_images(kind) for kind in ("stay", "activity", "product")}
        steps = PageSteps(provider_index_for_site(site))
        for batch_start in range(first, first + missing, BATCH):
            items = []
            for index in range(batch_start, min(batch_start + BATCH, first + missing)):
                parent = pool[index % len(pool)]
                rng = _rng(seed, "offer", index)
                kind = CATEGORY_KIND.get(parent.provider.category.slug, "product")
                page = _offer_generate(rng=rng, kind=kind, index=index, today=today)
                page_labels = rng.sample(all_labels, k=rng.randint(0, min(2, len(all_labels))))
                items.append((parent, page, page_labels))
            _offers_write(items, steps=steps, images=images, now=now, today=today)
            added["offers"] += len(items)
            log(f"  offers: {added['offers']}/{missing} ({time.monotonic() - started:.1f} s)")
    added["total_offers"] = live.count()
    return added
