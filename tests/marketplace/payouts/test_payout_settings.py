"""The payout settings: finance edits the operator's debtor account (checked like any
bank details) and the day of the monthly run; nobody else reaches them."""

from marketplace.payouts.models import PayoutSettings


def url(site) -> str:
    return f"/admin/settings/payouts/payoutsettings/{site.pk}/"


def form(**values) -> dict:
    return {
        "debtor_name": "  Communauté de communes  du Haut-Vallon ",
        "debtor_iban": "fr14 2004 1010 0505 0001 3m02 606",
        "debtor_bic": "",
        "run_day": "5",
        **values,
    }


def test_finance_sets_the_debtor_account_normalised_and_its_bic_found(client, world):
    site = world["site"]
    client.force_login(world["finance"])
    assert client.get(url(site)).status_code == 200

    response = client.post(url(site), form())

    assert response.status_code == 302, response.content.decode()[:3000]
    settings = PayoutSettings.for_site(site)
    assert (settings.debtor_name, settings.debtor_iban, settings.debtor_bic, settings.run_day) == (
        "Communauté de communes du Haut-Vallon",
        "FR1420041010050500013M02606",
        "PSSTFRPP",
        5,
    )
    assert settings.has_debtor_account


def test_a_wrong_iban_or_day_is_refused_in_french_and_nothing_saved(client, world):
    site = world["site"]
    client.force_login(world["finance"])

    wrong_iban = client.post(url(site), form(debtor_iban="FR1420041010050500013M02607"))
    wrong_day = client.post(url(site), form(run_day="31"))
    no_name = client.post(url(site), form(debtor_name=""))

    assert wrong_iban.status_code == 200 and "IBAN" in wrong_iban.content.decode()
    assert "chiffres de contrôle" in wrong_iban.content.decode()
    assert wrong_day.status_code == 200 and "28" in wrong_day.content.decode()
    assert no_name.status_code == 200 and "titulaire" in no_name.content.decode()
    settings = PayoutSettings.for_site(site)
    assert not settings.debtor_iban and not settings.has_debtor_account and settings.run_day == 1


def test_providers_cannot_reach_the_payout_settings(client, world):
    client.force_login(world["alice"])
    response = client.get(url(world["site"]))
    assert response.status_code in (302, 403)
