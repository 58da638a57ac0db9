"""Hand-made requests to Wagtail's admin answer a 4xx or a form error, never a 500.

Wagtail's admin views trust what their JavaScript sends; ``config.middleware.
AdminMalformedRequestMiddleware`` and ``cms.rich_text`` put the rest right. The URL walk
(``tests/config/test_url_walk.py``) finds such input everywhere; these pin each kind down.
"""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cms.rich_text import CheckedDraftailRichTextArea
from tests.booking_helpers import activity_in, shared_rules
from tests.conftest import make_provider


@pytest.fixture
def offer(territory, category):
    import datetime as dt

    shared_rules(territory)
    club = make_provider(territory, name="Canoë Club", category=category)
    return activity_in(club, ahead=dt.timedelta(days=10), policy="moderate", title="Descente")


@pytest.fixture
def admin_client(territory):
    user = get_user_model().objects.create_superuser(
        username="root", email="root@example.org", password="correct-horse-battery"
    )
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("listing", ["/admin/images/", "/admin/documents/"])
def test_searching_with_a_usage_count_filter_lists_instead_of_failing(admin_client, listing):
    # modelsearch cannot search a queryset filtered on the usage count annotation.
    response = admin_client.get(listing, {"q": "plage", "usage_count_min": "1"})
    assert response.status_code == 200


def test_a_next_that_is_no_path_is_ignored(admin_client, offer):
    # Django's redirect() took "nowhere" for a view name (NoReverseMatch).
    response = admin_client.post(f"/admin/pages/{offer.pk}/lock/", {"next": "nowhere"})
    assert response.status_code == 302
    assert "nowhere" not in response["Location"]


def test_a_next_on_another_site_is_ignored(admin_client, offer):
    response = admin_client.post(f"/admin/pages/{offer.pk}/lock/", {"next": "//evil.example/steal"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_a_local_next_is_kept(admin_client, offer):
    response = admin_client.post(f"/admin/pages/{offer.pk}/lock/", {"next": "/admin/"})
    assert response["Location"] == "/admin/"


def test_a_chosen_id_that_is_no_number_is_a_bad_request(admin_client, caplog):
    with caplog.at_level(logging.WARNING, logger="config.middleware"):
        response = admin_client.post(
            "/admin/redirects/add/",
            {"old_path": "/ancien/", "redirect_page": "abc", "is_permanent": "on"},
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    assert response.status_code == 400
    assert "La requête est mal formée." in response.content.decode()
    assert any("ValueError" in record.getMessage() for record in caplog.records)


def test_a_rich_text_that_is_no_draftail_json_is_a_value_error():
    # Wagtail's own widget raised AttributeError ('int' object has no attribute 'get'),
    # which no narrow handler should catch; a ValueError is answered with a 400.
    widget = CheckedDraftailRichTextArea()
    for value in ("-99999999999999999999", "[1]", "not json", ""):
        with pytest.raises(ValueError):
            widget.value_from_datadict({"description": value}, {}, "description")
    # What Draftail posts for an empty editor, and for a paragraph, still converts.
    assert widget.value_from_datadict({"description": "null"}, {}, "description") is not None
    paragraph = '{"blocks": [{"key": "a", "type": "unstyled", "text": "Bonjour"}], "entityMap": {}}'
    assert "Bonjour" in widget.value_from_datadict({"description": paragraph}, {}, "description")


def test_other_errors_of_the_site_are_not_hidden(client):
    # Outside /admin/ the middleware answers nothing: the rest of the site validates
    # its own input, and a bug there stays a reported 500.
    from config.middleware import AdminMalformedRequestMiddleware

    middleware = AdminMalformedRequestMiddleware(lambda request: None)
    request = type("R", (), {"path_info": "/panier/", "method": "GET"})()
    assert middleware.process_exception(request, ValueError("x")) is None
    request.path_info = "/admin/pages/"
    assert middleware.process_exception(request, TypeError("x")) is None


@pytest.mark.parametrize("chooser", ["/admin/images/chooser/", "/admin/images/chooser/results/"])
def test_searching_the_image_chooser_with_a_tag_lists_instead_of_failing(admin_client, chooser):
    # The search index of images cannot filter by tag name (FilterFieldError).
    response = admin_client.get(chooser, {"q": "plage", "tag": "mer"})
    assert response.status_code == 200


def test_a_history_date_before_the_calendar_is_no_server_error(admin_client):
    # On SQLite, Wagtail's history filter makes 0001-01-01 aware in the territory's time
    # zone, which overflows the calendar when converted to UTC (OverflowError): a 400.
    # PostgreSQL takes the date and lists nothing.
    user = get_user_model().objects.get(username="root")
    response = admin_client.get(
        f"/admin/users/history/{user.pk}/", {"timestamp_from": "0001-01-01"}
    )
    assert response.status_code in (200, 400)
