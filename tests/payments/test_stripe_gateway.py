"""Which gateway pays an order, and how the Stripe client is configured."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from marketplace.orders.payment import configured_provider_name, provider_for
from payments.providers.dev import DevGateway
from payments.providers.stripe import StripeGateway
from payments.stripe import client as stripe_client


class _Order:
    def __init__(self, gateway):
        self.gateway = gateway


def test_without_a_key_the_dev_gateway_is_the_default(settings):
    settings.STRIPE_SECRET_KEY = ""
    assert configured_provider_name() == "dev"
    assert isinstance(provider_for(), DevGateway)


def test_with_a_key_new_orders_go_to_stripe_and_old_ones_keep_their_gateway(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert configured_provider_name() == "stripe"
    assert isinstance(provider_for(), StripeGateway)
    assert isinstance(provider_for(_Order("dev")), DevGateway)
    assert isinstance(provider_for(_Order("stripe")), StripeGateway)


def test_the_client_needs_a_key(settings):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        stripe_client.stripe_client()


def test_the_api_base_sends_every_request_to_the_double(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111/"
    client = stripe_client.stripe_client()
    requestor = client._requestor
    assert requestor.base_addresses["api"] == "http://127.0.0.1:12111"
    assert requestor.base_addresses["connect"] == "http://127.0.0.1:12111"


def test_the_api_base_is_refused_in_production(settings):
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        stripe_client.stripe_client()


def test_idempotency_keys_carry_the_installations_prefix(settings, stripe_double, db):
    from payments.stripe.client import stripe_key

    settings.STRIPE_IDEMPOTENCY_PREFIX = "staging:"
    assert stripe_key("order:1:checkout_session") == {
        "idempotency_key": "staging:order:1:checkout_session"
    }
    client = stripe_client.stripe_client()
    client.v1.accounts.create(params={"country": "FR"}, options=stripe_key("provider:1:account"))
    assert "staging:provider:1:account" in {key for _, key in stripe_double.idempotency}
