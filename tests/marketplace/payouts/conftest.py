"""The bank details' world: two finance officers, two providers with a member each, a
commission beneficiary and a commune's tourist-tax collector."""

import pytest

from commissions.models import Beneficiary
from marketplace.tourist_tax.models import TaxCollector
from tests.factories import make_provider, make_user
from tests.snapshots import Replay

IBAN_OLD = "FR7630006000011234567890189"
IBAN_NEW = "DE89370400440532013000"
IBAN_CH = "CH9300762011623852957"


def build_bank_world(territory, category):
    from cms.services import FINANCE_GROUP

    finance = make_user("finances@example.org", groups=(FINANCE_GROUP,))
    finance2 = make_user("finances2@example.org", groups=(FINANCE_GROUP,))
    alice = make_user("alice@example.org")
    bob = make_user("bob@example.org")
    canoes = make_provider(
        territory, name="Canoës Alice", category=category, member=alice, email="canoes@example.org"
    )
    ferme = make_provider(territory, name="Ferme Bob", category=category, member=bob)
    fonds = Beneficiary.objects.create(
        site=territory, key="fonds", name="Fonds local", kind="local_fund", live=True
    )
    collector = TaxCollector.objects.create(
        site=territory, commune="Arvière-le-Bourg", name="Trésorerie de Arvière-le-Bourg"
    )
    return {
        "site": territory,
        "finance": finance,
        "finance2": finance2,
        "alice": alice,
        "bob": bob,
        "canoes": canoes,
        "ferme": ferme,
        "fonds": fonds,
        "collector": collector,
    }


bank_world_replay = Replay(build_bank_world)


@pytest.fixture
def world(territory, category):
    return bank_world_replay(territory, category)
