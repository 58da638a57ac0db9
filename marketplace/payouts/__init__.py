"""Payouts outside Stripe: a nested Django app (label ``payouts``), like ``marketplace.books``.

Many recipients are paid by bank transfer (SEPA credit transfer): a provider without a
Stripe account, a commission beneficiary (the local fund, the tourism office), a
commune's tourist-tax collector. What lives here:

- :mod:`.iban`: IBAN and BIC checked with schwifty, normalised, displayed, masked (pure).
- :mod:`.models`: ``BankAccount``, one submission of bank details per territory and
  **ledger account** (``provider:<id>``, ``beneficiary:<key>``, ``tax:tourist:<slug>``:
  the key every recipient already has), with its approval status and trail.
- :mod:`.recipients`: a ledger account back to its recipient (kind, name, provider).
- :mod:`.services`: submit, approve, reject; **a second person approves** (never the
  submitter, never a member of the provider concerned), enforced here.
- :mod:`.selectors`: the read API of payout runs, SEPA files and statements:
  ``approved_bank_account(site, account, at=None)`` and ``approved_bank_accounts`` (the
  details in force at the run's date; pending submissions are never read, so a change
  made while a payout is being prepared cannot redirect it).
- :mod:`.payable`: what the ledger owes each account, payable now or due later.
- :mod:`.statements`: a recipient's statement over a period (lines, totals, payable and
  due), as CSV and PDF; :mod:`.statement_pages` and :mod:`.statement_views` (finance's
  *Statements*; the providers' own is *My statement* in :mod:`marketplace.books.admin`).
- :mod:`.permissions`, :mod:`.audit` (Wagtail's audit log, IBANs masked),
  :mod:`.notify` (the decision e-mails, and ``statement_send``), :mod:`.forms`,
  :mod:`.viewsets` and :mod:`.wagtail_hooks` (finance's *Bank details*, the providers'
  *My bank details*).

Coming here next (issue 13, §3): payout runs, the pain.001 file. What must not live
here: the ledger's writes (``marketplace.books``, only read here), any payment provider
(``payments``), the storefront (``cms``). Nothing here imports ``payments`` or ``cms``;
``commissions`` (beneficiaries) and the catalogue (providers, tax collectors) are below.
"""
