"""Who may read the ledger (the ledger's writes live in :mod:`payments.ledger`).

An order's payment, abandonment and cancellation moved to
:mod:`marketplace.orders.transitions`.
"""

from django.contrib.auth.models import Permission
from django.db import transaction

LEDGER_PERMISSION = "payments.view_ledger"


@transaction.atomic
def ledger_permissions_ensure(*, finance) -> None:
    """Let the territory's finance group read the ledger (transactions and balances).

    ``payments.view_ledger`` is the only ledger permission there is: nobody adds,
    changes or deletes ledger rows through the admin. Idempotent; called by the
    territory's setup with the "Finances du territoire" group.
    """
    app_label, codename = LEDGER_PERMISSION.split(".")
    finance.permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
