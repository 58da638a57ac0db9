"""A paid order's receipt and its refunds' receipts: a page each, and its PDF.

The order page's access rule, unchanged: a signed-in person sees the receipts of their
own orders (anyone else's reference is a 404, and a visitor not signed in is sent to sign
in); an order not paid has no receipt (404). The reading is
:mod:`marketplace.orders.receipts`; the page and the PDF are in the language of the
address they are read at (``/en/…`` in English), which the e-mails' links follow from
the order's language. Responses are private: never kept by a shared cache.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from marketplace.orders.receipts import (
    order_receipt,
    order_refund_receipt,
    receipt_order,
    receipt_pdf,
)

RECEIPT_TEMPLATE = "marketplace/receipts/receipt.html"
RECEIPT_PDF_TEMPLATE = "marketplace/receipts/receipt_pdf.html"
REFUND_TEMPLATE = "marketplace/receipts/refund.html"
REFUND_PDF_TEMPLATE = "marketplace/receipts/refund_pdf.html"


def _paid_order(request, reference: str):
    order = receipt_order(reference=reference, user=request.user)
    if order is None:
        raise Http404(_("This order has no receipt."))
    return order


def _private(response):
    add_never_cache_headers(response)
    return response


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return _private(response)


def _refund(request, reference: str, refund_id: int):
    receipt = order_refund_receipt(_paid_order(request, reference), refund_id=refund_id)
    if receipt is None:
        raise Http404(_("This refund has no receipt."))
    return receipt


@login_required
@require_GET
def order_receipt_view(request, reference: str):
    """The receipt of a paid order, as a page (printable)."""
    receipt = order_receipt(_paid_order(request, reference))
    return _private(TemplateResponse(request, RECEIPT_TEMPLATE, {"receipt": receipt}))


@login_required
@require_GET
def order_receipt_pdf_view(request, reference: str):
    """The receipt of a paid order, as a PDF."""
    receipt = order_receipt(_paid_order(request, reference))
    data = receipt_pdf(RECEIPT_PDF_TEMPLATE, {"receipt": receipt}, language=get_language())
    return _pdf(data, f"recu-{receipt.order.reference}.pdf")


@login_required
@require_GET
def refund_receipt_view(request, reference: str, refund_id: int):
    """The receipt of one refund of a paid order, as a page."""
    receipt = _refund(request, reference, refund_id)
    return _private(TemplateResponse(request, REFUND_TEMPLATE, {"receipt": receipt}))


@login_required
@require_GET
def refund_receipt_pdf_view(request, reference: str, refund_id: int):
    """The receipt of one refund of a paid order, as a PDF."""
    receipt = _refund(request, reference, refund_id)
    data = receipt_pdf(REFUND_PDF_TEMPLATE, {"receipt": receipt}, language=get_language())
    return _pdf(data, f"remboursement-{receipt.order.reference}-{receipt.refund.pk}.pdf")
