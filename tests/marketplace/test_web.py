"""The shared web helpers of marketplace/web.py: the site of a request, private responses."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.views.decorators.cache import never_cache
from wagtail.models import Page, Site

from cms.middleware import response_is_cacheable
from marketplace.web import site_for_request


def _request(host: str):
    return RequestFactory().get("/", HTTP_HOST=host)


def test_the_site_of_a_request_is_the_one_its_host_names(territory):
    other = Site.objects.create(
        hostname="autre.example.org", root_page=Page.get_first_root_node(), site_name="Autre"
    )
    assert site_for_request(_request("autre.example.org")) == other
    assert site_for_request(_request("testserver")) == territory


def test_an_unknown_host_gets_the_default_site(territory):
    assert territory.is_default_site
    assert site_for_request(_request("inconnu.example.org")) == territory


@pytest.mark.django_db
def test_without_any_site_there_is_none():
    Site.objects.all().delete()
    assert site_for_request(_request("testserver")) is None


def test_private_responses_say_private_and_no_store_and_the_page_cache_skips_them():
    """Private views use Django's never_cache: its header carries both words the tests
    of private pages check, and the anonymous page cache refuses such a response."""
    response = never_cache(lambda request: HttpResponse("à moi"))(_request("testserver"))
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert not response_is_cacheable(response)
    assert response_is_cacheable(HttpResponse("à tous"))
