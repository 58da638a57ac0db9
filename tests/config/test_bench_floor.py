"""The benchmark's floor endpoint: a static page of the requested size, no database."""

import importlib

import pytest
from django.test import RequestFactory, override_settings
from django.urls import clear_url_caches

from config.benchmark import MAX_BYTES, floor_view


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"bytes": "5000"}, 5000), ({"bytes": "lots"}, 30_000), ({"bytes": "10" * 9}, MAX_BYTES)],
)
def test_floor_is_a_static_page_of_about_the_asked_size(query, expected):
    # No database mark: a query would fail the test.
    response = floor_view(RequestFactory().get("/__bench__/floor/", query))
    assert response.status_code == 200
    assert expected - 100 <= len(response.content) <= expected
    assert response.content.startswith(b"<!doctype html>")


@pytest.mark.parametrize("enabled", [True, False])
def test_floor_is_routed_only_for_the_benchmark(enabled, client, db):
    import config.urls

    with override_settings(BENCHMARK=enabled):
        clear_url_caches()
        importlib.reload(config.urls)
        try:
            response = client.get("/__bench__/floor/?bytes=1000")
            assert (response.status_code == 200) is enabled
        finally:
            clear_url_caches()
    importlib.reload(config.urls)
    clear_url_caches()
