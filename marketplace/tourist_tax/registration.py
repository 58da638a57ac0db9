"""The registration number (numéro d'enregistrement) of a furnished tourist let.

Where a commune subjects change of use to authorisation and requires it (Code du
tourisme L. 324-1-1 II), the let's declaration gets a number of **13 characters in three
groups** (D. 324-1-1): the commune's five-character official geographic code (INSEE;
``2A``/``2B`` in Corsica), a six-digit identifier the commune assigns, and a two-character
check key. Elsewhere a let has no such number: the field stays optional.

We check the shape only (the check key's algorithm is the commune's teleservice's, not
published as a rule), accept the groups with or without spaces, and store the 13
characters without spaces, in capitals.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PATTERN = re.compile(r"^(\d{5}|2[AB]\d{3})(\d{6})([A-Z0-9]{2})$")


def registration_number_normalise(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def validate_registration_number(value: str) -> None:
    if not value:
        return
    if not PATTERN.match(registration_number_normalise(value)):
        raise ValidationError(
            _(
                "A registration number has 13 characters: the commune's INSEE code (5), "
                "six digits and a two-character key, for example 42610 000123 7K."
            ),
            code="registration_number",
        )
