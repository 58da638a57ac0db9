"""The demo's payees by bank transfer and its tourist tax choices.

- A :class:`~marketplace.tourist_tax.models.TaxCollector` (the commune's public
  accountant) for every commune where a stay is offered, so that the tax the platform
  collects has someone to be remitted to.
- **Approved** bank details for those who are paid by transfer rather than by Stripe: the
  commission beneficiaries without a Stripe account (but the platform's running costs,
  which the operator keeps), each tax collector, and one provider without a Stripe
  account (the demo provider account's campsite when it has none). They
  go through :mod:`marketplace.payouts.services` like real ones: the administrator
  submits, finance (a second person) approves, both in the audit log.
- The operator's own account, that payout runs' transfers leave from (the payout
  settings' debtor account), so that finance can prepare a run in the demo.
- The territory lets visitors declare seasonal workers exempt from the tourist tax.

Each step skips what is there already (details approved or waiting for approval, an
existing collector, the setting already on), so a second run writes nothing. The IBANs
are valid test numbers at bank code 30006 (like FR76 3000 6000 0112 3456 7890 189),
derived from the ledger account so that they stay the same from run to run.
"""

from __future__ import annotations

import hashlib

from schwifty import IBAN

from commissions.models import Beneficiary, BeneficiaryKind
from marketplace.models import Provider, StayOfferPage
from marketplace.payouts.models import BankAccount, BankAccountStatus, PayoutSettings
from marketplace.payouts.services import bank_account_approve, bank_account_submit
from marketplace.tourist_tax.models import TaxCollector, TouristTaxSettings

DEMO_BANK_CODE = "30006"
DEMO_BRANCH_CODE = "00001"
DEMO_BIC = "AGRIFRPP"  # the bank of code 30006
OPERATOR_ACCOUNT = "platform:operator"


def demo_iban(account: str) -> str:
    """A valid French IBAN (RIB key and IBAN check digits right) for ``account``."""
    digits = int(hashlib.sha256(account.encode()).hexdigest(), 16) % 10**11
    iban = IBAN.generate(
        "FR",
        bank_code=DEMO_BANK_CODE,
        branch_code=DEMO_BRANCH_CODE,
        account_code=f"{digits:011d}",
    )
    return str(iban.compact)


def collector_name(commune: str) -> str:
    return f"SGC du Val d'Arvière — {commune}"


def tax_collectors_ensure(*, site, report) -> list[TaxCollector]:
    """A collector for each commune of ``site`` where a live stay is offered."""
    communes = sorted(
        set(
            StayOfferPage.objects.live()
            .filter(provider__site=site)
            .values_list("provider__commune", flat=True)
        )
    )
    existing = {
        commune.strip().lower()
        for commune in TaxCollector.objects.filter(site=site).values_list("commune", flat=True)
    }
    for commune in communes:
        if commune and commune.strip().lower() not in existing:
            TaxCollector.objects.create(site=site, commune=commune, name=collector_name(commune))
            report.add("tourist tax collectors")
    return list(TaxCollector.objects.filter(site=site))


def transfer_provider(*, site, preferred_slug: str) -> Provider | None:
    """The demo provider paid by transfer: ``preferred_slug`` when it has no Stripe
    account, else the first other one without."""
    without_stripe = Provider.objects.filter(site=site, stripe_account_id="").order_by("pk")
    return (
        without_stripe.filter(slug=preferred_slug).first()
        or without_stripe.exclude(slug=preferred_slug).first()
    )


def bank_details_ensure(*, site, users: dict, preferred_provider: str, report) -> None:
    """Approved bank details for the demo's payees by transfer (see the module)."""
    payees: list[tuple[str, str]] = [
        (f"beneficiary:{key}", name)
        for key, name in Beneficiary.objects.filter(site=site, stripe_account="")
        # The platform's running costs stay with the operator: nothing to transfer.
        .exclude(kind=BeneficiaryKind.RUNNING_COSTS)
        .order_by("key")
        .values_list("key", "name")
    ]
    payees += [(c.account, c.name) for c in tax_collectors_ensure(site=site, report=report)]
    provider = transfer_provider(site=site, preferred_slug=preferred_provider)
    if provider is not None:
        payees.append((f"provider:{provider.pk}", provider.legal_name or provider.name))
    known = set(
        BankAccount.objects.for_site(site)
        .filter(status__in=[BankAccountStatus.APPROVED, BankAccountStatus.PENDING])
        .values_list("account", flat=True)
    )
    for account, holder in payees:
        if account in known:
            continue
        submitted = bank_account_submit(
            site=site,
            account=account,
            holder_name=holder[:70],
            iban=demo_iban(account),
            by=users["admin"],
        )
        bank_account_approve(bank_account=submitted, by=users["finance"])
        report.add("approved bank details")


def tourist_tax_settings_ensure(*, site, report) -> TouristTaxSettings:
    """Visitors of the demo may declare seasonal workers exempt from the tourist tax."""
    tax_settings = TouristTaxSettings.for_site(site)
    if not tax_settings.exemption_seasonal_workers:
        tax_settings.exemption_seasonal_workers = True
        tax_settings.save()
        report.add("tourist tax settings")
    return tax_settings


def debtor_account_ensure(*, site, operator_name: str, report) -> PayoutSettings:
    """The operator's account in the payout settings, unless one is there already."""
    payout_settings = PayoutSettings.for_site(site)
    if not payout_settings.has_debtor_account:
        payout_settings.debtor_name = operator_name[:70]
        payout_settings.debtor_iban = demo_iban(OPERATOR_ACCOUNT)
        payout_settings.debtor_bic = DEMO_BIC
        payout_settings.full_clean()
        payout_settings.save()
        report.add("payout settings")
    return payout_settings
