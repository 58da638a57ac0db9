"""The demo territory's standard pages: about, legal notice, accessibility, personal
data and terms of sale (CGV), as (slug, title, intro, parts); a part is a paragraph of
rich text, or a ``(heading, None)`` pair."""

STANDARD_PAGES = [
    (
        "a-propos",
        "À propos",
        "Qui fait Comptoir, et où va la commission.",
        [
            "<p>Comptoir est exploité par la communauté de communes du Val d'Arvière pour "
            "les commerces, producteurs, hébergeurs et prestataires d'activités du territoire.</p>",
            "<p>Les règles de commission sont votées par le conseil communautaire et publiées "
            "sur la page de transparence.</p>",
        ],
    ),
    (
        "mentions-legales",
        "Mentions légales",
        "Éditeur du site, hébergement et propriété intellectuelle.",
        [
            "<p><b>Éditeur :</b> Communauté de communes du Val d'Arvière (EPCI fictif), "
            "1 place de la Mairie, 42610 Arvière-le-Bourg. Directeur de la publication : "
            "le président de la communauté de communes.</p>",
            "<p><b>Hébergement :</b> serveurs de la collectivité.</p>",
            "<p>Les contenus des fiches sont publiés sous la responsabilité de chaque "
            "prestataire.</p>",
        ],
    ),
    (
        "accessibilite",
        "Accessibilité",
        "Déclaration d'accessibilité (RGAA 4.1).",
        [
            "<p>La communauté de communes s'engage à rendre son site accessible conformément "
            "à l'article 47 de la loi n° 2005-102 du 11 février 2005.</p>",
            "<p><b>État de conformité :</b> partiellement conforme. Vous pouvez signaler un "
            "défaut d'accessibilité à accessibilite@val-arviere.localhost.</p>",
        ],
    ),
    (
        "donnees-personnelles",
        "Données personnelles",
        "Ce que nous collectons, pourquoi et comment exercer vos droits.",
        [
            "<p>Nous collectons les données nécessaires à vos réservations et les "
            "transmettons au seul prestataire concerné.</p>",
            "<p>Depuis votre compte, vous pouvez exporter ou supprimer vos données.</p>",
        ],
    ),
    (
        "cgv",
        "Conditions générales de vente",
        "Les conditions des réservations et des achats faits sur la place de marché.",
        [
            ("Rôle de la place de marché", None),
            "<p>Comptoir du Val d'Arvière est une place de marché exploitée par la "
            "Communauté de communes du Val d'Arvière (« l'opérateur »). Elle met les "
            "visiteurs en relation avec des prestataires du territoire (commerces, "
            "hébergements, activités) qui vendent leurs propres prestations.</p>",
            "<p>L'opérateur agit en <b>intermédiaire</b> : le contrat de prestation est "
            "conclu directement entre le visiteur et le prestataire, seul responsable de "
            "son exécution. Les présentes conditions régissent l'usage de la place de "
            "marché et le paiement ; chaque prestataire peut y ajouter ses propres "
            "conditions, présentées sur sa fiche avant la réservation.</p>",
            ("Prix et taxe de séjour", None),
            "<p>Les prix sont indiqués en euros, toutes taxes comprises. Le détail affiché "
            "avant le paiement comprend le prix de la prestation, les frais de service de "
            "la plateforme et, pour les hébergements, la <b>taxe de séjour</b>, collectée "
            "pour le compte de la commune et reversée à celle-ci. Aucune commission n'est "
            "prélevée sur la taxe de séjour. Les règles de commission sont publiques : "
            "voir la page Transparence.</p>",
            ("Commande et paiement", None),
            "<p>La réservation est ferme à la réception du paiement, confirmée par "
            "e-mail. Le paiement se fait par carte bancaire par l'intermédiaire de "
            "<b>Stripe</b>, prestataire de services de paiement agréé : l'opérateur n'a "
            "jamais accès aux données complètes de votre carte.</p>",
            ("Annulation et remboursement", None),
            "<p>Chaque offre indique sa politique d'annulation (souple, modérée ou "
            "stricte) avant la réservation ; elle est rappelée dans l'e-mail de "
            "confirmation. Vous annulez depuis la page « Mes réservations » : le "
            "remboursement prévu par cette politique est fait sur le moyen de paiement "
            "utilisé. Si le prestataire annule, vous êtes remboursé en totalité.</p>",
            ("Droit de rétractation", None),
            "<p>Conformément à l'article L221-28 12° du Code de la consommation, le droit "
            "de rétractation ne s'applique pas aux prestations d'hébergement, de "
            "restauration et d'activités de loisirs fournies à une date ou à une période "
            "déterminée. Les séjours et activités datés réservés ici ne peuvent donc pas "
            "faire l'objet d'une rétractation : seule la politique d'annulation de "
            "l'offre s'applique.</p>",
            "<p>Pour les produits retirés en boutique, vous disposez de quatorze jours à "
            "compter du retrait pour vous rétracter auprès du prestataire (article "
            "L221-18), sauf pour les biens périssables ou confectionnés selon vos "
            "spécifications.</p>",
            ("Réclamations et médiation", None),
            "<p>Adressez d'abord votre réclamation au prestataire, ou à l'opérateur par la "
            "page Contact. À défaut de solution amiable, vous pouvez recourir gratuitement "
            "à un médiateur de la consommation (articles L611-1 et suivants du Code de la "
            "consommation) : celui du prestataire, indiqué sur sa fiche, ou, pour le "
            "fonctionnement de la place de marché, le Médiateur du Tourisme et du Voyage "
            "(www.mtv.travel).</p>",
            ("Données personnelles", None),
            "<p>Les données nécessaires à votre réservation sont traitées par l'opérateur "
            "et transmises au seul prestataire concerné ; le paiement est traité par "
            "Stripe. Vous exercez vos droits (accès, rectification, effacement, "
            "portabilité) depuis votre compte ou par la page Contact, et pouvez saisir la "
            "CNIL. Voir la page Données personnelles.</p>",
            ("Droit applicable", None),
            "<p>Les présentes conditions sont soumises au droit français. En cas de "
            "litige, le consommateur peut saisir la juridiction du lieu où il demeurait "
            "lors de la conclusion du contrat ou de la survenance du fait dommageable, ou "
            "toute juridiction compétente selon le code de procédure civile (article "
            "R631-3 du Code de la consommation).</p>",
        ],
    ),
]


def body_block(part) -> dict:
    """A paragraph of rich text, or a (heading text, None) pair: a level-2 heading."""
    if isinstance(part, tuple):
        return {"type": "heading", "value": {"text": part[0], "level": "h2"}}
    return {"type": "paragraph", "value": part}
