"""The chart of accounts the FEC export speaks: ledger accounts → plan comptable général.

The ledger names accounts by who they are (``provider:12``, ``tax:tourist:arviere``);
an accountant and the tax office read numbers of the plan comptable général (PCG). This
module holds the default mapping (:data:`DEFAULT_CHART`), the territory's overrides
(``TerritorySettings.fec_accounts``), their validation, and the resolution of one ledger
account to a PCG account with its auxiliary (sub-ledger) account. Why each number was
chosen is in the README ("FEC export").

Keys are a ledger account (``platform:operator``) or a family of accounts, its prefix up
to a colon (``provider``, ``tax:tourist``, ``platform``). The most specific key wins; at
the same key, the territory's override wins over the default. The special key ``vat``
names the account of the VAT collected on the commission (44571 by default): the
ledger's ``tax:vat`` (the VAT set aside from the commissions) maps to it, unless
``tax:vat`` itself is mapped; it has no auxiliary account (the State is no sub-ledger).

Pure Python: no model is imported here, so ``TerritorySettings.clean()`` may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

VAT_KEY = "vat"
# The ledger's account of the VAT set aside (marketplace.books.ledger.VAT_ACCOUNT; not
# imported: this module imports no model).
VAT_LEDGER_ACCOUNT = "tax:vat"

# Families whose accounts are sub-ledgers: one auxiliary account (CompAuxNum) per
# provider, beneficiary, commune; the PCG account is their collective ("compte collectif").
AUXILIARY_FAMILIES = ("provider", "beneficiary", "tax")


@dataclass(frozen=True)
class PcgAccount:
    num: str
    lib: str


DEFAULT_CHART: dict[str, PcgAccount] = {
    # What the visitor paid is already in the payment provider's balance when the ledger
    # records it (a booking is confirmed once paid): cash, not a receivable. With the
    # Stripe balance (platform:clearing) on the same account, 5171's balance is what the
    # ledger says the platform's payment account holds.
    "visitor": PcgAccount("5171", "Compte de paiement en ligne (Stripe)"),
    "platform:clearing": PcgAccount("5171", "Compte de paiement en ligne (Stripe)"),
    "platform:bank": PcgAccount("512", "Banque"),
    "platform:psp_fees": PcgAccount("627", "Services bancaires et assimilés"),
    "platform:operator": PcgAccount("706", "Prestations de services (commissions)"),
    "platform:netting": PcgAccount("4711", "Compte d'attente (compensations)"),
    "platform:disputes": PcgAccount("416", "Clients litigieux (contestations de paiement)"),
    "platform": PcgAccount("471", "Compte d'attente"),
    # Sums collected on behalf of others (the operator is an intermediary, not a buyer
    # and reseller): third-party accounts of class 46, one per kind of creditor.
    "provider": PcgAccount("4671", "Prestataires, sommes encaissées pour leur compte"),
    "beneficiary": PcgAccount("4672", "Bénéficiaires de la commission"),
    # The tourist tax collected for the communes: a tax owed to a public body (447).
    "tax:tourist": PcgAccount("4471", "Taxe de séjour collectée"),
    "tax": PcgAccount("447", "Autres impôts, taxes et versements assimilés"),
    VAT_KEY: PcgAccount("44571", "TVA collectée"),
}
# A ledger account of a kind nobody mapped (should not happen: the ledger's kinds are
# closed) lands in a suspense account, with the ledger's name as its auxiliary.
FALLBACK = PcgAccount("471", "Compte d'attente")

KEY_RE = re.compile(r"^(vat|(visitor|provider|beneficiary|tax|platform)(:[^\s:]+)*)$")
# A PCG account number: digits, class 1 to 8 first; subdivisions may be long.
NUM_RE = re.compile(r"^[1-8][0-9]{2,19}$")
LIB_MAX = 100


class ChartError(ValueError):
    """A territory's FEC mapping that cannot be used; ``errors`` lists why, one per key."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


def chart_overrides_parse(overrides) -> dict[str, PcgAccount]:
    """The territory's ``fec_accounts`` checked and read, or :class:`ChartError`.

    Accepted: ``{"provider": "401", "platform:operator": {"num": "7082", "lib": "..."}}``;
    a bare number keeps the default label of the key (or of its family).
    """
    if overrides in (None, ""):
        return {}
    if not isinstance(overrides, dict):
        raise ChartError(
            [
                _(
                    'The mapping is an object: {"ledger account or family": "PCG number" or '
                    '{"num": "...", "lib": "..."}}.'
                )
            ]
        )
    errors: list[str] = []
    parsed: dict[str, PcgAccount] = {}
    for key, value in overrides.items():
        if not isinstance(key, str) or not KEY_RE.match(key):
            errors.append(
                _(
                    "%(key)s: not a ledger account or family (visitor, provider, beneficiary, "
                    "tax:tourist, platform:operator, vat, ...)"
                )
                % {"key": repr(key)}
            )
            continue
        if isinstance(value, str):
            num, lib = value, None
        elif isinstance(value, dict) and set(value) <= {"num", "lib"} and "num" in value:
            num, lib = value["num"], value.get("lib")
        else:
            errors.append(
                _('%(key)s: expected "PCG number" or {"num": "...", "lib": "..."}') % {"key": key}
            )
            continue
        if not isinstance(num, str) or not NUM_RE.match(num):
            errors.append(
                _("%(key)s: %(num)s is not a PCG account number (3 to 20 digits, class 1 to 8)")
                % {"key": key, "num": repr(num)}
            )
            continue
        if lib is not None and (
            not isinstance(lib, str) or not lib.strip() or len(lib) > LIB_MAX or _unsafe(lib)
        ):
            errors.append(
                _("%(key)s: the label is one line of text of at most %(max)s characters")
                % {"key": key, "max": LIB_MAX}
            )
            continue
        parsed[key] = PcgAccount(num, lib.strip() if lib else _default_for(key).lib)
    if errors:
        raise ChartError(errors)
    # One number, one label: a file naming an account two ways fails the administration's
    # checks (and confuses whoever imports it).
    chart = Chart(parsed)
    used = [chart.account(key) for key in {*DEFAULT_CHART, *parsed} - {VAT_KEY}]
    labels: dict[str, set[str]] = {}
    for account in [*used, chart.vat, FALLBACK]:
        labels.setdefault(account.num, set()).add(account.lib)
    for num, libs in sorted(labels.items()):
        if len(libs) > 1:
            errors.append(
                _("%(num)s is named in two ways (%(libs)s): give it one label")
                % {"num": num, "libs": " / ".join(sorted(libs))}
            )
    if errors:
        raise ChartError(errors)
    return parsed


def _unsafe(text: str) -> bool:
    return any(char in text for char in "\t\r\n|")


def _keys(account: str) -> list[str]:
    """``tax:tourist:arviere`` → ``["tax:tourist:arviere", "tax:tourist", "tax"]``."""
    parts = account.split(":")
    return [":".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _default_for(key: str) -> PcgAccount:
    if key == VAT_LEDGER_ACCOUNT:
        return DEFAULT_CHART[VAT_KEY]
    for candidate in _keys(key):
        if candidate in DEFAULT_CHART:
            return DEFAULT_CHART[candidate]
    return FALLBACK


class Chart:
    """The defaults with a territory's overrides; resolves ledger accounts."""

    def __init__(self, overrides: dict[str, PcgAccount] | None = None):
        self.overrides = overrides or {}

    @classmethod
    def for_territory(cls, fec_accounts) -> Chart:
        return cls(chart_overrides_parse(fec_accounts))

    def account(self, ledger_account: str) -> PcgAccount:
        if ledger_account == VAT_LEDGER_ACCOUNT and VAT_LEDGER_ACCOUNT not in self.overrides:
            return self.vat
        for key in _keys(ledger_account):
            if key in self.overrides:
                return self.overrides[key]
            if key in DEFAULT_CHART:
                return DEFAULT_CHART[key]
        return FALLBACK

    @property
    def vat(self) -> PcgAccount:
        return self.overrides.get(VAT_KEY, DEFAULT_CHART[VAT_KEY])


def has_auxiliary(ledger_account: str) -> bool:
    """Whether the account is one of a sub-ledger: a provider, a beneficiary, a commune."""
    if ledger_account == VAT_LEDGER_ACCOUNT:
        return False
    kind = ledger_account.split(":", 1)[0]
    return kind in AUXILIARY_FAMILIES
