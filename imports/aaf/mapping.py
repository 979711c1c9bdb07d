"""Which AAF attribute fills which record field (docs: /work/shared/docs/AAF1D.md).

Converters: text = first non-empty value; words = text with its "$" parts read as words
(``NOM$STRUCTURE$COURANT`` → ``NOM STRUCTURE COURANT``); address = one line per value, each
value's "$" parts read as words; lines = values joined with "\\n"; list = distinct
non-empty values; date = dd/mm/yyyy or None; bool = O/N, oui/non, true/false, 1/0 or None;
classes = 5-part "$" values → ClassRef; functions = 5-part "$" values → StaffFunction;
authority/relations = the two sources of PupilRecord.guardian_links.
When two attributes feed one field (aliases), the first one carrying a non-empty value wins,
except that an official attribute with a value always beats an LDAP alias (``ALIASES``).

| kind         | attribute(s), aliases first-wins           | field                | converter |
|--------------|--------------------------------------------|----------------------|-----------|
| EtabEducNat  | ENTStructureJointure (= identifier/id)     | key                  |           |
|              | ENTStructureUAI                            | uai                  | text      |
|              | ENTStructureSIREN                          | siren                | text      |
|              | ENTStructureNomCourant                     | name                 | words     |
|              | ENTStructureTypeStruct                     | structure_type       | text      |
|              | ENTEcoleMinistereTutelle                   | ministry             | text      |
|              | ENTEcoleSecteur                            | sector               | text      |
|              | ENTEcoleCirconscription                    | circonscription      | text      |
|              | ENTEcoleCommune                            | commune              | text      |
|              | ENTEcoleRPI                                | rpi                  | text      |
|              | ENTSprAcademie, ENTServAcAcademie          | academie             | text      |
|              | ENTPcAdresse, ENTStructureAdresse, street  | address              | address   |
|              | ENTStructureBoitePostale, postOfficeBox    | po_box               | words     |
|              | ENTStructureCodePostal, postalCode         | postal_code          | text      |
|              | ENTStructureVille, l                       | city                 | words     |
|              | ENTStructureTelephone, telephoneNumber     | phone                | text      |
|              | ENTStructureFax, facsimileTelephoneNumber  | fax                  | text      |
|              | ENTStructureEmail, ENTStructureMailSI      | email                | text      |
| all persons  | ENTPersonJointure (= identifier/id)        | key                  |           |
|              | ENTPersonNomPatro                          | birth_name           | words     |
|              | ENTPersonNom, sn                           | last_name            | words     |
|              | ENTPersonPrenom, givenName                 | first_name           | words     |
|              | ENTPersonAutresPrenoms                     | other_first_names    | list      |
|              | ENTPersonCivilite, personalTitle           | civility             | text      |
| Eleve        | ENTPersonDateNaissance                     | birth_date           | date      |
|              | ENTPersonStructRattach                     | school_keys          | list      |
|              | ENTEleveAutoriteParentale                  | guardian_links       | authority |
|              | ENTElevePersRelEleve                       | guardian_links       | relations |
|              | ENTEleveRestaurantScolaire                 | canteen              | bool      |
|              | ENTEleveTransport                          | transport            | bool      |
|              | ENTEleveGarderieMatin                      | morning_care         | bool      |
|              | ENTEleveGarderieSoir                       | evening_care         | bool      |
|              | ENTEleveEtudesSurveillees                  | supervised_study     | bool      |
|              | ENTEleveNiveau                             | level                | text      |
|              | ENTEleveCycle                              | cycle                | text      |
|              | ENTEleveTypeClasse                         | class_type           | text      |
|              | ENTPersonClasses                           | classes              | classes   |
|              | ENTPersonGroupes                           | groups               | classes   |
|              | ENTEleveINE                                | ine                  | text      |
| PersRelEleve | ENTPersonAdresse, street                   | address              | address   |
|              | ENTPersonCodePostal, postalCode            | postal_code          | text      |
|              | ENTPersonVille, l                          | city                 | words     |
|              | ENTPersonPays                              | country              | text      |
|              | ENTPersonTelPerso, homePhone               | home_phone           | text      |
|              | ENTPersRelEleveTelMobile, mobile           | mobile_phone         | text      |
|              | ENTPersRelEleveTelPro, telephoneNumber     | work_phone           | text      |
|              | ENTPersonMail, mail                        | email                | text      |
| PersEducNat  | ENTPersonDateNaissance                     | birth_date           | date      |
|              | ENTPersonMail                              | email                | text      |
|              | ENTPersonStructRattach                     | school_keys          | list      |
|              | ENTPersonFonctions                         | functions            | functions |
|              | ENTEnsFonctionDir                          | directed_school_keys | list      |
|              | ENTEnsSpecialites                          | specialities         | list      |
|              | ENTPersonCategorieEnseignant               | is_teacher           | bool      |
|              | ENTPersonClasses                           | classes              | classes   |

Attributes named in AAF1D.md or the official format that entaix does not keep (IGNORED) are
skipped silently; any other attribute is an "unknown-attribute" warning. A pupil or staff member
without a last and a first name, a guardian without a last name, is a "missing-name" error.
"""

from __future__ import annotations

from .records import Kind

Target = tuple[str, str]  # (field, converter)

_PERSON: dict[str, Target] = {
    "ENTPersonNomPatro": ("birth_name", "words"),
    "ENTPersonNom": ("last_name", "words"),
    "ENTPersonPrenom": ("first_name", "words"),
    "ENTPersonAutresPrenoms": ("other_first_names", "list"),
    "ENTPersonCivilite": ("civility", "text"),
    # Older and 2D-style files: LDAP names (the ENTPerson* attribute wins, see ALIASES).
    "sn": ("last_name", "words"),
    "givenName": ("first_name", "words"),
    "personalTitle": ("civility", "text"),
}

MAPPING: dict[Kind, dict[str, Target]] = {
    Kind.SCHOOL: {
        "ENTStructureUAI": ("uai", "text"),
        "ENTStructureSIREN": ("siren", "text"),
        "ENTStructureNomCourant": ("name", "words"),
        "ENTStructureTypeStruct": ("structure_type", "text"),
        "ENTEcoleMinistereTutelle": ("ministry", "text"),
        "ENTEcoleSecteur": ("sector", "text"),
        "ENTEcoleCirconscription": ("circonscription", "text"),
        "ENTEcoleCommune": ("commune", "text"),
        "ENTEcoleRPI": ("rpi", "text"),
        "ENTSprAcademie": ("academie", "text"),
        "ENTServAcAcademie": ("academie", "text"),
        "ENTPcAdresse": ("address", "address"),
        "ENTStructureAdresse": ("address", "address"),
        "ENTStructureBoitePostale": ("po_box", "words"),
        "ENTStructureCodePostal": ("postal_code", "text"),
        "ENTStructureVille": ("city", "words"),
        "ENTStructureTelephone": ("phone", "text"),
        "ENTStructureFax": ("fax", "text"),
        "ENTStructureEmail": ("email", "text"),
        # The LDAP names the Ministry's files use for a school's contact details.
        "street": ("address", "address"),
        "postOfficeBox": ("po_box", "words"),
        "postalCode": ("postal_code", "text"),
        "l": ("city", "words"),
        "telephoneNumber": ("phone", "text"),
        "facsimileTelephoneNumber": ("fax", "text"),
        "ENTStructureMailSI": ("email", "text"),
    },
    Kind.PUPIL: {
        "ENTPersonDateNaissance": ("birth_date", "date"),
        **_PERSON,
        "ENTPersonStructRattach": ("school_keys", "list"),
        "ENTEleveAutoriteParentale": ("guardian_links", "authority"),
        "ENTElevePersRelEleve": ("guardian_links", "relations"),
        "ENTEleveRestaurantScolaire": ("canteen", "bool"),
        "ENTEleveTransport": ("transport", "bool"),
        "ENTEleveGarderieMatin": ("morning_care", "bool"),
        "ENTEleveGarderieSoir": ("evening_care", "bool"),
        "ENTEleveEtudesSurveillees": ("supervised_study", "bool"),
        "ENTEleveNiveau": ("level", "text"),
        "ENTEleveCycle": ("cycle", "text"),
        "ENTEleveTypeClasse": ("class_type", "text"),
        "ENTPersonClasses": ("classes", "classes"),
        "ENTPersonGroupes": ("groups", "classes"),
        "ENTEleveINE": ("ine", "text"),
    },
    Kind.GUARDIAN: {
        **_PERSON,
        "ENTPersonAdresse": ("address", "address"),
        "street": ("address", "address"),
        "ENTPersonCodePostal": ("postal_code", "text"),
        "postalCode": ("postal_code", "text"),
        "ENTPersonVille": ("city", "words"),
        "l": ("city", "words"),
        "ENTPersonPays": ("country", "text"),
        "ENTPersonTelPerso": ("home_phone", "text"),
        "homePhone": ("home_phone", "text"),
        "ENTPersRelEleveTelMobile": ("mobile_phone", "text"),
        "mobile": ("mobile_phone", "text"),
        "ENTPersRelEleveTelPro": ("work_phone", "text"),
        "telephoneNumber": ("work_phone", "text"),
        "ENTPersonMail": ("email", "text"),
        "mail": ("email", "text"),
    },
    Kind.STAFF: {
        "ENTPersonDateNaissance": ("birth_date", "date"),
        **_PERSON,
        "ENTPersonMail": ("email", "text"),
        "ENTPersonStructRattach": ("school_keys", "list"),
        "ENTPersonFonctions": ("functions", "functions"),
        "ENTEnsFonctionDir": ("directed_school_keys", "list"),
        "ENTEnsSpecialites": ("specialities", "list"),
        "ENTPersonCategorieEnseignant": ("is_teacher", "bool"),
        "ENTPersonClasses": ("classes", "classes"),
    },
}

JOIN_ATTRIBUTE: dict[Kind, str] = {
    Kind.SCHOOL: "ENTStructureJointure",
    Kind.STAFF: "ENTPersonJointure",
    Kind.GUARDIAN: "ENTPersonJointure",
    Kind.PUPIL: "ENTPersonJointure",
}

# LDAP names read when the official attribute is absent or empty: whatever the order of the
# attributes in the record, an official attribute with a value wins over its alias.
ALIASES: frozenset[str] = frozenset(
    {
        "sn",
        "givenName",
        "personalTitle",
        "street",
        "postOfficeBox",
        "postalCode",
        "l",
        "telephoneNumber",
        "facsimileTelephoneNumber",
        "homePhone",
        "mobile",
        "mail",
        "ENTStructureMailSI",
    }
)

# 2D class attributes (two "$" parts): a 1D importer does not read them, but counts the
# records that have no 1D class because of them and says so once per file.
CLASSES_2D: dict[Kind, str] = {Kind.PUPIL: "ENTEleveClasses", Kind.STAFF: "ENTAuxEnsClasses"}

_PERSON_IGNORED = frozenset(
    {
        "ENTPersonStructRattachDate",
        "ENTPersonAdresseDiffusion",
    }
)

# Named in AAF1D.md or in the official format, not kept by entaix: skipped without a warning.
IGNORED: dict[Kind, frozenset[str]] = {
    Kind.SCHOOL: frozenset(
        {
            "ENTStructureCodeTypeStruct",
            "ENTServAcCodeAcademie",
            "ENTEtablissementContrat",
            "ENTStructureCategorie",
        }
    ),
    Kind.STAFF: _PERSON_IGNORED
    | {"ENTPersonFonctionsDate", "ENTEnsFonctionDirDate", "ENTAuxEnsClasses"},
    Kind.GUARDIAN: _PERSON_IGNORED | {"ENTPersonDateNaissance", "ENTPersRelEleveEleve"},
    Kind.PUPIL: _PERSON_IGNORED
    | {
        "ENTEleveDateEntreeClasses",
        "ENTEleveDateSortieClasses",
        "ENTEleveQualitePersRelEleve1",
        "ENTEleveQualitePersRelEleve2",
        "ENTEleveClasses",
    },
}
