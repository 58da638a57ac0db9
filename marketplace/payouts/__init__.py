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
- :mod:`.statements`: a recipient's statement over a period (lines, totals, payable and
  due), as CSV and PDF; :mod:`.statement_pages` and :mod:`.statement_views` (finance's
  *Statements*; the providers' own is *My statement* in :mod:`marketplace.books.admin`).
- :mod:`.permissions`, :mod:`.audit` (Wagtail's audit log, IBANs masked),
  :mod:`.notify` (the decision e-mails, and ``statement_send``), :mod:`.forms`,
  :mod:`.viewsets` and :mod:`.wagtail_hooks` (finance's *Bank details*, the providers'
  *My bank details*).

Payout runs (issue 13, §3):

- :mod:`.payable`: what is payable to each account as of a day (and what is due later).
- :mod:`.models`: ``PayoutSettings`` (the operator's debtor account, the monthly run day),
  ``PayoutRun``, ``PayoutLine``, ``PayoutSkip``.
- :mod:`.runs`: plan, prepare (each line a ``payout`` in the ledger, under a lock),
  mark as sent, cancel (reversed, payable again), the monthly runs; :mod:`.tasks` runs
  them daily. :mod:`.sepa`: a run's pain.001 file. The ``payout_run`` command.
- :mod:`.run_views`: finance's *Payout runs* in the "Ledger" menu.

What must not live here: the ledger's writes (runs post through
``marketplace.books.ledger``, never write rows themselves), any payment provider
(``payments``: who Stripe pays is read from the providers' and beneficiaries' own
fields), the storefront (``cms``). Nothing here imports the last two; ``commissions``
(beneficiaries) and the catalogue (providers, tax collectors) are below.
"""
