"""The demo territory itself: its names, communes, categories, labels and commission rules.

Everything here is invented (names, addresses, SIRET numbers), but shaped like the real
thing so that the storefront looks and behaves as it would in a French valley.
Prices are in cents.
"""

SITE_NAME = "Comptoir du Val d'Arvière"
OPERATOR_LEGAL_NAME = "Communauté de communes du Val d'Arvière (EPCI)"

# (name, postcode, latitude, longitude)
COMMUNES = [
    ("Arvière-le-Bourg", "42610", "45.452100", "3.912400"),
    ("Saint-Julien-d'Arvière", "42611", "45.431800", "3.874200"),
    ("Lachaux-sur-Ance", "42612", "45.489300", "3.951700"),
    ("Montferrand-les-Bois", "42613", "45.402600", "3.968100"),
    ("Bellecombe-en-Val", "42614", "45.473500", "3.838900"),
    ("La Roche-Aubert", "42615", "45.381200", "3.902500"),
    ("Vernois-le-Haut", "42616", "45.515400", "3.884600"),
    ("Sauveterre-d'Arvière", "42617", "45.426700", "4.012300"),
]
MAP_CENTRE = ("45.450000", "3.920000")

# (slug, French, English, sort order, kind of offers its providers sell)
CATEGORIES = [
    ("camping", "Campings", "Campsites", 10, "stay"),
    ("hebergement", "Gîtes et chambres d'hôtes", "Holiday homes and B&Bs", 20, "stay"),
    ("producteur", "Producteurs", "Farm producers", 30, "product"),
    ("commerce", "Commerces de bouche", "Food shops", 40, "product"),
    ("artisanat", "Artisanat", "Crafts", 50, "product"),
    ("plein-air", "Activités de plein air", "Outdoor activities", 60, "activity"),
    ("visites-ateliers", "Visites et ateliers", "Tours and workshops", 70, "activity"),
]

# (slug, French, English)
LABELS = [
    ("bio", "Agriculture biologique", "Organic farming"),
    ("produit-local", "Produit dans le Val", "Made in the valley"),
    ("accueil-velo", "Accueil Vélo", "Cyclists welcome"),
    ("tourisme-handicap", "Tourisme & Handicap", "Accessible tourism"),
    ("circuit-court", "Circuit court", "Short supply chain"),
    ("famille", "Idéal en famille", "Family friendly"),
]

# The territory's commission, in the format of `manage.py commission_rules import`.
COMMISSION_RULES = {
    "beneficiaries": [
        {
            "key": "fonds-local",
            "name": "Fonds de revitalisation du Val d'Arvière",
            "kind": "local_fund",
            "stripe_account": "",
            "email": "fonds-local@comptoir.localhost",
        },
        {
            "key": "office-tourisme",
            "name": "Office de tourisme du Val d'Arvière",
            "kind": "tourism_office",
            "stripe_account": "",
            "email": "office-tourisme@comptoir.localhost",
        },
        {
            "key": "fonctionnement",
            "name": "Fonctionnement de la plateforme",
            "kind": "running_costs",
            "stripe_account": "",
        },
    ],
    "distribution_keys": [
        {
            "key": "cle-territoire",
            "name": "Clé du territoire",
            "shares": {
                "fonds-local": "50.00",
                "office-tourisme": "20.00",
                "fonctionnement": "30.00",
            },
        },
    ],
    "rules": [
        {
            "key": "base",
            "name": "Règle de base du territoire",
            "explanation": "Une commission modeste, dont la moitié revient à un fonds local.",
            "scope": {"categories": [], "kinds": [], "providers": [], "communes": [], "labels": []},
            "valid_from": None,
            "valid_until": None,
            "provider": {"rate": "6.00", "fixed": 0, "min": 30, "max": None},
            "visitor": {"rate": "2.00", "fixed": 0, "min": None, "max": 1500},
            "distribution": "cle-territoire",
        },
    ],
}
