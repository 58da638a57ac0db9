"""The accommodation categories of the taxe de séjour (CGCT art. L. 2333-30), as codes.

One code per line of the law's table, plus ``unclassified`` (the proportional rate). The
law groups several natures of accommodation on one line; a stay picks the line it falls on:

- ``palace``: palaces.
- ``5_stars`` / ``4_stars`` / ``3_stars``: hotels, tourist residences and furnished
  tourist lets (meublés de tourisme) of that many stars.
- ``2_stars``: the same at 2 stars, and **villages de vacances 4 and 5 stars**.
- ``1_star``: the same at 1 star, and **villages de vacances 1, 2 and 3 stars**.
- ``chambres_hotes``: chambres d'hôtes, and **auberges collectives** (on the 1-star line
  in the law: their row carries the commune's 1-star rate).
- ``camping_3_5``: campsites and caravan sites of 3, 4 or 5 stars, any equivalent open-air
  site, and **camper-van areas and tourist car parks, per 24 hours**.
- ``camping_1_2``: campsites and caravan sites of 1 or 2 stars, any equivalent open-air
  site (unclassified campsites too: the proportional rate excludes open-air
  accommodation), and **marinas (ports de plaisance)**.
- ``unclassified``: every accommodation awaiting classification or unclassified, except
  the natures above (a gîte or a let without stars, an unclassified hotel or village de
  vacances): a percentage of the price per person per night, capped.

Pure Python: no model, no database; models, the engine and the CSV use these codes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaxCategory(models.TextChoices):
    PALACE = "palace", _("Palace")
    FIVE_STARS = "5_stars", _("Hotel, residence or furnished let, 5 stars")
    FOUR_STARS = "4_stars", _("Hotel, residence or furnished let, 4 stars")
    THREE_STARS = "3_stars", _("Hotel, residence or furnished let, 3 stars")
    TWO_STARS = (
        "2_stars",
        _("Hotel, residence or furnished let, 2 stars; holiday village 4-5 stars"),
    )
    ONE_STAR = "1_star", _("Hotel, residence or furnished let, 1 star; holiday village 1-3 stars")
    CHAMBRES_HOTES = "chambres_hotes", _("Chambres d'hôtes, auberge collective")
    CAMPING_3_5 = "camping_3_5", _("Campsite 3 to 5 stars; camper-van area (per 24 h)")
    CAMPING_1_2 = "camping_1_2", _("Campsite 1 or 2 stars or unclassified; marina")
    UNCLASSIFIED = "unclassified", _("Unclassified or awaiting classification (percentage)")


PROPORTIONAL = TaxCategory.UNCLASSIFIED.value
CODES = tuple(TaxCategory.values)


# The exemptions of L. 2333-31 that need a proof, which a territory may let visitors
# declare (frozen in ``Booking.tax_details["exemption_grounds"]``).
SEASONAL_WORKERS = "seasonal_workers"
EMERGENCY_HOUSING = "emergency_housing"
EXEMPTION_GROUNDS = (SEASONAL_WORKERS, EMERGENCY_HOUSING)
EXEMPTION_GROUND_PROOFS = {
    SEASONAL_WORKERS: _("a seasonal work contract in the commune"),
    EMERGENCY_HOUSING: _("a proof of emergency housing or temporary relocation"),
}
