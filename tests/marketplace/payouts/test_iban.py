"""IBAN and BIC checks (schwifty), with their messages in French and English;
normalisation, grouping and masking."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from marketplace.payouts.iban import (
    bank_details_clean,
    bic_clean,
    iban_clean,
    iban_format,
    iban_mask,
    normalise,
)

VALID_FR = "FR7630006000011234567890189"  # Crédit Agricole SA: schwifty derives its BIC
VALID_DE = "DE89370400440532013000"
VALID_CH = "CH9300762011623852957"  # SEPA, bank unknown to schwifty's registry


def with_check_digits(country: str, bban: str) -> str:
    """An IBAN whose ISO 7064 check digits are right, whatever the BBAN says."""
    number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - number % 97:02d}{bban}"


def message(call, *args, language: str) -> str:
    with translation.override(language):
        with pytest.raises(ValidationError) as error:
            call(*args)
        return " ".join(error.value.messages)


@pytest.mark.parametrize(
    ("value", "french", "english"),
    [
        ("", "Indiquez l'IBAN du compte.", "Give the account's IBAN."),
        (
            "FR76-3000-6000",
            "Un IBAN ne contient que des lettres et des chiffres (34 au plus).",
            "An IBAN has only letters and digits (at most 34).",
        ),
        (
            "XX7630006000011234567890189",
            "« XX » n'est pas le code d'un pays qui utilise l'IBAN.",
            "“XX” is not the code of a country that uses IBANs.",
        ),
        (
            "FR763000600001123456789018",
            "Un IBAN de FR a 27 caractères ; celui-ci en a 26.",
            "An IBAN of FR has 27 characters; this one has 26.",
        ),
        (
            "FR7630006000011234567890188",
            "Les chiffres de contrôle de cet IBAN ne correspondent pas : vérifiez-le, il "
            "contient sans doute une faute de frappe.",
            "This IBAN's check digits do not match: check it for a typing error.",
        ),
        (
            with_check_digits("FR", "30006000011234567890188"),
            "La clé du numéro de compte (la clé RIB en France) est fausse : vérifiez l'IBAN.",
            "The account number's key (the RIB key in France) is wrong: check the IBAN.",
        ),
        (
            with_check_digits("FR", "A0006000011234567890189"),
            "Cet IBAN n'a pas le format des numéros de compte de FR.",
            "This IBAN does not have the format of FR's account numbers.",
        ),
        (
            "TN5910006035183598478831",
            "Les versements sont des virements SEPA : un compte en TN, hors de la zone SEPA, "
            "ne peut pas être payé.",
            "Payouts are SEPA credit transfers: an account in TN, outside the SEPA zone, "
            "cannot be paid.",
        ),
    ],
)
def test_a_wrong_iban_is_refused_with_a_message_in_each_language(value, french, english):
    assert message(iban_clean, value, language="fr") == french
    assert message(iban_clean, value, language="en") == english


@pytest.mark.parametrize(
    ("value", "french", "english"),
    [
        (
            "BNPAFRP",
            "Un BIC a 8 ou 11 lettres et chiffres.",
            "A BIC has 8 or 11 letters and digits.",
        ),
        (
            "BNPAFRPPXX",
            "Un BIC a 8 ou 11 lettres et chiffres.",
            "A BIC has 8 or 11 letters and digits.",
        ),
        (
            "BNPAXXPP",
            "« XX » dans ce BIC n'est pas un code de pays.",
            "“XX” in this BIC is not a country code.",
        ),
        (
            "BNPA1RPP",
            "Un BIC se compose de 4 lettres (la banque), 2 lettres (le pays), 2 lettres ou "
            "chiffres (le lieu) et, en option, 3 de plus (l'agence).",
            "A BIC is 4 letters (the bank), 2 letters (the country), 2 letters or digits "
            "(the place) and, optionally, 3 more (the branch).",
        ),
    ],
)
def test_a_wrong_bic_is_refused_with_a_message_in_each_language(value, french, english):
    assert message(bic_clean, value, language="fr") == french
    assert message(bic_clean, value, language="en") == english


@pytest.mark.parametrize(
    "value",
    [
        VALID_FR,
        "fr76 3000 6000 0112 3456 7890 189",
        "FR76\u00a03000\u00a06000 0112 3456 7890 189\n",
    ],
)
def test_a_valid_iban_is_normalised_without_spaces_in_upper_case(value):
    assert str(iban_clean(value).compact) == VALID_FR
    assert normalise(value) == VALID_FR


def test_the_iban_is_grouped_by_four_for_reading_and_masked_for_lists():
    assert iban_format(VALID_FR) == "FR76 3000 6000 0112 3456 7890 189"
    assert iban_mask(VALID_FR) == "FR76 **** … 0189"
    assert iban_mask("fr76 3000 6000 0112 3456 7890 189") == "FR76 **** … 0189"
    assert iban_mask(VALID_DE) == "DE89 **** … 3000"


def test_a_valid_bic_is_normalised():
    assert bic_clean(" bnpa frpp xxx ") == "BNPAFRPPXXX"
    assert bic_clean("DEUTDEFF") == "DEUTDEFF"
    assert bic_clean("") == ""


def test_the_bic_is_found_from_the_iban_when_the_bank_is_known():
    assert bank_details_clean(iban=VALID_FR, bic="") == (VALID_FR, "AGRIFRPPXXX", True)
    assert bank_details_clean(iban=VALID_DE, bic="") == (VALID_DE, "COBADEFFXXX", True)


def test_a_given_bic_is_kept_as_given():
    assert bank_details_clean(iban=VALID_FR, bic="agrifrpp") == (VALID_FR, "AGRIFRPP", False)


def test_the_bic_is_required_when_it_cannot_be_found_from_the_iban():
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            bank_details_clean(iban=VALID_CH, bic="")
        assert error.value.message_dict == {
            "bic": ["This bank's BIC cannot be found from the IBAN: give it."]
        }
    assert bank_details_clean(iban=VALID_CH, bic="UBSWCHZH80A") == (
        VALID_CH,
        "UBSWCHZH80A",
        False,
    )


def test_errors_are_given_per_field():
    with pytest.raises(ValidationError) as error:
        bank_details_clean(iban="FR7630006000011234567890188", bic="BNPA1RPP")
    assert set(error.value.message_dict) == {"iban", "bic"}
