"""Error pages are the storefront's, in the visitor's language, and say what happened."""

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/commandes/%00/", 400, "Requête invalide"),
        ("/en/commandes/%00/", 400, "Bad request"),
        ("/nulle-part/", 404, "Page introuvable"),
        ("/en/nowhere/", 404, "Page not found"),
        ("/panier/ajouter/9223372036854775808/", 404, "Page introuvable"),
    ],
)
def test_errors_are_told_in_the_storefront_in_the_visitors_language(
    client, territory, path, status, title
):
    response = client.get(path)

    assert response.status_code == status
    html = response.content.decode()
    assert f"<h1>{title}</h1>" in html
    assert 'class="site-header"' in html  # the storefront's frame, its links back
    assert 'href="/"' in html or 'href="/en/"' in html


def test_a_server_error_page_needs_neither_request_nor_database(settings):
    # server_error renders 500.html without a context: nothing in it may need one.
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "Une erreur est survenue" in html
    assert "Something went wrong" in html
