"""Admin-wide registrations of the cms app: two-factor link, permitted file endpoints,
reports, scheduled publishing's log action.

The bookings' and orders' admin is registered by ``marketplace.wagtail_hooks``.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks

from cms.admin_api import PermittedDocumentsAdminAPIViewSet, PermittedImagesAdminAPIViewSet
from cms.admin_reports import REPORT_MENU_NAME, user_sees_every_page
from cms.scheduled import GO_LIVE_REFUSED


@hooks.register("register_account_menu_item")
def register_mfa_account_menu_item(request):
    """Staff reach allauth's two-factor pages from the admin's "Account" page."""
    return {"url": reverse("mfa_index"), "label": _("Two-factor authentication")}


# After Wagtail's own registrations of these endpoints (order 0), which they replace.
@hooks.register("construct_admin_api", order=100)
def register_permitted_file_endpoints(router):
    router.register_endpoint("images", PermittedImagesAdminAPIViewSet)
    router.register_endpoint("documents", PermittedDocumentsAdminAPIViewSet)


@hooks.register("construct_reports_menu")
def hide_page_types_usage_report(request, menu_items):
    if not user_sees_every_page(request.user):
        menu_items[:] = [item for item in menu_items if item.name != REPORT_MENU_NAME]


@hooks.register("register_log_actions")
def register_go_live_refused_action(actions):
    actions.register_action(
        GO_LIVE_REFUSED,
        gettext_lazy("Scheduled go-live refused"),
        gettext_lazy("Did not go live as scheduled (it stays a draft)"),
    )
