"""French first, English second: complete catalogues, and pages that render in each."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def catalogue(language: str):
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as po:
        return read_po(po, locale=language, abort_invalid=True)


def untranslated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not all(strings)


def test_french_catalogue_is_complete_and_has_no_fuzzy_entry():
    messages = [m for m in catalogue("fr") if m.id]

    assert len(messages) > 100
    assert not [m.id for m in messages if untranslated(m)], "untranslated in locale/fr"
    assert not [m.id for m in messages if m.fuzzy], "fuzzy in locale/fr (check and unmark)"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_catalogue_header_is_not_fuzzy(language):
    # A fuzzy header makes msgfmt/Babel skip or mangle the whole catalogue.
    assert not catalogue(language).fuzzy


def test_english_catalogue_has_the_same_messages():
    french = {m.id for m in catalogue("fr") if m.id}
    english = {m.id for m in catalogue("en") if m.id}

    assert french == english, "run `make messages`"


@pytest.mark.parametrize(
    ("path", "lang", "offers_link"),
    [
        ("/", "fr", ">Offres</a>"),
        ("/en/", "en", ">Offers</a>"),
        ("/offres/", "fr", ">Offres</a>"),
        ("/en/offres/", "en", ">Offers</a>"),
    ],
)
def test_pages_render_in_each_language(client, territory, path, lang, offers_link):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}"' in html
    assert offers_link in html


def test_unprefixed_pages_stay_french_whatever_the_browser_asks(client, territory):
    # One URL, one language: / is French for every visitor, cache and search engine;
    # English lives under /en/ (the language switcher leads there).
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert response.status_code == 200
    assert '<html lang="fr"' in response.content.decode()
