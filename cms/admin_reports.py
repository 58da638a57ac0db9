"""Wagtail's "Page types usage" report, for those who may see every page only.

The report counts the pages of each type and names the last one edited, drafts of
every provider included. Wagtail lets in anyone who may add or change some page, so a
provider member would read other providers' draft titles. Here it is for superusers
and for those who may edit the root page of every site (the territory's editors);
the menu item is hidden from the others.
"""

from django.core.exceptions import PermissionDenied
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.models import Site

REPORT_MENU_NAME = "page-types-usage"


def user_sees_every_page(user) -> bool:
    """Whether ``user`` may edit the root page of every site (all pages below it)."""
    if user.is_superuser:
        return True
    if not user.is_authenticated:
        return False
    roots = [site.root_page for site in Site.objects.select_related("root_page")]
    return bool(roots) and all(root.permissions_for_user(user).can_edit() for root in roots)


class TerritoryPageTypesUsageReportView(PageTypesUsageReportView):
    def dispatch(self, request, *args, **kwargs):
        if not user_sees_every_page(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


page_types_usage_view = require_admin_access(TerritoryPageTypesUsageReportView.as_view())
page_types_usage_results_view = require_admin_access(
    TerritoryPageTypesUsageReportView.as_view(results_only=True)
)
