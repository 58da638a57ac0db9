"""``invoices_issued``: sent after the commit that issued invoices, for whoever delivers them.

Receivers get ``site`` and ``invoices`` (a list of :class:`~marketplace.invoices.models.Invoice`,
in issue order, invoices before the credit notes that correct them). It is sent once per
run of :func:`marketplace.invoices.services.invoices_issue` that issued anything, after
the transaction commits (never for a rolled back issue). The e-mails subscribe here, so
issuing does not depend on them and a failing e-mail never undoes an invoice.
"""

from django.dispatch import Signal

invoices_issued = Signal()
