"""Two-factor authentication (allauth.mfa, cms/mfa.py): an authenticator app with real
codes computed here from its secret, recovery codes, the second factor at login (after a
password or an e-mailed code), the requirement for superusers, finance and council when
COMPTOIR_MFA_REQUIRED is on, and re-authentication before deleting an account."""

import base64
import hashlib
import hmac
import html
import re
import secrets
import struct
import time

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from cms.services import FINANCE_GROUP
from tests.conftest import make_user, reauthenticate

PASSWORD = "correct-horse-battery"
User = get_user_model()
required = override_settings(COMPTOIR_MFA_REQUIRED=True)


def totp_code(secret: str, *, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), written here apart from allauth's own."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def secret_shown_on(page: str) -> str:
    """The secret printed beside the QR code (the disabled ``authenticator_secret`` input)."""
    tag = re.search(r"<input[^>]*authenticator_secret[^>]*>", page).group(0)
    return html.unescape(re.search(r'value="([^"]+)"', tag).group(1))


def with_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def signed_in(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def login_code_of(message) -> str:
    return re.search(r"^\s*([A-Z0-9-]{4,})\s*$", message.body, re.MULTILINE).group(1)


def login_by_code(client, email: str):
    response = client.post(reverse("account_request_login_code"), {"email": email})
    assert response.url == reverse("account_confirm_login_code")
    return client.post(
        reverse("account_confirm_login_code"), {"code": login_code_of(mail.outbox[-1])}
    )


@pytest.fixture
def superuser(territory):
    return make_user("admin@example.org", is_staff=True, is_superuser=True)


# --- Setting up an authenticator app ----------------------------------------------------------


@pytest.mark.django_db
def test_a_visitor_activates_an_authenticator_app_with_a_real_code_and_gets_recovery_codes(
    client, visitor
):
    client.force_login(visitor)
    reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = secret_shown_on(page.content.decode())
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()  # the QR code

    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    refused = client.post(reverse("mfa_activate_totp"), {"code": wrong})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert not Authenticator.objects.filter(user=visitor).exists()

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response.url == reverse("mfa_view_recovery_codes")
    types = set(Authenticator.objects.filter(user=visitor).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    codes = client.get(response.url)
    unused = RecoveryCodes(Authenticator.objects.get(user=visitor, type="recovery_codes"))
    assert all(code in codes.content.decode() for code in unused.get_unused_codes())


@pytest.mark.django_db
def test_everyone_is_offered_two_factor_authentication_in_the_account_menu(client, visitor):
    client.force_login(visitor)
    page = client.get(reverse("my_bookings")).content.decode()
    assert f'href="{reverse("mfa_index")}"' in page
    assert "Double authentification" in page
    index = client.get(reverse("mfa_index"))
    assert index.status_code == 200
    assert 'class="page-account"' in index.content.decode()  # the storefront's layout


@pytest.mark.django_db
def test_a_security_key_can_be_added_too(client, visitor):
    """WebAuthn (fido2): the page asks the browser for a key; its script is a static file."""
    client.force_login(visitor)
    reauthenticate(client)
    page = client.get(reverse("mfa_add_webauthn"))
    assert page.status_code == 200
    content = page.content.decode()
    assert "/static/mfa/js/webauthn.js" in content
    # No inline script: only JSON data blocks beside the static files (a strict CSP holds).
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", content, re.DOTALL):
        attributes, body = script
        assert "src=" in attributes or 'type="application/json"' in attributes, script


# --- The second factor at login ---------------------------------------------------------------


@pytest.mark.django_db
def test_with_an_authenticator_the_password_is_not_enough(client, visitor):
    secret = with_totp(visitor)

    response = client.post("/accounts/login/", {"login": visitor.email, "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert signed_in(client) is None
    page = client.get(response.url)
    assert page.status_code == 200 and 'class="page-account' in page.content.decode()

    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    assert client.post(reverse("mfa_authenticate"), {"code": wrong}).status_code == 200
    assert signed_in(client) is None
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert signed_in(client) == visitor.pk


@pytest.mark.django_db
def test_a_recovery_code_replaces_the_app_once(client, visitor):
    with_totp(visitor)
    code = RecoveryCodes.activate(visitor).get_unused_codes()[0]

    client.post("/accounts/login/", {"login": visitor.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in(client) == visitor.pk

    client.post(reverse("account_logout"))
    client.post("/accounts/login/", {"login": visitor.email, "password": PASSWORD})
    again = client.post(reverse("mfa_authenticate"), {"code": code})
    assert again.status_code == 200 and again.context["form"].errors
    assert signed_in(client) is None


@pytest.mark.django_db
def test_a_login_by_e_mailed_code_still_asks_the_second_factor(client, superuser):
    secret = with_totp(superuser)
    with required:
        response = login_by_code(client, superuser.email)
        assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
        assert signed_in(client) is None
        assert client.get("/admin/").status_code == 302
        client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
        assert signed_in(client) == superuser.pk
        assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["superuser", "finance", "council"])
def test_a_login_by_code_is_refused_to_staff_who_must_have_mfa_and_have_none(client, who, request):
    user = request.getfixturevalue(who)
    with required:
        response = login_by_code(client, user.email)
        assert signed_in(client) is None
        assert response.status_code == 302 and response.url == reverse("account_login")
        page = client.get(response.url).content.decode()
        assert "double authentification" in page
        # The password still works, and leads to setting up the app.
        client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        assert signed_in(client) == user.pk


def reset_link_of(message) -> str | None:
    public = re.escape(settings.PUBLIC_URL)
    found = re.search(rf"{public}(/[^\s]*/password/reset/key/[^\s]+)", message.body)
    return found.group(1) if found else None


def reset_password_by_mail(client, email: str, password: str):
    """Follow the e-mailed link and choose ``password``; the last response."""
    link = reset_link_of(mail.outbox[-1])
    assert link, mail.outbox[-1].body
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    return client.post(form_url, {"password1": password, "password2": password})


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["superuser", "finance", "council"])
def test_the_mailbox_alone_cannot_reset_the_password_of_staff_who_must_have_mfa(
    client, who, request
):
    """Reset, log in with the new password, enrol one's own app: the mailbox alone would
    take the account. They are told, in their language, to ask an administrator."""
    user = request.getfixturevalue(who)
    with required:
        response = client.post(reverse("account_reset_password"), {"email": user.email})
        assert response.status_code == 302  # the same answer as for anybody
        [message] = mail.outbox
        assert message.to == [user.email]
        assert reset_link_of(message) is None
        assert "administrat" in message.body and "double authentification" in message.body
        client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        assert signed_in(client) == user.pk  # the password is unchanged


@pytest.mark.django_db
def test_a_reset_link_sent_before_joining_finance_is_refused_too(client, territory):
    from django.contrib.auth.models import Group

    user = make_user("bientot@example.org")
    with required:
        client.post(reverse("account_reset_password"), {"email": user.email})
        user.groups.add(Group.objects.get(name=FINANCE_GROUP))
        response = reset_password_by_mail(client, user.email, "attacker-pass-123!")
        assert response.status_code == 200
        assert "administrat" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_others_reset_their_password_by_mail_and_are_told_of_the_change(client, visitor):
    with required:
        client.post(reverse("account_reset_password"), {"email": visitor.email})
        response = reset_password_by_mail(client, visitor.email, "new-horse-battery-9")
        assert response.status_code == 302
    visitor.refresh_from_db()
    assert visitor.check_password("new-horse-battery-9")
    # ACCOUNT_EMAIL_NOTIFICATIONS: the owner hears of the change, in French here.
    link, notice = mail.outbox
    assert reset_link_of(link) and reset_link_of(notice) is None
    assert notice.to == [visitor.email] and "mot de passe" in notice.body.lower()


@pytest.mark.django_db
def test_an_e_mailed_code_is_the_only_mailbox_login(settings):
    """The mailbox logs in by code only: a password reset does not sign in here."""
    from cms.mfa import MAILBOX_METHODS

    assert settings.ACCOUNT_LOGIN_ON_PASSWORD_RESET is False
    assert MAILBOX_METHODS == {"code"}


@pytest.mark.django_db
def test_outside_production_everyone_may_log_in_by_code(client, finance):
    response = login_by_code(client, finance.email)
    assert response.status_code == 302
    assert signed_in(client) == finance.pk


# --- Required for superusers, finance and council ---------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DJANGO_ENV": "production"}, "True"),
        ({"DJANGO_ENV": "production", "COMPTOIR_MFA_REQUIRED": "0"}, "False"),
        ({}, "False"),
        ({"COMPTOIR_MFA_REQUIRED": "1"}, "True"),
    ],
)
def test_the_requirement_is_on_by_default_in_production_only(tmp_path, env, expected):
    from tests.config.test_settings import manage

    production = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "comptoir.example.org",
        # What production asks for besides (shared Redis, a real payment gateway).
        "REDIS_URL": "redis://127.0.0.1:6379/5",
        "STRIPE_SECRET_KEY": "sk_test_not_used",
        "PUBLIC_URL": "https://comptoir.example.org",
    }
    code = "from django.conf import settings; print(settings.COMPTOIR_MFA_REQUIRED)"
    result = manage("shell", "-c", code, env={**production, **env}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["superuser", "finance", "council"])
def test_staff_who_move_money_are_sent_to_set_up_an_authenticator_app(client, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    with required:
        for path in ("/admin/", "/admin/snippets/", "/panier/", "/mes-reservations/", "/"):
            response = client.get(path)
            assert response.status_code == 302, path
            assert response.url == reverse("mfa_activate_totp"), path
        # The way out and the way through stay open.
        assert client.get(reverse("mfa_index")).status_code == 200
        assert client.get(reverse("account_reauthenticate")).status_code == 200
        reauthenticate(client)
        assert client.get(reverse("mfa_activate_totp")).status_code == 200
        assert client.post(reverse("account_logout")).status_code == 302
        assert signed_in(client) is None


@pytest.mark.django_db
def test_in_english_too(client, superuser):
    client.force_login(superuser)
    with required:
        response = client.get("/en/panier/")
        assert response.status_code == 302 and response.url == "/en/accounts/2fa/totp/activate/"
        page = client.get("/en/accounts/2fa/")
        assert page.status_code == 200 and "Two-Factor Authentication" in page.content.decode()
        assert "Your role requires two-factor authentication" in page.content.decode()


@pytest.mark.django_db
def test_with_an_authenticator_staff_reach_the_admin(client, superuser):
    with_totp(superuser)
    client.force_login(superuser)
    with required:
        assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_without_the_setting_nobody_is_forced(client, superuser):
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "editor"])
def test_others_are_offered_mfa_not_forced(client, who, request, territory):
    user = request.getfixturevalue(who)
    client.force_login(user)
    with required:
        assert client.get("/mes-reservations/").status_code == 200


@pytest.mark.django_db
def test_staff_who_must_have_mfa_cannot_remove_their_last_authenticator(client, finance):
    with_totp(finance)
    client.force_login(finance)
    with required:
        reauthenticate(client)
        response = client.post(reverse("mfa_deactivate_totp"))
        assert response.status_code == 200 and response.context["form"].errors
        assert Authenticator.objects.filter(user=finance, type="totp").exists()
    # Outside the requirement, anyone may turn it off.
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=finance, type="totp").exists()


# --- Re-authentication before deleting an account ---------------------------------------------


def age_authentications(client, seconds: int):
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {**record, "at": record["at"] - seconds}
        for record in session[AUTHENTICATION_METHODS_SESSION_KEY]
    ]
    session.save()


@pytest.mark.django_db
def test_a_session_signed_in_long_ago_must_reauthenticate_before_deleting(client, visitor):
    client.post("/accounts/login/", {"login": visitor.email, "password": PASSWORD})
    reauthenticate(client)
    age_authentications(client, 3600)
    data = {"email": visitor.email, "confirm": "on"}

    page = client.get(reverse("account_delete"))
    assert page.status_code == 302
    assert page.url.startswith(reverse("account_reauthenticate"))
    response = client.post(reverse("account_delete"), data)
    assert response.status_code == 302 and response.url.startswith(
        reverse("account_reauthenticate")
    )
    assert User.objects.filter(pk=visitor.pk).exists()

    # The password again: allauth resumes the deletion that was asked.
    wrong = client.post(response.url, {"password": "not-the-password"})
    assert wrong.status_code == 200 and User.objects.filter(pk=visitor.pk).exists()
    done = client.post(response.url, {"password": PASSWORD})
    assert done.status_code == 302 and done.url == "/"
    assert not User.objects.filter(pk=visitor.pk).exists()


@pytest.mark.django_db
def test_a_fresh_reauthentication_lets_the_deletion_proceed(client, visitor):
    client.force_login(visitor)
    reauthenticate(client)
    assert client.get(reverse("account_delete")).status_code == 200
    response = client.post(reverse("account_delete"), {"email": visitor.email, "confirm": "on"})
    assert response.status_code == 302 and response.url == "/"
    assert not User.objects.filter(pk=visitor.pk).exists()


@pytest.mark.django_db
def test_with_mfa_the_second_factor_reauthenticates_too(client, visitor):
    secret = with_totp(visitor)
    client.force_login(visitor)
    response = client.get(reverse("account_delete"))
    assert response.status_code == 302
    client.post(reverse("mfa_reauthenticate"), {"code": totp_code(secret)})
    assert client.get(reverse("account_delete")).status_code == 200


@pytest.mark.django_db
def test_the_admin_account_page_links_to_two_factor_authentication(client, editor):
    client.force_login(editor)
    page = client.get(reverse("wagtailadmin_account")).content.decode()
    assert f'href="{reverse("mfa_index")}"' in page


@pytest.mark.django_db
def test_who_must_have_mfa_is_asked_of_the_database_once_per_request(
    client, finance, django_assert_num_queries
):
    from cms.mfa import user_requires_mfa

    user = User.objects.get(pk=finance.pk)  # a fresh object, as request.user is
    with django_assert_num_queries(0):
        assert user_requires_mfa(user) is False  # the requirement is off: no query
    with required, django_assert_num_queries(1):
        assert user_requires_mfa(user) is True
        assert user_requires_mfa(user) is True
    with_totp(finance)
    client.force_login(finance)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with required, CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    group_queries = [q for q in queries.captured_queries if '"auth_user_groups"' in q["sql"]]
    assert len(group_queries) <= 1
