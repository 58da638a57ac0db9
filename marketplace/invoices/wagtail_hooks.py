"""The invoices in the admin: the *Invoices* menu item and its views
(:mod:`marketplace.invoices.admin_views`)."""

from wagtail import hooks

from marketplace.invoices.admin_views import InvoiceViewSet


@hooks.register("register_admin_viewset")
def register_invoice_viewset():
    return InvoiceViewSet()
