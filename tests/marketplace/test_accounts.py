"""Accounts (allauth): e-mail sign-up with mandatory verification, login by password or
by a code sent by e-mail, and the Wagtail admin's login going through allauth."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.conftest import make_user

PASSWORD = "correct-horse-battery"


def link_in(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)


@pytest.mark.django_db
def test_signup_sends_a_verification_mail_and_the_link_verifies(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "nouvelle@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nouvelle@example.org"]
    address = EmailAddress.objects.get(email="nouvelle@example.org")
    assert not address.verified
    # Verification is mandatory: not signed in until the link is followed.
    assert "_auth_user_id" not in client.session

    confirm_url = link_in(message.body)
    assert client.get(confirm_url).status_code == 200
    response = client.post(confirm_url)

    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified
    assert client.session["_auth_user_id"] == str(address.user_id)


@pytest.mark.django_db
def test_unverified_user_cannot_sign_in_with_a_password(client):
    make_user("pas-encore@example.org", password=PASSWORD, verified=False)

    response = client.post(
        "/accounts/login/", {"login": "pas-encore@example.org", "password": PASSWORD}
    )

    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1  # a fresh verification link


@pytest.mark.django_db
def test_login_with_password(client, visitor):
    response = client.post("/accounts/login/", {"login": visitor.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(visitor.pk)


@pytest.mark.django_db
def test_login_by_code(client, visitor):
    response = client.post(reverse("account_request_login_code"), {"email": visitor.email})

    assert response.status_code == 302
    assert response.url == reverse("account_confirm_login_code")
    assert len(mail.outbox) == 1
    code = re.search(r"^\s*([A-Z0-9-]{4,})\s*$", mail.outbox[0].body, re.MULTILINE).group(1)
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("account_confirm_login_code"), {"code": code})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(visitor.pk)


@pytest.mark.django_db
def test_login_by_code_refuses_a_wrong_code(client, visitor):
    client.post(reverse("account_request_login_code"), {"email": visitor.email})

    response = client.post(reverse("account_confirm_login_code"), {"code": "WRONG1"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_sends_anonymous_visitors_to_the_allauth_login(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/"


@pytest.mark.django_db
def test_wagtail_login_page_redirects_to_allauth(client):
    response = client.get("/admin/login/?next=/admin/pages/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/pages/"


@pytest.mark.django_db
def test_staff_signs_in_through_allauth_and_reaches_the_admin(client, editor):
    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": editor.email, "password": PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_account_pages_use_the_storefront_layout_in_both_languages(client):
    french = client.get("/accounts/login/")
    english = client.get("/en/accounts/login/")

    assert french.status_code == english.status_code == 200
    assert '<html lang="fr"' in french.text
    assert '<html lang="en"' in english.text
    # allauth's layout extends the storefront's base.html.
    assert 'class="page-account' in french.text
    assert 'id="main"' in french.text


def test_users_are_identified_by_email():
    assert get_user_model().USERNAME_FIELD == "username"  # allauth fills it from the e-mail
