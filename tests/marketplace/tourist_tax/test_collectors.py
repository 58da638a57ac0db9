"""A commune's tourist-tax collector: one per territory and commune, keyed by the
commune's ledger account; finance manages them in the admin."""

import pytest
from django.core.exceptions import ValidationError

from marketplace.tourist_tax.models import TaxCollector

COLLECTORS = "/admin/snippets/tourist_tax/taxcollector/"


def test_a_collector_carries_its_commune_s_ledger_account(territory):
    collector = TaxCollector.objects.create(
        site=territory, commune=" Arvière-le-Bourg ", name="Trésorerie de Arvière-le-Bourg"
    )

    assert (collector.commune, collector.account) == (
        "Arvière-le-Bourg",
        "tax:tourist:arviere-le-bourg",
    )


def test_a_commune_has_one_collector_per_territory(territory):
    TaxCollector.objects.create(site=territory, commune="Arvière-le-Bourg", name="Trésorerie")
    twin = TaxCollector(site=territory, commune="ARVIÈRE LE BOURG", name="SGC")

    with pytest.raises(ValidationError) as error:
        twin.full_clean()

    assert error.value.message_dict == {
        "commune": ["Cette commune a déjà son collecteur dans ce territoire."]
    }


def test_finance_manages_collectors_and_providers_do_not(client, territory, finance, editor):
    client.force_login(finance)
    response = client.post(
        COLLECTORS + "add/",
        {"site": territory.pk, "commune": "Val-Clair", "name": "SGC de la vallée"},
    )
    assert response.status_code == 302
    assert TaxCollector.objects.get().account == "tax:tourist:val-clair"

    client.force_login(editor)
    assert client.get(COLLECTORS).status_code in (302, 403)
