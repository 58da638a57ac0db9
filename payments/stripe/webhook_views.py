"""Stripe's two webhook endpoints: platform events and Connect events, each with its secret.

Thin views over :func:`payments.stripe.webhooks.stripe_event_receive`: POST only, no CSRF token
(Stripe signs the raw body instead), outside the language prefixes. A delivery that is
not verified is answered 400 and nothing is stored; Stripe retries it later.
"""

import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments.models import StripeEndpoint
from payments.stripe.webhooks import WebhookRejected, stripe_event_receive

logger = logging.getLogger(__name__)


def _receive(request, *, endpoint: StripeEndpoint, secret: str) -> HttpResponse:
    try:
        event, created = stripe_event_receive(
            payload=request.body,
            signature=request.headers.get("Stripe-Signature"),
            secret=secret,
            endpoint=endpoint,
        )
    except WebhookRejected as exc:
        logger.warning("Stripe %s webhook refused: %s", endpoint, exc)
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    return HttpResponse("stored" if created else "already received", content_type="text/plain")


@csrf_exempt
@require_POST
def stripe_webhook_view(request):
    """Events of the platform's own account (checkout sessions, charges, refunds...)."""
    return _receive(
        request, endpoint=StripeEndpoint.PLATFORM, secret=settings.STRIPE_WEBHOOK_SECRET
    )


@csrf_exempt
@require_POST
def stripe_connect_webhook_view(request):
    """Events of the connected accounts (account.updated, payout.failed...)."""
    return _receive(
        request,
        endpoint=StripeEndpoint.CONNECT,
        secret=settings.STRIPE_CONNECT_WEBHOOK_SECRET,
    )
