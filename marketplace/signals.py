"""Keep offers' denormalised provider data in step with the provider."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from marketplace.models import OfferPage, Provider


@receiver(post_save, sender=Provider)
def provider_saved(sender, instance: Provider, **kwargs):
    OfferPage.objects.filter(provider=instance).update(
        commune=instance.commune, latitude=instance.latitude, longitude=instance.longitude
    )
