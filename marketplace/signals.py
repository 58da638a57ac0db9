"""Keep derived data in step: offers' denormalised provider data, activity slots."""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from wagtail.signals import page_published

from marketplace.localisation import source_language
from marketplace.models import ActivityOfferPage, OfferPage, Provider
from marketplace.orders.cart import cart_adopt
from marketplace.services import SLOT_HORIZON_DAYS, activity_slots_generate
from marketplace.web import site_for_request


@receiver(post_save, sender=Provider)
def provider_saved(sender, instance: Provider, **kwargs):
    OfferPage.objects.filter(provider=instance).update(
        commune=instance.commune, latitude=instance.latitude, longitude=instance.longitude
    )


@receiver(page_published, sender=ActivityOfferPage)
def activity_published(sender, instance: ActivityOfferPage, **kwargs):
    """A published activity has dated slots for the coming days, from its weekly pattern.

    Not its translations: slots, like all of an offer's capacity, are the source's."""
    if instance.locale.language_code != source_language():
        return
    activity_slots_generate(offer=instance, start=timezone.localdate(), days=SLOT_HORIZON_DAYS)


@receiver(page_published)
def offer_translation_published(sender, instance, **kwargs):
    """A published translation's words find its source offer in the listing's search."""
    if not isinstance(instance, OfferPage) or instance.is_source_locale():
        return
    source = instance.localisation_source()
    if source is not None:
        source.refresh_denormalised()
        OfferPage.objects.filter(pk=source.pk).update(search_text=source.search_text)


@receiver(user_logged_in)
def cart_follows_login(sender, request, user, **kwargs):
    """The cart filled before logging in becomes (or joins) the person's own cart."""
    meta = getattr(request, "META", {})
    if not hasattr(request, "session") or not ("HTTP_HOST" in meta or "SERVER_NAME" in meta):
        return  # a login made without a web request (tests' force_login, scripts)
    site = site_for_request(request)
    if site is not None:
        cart_adopt(request=request, user=user, site=site)
