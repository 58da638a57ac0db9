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


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def page_submission_message(request, page):
    """After "submit", say whether the page is live or waits for the territory's editors.

    Wagtail always announces a submission "for moderation", even when the offer workflow's
    task passes on its own and the page is already published (see OfferPublicationTask).
    """
    if request.method != "POST" or not request.POST.get("action-submit"):
        return None
    from django.contrib.messages import constants
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from wagtail.admin import messages
    from wagtail.models import Page

    fresh = Page.objects.get(pk=page.pk)
    title = fresh.get_admin_display_title()
    if fresh.workflow_in_progress:
        text = _(
            "The page “%(title)s” waits for the territory's editors to approve it. "
            "It will be published once approved."
        ) % {"title": title}
    elif fresh.live and fresh.live_revision_id == fresh.latest_revision_id:
        text = _("The page “%(title)s” is published: visitors see it now.") % {"title": title}
    else:
        return None
    # Replace the message Wagtail queued during this request ("submitted for moderation").
    storage = getattr(request, "_messages", None)
    if storage is not None and hasattr(storage, "_queued_messages"):
        storage._queued_messages = [
            m for m in storage._queued_messages if m.level != constants.SUCCESS
        ]
    messages.success(
        request,
        text,
        buttons=[messages.button(reverse("wagtailadmin_pages:edit", args=[fresh.pk]), _("Edit"))],
    )
    return None
