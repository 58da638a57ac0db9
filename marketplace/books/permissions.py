"""Who may read the books: ``books.view_ledger``, the only ledger permission there is.

Nobody adds, changes or deletes ledger rows through the admin, so there is no other. The
territory's finance group is given it by :func:`ledger_permissions_ensure`; the admin's
ledger pages (and the payment providers' finance lists) ask :func:`can_view_ledger` and
:class:`LedgerPermissionPolicy`. What must not live here: money display, territories of a
request, anything about a payment provider.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from wagtail.permission_policies import ModelPermissionPolicy

LEDGER_PERMISSION = "books.view_ledger"


@transaction.atomic
def ledger_permissions_ensure(*, finance) -> None:
    """Let the territory's finance group read the ledger (transactions and balances).

    ``books.view_ledger`` is the only ledger permission there is: nobody adds, changes or
    deletes ledger rows through the admin. Idempotent; called by the territory's setup
    with the "Finances du territoire" group.
    """
    app_label, codename = LEDGER_PERMISSION.split(".")
    finance.permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )


def can_view_ledger(user) -> bool:
    return bool(user and user.is_active and user.has_perm(LEDGER_PERMISSION))


class LedgerPermissionPolicy(ModelPermissionPolicy):
    """Viewing needs ``books.view_ledger``; every other action is refused to all."""

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
