"""The demo's places to stay: a campsite (pitches and mobile homes) and two gîtes.

The tourist tax: the gîte's hosts are private individuals (the platform collects it), the
campsite is professional and mandated the platform to collect it, the chambres d'hôtes
are professional and collect it themselves (visitors read "payable on site").

Invented businesses shaped like real ones (data only; seed.py creates them).
"""

from cms.demo.specs import Offer, ProviderSpec

# (name, "MM-DD" from, "MM-DD" until, cents a night)
CAMPSITE_SEASONS = (
    ("Basse saison", "04-01", "06-30", 1600),
    ("Haute saison", "07-01", "08-31", 2900),
    ("Arrière-saison", "09-01", "10-31", 1600),
)
MOBILE_HOME_SEASONS = (
    ("Basse saison", "04-01", "06-30", 6500),
    ("Haute saison", "07-01", "08-31", 11500),
    ("Arrière-saison", "09-01", "10-31", 6500),
)
GITE_SEASONS = (
    ("Vacances d'hiver", "02-01", "03-15", 16000),
    ("Été", "07-01", "08-31", 19500),
)

STAYS: list[ProviderSpec] = [
    ProviderSpec(
        slug="camping-des-berges-de-l-arviere",
        name="Camping des Berges de l'Arvière",
        legal_name="SARL Les Berges",
        category="camping",
        commune="Arvière-le-Bourg",
        address="12 chemin de la Plage",
        contact_name="Nadia Chabert",
        tagline="Trois étoiles au bord de l'eau, à dix minutes à pied du bourg",
        description=(
            "Un camping familial de 46 emplacements ombragés le long de l'Arvière, "
            "avec baignade surveillée en juillet et août, épicerie et location de vélos."
        ),
        labels=("accueil-velo", "famille"),
        classification=3,
        phone="04 77 50 12 34",
        offers=[
            Offer(
                kind="stay",
                slug="emplacement-tente-caravane",
                title="Emplacement tente, caravane ou camping-car",
                summary="Emplacement de 100 m² ombragé, électricité 10 A, jusqu'à 6 personnes.",
                description=(
                    "<p>Quarante emplacements délimités par des haies, à deux pas de la "
                    "rivière. Sanitaires chauffés, eau chaude gratuite, accès à la plage.</p>"
                ),
                price=1800,
                labels=("accueil-velo", "famille"),
                unit_name="emplacement",
                units=40,
                guests_per_unit=6,
                min_nights=1,
                tax_category="camping_3_5",
                tax_collection_mandate=True,
                seasons=CAMPSITE_SEASONS,
                winter_closure=True,
                cancellation_policy="flexible",
                featured=True,
            ),
            Offer(
                kind="stay",
                slug="mobil-home-6-personnes",
                title="Mobil-home Les Genêts (6 personnes)",
                summary="Mobil-home de 32 m², deux chambres, terrasse couverte, vue sur rivière.",
                description=(
                    "<p>Six mobil-homes récents avec deux chambres, cuisine équipée, salle "
                    "d'eau et terrasse couverte. Linge de lit fourni sur demande.</p>"
                ),
                price=7500,
                labels=("famille",),
                unit_name="mobil-home",
                units=6,
                guests_per_unit=6,
                min_nights=2,
                tax_category="camping_3_5",
                tax_collection_mandate=True,
                seasons=MOBILE_HOME_SEASONS,
                winter_closure=True,
                cancellation_policy="moderate",
                featured=True,
            ),
        ],
    ),
    ProviderSpec(
        slug="gite-de-la-combe",
        name="Gîte de la Combe",
        legal_name="Martine et Paul Vial",
        category="hebergement",
        commune="Bellecombe-en-Val",
        address="Hameau de la Combe",
        contact_name="Martine Vial",
        tagline="Une ferme restaurée au calme, face aux monts",
        description="Un grand gîte dans une ferme en pierre du XIXe siècle, avec jardin clos.",
        labels=("famille",),
        classification=4,
        is_professional=False,
        offers=[
            Offer(
                kind="stay",
                slug="gite-8-personnes",
                title="Gîte de la Combe (8 personnes)",
                summary="Quatre chambres, grand séjour avec poêle, jardin clos de 1 000 m².",
                description=(
                    "<p>Ferme restaurée avec quatre chambres, deux salles d'eau et un jardin "
                    "clos. Départ de randonnées à la porte.</p>"
                ),
                price=14000,
                labels=("famille",),
                unit_name="gîte",
                units=1,
                guests_per_unit=8,
                min_nights=2,
                tax_category="4_stars",
                seasons=GITE_SEASONS,
                cancellation_policy="strict",
            ),
        ],
    ),
    ProviderSpec(
        slug="le-moulin-de-lachaux",
        name="Le Moulin de Lachaux",
        legal_name="EI Sophie Grangeon",
        category="hebergement",
        commune="Lachaux-sur-Ance",
        address="2 rue du Moulin",
        contact_name="Sophie Grangeon",
        tagline="Chambres d'hôtes dans un ancien moulin à grain",
        description="Deux chambres d'hôtes au bord du bief, petit-déjeuner aux produits du Val.",
        labels=("accueil-velo", "produit-local"),
        offers=[
            Offer(
                kind="stay",
                slug="chambre-tilleul",
                title="Chambre Tilleul",
                summary="Chambre double avec vue sur le bief, petit-déjeuner compris.",
                description="<p>Lit de 160, salle d'eau privative, petit-déjeuner maison.</p>",
                price=7800,
                labels=("accueil-velo",),
                unit_name="chambre",
                units=1,
                guests_per_unit=2,
                tax_category="chambres_hotes",
            ),
            Offer(
                kind="stay",
                slug="chambre-glycine",
                title="Chambre Glycine (familiale)",
                summary="Chambre familiale pour quatre, accès de plain-pied au jardin.",
                description="<p>Un lit double et deux lits simples, accessible de plain-pied.</p>",
                price=9800,
                labels=("famille", "tourisme-handicap"),
                unit_name="chambre",
                units=1,
                guests_per_unit=4,
                tax_category="chambres_hotes",
            ),
        ],
    ),
]
