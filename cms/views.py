"""Context builders for the storefront pages (filled in by the storefront work)."""


def home_context(*, request, page):
    return {}


def offer_index_context(*, request, page):
    return {}


def provider_index_context(*, request, page):
    return {}


def provider_page_context(*, request, page):
    return {}
