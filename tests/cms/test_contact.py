"""The territory's contact page (issue 14, findability): Wagtail's form builder, each
message stored and e-mailed to the territory, errors announced, robots kept out; linked
from the footer and from allauth's pages that say "contact us"."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.contrib.forms.models import FormSubmission

from cms.contact import HONEYPOT
from cms.models import ContactPage, HomePage, StandardPage
from cms.services import contact_page_ensure

MESSAGE = {
    "nom": "Jeanne Martin",
    "adresse_e_mail": "jeanne@example.org",
    "objet": "Accès en fauteuil",
    "message": "Le camping est-il accessible en fauteuil roulant ?",
}


@pytest.fixture
def contact(territory):
    page = contact_page_ensure(home=HomePage.objects.get(), to_address="territoire@example.org")
    return ContactPage.objects.get(pk=page.pk)


def test_every_territory_gets_a_contact_form_with_name_email_subject_and_message(territory):
    page = ContactPage.objects.child_of(territory.root_page).live().get()
    fields = [(f.clean_name, f.field_type, f.required) for f in page.get_form_fields()]
    assert fields == [
        ("nom", "singleline", True),
        ("adresse_e_mail", "email", True),
        ("objet", "singleline", True),
        ("message", "multiline", True),
    ]


def test_the_form_page_labels_every_field(client, contact):
    html = client.get(contact.url).content.decode()
    for name in MESSAGE:
        assert re.search(rf'<label for="id_{name}">[^<]+<span aria-hidden="true">\*</span>', html)
        assert f'id="id_{name}"' in html
    assert '<textarea name="message"' in html
    # The trap is out of sight and out of reach, for screen readers too.
    trap = html.split('class="contact-form__trap" aria-hidden="true"', 1)[1].split("</div>")[0]
    assert f'name="{HONEYPOT}"' in trap and 'tabindex="-1"' in trap


def test_a_message_is_stored_and_emailed_to_the_territory(client, contact):
    mail.outbox.clear()
    response = client.post(contact.url, MESSAGE)
    assert response.status_code == 200
    assert "Merci, votre message a bien été envoyé." in response.content.decode()
    submission = FormSubmission.objects.get(page=contact)
    assert submission.get_data()["message"] == MESSAGE["message"]
    assert HONEYPOT not in submission.form_data
    [message] = mail.outbox
    assert message.to == ["territoire@example.org"]
    assert message.reply_to == ["jeanne@example.org"]
    assert message.subject == "Message envoyé depuis la page de contact"
    assert "Objet: Accès en fauteuil" in message.body
    assert "Le camping est-il accessible en fauteuil roulant ?" in message.body


def test_a_bad_message_shows_its_errors_and_stores_nothing(client, contact):
    mail.outbox.clear()
    response = client.post(contact.url, {**MESSAGE, "adresse_e_mail": "jeanne", "message": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Le message n'a pas été envoyé : corrigez les champs ci-dessous." in html
    # Each field in error says so and is described by its error.
    for name in ("adresse_e_mail", "message"):
        field = re.search(rf'<(input|textarea)[^>]*name="{name}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in field
        assert f'aria-describedby="id_{name}_error' in field
        assert f'<ul class="field__errors" id="id_{name}_error">' in html
    assert 'value="Jeanne Martin"' in html  # what was typed is kept
    assert not FormSubmission.objects.exists()
    assert not mail.outbox


def test_a_robot_filling_the_trap_gets_thanks_and_nothing_is_kept(client, contact):
    mail.outbox.clear()
    response = client.post(contact.url, {**MESSAGE, HONEYPOT: "http://spam.example"})
    assert response.status_code == 200
    assert "Merci, votre message a bien été envoyé." in response.content.decode()
    assert not FormSubmission.objects.exists()
    assert not mail.outbox


def test_too_many_messages_from_one_address_are_refused(client, contact, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "contact": "2/10m/ip"}
    for _ in range(2):
        assert client.post(contact.url, MESSAGE).status_code == 200
    response = client.post(contact.url, MESSAGE)
    assert response.status_code == 429
    assert "Trop de messages" in response.content.decode()
    assert FormSubmission.objects.count() == 2


def test_the_form_speaks_english_too(client, contact):
    response = client.post(f"/en{contact.url}", {**MESSAGE, "message": ""})
    html = response.content.decode()
    assert "The message was not sent: please correct the fields below." in html
    assert "Send the message" in html
    assert "Fields marked with * are required." in html


def test_the_footer_links_the_contact_page(client, contact):
    home = HomePage.objects.get()
    home.add_child(instance=StandardPage(title="Mentions légales", slug="mentions-legales"))
    footer = client.get("/").content.decode().split('class="site-footer"', 1)[1]
    assert f'<a href="{contact.url}">Contact</a>' in footer


@pytest.mark.parametrize(
    "url",
    ["account_reset_password", "account_reset_password_done", "account_email_verification_sent"],
)
def test_allauth_pages_that_say_contact_us_link_the_contact_page(client, contact, url):
    html = client.get(reverse(url)).content.decode()
    assert f'href="{contact.url}"' in html
