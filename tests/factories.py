"""The suite's one set of builders: users, categories, approved providers, offers of each kind.

Everything is built through the real services (``create_user``, ``provider_approve``,
Wagtail's page tree), so the rows are the ones the site writes; factory-boy is not used
for that reason (its declarative factories would either bypass those services or wrap
them one more time). ``make_user``, ``make_siret`` and ``make_provider`` are also
importable from tests.conftest, where older tests import them.

Offers are real Wagtail pages (``add_child`` then ``save_revision().publish()``) so the
denormalised listing fields are filled the way the admin fills them. ``bulk_stay_offers``
inserts many rows directly, for query-budget tests that need a large catalogue fast.
"""

import datetime as dt
import itertools
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page

from marketplace.models import (
    ActivityOfferPage,
    ActivitySlot,
    Closure,
    Label,
    OfferKind,
    OfferPage,
    ProductOfferPage,
    Provider,
    ProviderCategory,
    SeasonalPrice,
    StayNight,
    StayOfferPage,
)
from marketplace.models.offers import normalise_text
from marketplace.services import provider_approve, provider_slug_unique

_counter = itertools.count(1)


def siret(seed: int) -> str:
    """A SIRET that passes the Luhn check, different for each seed."""
    body = f"4{seed:012d}"[-13:]
    for last in "0123456789":
        digits = body + last
        total = 0
        for position, char in enumerate(reversed(digits)):
            digit = int(char) * (2 if position % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def category(slug: str = "camping", name: str = "Camping", name_en: str = "Campsite"):
    return ProviderCategory.objects.get_or_create(
        slug=slug, defaults={"name": name, "name_en": name_en}
    )[0]


def label(slug: str = "bio", name: str = "Agriculture biologique", name_en: str = "Organic"):
    return Label.objects.get_or_create(slug=slug, defaults={"name": name, "name_en": name_en})[0]


def provider(
    site,
    *,
    name: str | None = None,
    category_obj=None,
    commune: str = "Saint-Martin",
    latitude: str | None = "45.100000",
    longitude: str | None = "4.200000",
    approve: bool = True,
    **fields,
) -> Provider:
    """A provider of ``site``; approved (which creates its public page) by default."""
    n = next(_counter)
    name = name or f"Prestataire {n}"
    values = {
        "legal_name": f"{name} SARL",
        "slug": f"{normalise_text(name).replace(' ', '-')}-{n}",
        "category": category_obj or category(),
        "commune": commune,
        "address": f"{n} place de la Mairie",
        "postcode": "07100",
        "latitude": Decimal(latitude) if latitude else None,
        "longitude": Decimal(longitude) if longitude else None,
        "siret": siret(n * 7919),
        "contact_name": "Camille Martin",
        "email": f"contact{n}@example.org",
        "description": f"{name} : une entreprise du territoire.",
    }
    values.update(fields)
    created = Provider.objects.create(site=site, name=name, **values)
    if approve:
        created = provider_approve(provider=created, by=None)
    return created


def _publish(parent_provider: Provider, instance: OfferPage, labels=()) -> OfferPage:
    parent = parent_provider.page
    parent.add_child(instance=instance)
    if labels:
        instance.labels.set(labels)
    instance.save_revision().publish()
    instance.refresh_from_db()
    return instance


def stay(
    parent_provider: Provider,
    *,
    title: str = "Emplacement tente",
    units: int = 10,
    guests_per_unit: int = 4,
    min_nights: int = 1,
    price_per_night: int = 2000,
    seasons=(),
    closures=(),
    labels=(),
    **fields,
) -> StayOfferPage:
    """A published stay; ``seasons`` are ``(start, end, price)``, ``closures`` ``(start, end)``."""
    instance = StayOfferPage(
        title=title,
        summary=fields.pop("summary", f"{title} au calme"),
        unit_name=fields.pop("unit_name", "emplacement"),
        units=units,
        guests_per_unit=guests_per_unit,
        min_nights=min_nights,
        price_per_night=price_per_night,
        **fields,
    )
    for index, (start, end, price) in enumerate(seasons):
        instance.seasonal_prices.add(
            SeasonalPrice(
                name=f"Saison {index + 1}",
                start_date=start,
                end_date=end,
                price_per_night=price,
                sort_order=index,
            )
        )
    for start, end in closures:
        instance.closures.add(Closure(start_date=start, end_date=end))
    return _publish(parent_provider, instance, labels)


def activity(
    parent_provider: Provider,
    *,
    title: str = "Descente en canoë",
    price_per_person: int = 3500,
    places_per_slot: int = 8,
    slots=(),
    labels=(),
    **fields,
) -> ActivityOfferPage:
    """A published activity; ``slots`` are ``(starts_at, places, places_taken)``."""
    instance = ActivityOfferPage(
        title=title,
        summary=fields.pop("summary", f"{title} en famille"),
        price_per_person=price_per_person,
        places_per_slot=places_per_slot,
        **fields,
    )
    instance = _publish(parent_provider, instance, labels)
    for starts_at, places, taken in slots:
        ActivitySlot.objects.create(
            offer=instance,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=2),
            places=places,
            places_taken=taken,
        )
    return instance


def product(
    parent_provider: Provider,
    *,
    title: str = "Miel de châtaignier",
    price_per_item: int = 850,
    stock: int = 20,
    labels=(),
    **fields,
) -> ProductOfferPage:
    instance = ProductOfferPage(
        title=title,
        summary=fields.pop("summary", f"{title} du pays"),
        price_per_item=price_per_item,
        stock=stock,
        **fields,
    )
    return _publish(parent_provider, instance, labels)


def take_nights(offer: StayOfferPage, start: dt.date, nights: int, units: int) -> None:
    for i in range(nights):
        StayNight.objects.update_or_create(
            offer=offer, date=start + dt.timedelta(days=i), defaults={"units_taken": units}
        )


def in_days(days: int, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def bulk_stay_offers(parent_provider: Provider, count: int, *, price: int = 3000) -> None:
    """Insert ``count`` live stays under a provider in a few statements.

    Bypasses ``Page.save`` (and revisions) for speed, writing the same rows the admin
    would, including the denormalised listing fields.
    """
    parent = Page.objects.get(pk=parent_provider.page.pk)
    content_type = ContentType.objects.get_for_model(StayOfferPage)
    last = parent.get_last_child()
    first_step = Page._str2int(last.path[-Page.steplen :]) + 1 if last else 1
    now = timezone.now()
    pages = []
    for i in range(count):
        slug = f"bulk-{first_step + i}"
        pages.append(
            Page(
                title=f"Séjour en lot {first_step + i}",
                draft_title=f"Séjour en lot {first_step + i}",
                slug=slug,
                content_type=content_type,
                path=Page._get_path(parent.path, parent.depth + 1, first_step + i),
                depth=parent.depth + 1,
                numchild=0,
                url_path=f"{parent.url_path}{slug}/",
                live=True,
                has_unpublished_changes=False,
                first_published_at=now,
                last_published_at=now,
                locale_id=parent.locale_id,
            )
        )
    Page.objects.bulk_create(pages, batch_size=200)
    Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + count)
    offers = [
        StayOfferPage(
            id=page.pk,
            page_ptr_id=page.pk,
            offerpage_ptr_id=page.pk,
            kind=OfferKind.STAY,
            summary="Un séjour parmi beaucoup d'autres",
            provider_id=parent_provider.pk,
            listing_category_id=parent_provider.category_id,
            commune=parent_provider.commune,
            latitude=parent_provider.latitude,
            longitude=parent_provider.longitude,
            price_from=price,
            max_guests=20,
            search_text=normalise_text(f"{page.title} {parent_provider.name}"),
            unit_name="chalet",
            units=5,
            guests_per_unit=4,
            min_nights=1,
            price_per_night=price,
        )
        for page in pages
    ]
    for model in (OfferPage, StayOfferPage):
        fields = list(model._meta.local_concrete_fields)
        for start in range(0, len(offers), 100):
            model._base_manager._insert(offers[start : start + 100], fields=fields, using="default")


def make_user(
    email: str,
    *,
    password: str = "correct-horse-battery",
    verified: bool = True,
    groups: tuple[str, ...] = (),
    **extra,
):
    user = get_user_model().objects.create_user(
        username=email.split("@")[0][:150], email=email, password=password, **extra
    )
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def make_siret(seed: int) -> str:
    """A valid (Luhn) SIRET number, different for each seed."""
    body = f"{seed:013d}"[-13:]
    if body.startswith("356000000"):
        body = "4" + body[1:]
    for last in "0123456789":
        digits = body + last
        total = sum(
            (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
            for i, d in enumerate(int(c) for c in reversed(digits))
        )
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def make_provider(site, *, name: str, category, member=None, approve: bool = True, **fields):
    """A provider of ``site`` applied for by ``member``; approved (page, group) by default."""
    seed = Provider.objects.count() + 1
    values = {
        "legal_name": f"{name} SARL",
        "commune": "Saint-Martin",
        "address": "1 place de la Mairie",
        "postcode": "07100",
        "siret": make_siret(seed * 7919),
        "contact_name": "Camille Martin",
        "email": f"contact{seed}@example.org",
        "description": f"{name}: une entreprise du territoire.",
    }
    values.update(fields)
    created = Provider.objects.create(
        site=site,
        name=name,
        slug=provider_slug_unique(name=name),
        category=category,
        applied_by=member,
        **values,
    )
    if approve:
        created = provider_approve(provider=created)
    return created
