"""Writes of the marketplace: providers' lifecycle, activity slots.

Functions are named ``<noun>_<verb>``, take keyword-only arguments and run in a
transaction when they write.
"""

import datetime as dt
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import (
    Collection,
    CollectionViewRestriction,
    GroupCollectionPermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from marketplace import provider_notify
from marketplace.localisation import source_language
from marketplace.models import (
    ActivityOfferPage,
    ActivitySlot,
    OfferPublicationTask,
    Provider,
    ProviderMembership,
    ProviderStatus,
)

# Sent inside the approval transaction; the storefront (cms) creates the public page.
provider_approved = Signal()

IMAGE_PERMISSIONS = ("add_image", "change_image", "choose_image")
DOCUMENT_PERMISSIONS = ("add_document", "change_document", "choose_document")


class ProviderStateError(Exception):
    """The provider is not in a state that allows this change."""


# What an applicant fills in; the rest (site, slug, status) is the service's business.
PROVIDER_APPLICATION_FIELDS = (
    "name",
    "legal_name",
    "category",
    "commune",
    "address",
    "postcode",
    "siret",
    "contact_name",
    "email",
    "phone",
    "website",
    "description",
    "latitude",
    "longitude",
)

# The seller's identity the DAC7 report needs (marketplace/books/dac7.py): a provider's
# members complete it (marketplace/seller_details.py). For an individual it is personal
# data: the applicant's export shows it and a withdrawn application is emptied of it
# (marketplace/accounts.py); an approved provider keeps it, as the tax report's records.
SELLER_IDENTITY_FIELDS = (
    "legal_form",
    "first_names",
    "last_name",
    "birth_date",
    "birth_place",
    "tax_identifier",
    "tax_country",
    "vat_number",
)


def provider_slug_unique(*, name: str, exclude_pk: int | None = None) -> str:
    """A slug made from ``name`` that no other provider uses (``-2``, ``-3``... if needed)."""
    max_length = Provider._meta.get_field("slug").max_length
    base = (slugify(name) or "prestataire")[: max_length - 6].strip("-") or "prestataire"
    taken = set(
        Provider.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, counter = base, 2
    while slug in taken:
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def provider_pending_for_user(*, user) -> Provider | None:
    """The user's application still waiting for a decision, if any."""
    return (
        Provider.objects.filter(applied_by=user, status=ProviderStatus.APPLIED)
        .order_by("-applied_at")
        .first()
    )


@transaction.atomic
def provider_apply(*, site, user, data: dict) -> Provider:
    """Record an application to become a provider of ``site``.

    ``data`` holds the applicant's fields (see ``PROVIDER_APPLICATION_FIELDS``), already
    cleaned by a form; they are validated again here. One pending application per user:
    the user's row is locked so that a double submit cannot create two. The territory's
    editors are e-mailed after commit.
    """
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if provider_pending_for_user(user=user) is not None:
        raise ProviderStateError(ProviderStatus.APPLIED)
    unknown = set(data) - set(PROVIDER_APPLICATION_FIELDS)
    if unknown:
        raise ValueError(f"Not application fields: {sorted(unknown)}")
    provider = Provider(
        site=site,
        status=ProviderStatus.APPLIED,
        applied_by=user,
        **data,
    )
    provider.siret = (provider.siret or "").replace(" ", "")
    provider.slug = provider_slug_unique(name=provider.name)
    provider.full_clean()
    provider.save()

    transaction.on_commit(partial(provider_notify.provider_application_notify, provider.pk))
    return provider


@transaction.atomic
def provider_reject(*, provider: Provider, by, reason: str) -> Provider:
    """Turn down an application, with the reason the applicant will read.

    Idempotent: rejecting a rejected provider changes nothing. An approved provider
    cannot be rejected (suspend it instead).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the application is rejected.")})
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.status == ProviderStatus.REJECTED:
        return provider
    if provider.status != ProviderStatus.APPLIED:
        raise ProviderStateError(provider.status)
    provider.status = ProviderStatus.REJECTED
    provider.status_reason = reason
    provider.reviewed_by = by
    provider.reviewed_at = timezone.now()
    provider.save(update_fields=["status", "status_reason", "reviewed_by", "reviewed_at"])

    transaction.on_commit(partial(provider_notify.provider_decision_notify, provider.pk))
    return provider


def provider_group_name(provider: Provider) -> str:
    return f"Prestataire #{provider.pk}: {provider.name}"[:150]


# Scoped to the provider's own bookings by marketplace.orders.access.
PROVIDER_BOOKING_PERMISSIONS = ("view_booking", "cancel_booking")


def provider_permissions_ensure(*, provider: Provider) -> None:
    """Give the provider's group its model permissions: the admin, its bookings.

    Idempotent. Called on approval, and by the territory's setup for providers approved
    before a permission existed.
    """
    if provider.group_id is None:
        return
    provider.group.permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"),
        *Permission.objects.filter(
            content_type__app_label="marketplace", codename__in=PROVIDER_BOOKING_PERMISSIONS
        ),
    )


def collection_staff_groups(collection: Collection):
    """The groups that manage files above ``collection``: the territory's staff.

    Those with an image or document permission on one of its ancestors (the editors
    hold theirs on the root collection, which covers every provider's).
    """
    return Group.objects.filter(
        collection_permissions__collection__in=collection.get_ancestors(),
        collection_permissions__permission__codename__in=IMAGE_PERMISSIONS + DOCUMENT_PERMISSIONS,
    ).distinct()


@transaction.atomic
def provider_collection_private(*, provider: Provider) -> None:
    """Make the provider's collection private to its group and the territory's staff.

    A contract or an invoice uploaded by a provider is downloaded (``/documents/...``)
    and listed (admin API) only by its members, the territory's staff and superusers:
    Wagtail's collection privacy (a "groups" view restriction). Idempotent; the
    territory's setup calls it again so that staff groups created later are let in.
    Documents meant for everyone (a brochure) belong to the territory's public
    collection: an editor moves them there on the provider's request.
    """
    if provider.collection_id is None or provider.group_id is None:
        return
    restriction, _created = CollectionViewRestriction.objects.get_or_create(
        collection=provider.collection,
        restriction_type=CollectionViewRestriction.GROUPS,
    )
    restriction.groups.add(provider.group, *collection_staff_groups(provider.collection))


@transaction.atomic
def provider_approve(*, provider: Provider, by=None, notify: bool = True) -> Provider:
    """Approve an application: admin group, image collection, public page.

    Idempotent: approving an approved provider changes nothing. The applicant is
    e-mailed after commit unless ``notify`` is false (the demo seed).
    """
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.status == ProviderStatus.APPROVED:
        return provider
    if provider.status not in (
        ProviderStatus.APPLIED,
        ProviderStatus.SUSPENDED,
        ProviderStatus.REJECTED,
    ):
        raise ProviderStateError(provider.status)

    if provider.group_id is None:
        provider.group = Group.objects.create(name=provider_group_name(provider))
    group = provider.group
    provider_permissions_ensure(provider=provider)

    if provider.collection_id is None:
        root = Collection.get_first_root_node()
        provider.collection = root.add_child(name=provider.name[:255] + f" (#{provider.pk})")
    for codename in IMAGE_PERMISSIONS + DOCUMENT_PERMISSIONS:
        GroupCollectionPermission.objects.get_or_create(
            group=group,
            collection=provider.collection,
            permission=Permission.objects.get(codename=codename),
        )
    provider_collection_private(provider=provider)

    if provider.applied_by_id:
        ProviderMembership.objects.get_or_create(
            provider=provider,
            user_id=provider.applied_by_id,
            defaults={"role": ProviderMembership.Role.OWNER},
        )
    for membership in provider.memberships.select_related("user"):
        membership.user.groups.add(group)

    provider.status = ProviderStatus.APPROVED
    provider.status_reason = ""
    provider.reviewed_by = by
    provider.reviewed_at = timezone.now()
    provider.save()
    provider_approved.send(sender=Provider, provider=provider, by=by)

    if notify:
        transaction.on_commit(partial(provider_notify.provider_decision_notify, provider.pk))
    return provider


# --- Offer publication workflow -------------------------------------------------------

OFFER_WORKFLOW_NAME = "Publication des offres"
OFFER_TASK_NAME = "Validation par le territoire"


@transaction.atomic
def offer_workflow_ensure(*, page: Page, approvers: Group) -> Workflow:
    """The "Publication des offres" workflow, its offer task, and its link to ``page``.

    Idempotent. ``approvers`` may approve a first publication when the territory
    requires it (``TerritorySettings.require_offer_approval``). A workflow an
    administrator has since put on ``page`` instead is left alone.
    """
    task = OfferPublicationTask.objects.filter(name=OFFER_TASK_NAME).first()
    if task is None:
        task = OfferPublicationTask.objects.create(name=OFFER_TASK_NAME)
    task.groups.add(approvers)
    workflow, _created = Workflow.objects.get_or_create(name=OFFER_WORKFLOW_NAME)
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.get_or_create(page=page, defaults={"workflow": workflow})
    return workflow


# --- Activity slots ---------------------------------------------------------------------

SLOT_HORIZON_DAYS = 90


@transaction.atomic
def activity_slots_generate(*, offer: ActivityOfferPage, start: dt.date, days: int = 90) -> int:
    """Bring the offer's dated slots in line with its weekly pattern; return how many were made.

    Covers ``days`` days from ``start`` (inclusive), in the territory's time zone
    (``settings.TIME_ZONE``), skipping times already past. Idempotent: existing slots are
    kept (the unique ``(offer, starts_at)`` constraint also guards against a concurrent
    run). Slots with places taken are never touched; free ones follow the pattern: their
    places are updated, and those the pattern no longer has are marked cancelled (and
    restored if it has them again).
    """
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now()
    duration = dt.timedelta(minutes=offer.duration_minutes or 0)
    window_start = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    window_end = dt.datetime.combine(start + dt.timedelta(days=days), dt.time.min, tzinfo=tz)

    wanted: dict[dt.datetime, int] = {}
    pattern = list(offer.weekly_slots.all())
    for offset in range(max(days, 0)):
        day = start + dt.timedelta(days=offset)
        for weekly in pattern:
            if weekly.weekday != day.weekday():
                continue
            starts_at = dt.datetime.combine(day, weekly.start_time, tzinfo=tz)
            if starts_at <= now:
                continue
            wanted[starts_at.astimezone(dt.UTC)] = weekly.places or offer.places_per_slot

    existing = {
        slot.starts_at: slot
        for slot in ActivitySlot.objects.select_for_update().filter(
            offer=offer, starts_at__gte=window_start, starts_at__lt=window_end
        )
    }
    to_create = [
        ActivitySlot(offer=offer, starts_at=when, ends_at=when + duration, places=places)
        for when, places in wanted.items()
        if when not in existing
    ]
    ActivitySlot.objects.bulk_create(to_create, ignore_conflicts=True)

    to_update = []
    for when, slot in existing.items():
        if slot.places_taken or when <= now:
            continue
        places = wanted.get(when)
        changes = {
            "cancelled": places is None,
            "places": places if places is not None else slot.places,
            "ends_at": when + duration,
        }
        if any(getattr(slot, field) != value for field, value in changes.items()):
            for field, value in changes.items():
                setattr(slot, field, value)
            to_update.append(slot)
    if to_update:
        ActivitySlot.objects.bulk_update(to_update, ["cancelled", "places", "ends_at"])
    return len(to_create)


def activity_slots_extend_all(*, today: dt.date | None = None) -> int:
    """Extend every live activity's slots to ``SLOT_HORIZON_DAYS`` ahead (the daily task)."""
    today = today or timezone.localdate()
    created = 0
    offers = (
        ActivityOfferPage.objects.live()
        .filter(locale__language_code=source_language())
        .prefetch_related("weekly_slots")
    )
    for offer in offers.iterator(chunk_size=200):
        created += activity_slots_generate(offer=offer, start=today, days=SLOT_HORIZON_DAYS)
    return created
