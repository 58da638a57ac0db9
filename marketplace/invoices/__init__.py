"""Commission invoices and credit notes to providers (issue 15 §1): a nested Django app
(label ``invoices``), like ``marketplace.books`` and ``marketplace.payouts``.

The territory's operator bills each provider the commission charged on its bookings,
per period (monthly or quarterly, a territory setting). What lives here:

- :mod:`.movements`: each confirmation's and refund's commission, read from the ledger
  and split into the provider's part (invoiced) and the visitor's part (the service fee).
- :mod:`.vat`: the VAT inside a commission (pure): base and VAT of a total, the lines' nets.
- :mod:`.models`: ``Invoice`` (an invoice or a credit note, with frozen seller and buyer
  snapshots and totals), ``InvoiceLine`` (one ledger transaction each, billed once),
  ``InvoiceCounter`` (gapless numbers per territory and series). Issued rows are
  immutable, like the ledger (database triggers, ``migrations/0002``); corrections go
  through credit notes.
- :mod:`.document`: an invoice as plain data (:class:`~.document.InvoiceDocument`), what
  the PDF and the Factur-X XML are rendered from; ``Invoice.document()`` builds it from
  the snapshot, never from live data.
- :mod:`.services`: ``invoices_issue`` (a period's invoices and credit notes, idempotent),
  :mod:`.selectors` (reads), the ``invoices_issue`` command, :mod:`.tasks` (the monthly
  issue), :mod:`.signals` (``invoices_issued``, sent after commit, for the e-mails).

What must not live here: the ledger's writes (``marketplace.books.ledger``), any payment
provider (``payments``), the storefront (``cms``). Everything is derived from the ledger,
never a second source of truth.
"""
