"""Who belongs to which provider: the catalogue's answer every admin page asks.

A provider's members (``ProviderMembership``) manage its offers, bookings, statement and
payout account. The books, the order life cycle and the payment providers all ask the
same question here, so none of them imports another for it.
"""

from wagtail.admin.menu import MenuItem

from marketplace.models import Provider


def active_user(user) -> bool:
    """Signed in and not deactivated."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def member_provider_ids(*, user) -> list[int]:
    """The providers ``user`` is a member of (one query, then cached on the user object)."""
    if not active_user(user):
        return []
    cached = getattr(user, "_member_provider_ids", None)
    if cached is None:
        providers = Provider.objects.filter(memberships__user=user).order_by("pk")
        cached = list(providers.values_list("pk", flat=True))
        user._member_provider_ids = cached
    return cached


class MemberMenuItem(MenuItem):
    """An admin menu item shown only to a provider's members (their own pages: statement,
    bank details, seller details)."""

    def is_shown(self, request):
        return bool(member_provider_ids(user=request.user))
