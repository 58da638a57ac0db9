"""The "Tourist tax" admin menu: the communes' rates, as a snippet viewset.

Wagtail's model permissions decide who sees it: finance (given them by
:func:`~marketplace.tourist_tax.permissions.tourist_tax_permissions_ensure`) and
superusers. The territory's switches are a site setting (Settings → Tourist tax settings).
"""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from marketplace.tourist_tax.models import TouristTaxRate


class TouristTaxRateViewSet(SnippetViewSet):
    model = TouristTaxRate
    icon = "calculator"
    menu_label = _("Tourist tax")
    menu_name = "tourist_tax"
    add_to_admin_menu = True
    menu_order = 510
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


register_snippet(TouristTaxRateViewSet)
