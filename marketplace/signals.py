"""Keep derived data in step: offers' denormalised provider data, activity slots."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from wagtail.signals import page_published

from marketplace.models import ActivityOfferPage, OfferPage, Provider


@receiver(post_save, sender=Provider)
def provider_saved(sender, instance: Provider, **kwargs):
    OfferPage.objects.filter(provider=instance).update(
        commune=instance.commune, latitude=instance.latitude, longitude=instance.longitude
    )


@receiver(page_published, sender=ActivityOfferPage)
def activity_published(sender, instance: ActivityOfferPage, **kwargs):
    """A published activity has dated slots for the coming days, from its weekly pattern."""
    from marketplace.services import SLOT_HORIZON_DAYS, activity_slots_generate

    activity_slots_generate(offer=instance, start=timezone.localdate(), days=SLOT_HORIZON_DAYS)
