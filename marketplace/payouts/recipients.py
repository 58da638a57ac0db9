"""Who a ledger account pays: a provider, a commission beneficiary, a commune's collector.

Bank details and payouts are keyed by ledger account (``provider:<id>``,
``beneficiary:<key>``, ``tax:tourist:<commune slug>``); this module turns such a key
back into a :class:`Recipient` (its kind, its name, its provider) within one territory,
one by one or in bulk (three queries at most, whatever the number of accounts).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from commissions.models import Beneficiary
from marketplace.models import Provider, ProviderStatus
from marketplace.tourist_tax.models import TaxCollector

PROVIDER = "provider"
BENEFICIARY = "beneficiary"
TOURIST_TAX = "tourist_tax"
KIND_PREFIXES = {PROVIDER: "provider:", BENEFICIARY: "beneficiary:", TOURIST_TAX: "tax:tourist:"}
KIND_LABELS = {
    PROVIDER: _("Provider"),
    BENEFICIARY: _("Commission beneficiary"),
    TOURIST_TAX: _("Tourist tax collector"),
}
# Providers that may be owed money: approved ones, and suspended ones (still owed).
PAYABLE_PROVIDER_STATUSES = (ProviderStatus.APPROVED, ProviderStatus.SUSPENDED)


@dataclass(frozen=True)
class Recipient:
    account: str
    kind: str
    name: str
    provider_id: int | None = None

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


def account_kind(account: str) -> str | None:
    for kind, prefix in KIND_PREFIXES.items():
        if account.startswith(prefix) and len(account) > len(prefix):
            return kind
    return None


def _provider_id(account: str) -> int | None:
    detail = account.removeprefix(KIND_PREFIXES[PROVIDER])
    return int(detail) if detail.isascii() and detail.isdigit() and len(detail) < 18 else None


def recipients_for(*, site, accounts) -> dict[str, Recipient]:
    """The recipients of ``accounts`` in ``site``; an account naming nobody of that
    territory is left out."""
    by_kind: dict[str, list[str]] = {}
    for account in set(accounts):
        kind = account_kind(account)
        if kind:
            by_kind.setdefault(kind, []).append(account)
    found: dict[str, Recipient] = {}
    provider_ids = {pid for a in by_kind.get(PROVIDER, ()) if (pid := _provider_id(a))}
    if provider_ids:
        for pk, name in Provider.objects.filter(site=site, pk__in=provider_ids).values_list(
            "pk", "name"
        ):
            account = f"provider:{pk}"
            found[account] = Recipient(account, PROVIDER, name, provider_id=pk)
    keys = [a.removeprefix(KIND_PREFIXES[BENEFICIARY]) for a in by_kind.get(BENEFICIARY, ())]
    if keys:
        for key, name in Beneficiary.objects.filter(site=site, key__in=keys).values_list(
            "key", "name"
        ):
            account = f"beneficiary:{key}"
            found[account] = Recipient(account, BENEFICIARY, name)
    if by_kind.get(TOURIST_TAX):
        collectors = TaxCollector.objects.filter(site=site, account__in=by_kind[TOURIST_TAX])
        for account, name in collectors.values_list("account", "name"):
            found[account] = Recipient(account, TOURIST_TAX, name)
    return found


def recipient_for(*, site, account: str) -> Recipient | None:
    return recipients_for(site=site, accounts=[account]).get(account)


def site_recipients(*, site) -> list[Recipient]:
    """Everyone of ``site`` who may be paid by transfer, by kind then name."""
    rows = [
        Recipient(f"provider:{pk}", PROVIDER, name, provider_id=pk)
        for pk, name in Provider.objects.filter(
            site=site, status__in=PAYABLE_PROVIDER_STATUSES
        ).values_list("pk", "name")
    ]
    rows += [
        Recipient(f"beneficiary:{key}", BENEFICIARY, name)
        for key, name in Beneficiary.objects.filter(site=site).values_list("key", "name")
    ]
    rows += [
        Recipient(account, TOURIST_TAX, name)
        for account, name in TaxCollector.objects.filter(site=site).values_list("account", "name")
    ]
    order = list(KIND_PREFIXES)
    return sorted(rows, key=lambda r: (order.index(r.kind), r.name.lower(), r.account))
