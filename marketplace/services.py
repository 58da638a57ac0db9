"""Writes of the marketplace: providers' lifecycle.

Functions are named ``<noun>_<verb>``, take keyword-only arguments and run in a
transaction when they write.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from wagtail.models import Collection, GroupCollectionPermission

from marketplace.models import Provider, ProviderMembership, ProviderStatus

# Sent inside the approval transaction; the storefront (cms) creates the public page.
provider_approved = Signal()

IMAGE_PERMISSIONS = ("add_image", "change_image", "choose_image")
DOCUMENT_PERMISSIONS = ("add_document", "change_document", "choose_document")


class ProviderStateError(Exception):
    """The provider is not in a state that allows this change."""


def provider_group_name(provider: Provider) -> str:
    return f"Prestataire #{provider.pk}: {provider.name}"[:150]


@transaction.atomic
def provider_approve(*, provider: Provider, by=None) -> Provider:
    """Approve an application: admin group, image collection, public page.

    Idempotent: approving an approved provider changes nothing.
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
    group.permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")
    )

    if provider.collection_id is None:
        root = Collection.get_first_root_node()
        provider.collection = root.add_child(name=provider.name[:255] + f" (#{provider.pk})")
    for codename in IMAGE_PERMISSIONS + DOCUMENT_PERMISSIONS:
        GroupCollectionPermission.objects.get_or_create(
            group=group,
            collection=provider.collection,
            permission=Permission.objects.get(codename=codename),
        )

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
    return provider
