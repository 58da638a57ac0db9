"""Every demo provider, in the order the seed creates them (stays, shops, activities).

The list only: each subject's providers are in stays.py, shops.py and activities.py.
"""

from cms.demo.activities import ACTIVITIES
from cms.demo.shops import SHOPS
from cms.demo.specs import ProviderSpec
from cms.demo.stays import STAYS

PROVIDERS: list[ProviderSpec] = [*STAYS, *SHOPS, *ACTIVITIES]
