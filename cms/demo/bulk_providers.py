"""Generated providers for the large catalogue (:mod:`cms.demo.bulk`), written in bulk.

Providers get what ``provider_approve`` gives them (admin group, image collection with
its permissions, a live provider page with the group's page permissions), written in
bulk; the demo's providers go through the service itself, and a test compares the two.
"""

import random
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.db import models, transaction
from django.utils.text import slugify
from wagtail.models import (
    Collection,
    CollectionViewRestriction,
    GroupCollectionPermission,
    GroupPagePermission,
    Site,
)

from cms.demo.bulk_pages import PageSteps, pages_bulk_insert
from cms.demo.seed import siret_for
from cms.demo.territory import CATEGORIES, COMMUNES
from cms.models import ProviderPage
from cms.services import PROVIDER_PAGE_PERMISSIONS, provider_index_for_site
from marketplace.models import Label, Provider, ProviderCategory, ProviderStatus
from marketplace.services import (
    DOCUMENT_PERMISSIONS,
    IMAGE_PERMISSIONS,
    PROVIDER_BOOKING_PERMISSIONS,
    collection_staff_groups,
    provider_group_name,
)

GENERATED_PREFIX = "gen-"
GENERATED_COLLECTION = "Catalogue généré"
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


def generated_rng(seed: int, what: str, index: int) -> random.Random:
    return random.Random(f"{seed}-{what}-{index}")  # noqa: S311 (demo data, not secrets)


def generated_collection() -> Collection:
    """Parent of the generated providers' collections, holding the shared images."""
    root = Collection.get_first_root_node()
    existing = Collection.objects.child_of(root).filter(name=GENERATED_COLLECTION).first()
    return existing or root.add_child(name=GENERATED_COLLECTION)


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
        rng = generated_rng(seed, "provider", index)
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
