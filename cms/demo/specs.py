"""The shapes of the demo catalogue: a provider, its offers and weekly slots.

Only dataclasses and small constants; the providers themselves are in stays.py, shops.py and
activities.py (assembled in providers.py). Prices are in cents. Nothing here touches the database.
"""

from dataclasses import dataclass, field


@dataclass
class Offer:
    kind: str  # stay / activity / product
    slug: str
    title: str
    summary: str
    description: str
    price: int  # cents: per night, per person or per item
    labels: tuple[str, ...] = ()
    # stay
    unit_name: str = ""
    units: int = 1
    guests_per_unit: int = 2
    min_nights: int = 1
    tax_category: str = ""  # marketplace.tourist_tax.categories code
    registration_number: str = ""
    # A professional host's mandate to the platform to collect the tourist tax.
    tax_collection_mandate: bool = False
    seasons: tuple[tuple[str, str, str, int], ...] = ()  # (name, "MM-DD", "MM-DD", cents)
    winter_closure: bool = False
    # activity
    duration_minutes: int = 120
    places_per_slot: int = 10
    meeting_point: str = ""
    weekly: tuple[tuple[int, str], ...] = ()  # (weekday 0=Monday, "HH:MM")
    # product
    stock: int = 0
    unit_label: str = ""
    cancellation_policy: str = ""
    featured: bool = False


@dataclass
class ProviderSpec:
    slug: str
    name: str
    legal_name: str
    category: str
    commune: str
    address: str
    contact_name: str
    tagline: str
    description: str
    labels: tuple[str, ...] = ()
    classification: int | None = None
    phone: str = ""
    is_professional: bool = True
    offers: list[Offer] = field(default_factory=list)


EVERY_DAY = tuple(range(7))


def weekly(days, *times):
    """Slots on each of ``days`` (0 = Monday) at each of ``times`` ("HH:MM")."""
    return tuple((day, time) for day in days for time in times)
