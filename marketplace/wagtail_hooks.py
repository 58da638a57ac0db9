"""Admin registrations of the marketplace: providers, the territory's snippets, and the
order life cycle's "Réservations" and "Commandes" (:mod:`marketplace.orders.admin`,
:mod:`marketplace.orders.admin_orders`) with the audit-log actions of its transitions."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from marketplace.books.dac7_notify import ACTIONS as DAC7_ACTIONS
from marketplace.dashboard import ProviderDashboardPanel, SellerDetailsMissingPanel
from marketplace.members import member_provider_ids
from marketplace.models import Booking, Order, Provider
from marketplace.orders.admin import BookingPermissionPolicy, BookingViewSet
from marketplace.orders.admin_orders import OrderPermissionPolicy, OrderViewSet
from marketplace.orders.audit import ACTIONS
from marketplace.seller_details import SellerDetailsViewSet
from marketplace.viewsets import (
    PendingApplicationsPanel,
    ProviderPermissionPolicy,
    StaysWithoutTaxRatePanel,
    TerritoryViewSetGroup,
)

register_permission_policy(Provider, ProviderPermissionPolicy(Provider))
# Registered before any view asks for a policy (see wagtail.permissions).
register_permission_policy(Booking, BookingPermissionPolicy(Booking))
register_permission_policy(Order, OrderPermissionPolicy(Order))
register_snippet(TerritoryViewSetGroup)


@hooks.register("register_admin_viewset")
def register_booking_viewsets():
    return [BookingViewSet(), OrderViewSet()]


@hooks.register("register_admin_viewset")
def register_seller_details_viewset():
    # A provider's members complete what the DAC7 report needs (marketplace/seller_details.py).
    return SellerDetailsViewSet()


@hooks.register("register_log_actions")
def register_order_log_actions(actions):
    """The transitions of orders and bookings, in their admin history and the site's."""
    for action, (label, message) in (ACTIONS | DAC7_ACTIONS).items():
        actions.register_action(action, label, message)


@hooks.register("construct_homepage_panels")
def provider_dashboard_panel(request, panels):
    # A provider's members only: territory staff have their own panels (applications,
    # tax rates, live rules) and the lists of the whole territory.
    if member_provider_ids(user=request.user):
        panels.append(ProviderDashboardPanel(request.user))
        # What the yearly tax report lacks, when it lacks something.
        missing = SellerDetailsMissingPanel.for_user(request.user)
        if missing is not None:
            panels.append(missing)


@hooks.register("construct_homepage_panels")
def pending_applications_panel(request, panels):
    if request.user.has_perm("marketplace.change_provider"):
        panels.append(PendingApplicationsPanel())


@hooks.register("construct_homepage_panels")
def stays_without_tax_rate_panel(request, panels):
    # Finance (who enters the rates) sees the stays a missing rate keeps from being booked.
    if request.user.has_perm("tourist_tax.change_touristtaxrate"):
        panels.append(StaysWithoutTaxRatePanel())


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def page_submission_message(request, page):
    """After "submit", say whether the page is live or waits for the territory's editors.

    Wagtail always announces a submission "for moderation", even when the offer workflow's
    task passes on its own and the page is already published, or scheduled for its go-live
    date (see OfferPublicationTask).
    """
    if request.method != "POST" or not request.POST.get("action-submit"):
        return None
    from django.contrib.messages import constants
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.formats import date_format
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
    elif (scheduled := fresh.scheduled_revision) is not None:
        # The workflow passed and published the revision for its go-live date: nobody
        # moderates it, and visitors see it from then on.
        when = {
            "title": title,
            "date": date_format(
                timezone.localtime(scheduled.approved_go_live_at), "DATETIME_FORMAT"
            ),
        }
        if fresh.live:
            text = (
                _(
                    "The changes to the page “%(title)s” will be published on %(date)s; until "
                    "then, visitors see the page as it is."
                )
                % when
            )
        else:
            text = (
                _(
                    "The page “%(title)s” will be published on %(date)s: visitors will see it "
                    "from then on."
                )
                % when
            )
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
