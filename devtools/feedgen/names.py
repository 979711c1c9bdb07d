"""Reference data of the generated world: first names, surnames, school names, Aix-en-Provence's
postal codes and streets. No Faker: fixed lists keep the output stable across versions."""

from __future__ import annotations


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


BOYS = _names(
    "Lucas, Gabriel, Léo, Raphaël, Louis, Arthur, Jules, Adam, Maël, Noé, Hugo, Théo, Nathan, "
    "Mathéo, Timothée, Sacha, Éthan, Aaron, Côme, Noah, Mohamed, Ayoub, Jean-Baptiste, "
    "Pierre-Louis, Yanis, Ibrahim, Amadou, Mattéo, Évan, Loïc, Gaëtan, Benoît, Anatole, Joachim, "
    "Baptiste, Clément, Gaspard, Élie, Ilyès, Rayan, Marius, Paul, Victor, Tom, Axel, Valentin"
)
GIRLS = _names(
    "Jade, Louise, Emma, Alice, Ambre, Lina, Rose, Chloé, Léa, Mila, Anna, Inès, Julia, Zoé, Léna, "
    "Élodie, Agathe, Célia, Maëlys, Héloïse, Anaïs, Noémie, Aïcha, Fatoumata, Marie-Lou, "
    "Anne-Sophie, Salomé, Clémence, Éléonore, Océane, Maïwenn, Yasmine, Margaux, Lou, Capucine, "
    "Romane, Nour, Manon, Camille, Juliette, Apolline, Sarah, Kenza, Thaïs, Bérénice, Joséphine"
)
MEN = _names(
    "Jean, Pierre, Nicolas, Sébastien, Julien, Stéphane, Frédéric, Jérôme, Mickaël, Karim, Mehdi, "
    "Jean-François, Jean-Marc, François-Xavier, Grégory, Cédric, Hervé, Éric, Rémi, Thierry, "
    "Olivier, Mamadou, Kévin, Aurélien, Guillaume, Benoît, Arnaud, Yannick, Laurent, Christophe, "
    "Rachid, Loïc, José, Antoine, Mathieu, Jean-Luc, Raphaël, Ludovic, Joël, Régis"
)
WOMEN = _names(
    "Marie, Nathalie, Isabelle, Sandrine, Céline, Aurélie, Émilie, Stéphanie, Hélène, Anne-Laure, "
    "Marie-Claire, Élise, Sophie, Nadia, Fatima, Laëtitia, Mélanie, Séverine, Valérie, Géraldine, "
    "Bérénice, Mégane, Karine, Virginie, Claire, Amélie, Delphine, Julie, Caroline, Samia, Leïla, "
    "Anne, Marie-Hélène, Gaëlle, Cécile, Agnès, Ophélie, Pauline, Noëlle, Aïssatou"
)
SURNAMES = _names(
    "MARTIN, BERNARD, DUBOIS, THOMAS, ROBERT, RICHARD, PETIT, DURAND, LEROY, MOREAU, SIMON, "
    "LAURENT, LEFÈVRE, LEFEBVRE, MICHEL, GARCIA, DAVID, BERTRAND, ROUX, VINCENT, FOURNIER, MOREL, "
    "GIRARD, ANDRÉ, MERCIER, DUPONT, LAMBERT, BONNET, FRANÇOIS, MARTINEZ, LEGRAND, GARNIER, FAURE, "
    "ROUSSEAU, BLANC, GUÉRIN, MÜLLER, HENRY, ROUSSEL, PERRIN, MORIN, MATHIEU, CLÉMENT, GAUTHIER, "
    "DUMONT, LOPEZ, FONTAINE, CHEVALIER, ROBIN, N'DIAYE, D'ANGELO, DIALLO, BENALI, HADDAD, NGUYEN, "
    "DA SILVA, DOS SANTOS, PEREIRA, FERREIRA, MEUNIER, CHAUVIN, D'ALMEIDA, LE GALL, LE BRIS, "
    "GIMÉNEZ, SANCHEZ, ESPOSITO, ROSSI, AUBERT, BLANCHARD, PASCAL, OLLIVIER, AUDIBERT, BARTHÉLEMY, "
    "FABRE, ARNAUD, GIRAUD, MOURIER, SAINT-MARTIN, LEBRUN-DUVAL, NOËL, HÉBERT, BOYER, REYNAUD, "
    "ESCOFFIER, CHABERT, TRAORÉ, BEN SAÏD, O'NEILL, DE LA ROCHE, COLOMBANI, AMRANI, KOUASSI, TRAN"
)
SCHOOL_NAMES = _names(
    "JULES FERRY, LES FLORALIES, PAUL ARÈNE, LA MOSAÏQUE, LES AMANDIERS, VAL SAINT-ANDRÉ, "
    "JOSEPH D'ARBAUD, MARIE CURIE, FRÉDÉRIC MISTRAL, LES ÉCUREUILS, PAUL CÉZANNE, VICTOR HUGO, "
    "LES CIGALES, LA CALADE, SAINTE-VICTOIRE, LES LAVANDES, JEAN MOULIN, LES OLIVIERS, "
    "PONT DE L'ARC, LA TORSE, CÉLONY, JAS DE BOUFFAN, ENCAGNANE, CORSY, BEAUVALLE, LES ROCHES, "
    "SAINT-JOHN PERSE, MARCEL PAGNOL, GEORGE SAND, LOUISE MICHEL, LES PINS, L'ARBOIS, MAZARIN"
)
# Postal codes of Aix-en-Provence with weights (share of the population) and plausible streets.
AIX_STREETS: dict[str, tuple[int, tuple[str, ...]]] = {
    "13100": (
        40,
        _names(
            "COURS MIRABEAU, RUE D'ITALIE, BOULEVARD DU ROI RENÉ, AVENUE PASTEUR, RUE CARDINALE, "
            "BOULEVARD CARNOT, AVENUE DES BELGES, CHEMIN DES LAUVES, AVENUE PAUL CÉZANNE, "
            "RUE DU MARÉCHAL JOFFRE, AVENUE SAINTE-VICTOIRE, RUE DES CORDELIERS"
        ),
    ),
    "13090": (
        32,
        _names(
            "AVENUE DE L'EUROPE, RUE JEAN ANDRÉANI, AVENUE DE BRÉDASQUE, ROUTE DE GALICE, "
            "AVENUE JEAN DALMAS, CHEMIN DE LA BLAQUE, AVENUE DU MARÉCHAL DE LATTRE, "
            "AVENUE DE L'ARC DE MEYRAN, RUE DE LA MOLLE"
        ),
    ),
    "13080": (
        8,
        _names("ROUTE DE GARDANNE, CHEMIN DU PETIT ROUBAUD, PLACE DE L'ÉGLISE, AVENUE DES LAUSES"),
    ),
    "13290": (
        12,
        _names(
            "AVENUE DE LA GARE, RUE ALBERT EINSTEIN, CHEMIN DE LA VALLÉE, "
            "PLACE DE L'ANCIENNE MAIRIE"
        ),
    ),
    "13540": (
        8,
        _names("ROUTE DE ROGNES, CHEMIN DES PLANTADES, PLACE DU VILLAGE, CHEMIN DE LA GAUDE"),
    ),
}
AIX_CODES = tuple(AIX_STREETS)
AIX_WEIGHTS = tuple(weight for weight, _ in AIX_STREETS.values())
OTHER_TOWNS = (
    ("13770", "VENELLES", "FRANCE"),
    ("13510", "ÉGUILLES", "FRANCE"),
    ("13100", "LE THOLONET", "FRANCE"),
    ("13320", "BOUC-BEL-AIR", "FRANCE"),
    ("13008", "MARSEILLE", "FRANCE"),
    ("13590", "MEYREUIL", "FRANCE"),
)
ABROAD = (("1000", "BRUXELLES", "BELGIQUE"), ("1201", "GENÈVE", "SUISSE"))
RESIDENCES = _names(
    "RÉSIDENCE LES FLORIDES, RÉSIDENCE LE CLOS DES OLIVIERS, LES JARDINS DE L'ARC, "
    "RÉSIDENCE SAINT-EUTROPE, LE PARC MIRABEAU, RÉSIDENCE LES HAUTS D'AIX"
)
MAIL_DOMAINS = ("example.fr", "example.com")
