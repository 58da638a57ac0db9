"""Cancellation policies in templates: the offer page's summary sentence."""

from django import template

from marketplace.models import TerritorySettings
from marketplace.orders.policies import Policy, policy_for

register = template.Library()


@register.simple_tag(takes_context=True)
def offer_policy(context, offer) -> Policy | None:
    """The cancellation policy of ``offer``: its own, else the territory's default.

    No query beyond the territory's settings, which are cached on the request.
    """
    key = getattr(offer, "cancellation_policy", "")
    if not key:
        request = context.get("request")
        if request is None:
            return None
        key = TerritorySettings.for_request(request).default_cancellation_policy
    return policy_for(key) if key else None
