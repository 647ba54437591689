"""The provisions and review criteria the portal starts with (summaries of ../shared/LEGAL.md).

Loaded by ``requests_app/migrations/0004_legal_data.py``; the agency corrects
and adds to them in the admin. These are summaries, not the official text.
"""

PROVISIONS = [
    (
        "a21_s47",
        "A-2.1",
        "47",
        "Le responsable donne suite à une demande avec diligence et au plus tard dans les 20 jours : il donne accès, refuse en tout ou en partie, ou indique l'organisme compétent.",
        "The person in charge answers with diligence and at the latest within 20 days: gives access, refuses in whole or in part, or names the competent body.",
    ),
    (
        "a21_s50",
        "A-2.1",
        "50",
        "Un refus est motivé et indique la disposition sur laquelle il s'appuie.",
        "A refusal gives its reasons and cites the provision it relies on.",
    ),
    (
        "a21_s135",
        "A-2.1",
        "135",
        "La personne dont la demande est refusée peut demander à la Commission d'accès à l'information de réviser la décision, dans les 30 jours.",
        "A person whose request is refused may ask the Commission d'accès à l'information to review the decision, within 30 days.",
    ),
    (
        "a29_s63",
        "A-29",
        "63",
        "Les renseignements obtenus pour l'exécution de la Loi sont confidentiels.",
        "Information obtained for carrying out the Act is confidential.",
    ),
    (
        "a29_s67",
        "A-29",
        "67",
        "La confidentialité n'empêche pas la communication à des fins statistiques, pourvu que les renseignements ne puissent être reliés à une personne.",
        "Confidentiality does not prevent disclosure for statistical purposes, provided the information cannot be connected with individual persons.",
    ),
    (
        "r221_research",
        "R-22.1",
        "—",
        "L'accès à des renseignements de santé identificatoires pour la recherche passe par les autorisations prévues par la Loi, non par ce portail.",
        "Access to identifiable health information for research goes through the authorisations the Act provides, not through this portal.",
    ),
]

# code, French, English, provision code, mandatory, requester categories, only for external data
CRITERIA = [
    (
        "identity_verified",
        "L'identité du demandeur et son organisation sont vérifiées.",
        "The requester's identity and organisation are verified.",
        None,
        True,
        [],
        False,
    ),
    (
        "statistical_purpose",
        "La finalité est compatible avec une communication à des fins statistiques.",
        "The purpose is compatible with disclosure for statistical purposes.",
        "a29_s67",
        True,
        [],
        False,
    ),
    (
        "aggregate_only",
        "Les résultats sont uniquement agrégés et ne peuvent être reliés à une personne.",
        "The output is aggregate-only and cannot be connected with individual persons.",
        "a29_s67",
        True,
        [],
        False,
    ),
    (
        "small_cells",
        "La politique de taille minimale des cellules s'applique à chaque tableau.",
        "The minimum cell size policy applies to every table.",
        "a29_s67",
        True,
        [],
        False,
    ),
    (
        "custodian_agreed",
        "Le détenteur des données a été consulté et a donné son accord.",
        "The data's owner was consulted and agreed.",
        "a29_s63",
        True,
        [],
        True,
    ),
    (
        "ethics_for_research",
        "Une approbation éthique est présente pour ce projet de recherche.",
        "An ethics approval is present for this research project.",
        None,
        True,
        ["researcher"],
        False,
    ),
    (
        "no_nominative",
        "Aucun renseignement nominatif n'est demandé (sinon, la demande est refusée ou réorientée).",
        "No nominative information is requested (otherwise the request is refused or redirected).",
        "r221_research",
        True,
        [],
        False,
    ),
]


#: The criteria that may be found "not applicable", with a reason -> the requester categories for which they may
#: (empty: every category they apply to). A research project that uses only statistics already published, or
#: that an ethics board exempted, has no approval to show; the officer says which in the note.
NOT_APPLICABLE = {"ethics_for_research": []}


def load(apps) -> None:
    """Create or update the provisions and criteria above (idempotent)."""
    Provision = apps.get_model("requests_app", "LegalProvision")
    Criterion = apps.get_model("requests_app", "LegalCriterion")
    provisions = {}
    for code, act, section, summary_fr, summary_en in PROVISIONS:
        provisions[code], _ = Provision.objects.update_or_create(
            code=code, defaults={"act": act, "section": section, "summary_fr": summary_fr, "summary_en": summary_en}
        )
    for order, (code, text_fr, text_en, provision, mandatory, categories, external) in enumerate(CRITERIA):
        Criterion.objects.update_or_create(
            code=code,
            defaults={
                "text_fr": text_fr,
                "text_en": text_en,
                "provision": provisions.get(provision),
                "mandatory": mandatory,
                "requester_categories": categories,
                "only_for_external_data": external,
                "order": order,
                **_not_applicable(Criterion, code),
            },
        )


def _not_applicable(Criterion, code: str) -> dict:
    """The "not applicable" rule of criterion ``code``, once the model has the fields (migration 0009 on)."""
    if not any(field.name == "not_applicable_allowed" for field in Criterion._meta.get_fields()):
        return {}
    return {"not_applicable_allowed": code in NOT_APPLICABLE, "not_applicable_categories": NOT_APPLICABLE.get(code, [])}


#: Where a requester asks for a review (Access Act ss. 135, 137). Copied from the Commission's website;
#: the official site (``website``) prevails when they differ.
COMMISSION = {
    "name": "Commission d'accès à l'information du Québec",
    "offices": (
        ("Québec", "525, boulevard René-Lévesque Est, bureau 2.36, Québec (Québec) G1R 5S9"),
        ("Montréal", "2045, rue Stanley, bureau 900, Montréal (Québec) H3A 2V4"),
    ),
    "telephone": "1 888 528-7741",
    "website": "https://www.cai.gouv.qc.ca",
}
