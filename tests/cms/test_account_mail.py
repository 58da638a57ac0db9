"""allauth's e-mails in the territory's words (issue 14): each one sent through the real
allauth flow, in French and in English, signed with the territory's name (not the host),
text and HTML, in the layout of the booking e-mails, never naming the username allauth
made up. Their links are checked in tests/config/test_email_links.py, on these same flows.
"""

import html
import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import translation

from cms.services import FINANCE_GROUP
from tests.cms.test_mfa import secret_shown_on, totp_code
from tests.conftest import make_user, reauthenticate

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "un-tout-nouveau-mot-de-passe"
USERNAME = "pseudo-jamais-choisi"
SITE_NAME = "Comptoir test"
# Every account e-mail the flows below send (allauth's template names), twice each.
EVERY_MAIL = {
    "account/email/email_confirmation_signup",
    "account/email/account_already_exists",
    "account/email/email_confirmation",
    "account/email/email_changed",
    "account/email/email_deleted",
    "account/email/password_changed",
    "account/email/password_set",
    "account/email/password_reset_key",
    "account/email/password_reset",
    "account/email/unknown_account",
    "account/email/login_code",
    "account/email/password_reset_refused",
    "mfa/email/totp_activated",
    "mfa/email/recovery_codes_generated",
    "mfa/email/totp_deactivated",
}


def user(email: str, **extra):
    """An account whose username is one its owner never saw."""
    person = make_user(email, **extra)
    person.username = f"{USERNAME}-{person.pk}"
    person.save(update_fields=["username"])
    return person


def signed_in_client(email: str, language: str, password: str = PASSWORD) -> Client:
    """Signed in through allauth's form (recently: sensitive pages ask for no password)."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        login = reverse("account_login")
    response = client.post(login, {"login": email, "password": password})
    assert response.status_code == 302, response
    return client


def sent(action, language: str) -> list:
    """The e-mails ``action`` sends, some once its transaction commits: in the test's
    transaction, after the request, so in its language here (as they run inside the
    request outside tests). A form that refused the request says why."""
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks() as callbacks:
        response = action()
    with translation.override(language):
        for callback in callbacks:
            callback()
    form = (getattr(response, "context", None) or {}).get("form")
    assert not (form is not None and form.errors), form.errors
    return list(mail.outbox)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def link_in(message, marker: str) -> str:
    return next(u for u in re.findall(r"https?://\S+", message.body) if marker in u)


def account_mails(language: str, tag: str) -> dict[str, object]:
    """Every account e-mail sent here, by allauth's flows in ``language`` (a territory
    must exist), keyed by template name. ``tag`` keeps the addresses apart."""
    mails: dict[str, object] = {}

    def url(name: str) -> str:
        # Each request leaves the language it was served in: name it every time.
        with translation.override(language):
            return reverse(name)

    def keep(name: str, messages: list) -> None:
        assert len(messages) == 1, (name, [m.subject for m in messages])
        mails[name] = messages[0]

    with translation.override(language):
        anonymous = Client(HTTP_ACCEPT_LANGUAGE=language)

        # Signing up, then again with the same address.
        signup = {"email": f"new-{tag}@example.org", "password1": NEW_PASSWORD}
        signup["password2"] = NEW_PASSWORD
        keep(
            "account/email/email_confirmation_signup",
            sent(lambda: anonymous.post(url("account_signup"), signup), language),
        )
        # (allauth sends one e-mail per address every few minutes: another address.)
        taken = {**signup, "email": user(f"taken-{tag}@example.org").email}
        keep(
            "account/email/account_already_exists",
            sent(lambda: Client().post(url("account_signup"), taken), language),
        )

        # Addresses: one added (confirmed by e-mail), made primary, the old one removed.
        owner = user(f"owner-{tag}@example.org")
        client = signed_in_client(owner.email, language)
        second = f"second-{tag}@example.org"
        keep(
            "account/email/email_confirmation",
            sent(
                lambda: client.post(url("account_email"), {"action_add": "", "email": second}),
                language,
            ),
        )
        EmailAddress.objects.filter(email=second).update(verified=True)
        keep(
            "account/email/email_changed",
            sent(
                lambda: client.post(url("account_email"), {"action_primary": "", "email": second}),
                language,
            ),
        )
        keep(
            "account/email/email_deleted",
            sent(
                lambda: client.post(
                    url("account_email"), {"action_remove": "", "email": owner.email}
                ),
                language,
            ),
        )

        # Passwords: changed, set (an account without one), reset by e-mail.
        keep(
            "account/email/password_changed",
            sent(
                lambda: client.post(
                    url("account_change_password"),
                    {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
                ),
                language,
            ),
        )
        without = user(f"without-{tag}@example.org")
        without.set_unusable_password()
        without.save()
        setter = Client(HTTP_ACCEPT_LANGUAGE=language)
        setter.force_login(without)
        keep(
            "account/email/password_set",
            sent(
                lambda: setter.post(
                    url("account_set_password"),
                    {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
                ),
                language,
            ),
        )
        forgetful = user(f"forgetful-{tag}@example.org")
        resetting = Client(HTTP_ACCEPT_LANGUAGE=language)
        keep(
            "account/email/password_reset_key",
            sent(
                lambda: resetting.post(url("account_reset_password"), {"email": forgetful.email}),
                language,
            ),
        )
        key_url = link_in(mails["account/email/password_reset_key"], "/password/reset/key/")
        form_url = resetting.get(path_of(key_url)).url  # allauth hides the key from the page
        keep(
            "account/email/password_reset",
            sent(
                lambda: resetting.post(
                    form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
                ),
                language,
            ),
        )
        keep(
            "account/email/unknown_account",
            sent(
                lambda: anonymous.post(
                    url("account_reset_password"), {"email": f"nobody-{tag}@example.org"}
                ),
                language,
            ),
        )
        finance = user(f"finance-{tag}@example.org", groups=(FINANCE_GROUP,))
        with _mfa_required():
            keep(
                "account/email/password_reset_refused",
                sent(
                    lambda: Client(HTTP_ACCEPT_LANGUAGE=language).post(
                        url("account_reset_password"), {"email": finance.email}
                    ),
                    language,
                ),
            )

        # Signing in by a code.
        coded = user(f"coded-{tag}@example.org")
        keep(
            "account/email/login_code",
            sent(
                lambda: Client(HTTP_ACCEPT_LANGUAGE=language).post(
                    url("account_request_login_code"), {"email": coded.email}
                ),
                language,
            ),
        )

        # Two-factor authentication: an app activated, new recovery codes, the app removed.
        careful = user(f"careful-{tag}@example.org")
        client = signed_in_client(careful.email, language)
        reauthenticate(client)  # two-factor pages ask for the password again
        page = client.get(url("mfa_activate_totp"))
        assert page.status_code == 200, (page.status_code, page.get("Location"))
        secret = secret_shown_on(page.content.decode())
        keep(
            "mfa/email/totp_activated",
            sent(
                lambda: client.post(url("mfa_activate_totp"), {"code": totp_code(secret)}),
                language,
            ),
        )
        keep(
            "mfa/email/recovery_codes_generated",
            sent(lambda: client.post(url("mfa_generate_recovery_codes")), language),
        )
        keep(
            "mfa/email/totp_deactivated",
            sent(lambda: client.post(url("mfa_deactivate_totp")), language),
        )
        assert not Authenticator.objects.filter(user=careful, type="totp").exists()
    return mails


class _mfa_required:
    def __enter__(self):
        from django.test import override_settings

        self.override = override_settings(COMPTOIR_MFA_REQUIRED=True)
        self.override.enable()

    def __exit__(self, *exc):
        self.override.disable()


def texts(message) -> tuple[str, str, str]:
    [(content, kind)] = message.alternatives
    assert kind == "text/html"
    return message.subject, message.body, html.unescape(content)


def without_addresses(text: str) -> str:
    return re.sub(r"[\w.+-]+@[\w.-]+", "", text)


GREETING = {"fr": "Bonjour,", "en": "Hello,"}
# A word of each e-mail's subject, in each language.
SUBJECT_WORD = {
    "account/email/email_confirmation_signup": ("Confirmez", "Confirm"),
    "account/email/account_already_exists": ("déjà", "already"),
    "account/email/email_confirmation": ("Confirmez", "Confirm"),
    "account/email/email_changed": ("modifiée", "changed"),
    "account/email/email_deleted": ("retirée", "removed"),
    "account/email/password_changed": ("modifié", "changed"),
    "account/email/password_set": ("défini", "set"),
    "account/email/password_reset_key": ("nouveau mot de passe", "new password"),
    "account/email/password_reset": ("réinitialisé", "reset"),
    "account/email/unknown_account": ("Aucun compte", "No account"),
    "account/email/login_code": ("code", "code"),
    "account/email/password_reset_refused": ("administrateur", "administrator"),
    "mfa/email/totp_activated": ("activée", "activated"),
    "mfa/email/recovery_codes_generated": ("codes de secours", "recovery codes"),
    "mfa/email/totp_deactivated": ("désactivée", "deactivated"),
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_account_mail_is_branded_in_the_persons_language_without_username(
    territory, language
):
    mails = account_mails(language, tag=language)
    assert set(mails) == EVERY_MAIL
    word = SUBJECT_WORD
    for name, message in mails.items():
        subject, body, page = texts(message)
        assert subject.endswith(f" – {SITE_NAME}"), (name, subject)
        assert word[name][0 if language == "fr" else 1] in subject, (name, subject)
        assert "[" not in subject and "testserver" not in subject
        for text in (body, page):
            assert SITE_NAME in text, name
            assert GREETING[language] in text, name
            assert "testserver" not in text and "example.com" not in text, name
            # allauth's defaults said "Hello from <host>!", "user <username>".
            assert "Hello from" not in text and "Bonjour de" not in text, name
            assert USERNAME not in without_addresses(text), name
            assert not re.search(r"\b(user|utilisateur) \S+ (has|a)\b", text), name
        assert f'<html lang="{language}">' in page, name
        assert 'role="article"' in page  # the booking e-mails' layout
        assert 'href="https://' in page or 'href="http://' in page, name


def test_the_signup_mail_confirms_with_a_button_and_the_address_written_out(territory):
    mails = account_mails("fr", tag="button")
    _, body, page = texts(mails["account/email/email_confirmation_signup"])
    url = link_in(mails["account/email/email_confirmation_signup"], "/confirm-email/")
    assert url in body
    assert f'<a href="{url}"' in page and "Confirmer mon adresse e-mail" in page
    _, body, page = texts(mails["account/email/login_code"])
    code = re.search(r"^\s*([A-Z0-9-]{4,})\s*$", body, re.MULTILINE).group(1)
    assert code in page


def test_allauth_names_people_by_their_address_on_its_pages(client, territory):
    visitor = user("visible@example.org")
    response = client.post(
        reverse("account_login"), {"login": visitor.email, "password": PASSWORD}, follow=True
    )
    page = response.content.decode()
    assert "visible@example.org" in page
    assert USERNAME not in page


def test_a_new_account_is_named_after_its_address_and_follows_it(territory, client):
    """Where Wagtail's admin shows a username (its menu, locks, revisions), it shows the
    address the person chose, not one allauth made up; it follows the primary address."""
    from django.contrib.auth import get_user_model

    client.post(
        reverse("account_signup"),
        {"email": "Nouvelle@Example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    person = get_user_model().objects.get(email__iexact="nouvelle@example.org")
    assert person.username == "nouvelle@example.org"
    EmailAddress.objects.filter(user=person).update(verified=True)
    EmailAddress.objects.create(user=person, email="autre@example.org", verified=True)
    signed_in = signed_in_client("nouvelle@example.org", "fr", password=NEW_PASSWORD)
    signed_in.post(reverse("account_email"), {"action_primary": "", "email": "autre@example.org"})
    person.refresh_from_db()
    assert person.username == "autre@example.org"

    taken = user("pris@example.org")
    taken.username = "deja@example.org"
    taken.save()
    client.post(
        reverse("account_signup"),
        {"email": "deja@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    other = get_user_model().objects.get(email="deja@example.org")
    assert other.username and other.username != "deja@example.org"
