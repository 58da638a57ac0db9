"""Admin registrations of the marketplace."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from marketplace.models import Provider
from marketplace.viewsets import (
    PendingApplicationsPanel,
    ProviderPermissionPolicy,
    TerritoryViewSetGroup,
)

register_permission_policy(Provider, ProviderPermissionPolicy(Provider))
register_snippet(TerritoryViewSetGroup)


@hooks.register("construct_homepage_panels")
def pending_applications_panel(request, panels):
    if request.user.has_perm("marketplace.change_provider"):
        panels.append(PendingApplicationsPanel())
