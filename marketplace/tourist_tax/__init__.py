"""The taxe de séjour (tourist tax): rates, territory switches, the pure computation.

A nested Django app (label ``tourist_tax``), like ``marketplace.books``.

What lives here:

- :mod:`.categories`: the category codes (``palace`` … ``unclassified``) and how the law
  groups villages de vacances, chambres d'hôtes, auberges collectives, camper-van areas
  and marinas on them.
- :mod:`.engine`: the pure computation (``RateData`` in, ``TaxQuote`` out, integer cents,
  :func:`commissions.money.round_half_up`), no database.
- :mod:`.models`: ``TouristTaxRate`` (per territory = Wagtail site, commune, category,
  validity; fixed rate or percentage and cap; departmental and regional additional
  percentages; low-rent threshold), ``TaxCollector`` (who receives a commune's tax, the
  Trésorerie or SGC paid by transfer, keyed by the commune's ledger account
  ``tax:tourist:<slug>``; its bank details are ``marketplace.payouts``') and the
  ``TouristTaxSettings`` site setting.
- :mod:`.selectors`: ``rate_for`` and ``quote_for`` (find the rate in force, compute;
  ``RateMissing`` when there is none).
- :mod:`.rates_io` and the commands ``tourist_tax_rates import|export`` (CSV) and
  ``tourist_tax_quote`` (JSON); :mod:`.registration` (the registration number's format);
  :mod:`.permissions` (finance manages the rates); :mod:`.wagtail_hooks` (the admin).

What must not: the booking flow, the ledger, refunds, declarations and payouts (they call
``quote_for`` and freeze its result; they live in ``marketplace.orders`` and
``marketplace.books``; the declaration per commune is ``marketplace.books.tax_declaration``).
Nothing here imports ``payments`` or ``cms``.

What the law says, as established for this app (sources below; read on 2026-12-05, from
stored copies, not from Légifrance's live text: check the current version before relying
on a figure):

- **Who pays** (CGCT L. 2333-29): people staying for a price who are not domiciled in the
  commune. The tax is set per person and per night (``nuitée``), per category of
  accommodation, by the council's deliberation, within a legal floor and ceiling per
  category (L. 2333-30; the bounds are revalued each year, so we store the voted rates,
  not the bounds). An EPCI may levy it instead of its communes (L. 5211-21): we enter its
  deliberation as one row per member commune (a rate applies to one commune name).
- **Categories** (L. 2333-30's table): see :mod:`.categories`. Villages de vacances 4–5★
  share the 2★ line, 1–3★ the 1★ line; chambres d'hôtes and auberges collectives are on
  the 1★ line too, but have their own code here (``chambres_hotes``, whose row carries
  the 1★ rate); camper-van areas and tourist car parks (per 24 h) share the campsites
  3–5★ line; marinas the campsites 1–2★ line.
- **Unclassified** accommodation (awaiting classification or unclassified), except the
  natures on the table (campsites and other open-air sites among them), pays a
  **percentage voted between 1 % and 5 % of the cost per person of the night**, the cost
  of the night being the price of the accommodation excluding taxes; since 2019 (LFR 2017
  art. 44). The price of the night is divided by **all** occupants (minors included), and
  the result is owed per taxable person. The cap: the wording quoted in 2018–2020
  (deliberations, amendments) is "dans la limite du tarif le plus élevé adopté par la
  collectivité ou, s'il est inférieur à ce dernier, du tarif plafond applicable aux
  hôtels de tourisme 4 étoiles"; one source says the 2021 finance law (art. 124) kept
  only the commune's highest rate. We could not read the article's current text, so the
  cap is **a field of each rate** that finance enters from the deliberation (documented as
  "the lower of the commune's highest rate and the 4★ hotels' ceiling"), never a constant.
- **Additional taxes**: the department may add **10 %** (L. 3333-1), "established and
  collected in the same way as the tax it is added to", then remitted to the department;
  Île-de-France has a regional additional tax (L. 2531-17: 15 %, remitted to the Société
  des grands projets; later finance laws changed these rates and other regions have voted
  their own, which we did not establish): so the regional percentage is a field (0–200 %).
  They are computed on the tax (per person per night), then multiplied, and shown apart.
- **Exemptions** (L. 2333-31): minors; holders of a seasonal work contract employed in
  the commune; people in emergency housing or temporary rehousing; and, when the council
  votes it, people whose rent is below an amount it sets (the DGFiP data set calls it the
  "loyer minimum"). Minors are always exempt here (bookings carry adults and minors);
  the two others need a proof the provider checks, so the territory chooses whether
  visitors may declare them (``TouristTaxSettings``); the low-rent threshold is per rate
  row (per commune), compared with the price of one night of the accommodation.
- **Rounding**: the law gives the rate in euros per person per night; communes publish
  their grids to the cent, additional taxes included and rounded per person per night
  (Paris 2019: 2,30 + 0,23 + 0,345 → 2,88 €). We round the proportional rate per person
  per night to the cent, then each additional tax per person per night, half up (the
  project's one rule), and multiply by persons and nights exactly.
- **Platforms** that take payment for non-professional hosts must collect the tax and
  remit it (L. 2333-34); professionals may mandate them. Hence ``host_is_professional``
  on stays. The data set the communes' deliberations are published in is the DGFiP's
  (DELTA, formerly OCSIT@N; data.economie.gouv.fr): regime, rates per category, period of
  collection, "loyer minimum", departmental additional tax.

Sources: https://www.legifrance.gouv.fr/codes/id/LEGIARTI000030023777/2015-01-05 (L. 2333-30,
2015 table); https://intramuros.org/beaulieu07/page/taxesejour (a 2024 grid with the
groupings and exemptions); https://www.legrandbornand-reservation.com/taxes-de-sejour-au-grand-bornand.html
and https://www.aubrac-gorgesdutarn.com/espace-pro/taxe-de-sejour/taxe-de-sejour-au-reel
(worked proportional examples: price / all occupants × rate × taxable persons);
https://2017-2022.nosdeputes.fr/15/amendement/1255/1518C (the cap's wording);
https://cetire.fr/author/cetire (the 2021 change of the cap); https://taxesejour.fr/de-nouvelles-taxes-additionnelles-departementales-tad-sappliqueront-a-compter-du-1er-janvier-2024
(L. 3333-1); https://lexbase.fr/texte-de-loi/code-general-des-collectivites-territorialesl253117/L8641MKA.html
(L. 2531-17); https://lhotellerie-restauration.fr/actualite/la-taxe-de-sejour-va-augmenter-a-paris
(rounded grids with surcharges); https://dombes-tourisme.com/espace-pro/taxe-de-sejour
(L. 2333-31 exemptions); https://www.data.gouv.fr/datasets/abattements-taxe-de-sejour-donnees-delta-2024-et-2025/reuses_and_dataservices
(the DGFiP data set); https://french-business-law.com/rench-legislation-art/article-d324-1-1-of-the-french-tourism-code
(the registration number).
"""
