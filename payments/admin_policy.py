"""What every finance page of the admin shares: who may read the ledger, money display,
the territory a request is for."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import get_language
from wagtail.models import Site
from wagtail.permission_policies import ModelPermissionPolicy

from commissions.money import format_cents
from payments.services import LEDGER_PERMISSION


def money(cents: int, *, currency: str = "EUR") -> str:
    return format_cents(cents, currency=currency, language=get_language() or "fr")


def can_view_ledger(user) -> bool:
    return bool(user and user.is_active and user.has_perm(LEDGER_PERMISSION))


class LedgerPermissionPolicy(ModelPermissionPolicy):
    """Viewing needs ``payments.view_ledger``; every other action is refused to all."""

    def user_has_permission(self, user, action):
        return action in ("view", "view_ledger") and can_view_ledger(user)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        if not {"view", "view_ledger"} & set(actions):
            return get_user_model().objects.none()
        app_label, codename = LEDGER_PERMISSION.split(".")
        condition = Q(is_superuser=True) | Q(
            user_permissions__codename=codename,
            user_permissions__content_type__app_label=app_label,
        )
        condition |= Q(
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label=app_label,
        )
        return get_user_model().objects.filter(condition, is_active=True).distinct()


def request_site(request) -> Site:
    return Site.find_for_request(request) or Site.objects.get(is_default_site=True)
