"""The demo territory's fixed content: a fictional community of communes and its businesses.

Everything here is invented (names, addresses, SIRET numbers), but shaped like the real
thing so that the storefront looks and behaves as it would in a French valley.
Prices are in cents.
"""

from dataclasses import dataclass, field

TERRITORY_NAME = "Communauté de communes du Val d'Arvière"
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


@dataclass
class Offer:
    kind: str  # stay / activity / product
    slug: str
    title: str
    summary: str
    description: str
    price: int  # cents: per night, per person or per item
    labels: tuple[str, ...] = ()
    # stay
    unit_name: str = ""
    units: int = 1
    guests_per_unit: int = 2
    min_nights: int = 1
    seasons: tuple[tuple[str, str, str, int], ...] = ()  # (name, "MM-DD", "MM-DD", cents)
    winter_closure: bool = False
    # activity
    duration_minutes: int = 120
    places_per_slot: int = 10
    meeting_point: str = ""
    weekly: tuple[tuple[int, str], ...] = ()  # (weekday 0=Monday, "HH:MM")
    # product
    stock: int = 0
    unit_label: str = ""
    cancellation_policy: str = ""
    featured: bool = False


@dataclass
class ProviderSpec:
    slug: str
    name: str
    legal_name: str
    category: str
    commune: str
    address: str
    contact_name: str
    tagline: str
    description: str
    labels: tuple[str, ...] = ()
    classification: int | None = None
    phone: str = ""
    is_professional: bool = True
    offers: list[Offer] = field(default_factory=list)


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

EVERY_DAY = tuple(range(7))


def _weekly(days, *times):
    return tuple((day, time) for day in days for time in times)


PROVIDERS: list[ProviderSpec] = [
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
            ),
        ],
    ),
    ProviderSpec(
        slug="ferme-du-pre-fleuri",
        name="Ferme du Pré Fleuri",
        legal_name="GAEC du Pré Fleuri",
        category="producteur",
        commune="Saint-Julien-d'Arvière",
        address="Lieu-dit Le Pré Fleuri",
        contact_name="Jérôme Faure",
        tagline="Fromages de chèvre fermiers, au lait cru et bio",
        description="Soixante chèvres alpines au pâturage et une fromagerie à la ferme.",
        labels=("bio", "circuit-court"),
        offers=[
            Offer(
                kind="product",
                slug="tomme-de-chevre",
                title="Tomme de chèvre fermière",
                summary="Tomme affinée trois mois en cave, environ 1 kg.",
                description="<p>Lait cru de nos chèvres, affinage en cave naturelle.</p>",
                price=2200,
                labels=("bio",),
                stock=18,
                unit_label="pièce d'environ 1 kg",
                featured=True,
            ),
            Offer(
                kind="product",
                slug="crottins-frais",
                title="Crottins frais (lot de 3)",
                summary="Trois crottins frais du jour, à déguster nature ou rôtis.",
                description="<p>Fabriqués chaque matin à la ferme.</p>",
                price=750,
                labels=("bio",),
                stock=40,
                unit_label="lot de 3",
            ),
            Offer(
                kind="product",
                slug="faisselle",
                title="Faisselle au lait de chèvre",
                summary="Faisselle fermière en pot de 500 g.",
                description="<p>Douce et légère, à servir avec du miel du Val.</p>",
                price=420,
                labels=("bio",),
                stock=25,
                unit_label="pot de 500 g",
            ),
            Offer(
                kind="product",
                slug="yaourts-fermiers",
                title="Yaourts fermiers nature (x4)",
                summary="Quatre yaourts au lait entier de chèvre.",
                description="<p>Lait entier, ferments naturels, pots en verre consignés.</p>",
                price=480,
                labels=("bio",),
                stock=30,
                unit_label="lot de 4",
            ),
        ],
    ),
    ProviderSpec(
        slug="miellerie-des-monts",
        name="Miellerie des Monts d'Arvière",
        legal_name="EARL Rucher Bonnefoy",
        category="producteur",
        commune="Vernois-le-Haut",
        address="5 montée des Ruchers",
        contact_name="Claire Bonnefoy",
        tagline="Miels de montagne récoltés à 900 mètres d'altitude",
        description="Trois cents ruches sédentaires sur les plateaux du Val.",
        labels=("produit-local", "circuit-court"),
        offers=[
            Offer(
                kind="product",
                slug="miel-de-chataignier",
                title="Miel de châtaignier",
                summary="Miel corsé et ambré, pot de 500 g.",
                description="<p>Récolte de juillet dans les châtaigneraies du Val.</p>",
                price=1050,
                labels=("produit-local",),
                stock=60,
                unit_label="pot de 500 g",
                featured=True,
            ),
            Offer(
                kind="product",
                slug="miel-de-montagne",
                title="Miel de montagne toutes fleurs",
                summary="Miel crémeux aux fleurs des prairies d'altitude, pot de 500 g.",
                description="<p>Un miel doux, idéal au petit-déjeuner.</p>",
                price=950,
                labels=("produit-local",),
                stock=80,
                unit_label="pot de 500 g",
            ),
            Offer(
                kind="product",
                slug="pain-d-epices",
                title="Pain d'épices au miel",
                summary="Pain d'épices artisanal, 50 % de miel, 400 g.",
                description="<p>Cuit au four à bois, farine de seigle du Val.</p>",
                price=780,
                stock=24,
                unit_label="pain de 400 g",
            ),
            Offer(
                kind="product",
                slug="bougie-cire-d-abeille",
                title="Bougie en cire d'abeille",
                summary="Bougie coulée à la main, cire de nos ruches, 30 heures.",
                description="<p>Mèche en coton, parfum naturel de miel.</p>",
                price=1400,
                labels=("produit-local",),
                stock=35,
                unit_label="pièce",
            ),
        ],
    ),
    ProviderSpec(
        slug="boulangerie-ravel",
        name="Boulangerie Ravel",
        legal_name="SARL Ravel et Fils",
        category="commerce",
        commune="Arvière-le-Bourg",
        address="3 place de la Halle",
        contact_name="Thomas Ravel",
        tagline="Pains au levain et viennoiseries, four à bois depuis 1952",
        description="La boulangerie du bourg, farines de meuniers de la vallée.",
        labels=("produit-local",),
        phone="04 77 50 20 20",
        offers=[
            Offer(
                kind="product",
                slug="pain-au-levain",
                title="Pain au levain (1 kg)",
                summary="Grosse miche au levain naturel, cuite au four à bois.",
                description="<p>Farine T80 de la minoterie de Sauveterre.</p>",
                price=520,
                labels=("produit-local",),
                stock=30,
                unit_label="miche de 1 kg",
            ),
            Offer(
                kind="product",
                slug="tourte-de-seigle",
                title="Tourte de seigle",
                summary="Pain de seigle dense, se garde une semaine.",
                description="<p>Seigle cultivé sur les plateaux.</p>",
                price=610,
                stock=15,
                unit_label="tourte de 800 g",
            ),
            Offer(
                kind="product",
                slug="brioche-aux-pralines",
                title="Brioche aux pralines",
                summary="La brioche rose de la région, pour 6 personnes.",
                description="<p>Pralines roses concassées, beurre de la laiterie voisine.</p>",
                price=1150,
                stock=12,
                unit_label="brioche pour 6",
            ),
            Offer(
                kind="product",
                slug="fouace-aux-grattons",
                title="Fouace aux grattons",
                summary="Pain brioché aux grattons de porc, spécialité du Val.",
                description="<p>Le samedi matin seulement, à réserver.</p>",
                price=890,
                stock=10,
                unit_label="fouace de 600 g",
            ),
        ],
    ),
    ProviderSpec(
        slug="domaine-du-coteau-blanc",
        name="Domaine du Coteau Blanc",
        legal_name="SCEA Domaine du Coteau Blanc",
        category="producteur",
        commune="Montferrand-les-Bois",
        address="Route des Vignes",
        contact_name="Louis Peyron",
        tagline="Vins de coteaux cultivés en biodynamie",
        description="Huit hectares de gamay et de chardonnay sur les coteaux granitiques.",
        labels=("bio",),
        offers=[
            Offer(
                kind="product",
                slug="gamay-des-coteaux",
                title="Gamay des Coteaux (rouge)",
                summary="Rouge fruité et léger, bouteille de 75 cl.",
                description="<p>Vendanges manuelles, élevage en cuve.</p>",
                price=1100,
                labels=("bio",),
                stock=120,
                unit_label="bouteille de 75 cl",
                featured=True,
            ),
            Offer(
                kind="product",
                slug="chardonnay-granit",
                title="Chardonnay Granit (blanc)",
                summary="Blanc minéral et tendu, bouteille de 75 cl.",
                description="<p>Élevé neuf mois sur lies fines.</p>",
                price=1350,
                labels=("bio",),
                stock=90,
                unit_label="bouteille de 75 cl",
            ),
            Offer(
                kind="product",
                slug="coffret-decouverte",
                title="Coffret découverte (3 bouteilles)",
                summary="Un rouge, un blanc et un rosé du domaine.",
                description="<p>Idéal à offrir, coffret en bois.</p>",
                price=3400,
                labels=("bio",),
                stock=20,
                unit_label="coffret",
            ),
        ],
    ),
    ProviderSpec(
        slug="boucherie-mazet",
        name="Boucherie-charcuterie Mazet",
        legal_name="Mazet SAS",
        category="commerce",
        commune="Sauveterre-d'Arvière",
        address="18 Grande Rue",
        contact_name="Henri Mazet",
        tagline="Viandes de races locales et charcuterie maison",
        description="Bœuf et porc d'élevages du Val, abattus et transformés à moins de 30 km.",
        labels=("circuit-court", "produit-local"),
        offers=[
            Offer(
                kind="product",
                slug="saucisson-sec",
                title="Saucisson sec pur porc",
                summary="Saucisson séché six semaines, environ 300 g.",
                description="<p>Porc fermier, séchage naturel.</p>",
                price=890,
                labels=("produit-local",),
                stock=45,
                unit_label="pièce de 300 g",
            ),
            Offer(
                kind="product",
                slug="colis-de-boeuf",
                title="Colis de bœuf (5 kg)",
                summary="Steaks, rôti, bourguignon et pot-au-feu sous vide.",
                description="<p>Race Aubrac élevée à l'herbe, maturation dix jours.</p>",
                price=8500,
                labels=("circuit-court",),
                stock=8,
                unit_label="colis de 5 kg",
            ),
            Offer(
                kind="product",
                slug="pate-de-campagne",
                title="Pâté de campagne",
                summary="Terrine maison en bocal de 350 g.",
                description="<p>Recette de la maison depuis trois générations.</p>",
                price=650,
                stock=35,
                unit_label="bocal de 350 g",
            ),
        ],
    ),
    ProviderSpec(
        slug="vergers-de-sauveterre",
        name="Les Vergers de Sauveterre",
        legal_name="EARL des Vergers",
        category="producteur",
        commune="Sauveterre-d'Arvière",
        address="Chemin des Pommiers",
        contact_name="Anne Rochette",
        tagline="Pommes, poires et jus pressés à la ferme",
        description="Douze variétés anciennes de pommes, vergers en haute tige.",
        labels=("bio", "circuit-court"),
        offers=[
            Offer(
                kind="product",
                slug="jus-de-pomme",
                title="Jus de pomme artisanal (1 l)",
                summary="Pur jus de pommes du verger, non filtré.",
                description="<p>Pressé et pasteurisé à la ferme.</p>",
                price=390,
                labels=("bio",),
                stock=150,
                unit_label="bouteille de 1 l",
            ),
            Offer(
                kind="product",
                slug="panier-de-pommes",
                title="Panier de pommes de saison (3 kg)",
                summary="Reinettes, Canada grises et Belchard selon la saison.",
                description="<p>Cueillies à maturité.</p>",
                price=900,
                labels=("bio",),
                stock=40,
                unit_label="panier de 3 kg",
            ),
            Offer(
                kind="product",
                slug="cidre-brut",
                title="Cidre brut fermier",
                summary="Cidre brut de variétés anciennes, 75 cl.",
                description="<p>Fermentation naturelle, prise de mousse en bouteille.</p>",
                price=650,
                labels=("bio",),
                stock=70,
                unit_label="bouteille de 75 cl",
            ),
        ],
    ),
    ProviderSpec(
        slug="brasserie-de-la-roche",
        name="Brasserie de la Roche",
        legal_name="SAS Brasserie de la Roche",
        category="artisanat",
        commune="La Roche-Aubert",
        address="ZA des Granges",
        contact_name="Kevin Deville",
        tagline="Bières artisanales brassées avec l'eau des monts",
        description="Une micro-brasserie de 10 hectolitres, malt et houblon français.",
        labels=("produit-local",),
        offers=[
            Offer(
                kind="product",
                slug="biere-blonde",
                title="Bière blonde La Rochette",
                summary="Blonde légère et houblonnée, 33 cl.",
                description="<p>5 % vol., non filtrée, refermentée en bouteille.</p>",
                price=350,
                stock=200,
                unit_label="bouteille de 33 cl",
            ),
            Offer(
                kind="product",
                slug="biere-ambree",
                title="Bière ambrée La Combe",
                summary="Ambrée aux notes de caramel, 33 cl.",
                description="<p>6 % vol., malts caramel.</p>",
                price=370,
                stock=150,
                unit_label="bouteille de 33 cl",
            ),
            Offer(
                kind="product",
                slug="coffret-six-bieres",
                title="Coffret six bières",
                summary="Six bières de la gamme avec un verre gravé.",
                description="<p>Le cadeau des amateurs.</p>",
                price=2400,
                stock=25,
                unit_label="coffret",
            ),
        ],
    ),
    ProviderSpec(
        slug="atelier-terre-et-feu",
        name="Atelier Terre et Feu",
        legal_name="EI Léa Moulin",
        category="artisanat",
        commune="Bellecombe-en-Val",
        address="7 rue des Potiers",
        contact_name="Léa Moulin",
        tagline="Grès tournés et émaillés à la main",
        description="Vaisselle utilitaire en grès, cuite au four à gaz à 1 280 °C.",
        labels=("produit-local",),
        offers=[
            Offer(
                kind="product",
                slug="bol-en-gres",
                title="Bol en grès émaillé",
                summary="Bol de 50 cl, émail céladon, passe au lave-vaisselle.",
                description="<p>Chaque pièce est unique.</p>",
                price=2800,
                stock=16,
                unit_label="pièce",
            ),
            Offer(
                kind="product",
                slug="tasse-a-cafe",
                title="Tasse à café",
                summary="Tasse de 12 cl en grès brun.",
                description="<p>Tournée à la main.</p>",
                price=1800,
                stock=24,
                unit_label="pièce",
            ),
            Offer(
                kind="product",
                slug="saladier",
                title="Grand saladier",
                summary="Saladier de 28 cm, émail bleu de cobalt.",
                description="<p>Pièce de service généreuse.</p>",
                price=6500,
                stock=5,
                unit_label="pièce",
            ),
            Offer(
                kind="product",
                slug="assiette-plate",
                title="Assiette plate en grès",
                summary="Assiette de 27 cm, émail blanc cassé moucheté.",
                description="<p>Passe au four et au lave-vaisselle.</p>",
                price=3200,
                stock=18,
                unit_label="pièce",
            ),
        ],
    ),
    ProviderSpec(
        slug="epicerie-le-panier-du-val",
        name="Épicerie Le Panier du Val",
        legal_name="SCOP Le Panier du Val",
        category="commerce",
        commune="Lachaux-sur-Ance",
        address="1 place de l'Église",
        contact_name="Malik Benali",
        tagline="L'épicerie coopérative des produits du territoire",
        description="Une épicerie coopérative qui vend plus de 40 producteurs du Val.",
        labels=("circuit-court", "produit-local"),
        offers=[
            Offer(
                kind="product",
                slug="panier-garni",
                title="Panier garni du Val",
                summary="Miel, fromage, charcuterie, bière et confiture de nos producteurs.",
                description="<p>Composé chaque semaine selon les arrivages.</p>",
                price=4500,
                labels=("produit-local",),
                stock=10,
                unit_label="panier",
                featured=True,
            ),
            Offer(
                kind="product",
                slug="lentilles-blondes",
                title="Lentilles blondes (500 g)",
                summary="Lentilles cultivées sur les plateaux de Vernois.",
                description="<p>Cuisson rapide, en sachet kraft.</p>",
                price=420,
                stock=60,
                unit_label="sachet de 500 g",
            ),
            Offer(
                kind="product",
                slug="huile-de-noix",
                title="Huile de noix vierge",
                summary="Huile de première pression à froid, 25 cl.",
                description="<p>Pressée au moulin de Lachaux.</p>",
                price=980,
                stock=30,
                unit_label="bouteille de 25 cl",
            ),
        ],
    ),
    ProviderSpec(
        slug="arviere-canoe",
        name="Arvière Canoë",
        legal_name="Association Arvière Canoë-Kayak",
        category="plein-air",
        commune="Arvière-le-Bourg",
        address="Base nautique, chemin de la Plage",
        contact_name="Yann Roux",
        tagline="Canoë, kayak et paddle sur l'Arvière",
        description="Base nautique encadrée par des moniteurs diplômés d'État.",
        labels=("famille",),
        offers=[
            Offer(
                kind="activity",
                slug="descente-en-canoe",
                title="Descente de l'Arvière en canoë",
                summary="Huit kilomètres de rivière calme, retour en navette.",
                description="<p>Dès 7 ans sachant nager. Gilets et bidons étanches fournis.</p>",
                price=2400,
                labels=("famille",),
                duration_minutes=150,
                places_per_slot=16,
                meeting_point="Base nautique, chemin de la Plage",
                weekly=_weekly(EVERY_DAY, "10:00", "14:30"),
                featured=True,
            ),
            Offer(
                kind="activity",
                slug="initiation-paddle",
                title="Initiation au stand-up paddle",
                summary="Une heure pour apprendre à tenir debout et à pagayer.",
                description="<p>Sur le plan d'eau de la base, dès 10 ans.</p>",
                price=1800,
                duration_minutes=60,
                places_per_slot=8,
                meeting_point="Base nautique",
                weekly=_weekly((2, 5, 6), "17:00"),
            ),
        ],
    ),
    ProviderSpec(
        slug="ecuries-du-plateau",
        name="Les Écuries du Plateau",
        legal_name="EARL Équi-Plateau",
        category="plein-air",
        commune="Vernois-le-Haut",
        address="Ferme équestre des Chazeaux",
        contact_name="Pauline Gire",
        tagline="Balades à cheval sur les crêtes",
        description="Centre équestre et ferme d'élevage de chevaux de Mérens.",
        labels=("famille",),
        offers=[
            Offer(
                kind="activity",
                slug="balade-a-cheval",
                title="Balade à cheval d'une heure",
                summary="Balade au pas dans les bois, débutants bienvenus.",
                description="<p>Dès 8 ans. Casques fournis.</p>",
                price=3200,
                labels=("famille",),
                duration_minutes=60,
                places_per_slot=6,
                meeting_point="Ferme des Chazeaux",
                weekly=_weekly((0, 2, 4, 5), "10:00", "15:00"),
            ),
            Offer(
                kind="activity",
                slug="randonnee-equestre",
                title="Randonnée équestre à la demi-journée",
                summary="Trois heures sur les crêtes avec pause goûter.",
                description="<p>Pour cavaliers autonomes aux trois allures.</p>",
                price=6500,
                duration_minutes=180,
                places_per_slot=6,
                meeting_point="Ferme des Chazeaux",
                weekly=_weekly((5, 6), "09:00"),
            ),
            Offer(
                kind="activity",
                slug="bapteme-poney",
                title="Baptême à poney",
                summary="Trente minutes à poney tenu en main, pour les 3 à 7 ans.",
                description="<p>Un parent accompagne l'enfant à pied.</p>",
                price=1200,
                labels=("famille",),
                duration_minutes=30,
                places_per_slot=4,
                meeting_point="Ferme des Chazeaux",
                weekly=_weekly((2, 5, 6), "11:00", "16:00"),
            ),
        ],
    ),
    ProviderSpec(
        slug="bureau-des-guides-du-val",
        name="Bureau des guides du Val",
        legal_name="SCOP Guides du Val",
        category="plein-air",
        commune="La Roche-Aubert",
        address="Maison du Parc, 4 place du Foirail",
        contact_name="Mathieu Brun",
        tagline="Randonnées, escalade et sorties nature accompagnées",
        description="Accompagnateurs en montagne et guides diplômés.",
        labels=("accueil-velo",),
        offers=[
            Offer(
                kind="activity",
                slug="randonnee-des-crets",
                title="Randonnée accompagnée des Crêts",
                summary="Douze kilomètres et 600 m de dénivelé, panorama sur les Alpes.",
                description="<p>Prévoir chaussures de marche et pique-nique.</p>",
                price=2200,
                duration_minutes=360,
                places_per_slot=12,
                meeting_point="Parking du col de la Croix",
                weekly=_weekly((1, 3, 6), "09:00"),
                featured=True,
            ),
            Offer(
                kind="activity",
                slug="initiation-escalade",
                title="Initiation à l'escalade",
                summary="Une demi-journée sur les rochers de la Roche-Aubert.",
                description="<p>Matériel fourni, dès 8 ans.</p>",
                price=3800,
                labels=("famille",),
                duration_minutes=180,
                places_per_slot=8,
                meeting_point="Site d'escalade de la Roche",
                weekly=_weekly((2, 5), "14:00"),
            ),
            Offer(
                kind="activity",
                slug="sortie-brame-du-cerf",
                title="Sortie nature : à l'écoute de la forêt",
                summary="Balade crépusculaire à la découverte de la faune.",
                description="<p>Jumelles prêtées, silence de rigueur.</p>",
                price=1500,
                duration_minutes=150,
                places_per_slot=15,
                meeting_point="Maison du Parc",
                weekly=_weekly((4,), "19:00"),
            ),
        ],
    ),
    ProviderSpec(
        slug="maison-de-la-vannerie",
        name="Maison de la Vannerie",
        legal_name="Association Osier Vivant",
        category="visites-ateliers",
        commune="Montferrand-les-Bois",
        address="Ancienne école, rue du Four",
        contact_name="Gilles Arnaud",
        tagline="Musée vivant et ateliers autour de l'osier",
        description="Un petit musée et un atelier pour découvrir la vannerie traditionnelle.",
        labels=("tourisme-handicap", "famille"),
        offers=[
            Offer(
                kind="activity",
                slug="visite-guidee",
                title="Visite guidée du musée",
                summary="Une heure pour découvrir l'histoire de l'osier dans le Val.",
                description="<p>Musée de plain-pied, accessible en fauteuil.</p>",
                price=600,
                labels=("tourisme-handicap",),
                duration_minutes=60,
                places_per_slot=20,
                meeting_point="Maison de la Vannerie",
                weekly=_weekly((1, 2, 3, 4, 5), "11:00", "15:00"),
            ),
            Offer(
                kind="activity",
                slug="atelier-vannerie",
                title="Atelier : tressez votre panier",
                summary="Trois heures pour repartir avec votre panier en osier.",
                description="<p>Tout le matériel est fourni.</p>",
                price=4500,
                labels=("famille",),
                duration_minutes=180,
                places_per_slot=8,
                meeting_point="Maison de la Vannerie",
                weekly=_weekly((5,), "14:00"),
            ),
        ],
    ),
]

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
    # Visitors whose past orders make the demo's six months of history (cms.seeding.orders).
    ("visitor-lea", "lea.girard@comptoir.localhost", "comptoir-visiteur", "visiteuse"),
    ("visitor-marc", "marc.fabre@comptoir.localhost", "comptoir-visiteur", "visiteur"),
    ("visitor-sophie", "sophie.bonnet@comptoir.localhost", "comptoir-visiteur", "visiteuse"),
    ("visitor-ines", "ines.roux@comptoir.localhost", "comptoir-visiteur", "visiteuse"),
    ("visitor-tom", "tom.harris@comptoir.localhost", "comptoir-visiteur", "visiteur (anglais)"),
]
# Accounts whose keys start with "visitor" place the past orders; in their language.
VISITOR_LANGUAGES = {"visitor-tom": "en"}

# The territory's commission, in the format of `manage.py commission_rules import`.
COMMISSION_RULES = {
    "beneficiaries": [
        {
            "key": "fonds-local",
            "name": "Fonds de revitalisation du Val d'Arvière",
            "kind": "local_fund",
            "stripe_account": "",
        },
        {
            "key": "office-tourisme",
            "name": "Office de tourisme du Val d'Arvière",
            "kind": "tourism_office",
            "stripe_account": "",
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
PROVIDER_MEMBER_OF = "camping-des-berges-de-l-arviere"

# Words for the generated catalogue (--offers / --providers).
GENERATED_PROVIDER_NAMES = {
    "stay": ["Camping", "Gîte", "Chambres d'hôtes", "Domaine", "Chalets", "Auberge"],
    "product": ["Ferme", "Fromagerie", "Rucher", "Cave", "Atelier", "Épicerie", "Moulin"],
    "activity": ["Base nautique", "Écurie", "Guides", "Atelier", "Club", "Maison"],
}
GENERATED_PLACE_WORDS = [
    "des Chazeaux", "du Pré Haut", "de la Combe", "des Granges", "du Bief", "des Crêts",
    "de la Source", "du Vieux Pont", "des Sapins", "de la Fontaine", "des Monts", "du Val",
    "de la Chaume", "des Genêts", "du Moulin", "de l'Ance", "des Roches", "du Plateau",
]  # fmt: skip
GENERATED_OFFER_WORDS = {
    "stay": [
        ("Emplacement nature", "emplacement"), ("Chalet bois", "chalet"),
        ("Chambre double", "chambre"), ("Roulotte", "roulotte"), ("Yourte", "yourte"),
        ("Gîte familial", "gîte"), ("Cabane perchée", "cabane"),
    ],
    "product": [
        ("Miel de fleurs", "pot de 500 g"), ("Tomme fermière", "pièce"),
        ("Confiture de myrtilles", "pot de 350 g"), ("Saucisson", "pièce"),
        ("Jus de poire", "bouteille de 1 l"), ("Bière ambrée", "bouteille de 33 cl"),
        ("Bol en grès", "pièce"), ("Terrine de campagne", "bocal"), ("Lentilles", "sachet"),
        ("Huile de noix", "bouteille"), ("Panier garni", "panier"), ("Pain de seigle", "pain"),
    ],
    "activity": [
        "Descente en canoë", "Balade à cheval", "Randonnée accompagnée", "Atelier poterie",
        "Initiation escalade", "Sortie VTT", "Visite de la ferme", "Atelier cuisine",
        "Course d'orientation", "Pêche en rivière",
    ],
}  # fmt: skip
