"""Who manages the tourist tax: the territory's finance group (and superusers).

:func:`tourist_tax_permissions_ensure` gives finance the rates' and the collectors' model
permissions and the
settings' change permission; the territory's setup calls it. Nobody else has them, so
the admin refuses the rates and settings to providers and editors.
"""

from django.contrib.auth.models import Permission

RATE_PERMISSIONS = tuple(
    f"{action}_touristtaxrate" for action in ("add", "change", "delete", "view")
)
COLLECTOR_PERMISSIONS = tuple(
    f"{action}_taxcollector" for action in ("add", "change", "delete", "view")
)
SETTINGS_PERMISSIONS = ("change_touristtaxsettings",)


def tourist_tax_permissions_ensure(*, finance) -> None:
    """Let the finance group manage rates, the communes' collectors and the tourist tax
    settings. Idempotent."""
    finance.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tourist_tax",
            codename__in=RATE_PERMISSIONS + COLLECTOR_PERMISSIONS + SETTINGS_PERMISSIONS,
        )
    )
