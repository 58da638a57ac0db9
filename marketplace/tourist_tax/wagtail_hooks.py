"""The "Tourist tax" admin menu: the communes' rates and collectors, as snippet viewsets.

Wagtail's model permissions decide who sees it: finance (given them by
:func:`~marketplace.tourist_tax.permissions.tourist_tax_permissions_ensure`) and
superusers. The territory's switches are a site setting (Settings → Tourist tax settings).
"""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from marketplace.tourist_tax.models import TaxCollector, TouristTaxRate


class TouristTaxRateViewSet(SnippetViewSet):
    model = TouristTaxRate
    icon = "calculator"
    menu_label = _("Rates")
    menu_name = "tourist_tax_rates"
    list_display = [
        "commune",
        "category",
        "valid_from",
        "valid_to",
        "rate_label",
        "departmental_percent",
        "regional_percent",
    ]
    list_filter = ["site", "category"]
    search_fields = ["commune"]
    search_backend_name = None
    ordering = ["commune", "category", "valid_from"]


class TaxCollectorViewSet(SnippetViewSet):
    """Who receives each commune's tax (bank details: Bank details menu)."""

    model = TaxCollector
    icon = "user"
    menu_label = _("Collectors")
    menu_name = "tourist_tax_collectors"
    list_display = ["commune", "name", "account"]
    list_filter = ["site"]
    search_fields = ["commune", "name"]
    search_backend_name = None
    ordering = ["commune"]


class TouristTaxViewSetGroup(SnippetViewSetGroup):
    items = (TouristTaxRateViewSet, TaxCollectorViewSet)
    menu_icon = "calculator"
    menu_label = _("Tourist tax")
    menu_name = "tourist_tax"
    menu_order = 510


register_snippet(TouristTaxViewSetGroup)
