"""The demo's tourist tax: the Val d'Arvière's deliberation, one rate row per commune.

The (fictional) community of communes levies the tax in its eight communes with one grid,
and the department adds its 10 %. Rates are within the law's bounds; the unclassified
percentage's cap is the grid's highest rate (2,30 €), below the 4-star hotels' ceiling.
Loaded through the CSV import, as finance would (``tourist_tax_rates import``).
"""

import datetime as dt

from cms.demo.territory import COMMUNES

# (category, rate in euros or "", percentage or "", cap in euros or "")
GRID = (
    ("palace", "2.30", "", ""),
    ("5_stars", "2.00", "", ""),
    ("4_stars", "1.50", "", ""),
    ("3_stars", "1.00", "", ""),
    ("2_stars", "0.80", "", ""),
    ("1_star", "0.60", "", ""),
    ("chambres_hotes", "0.60", "", ""),
    ("camping_3_5", "0.55", "", ""),
    ("camping_1_2", "0.20", "", ""),
    ("unclassified", "", "4", "2.30"),
)
DEPARTMENTAL_PERCENT = "10"


def rates_csv(*, valid_from: dt.date) -> str:
    """The grid for every demo commune, open-ended from ``valid_from``, as import CSV."""
    lines = [
        "commune;categorie;date_debut;date_fin;tarif;taux;plafond;taxe_additionnelle_departementale"
    ]
    for commune, *_rest in COMMUNES:
        for category, rate, percent, cap in GRID:
            lines.append(
                f"{commune};{category};{valid_from.isoformat()};;{rate};{percent};{cap};"
                f"{DEPARTMENTAL_PERCENT}"
            )
    return "\n".join(lines) + "\n"
