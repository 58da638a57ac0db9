"""The demo accounts (printed by seed_demo) and which of them play visitors with a past.

Data only: seed.py creates the users, orders.py gives the visitors their history.
"""

# Demo accounts: (key, e-mail, password, what they are)
ACCOUNTS = [
    ("admin", "admin@comptoir.localhost", "comptoir-admin", "administrateur (superuser)"),
    ("editor", "editrice@comptoir.localhost", "comptoir-editrice", "éditrice du territoire"),
    ("finance", "finances@comptoir.localhost", "comptoir-finances", "finances du territoire"),
    (
        "provider",
        "camping@comptoir.localhost",
        "comptoir-prestataire",
        "membre du Camping des Berges de l'Arvière",
    ),
    ("visitor", "visiteur@comptoir.localhost", "comptoir-visiteur", "visiteur"),
    ("council", "conseil@comptoir.localhost", "comptoir-conseil", "conseil (approbations)"),
    # Visitors whose past orders make the demo's six months of history (cms.demo.orders).
    ("visitor-lea", "lea.girard@comptoir.localhost", "comptoir-visiteur", "visiteuse"),
    ("visitor-marc", "marc.fabre@comptoir.localhost", "comptoir-visiteur", "visiteur"),
    ("visitor-sophie", "sophie.bonnet@comptoir.localhost", "comptoir-visiteur", "visiteuse"),
    ("visitor-ines", "ines.roux@comptoir.localhost", "comptoir-visiteur", "visiteuse"),
    ("visitor-tom", "tom.harris@comptoir.localhost", "comptoir-visiteur", "visiteur (anglais)"),
]
# Accounts whose keys start with "visitor" place the past orders; in their language.
VISITOR_LANGUAGES = {"visitor-tom": "en"}

# The provider account is a member of this provider.
PROVIDER_MEMBER_OF = "camping-des-berges-de-l-arviere"
