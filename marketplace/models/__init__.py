from marketplace.models.offers import (
    ActivityOfferPage,
    ActivitySlot,
    Closure,
    OfferGalleryImage,
    OfferKind,
    OfferPage,
    ProductOfferPage,
    SeasonalPrice,
    StayNight,
    StayOfferPage,
    Weekday,
    WeeklySlot,
)
from marketplace.models.providers import Provider, ProviderMembership, ProviderStatus
from marketplace.models.taxonomy import Label, ProviderCategory
from marketplace.models.territory import CancellationPolicy, TerritorySettings
from marketplace.models.workflow import OfferPublicationTask

__all__ = [
    "ActivityOfferPage",
    "ActivitySlot",
    "CancellationPolicy",
    "Closure",
    "Label",
    "OfferGalleryImage",
    "OfferKind",
    "OfferPage",
    "OfferPublicationTask",
    "ProductOfferPage",
    "Provider",
    "ProviderCategory",
    "ProviderMembership",
    "ProviderStatus",
    "SeasonalPrice",
    "StayNight",
    "StayOfferPage",
    "TerritorySettings",
    "WeeklySlot",
    "Weekday",
]
