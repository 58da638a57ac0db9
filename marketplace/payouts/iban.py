"""IBAN and BIC: validation (with schwifty), normalisation, display and masking.

Pure functions, no database. :func:`iban_clean` and :func:`bic_clean` raise Django's
``ValidationError`` with a message in the active language (French first, English
second) for each way an IBAN or a BIC can be wrong; schwifty's own messages are English
only, so each of its exceptions is mapped to one of ours.

- An IBAN is stored **normalised**: no spaces, upper case (``FR7630006000011234567890189``).
  It is checked for its country's format and length, its check digits (ISO 7064 mod 97)
  and, where schwifty knows the algorithm, the national key (the French RIB key).
- Payouts outside Stripe are SEPA credit transfers, so an IBAN outside the SEPA zone is
  refused.
- The BIC is optional when schwifty's bank registry derives it from the IBAN's bank
  code (most French, German, Spanish... banks); otherwise it must be given. SEPA credit
  transfers need only the IBAN, but the operator's bank file (pain.001) may carry it.
- Display: :func:`iban_format` groups by 4; :func:`iban_mask` shows the country, the
  check digits and the last four characters only (``FR76 **** … 0189``), for lists and
  e-mails.
"""

from __future__ import annotations

import re
import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors

_SPACES = re.compile(r"\s+")
_ALNUM = re.compile(r"^[A-Z0-9]+$")
IBAN_MAX_LENGTH = 34
BIC_MAX_LENGTH = 11


def normalise(value: str | None) -> str:
    """Without any space (also non-breaking ones), upper case."""
    return _SPACES.sub("", value or "").upper()


def iban_format(iban: str) -> str:
    """``FR76 3000 6000 0112 3456 7890 189``: groups of four, as printed on a RIB."""
    compact = normalise(iban)
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def iban_mask(iban: str) -> str:
    """``FR76 **** … 0189``: enough to recognise an account, not to use it."""
    compact = normalise(iban)
    if len(compact) < 8:
        return "****"
    return f"{compact[:4]} **** … {compact[-4:]}"


def iban_clean(value: str | None) -> IBAN:
    """The IBAN, normalised and valid for a SEPA credit transfer, else ``ValidationError``."""
    compact = normalise(value)
    if not compact:
        raise ValidationError(_("Give the account's IBAN."), code="iban_required")
    if len(compact) > IBAN_MAX_LENGTH or not _ALNUM.match(compact):
        raise ValidationError(
            _("An IBAN has only letters and digits (at most 34)."), code="iban_characters"
        )
    country = compact[:2]
    try:
        with warnings.catch_warnings():
            # Countries without a known national checksum: schwifty warns and accepts.
            warnings.simplefilter("ignore", schwifty_errors.NationalChecksumNotVerified)
            iban = IBAN(compact, validate_bban=True)
    except schwifty_errors.InvalidCountryCode:
        raise ValidationError(
            _("“%(country)s” is not the code of a country that uses IBANs."),
            code="iban_country",
            params={"country": country},
        ) from None
    except schwifty_errors.InvalidLength:
        expected = IBAN(compact, allow_invalid=True).spec.iban_length
        raise ValidationError(
            _("An IBAN of %(country)s has %(expected)s characters; this one has %(given)s."),
            code="iban_length",
            params={"country": country, "expected": expected, "given": len(compact)},
        ) from None
    except schwifty_errors.InvalidChecksumDigits:
        raise ValidationError(
            _("This IBAN's check digits do not match: check it for a typing error."),
            code="iban_checksum",
        ) from None
    except schwifty_errors.InvalidBBANChecksum:
        raise ValidationError(
            _("The account number's key (the RIB key in France) is wrong: check the IBAN."),
            code="iban_national_checksum",
        ) from None
    except (
        schwifty_errors.InvalidBankCode,
        schwifty_errors.InvalidBranchCode,
        schwifty_errors.InvalidAccountCode,
        schwifty_errors.InvalidStructure,
    ):
        raise ValidationError(
            _("This IBAN does not have the format of %(country)s's account numbers."),
            code="iban_format",
            params={"country": country},
        ) from None
    except schwifty_errors.SchwiftyException:
        raise ValidationError(_("This IBAN is not valid."), code="iban_invalid") from None
    if not iban.in_sepa_zone:
        raise ValidationError(
            _(
                "Payouts are SEPA credit transfers: an account in %(country)s, outside the "
                "SEPA zone, cannot be paid."
            ),
            code="iban_not_sepa",
            params={"country": country},
        )
    return iban


def bic_clean(value: str | None) -> str:
    """The BIC, normalised (8 or 11 characters), else ``ValidationError``; ``""`` if empty."""
    compact = normalise(value)
    if not compact:
        return ""
    if len(compact) > BIC_MAX_LENGTH or not _ALNUM.match(compact):
        raise ValidationError(_("A BIC has 8 or 11 letters and digits."), code="bic_characters")
    try:
        bic = BIC(compact)
    except schwifty_errors.InvalidLength:
        raise ValidationError(
            _("A BIC has 8 or 11 letters and digits."), code="bic_length"
        ) from None
    except schwifty_errors.InvalidCountryCode:
        raise ValidationError(
            _("“%(country)s” in this BIC is not a country code."),
            code="bic_country",
            params={"country": compact[4:6]},
        ) from None
    except schwifty_errors.SchwiftyException:
        raise ValidationError(
            _(
                "A BIC is 4 letters (the bank), 2 letters (the country), 2 letters or digits "
                "(the place) and, optionally, 3 more (the branch)."
            ),
            code="bic_format",
        ) from None
    return str(bic.compact)


def bank_details_clean(*, iban: str | None, bic: str | None) -> tuple[str, str, bool]:
    """``(iban, bic, bic_derived)``: both checked; the BIC derived from the IBAN's bank
    when it is not given and schwifty's registry knows it. Errors per field."""
    errors: dict[str, list] = {}
    checked_iban = None
    try:
        checked_iban = iban_clean(iban)
    except ValidationError as error:
        errors["iban"] = error.error_list
    try:
        checked_bic = bic_clean(bic)
    except ValidationError as error:
        errors["bic"] = error.error_list
        checked_bic = ""
    derived = False
    if checked_iban is not None and not checked_bic and "bic" not in errors:
        found = checked_iban.bic
        if found is None:
            errors["bic"] = [
                ValidationError(
                    _("This bank's BIC cannot be found from the IBAN: give it."),
                    code="bic_required",
                )
            ]
        else:
            checked_bic, derived = str(found.compact), True
    if errors:
        raise ValidationError(errors)
    return str(checked_iban.compact), checked_bic, derived
