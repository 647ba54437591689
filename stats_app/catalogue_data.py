"""The agency's starting catalogue, as plain data.

Loaded by the data migration ``stats_app/migrations/0002_catalogue.py``; staff
edit it afterwards in the admin. Codes are stable identifiers: region codes are
Québec's official health-region codes, drug classes the ATC first level,
diagnosis chapters the ICD-10 chapters.
"""

CUSTODIANS = [
    {
        "code": "agency",
        "name_fr": "Agence d'assurance maladie",
        "name_en": "Health Insurance Agency",
        "is_agency": True,
        "contact_email": "",
    },
    {
        "code": "msss",
        "name_fr": "Ministère de la Santé et des Services sociaux",
        "name_en": "Ministry of Health and Social Services",
        "is_agency": False,
        "contact_email": "consultations@msss.example",
    },
]

YEARS = [str(year) for year in range(2019, 2026)]

REGIONS = [
    ("01", "Bas-Saint-Laurent", "Bas-Saint-Laurent"),
    ("02", "Saguenay–Lac-Saint-Jean", "Saguenay–Lac-Saint-Jean"),
    ("03", "Capitale-Nationale", "Capitale-Nationale"),
    ("04", "Mauricie et Centre-du-Québec", "Mauricie and Centre-du-Québec"),
    ("05", "Estrie", "Estrie"),
    ("06", "Montréal", "Montréal"),
    ("07", "Outaouais", "Outaouais"),
    ("08", "Abitibi-Témiscamingue", "Abitibi-Témiscamingue"),
    ("09", "Côte-Nord", "Côte-Nord"),
    ("10", "Nord-du-Québec", "Nord-du-Québec"),
    ("11", "Gaspésie–Îles-de-la-Madeleine", "Gaspésie–Îles-de-la-Madeleine"),
    ("12", "Chaudière-Appalaches", "Chaudière-Appalaches"),
    ("13", "Laval", "Laval"),
    ("14", "Lanaudière", "Lanaudière"),
    ("15", "Laurentides", "Laurentides"),
    ("16", "Montérégie", "Montérégie"),
    ("17", "Nunavik", "Nunavik"),
    ("18", "Terres-Cries-de-la-Baie-James", "Cree Territory of James Bay"),
]

AGE_GROUPS = [
    ("0-17", "0 à 17 ans", "0 to 17 years"),
    ("18-34", "18 à 34 ans", "18 to 34 years"),
    ("35-49", "35 à 49 ans", "35 to 49 years"),
    ("50-64", "50 à 64 ans", "50 to 64 years"),
    ("65-74", "65 à 74 ans", "65 to 74 years"),
    ("75+", "75 ans et plus", "75 years and over"),
]

SEXES = [("F", "Femmes", "Women"), ("M", "Hommes", "Men")]

SPECIALTIES = [
    ("family_medicine", "Médecine de famille", "Family medicine"),
    ("internal_medicine", "Médecine interne", "Internal medicine"),
    ("cardiology", "Cardiologie", "Cardiology"),
    ("paediatrics", "Pédiatrie", "Paediatrics"),
    ("psychiatry", "Psychiatrie", "Psychiatry"),
    ("general_surgery", "Chirurgie générale", "General surgery"),
    ("obstetrics_gynaecology", "Obstétrique-gynécologie", "Obstetrics and gynaecology"),
    ("ophthalmology", "Ophtalmologie", "Ophthalmology"),
    ("radiology", "Radiologie diagnostique", "Diagnostic radiology"),
    ("other", "Autres spécialités", "Other specialties"),
]

DRUG_CLASSES = [
    ("A", "Voies digestives et métabolisme", "Alimentary tract and metabolism"),
    ("B", "Sang et organes hématopoïétiques", "Blood and blood forming organs"),
    ("C", "Système cardiovasculaire", "Cardiovascular system"),
    ("D", "Médicaments dermatologiques", "Dermatologicals"),
    ("G", "Système génito-urinaire et hormones sexuelles", "Genito-urinary system and sex hormones"),
    (
        "H",
        "Hormones systémiques, sauf hormones sexuelles et insulines",
        "Systemic hormonal preparations, excluding sex hormones and insulins",
    ),
    ("J", "Anti-infectieux généraux à usage systémique", "Anti-infectives for systemic use"),
    ("L", "Antinéoplasiques et immunomodulateurs", "Antineoplastic and immunomodulating agents"),
    ("M", "Muscle et squelette", "Musculo-skeletal system"),
    ("N", "Système nerveux", "Nervous system"),
    ("P", "Antiparasitaires, insecticides et répulsifs", "Antiparasitic products, insecticides and repellents"),
    ("R", "Système respiratoire", "Respiratory system"),
    ("S", "Organes sensoriels", "Sensory organs"),
    ("V", "Divers", "Various"),
]

DIAGNOSIS_CHAPTERS = [
    (
        "01",
        "I – Certaines maladies infectieuses et parasitaires (A00-B99)",
        "I – Certain infectious and parasitic diseases (A00-B99)",
    ),
    ("02", "II – Tumeurs (C00-D48)", "II – Neoplasms (C00-D48)"),
    (
        "03",
        "III – Maladies du sang et troubles du système immunitaire (D50-D89)",
        "III – Diseases of the blood and disorders of the immune mechanism (D50-D89)",
    ),
    (
        "04",
        "IV – Maladies endocriniennes, nutritionnelles et métaboliques (E00-E90)",
        "IV – Endocrine, nutritional and metabolic diseases (E00-E90)",
    ),
    ("05", "V – Troubles mentaux et du comportement (F00-F99)", "V – Mental and behavioural disorders (F00-F99)"),
    ("06", "VI – Maladies du système nerveux (G00-G99)", "VI – Diseases of the nervous system (G00-G99)"),
    ("07", "VII – Maladies de l'œil et de ses annexes (H00-H59)", "VII – Diseases of the eye and adnexa (H00-H59)"),
    (
        "08",
        "VIII – Maladies de l'oreille et de l'apophyse mastoïde (H60-H95)",
        "VIII – Diseases of the ear and mastoid process (H60-H95)",
    ),
    ("09", "IX – Maladies de l'appareil circulatoire (I00-I99)", "IX – Diseases of the circulatory system (I00-I99)"),
    ("10", "X – Maladies de l'appareil respiratoire (J00-J99)", "X – Diseases of the respiratory system (J00-J99)"),
    ("11", "XI – Maladies de l'appareil digestif (K00-K93)", "XI – Diseases of the digestive system (K00-K93)"),
    (
        "12",
        "XII – Maladies de la peau et du tissu cellulaire sous-cutané (L00-L99)",
        "XII – Diseases of the skin and subcutaneous tissue (L00-L99)",
    ),
    (
        "13",
        "XIII – Maladies du système ostéo-articulaire, des muscles et du tissu conjonctif (M00-M99)",
        "XIII – Diseases of the musculoskeletal system and connective tissue (M00-M99)",
    ),
    (
        "14",
        "XIV – Maladies de l'appareil génito-urinaire (N00-N99)",
        "XIV – Diseases of the genitourinary system (N00-N99)",
    ),
    (
        "15",
        "XV – Grossesse, accouchement et puerpéralité (O00-O99)",
        "XV – Pregnancy, childbirth and the puerperium (O00-O99)",
    ),
    (
        "16",
        "XVI – Certaines affections de la période périnatale (P00-P96)",
        "XVI – Certain conditions originating in the perinatal period (P00-P96)",
    ),
    (
        "17",
        "XVII – Malformations congénitales et anomalies chromosomiques (Q00-Q99)",
        "XVII – Congenital malformations and chromosomal abnormalities (Q00-Q99)",
    ),
    (
        "18",
        "XVIII – Symptômes, signes et résultats anormaux (R00-R99)",
        "XVIII – Symptoms, signs and abnormal findings (R00-R99)",
    ),
    ("19", "XIX – Lésions traumatiques et empoisonnements (S00-T98)", "XIX – Injury and poisoning (S00-T98)"),
    (
        "20",
        "XX – Causes externes de morbidité et de mortalité (V01-Y98)",
        "XX – External causes of morbidity and mortality (V01-Y98)",
    ),
    (
        "21",
        "XXI – Facteurs influant sur l'état de santé (Z00-Z99)",
        "XXI – Factors influencing health status (Z00-Z99)",
    ),
    ("22", "XXII – Codes d'utilisation particulière (U00-U99)", "XXII – Codes for special purposes (U00-U99)"),
]

DIMENSIONS = {
    "year": ("Année", "Year", [(year, year, year) for year in YEARS]),
    "region": ("Région sociosanitaire", "Health region", REGIONS),
    "age_group": ("Groupe d'âge", "Age group", AGE_GROUPS),
    "sex": ("Sexe", "Sex", SEXES),
    "specialty": ("Spécialité du médecin", "Physician specialty", SPECIALTIES),
    "drug_class": ("Classe de médicaments (ATC, 1er niveau)", "Drug class (ATC, first level)", DRUG_CLASSES),
    "diagnosis_chapter": ("Chapitre de diagnostic (CIM-10)", "Diagnosis chapter (ICD-10)", DIAGNOSIS_CHAPTERS),
}

PERSONS = ("persons", "Personnes distinctes", "Distinct persons", "distinct_persons")

DATASETS = [
    {
        "code": "medical_services",
        "custodian": "agency",
        "name_fr": "Services médicaux",
        "name_en": "Medical services",
        "description_fr": "Services médicaux rémunérés à l'acte par l'Agence : actes facturés, personnes "
        "ayant reçu au moins un service et montants payés aux médecins.",
        "description_en": "Fee-for-service medical services paid by the Agency: services billed, persons "
        "who received at least one service and amounts paid to physicians.",
        "measures": [
            ("services", "Nombre de services", "Number of services", "events"),
            PERSONS,
            ("amount_paid", "Montant payé ($)", "Amount paid ($)", "amount"),
        ],
        "dimensions": ["year", "region", "age_group", "sex", "specialty"],
    },
    {
        "code": "prescription_drugs",
        "custodian": "agency",
        "name_fr": "Médicaments d'ordonnance",
        "name_en": "Prescription drugs",
        "description_fr": "Ordonnances remboursées par le régime public d'assurance médicaments.",
        "description_en": "Prescriptions reimbursed by the public prescription drug insurance plan.",
        "measures": [
            ("claims", "Nombre de réclamations", "Number of claims", "events"),
            PERSONS,
            ("amount_paid", "Montant payé ($)", "Amount paid ($)", "amount"),
        ],
        "dimensions": ["year", "region", "age_group", "sex", "drug_class"],
    },
    {
        "code": "hospital_stays",
        "custodian": "msss",
        "name_fr": "Séjours hospitaliers",
        "name_en": "Hospital stays",
        "description_fr": "Hospitalisations de courte durée. Données du Ministère hébergées par l'Agence : "
        "leur utilisation demande l'accord du Ministère.",
        "description_en": "Short-term hospital stays. Data of the Ministry hosted by the Agency: "
        "their use needs the Ministry's consent.",
        "measures": [
            ("stays", "Nombre de séjours", "Number of stays", "events"),
            PERSONS,
        ],
        "dimensions": ["year", "region", "age_group", "sex", "diagnosis_chapter"],
    },
]


def load(apps) -> None:
    """Create or update the catalogue above (idempotent); ``apps`` is a migration's app registry."""
    Custodian = apps.get_model("stats_app", "Custodian")
    Dimension = apps.get_model("stats_app", "Dimension")
    Category = apps.get_model("stats_app", "Category")
    Dataset = apps.get_model("stats_app", "Dataset")
    Measure = apps.get_model("stats_app", "Measure")

    custodians = {}
    for row in CUSTODIANS:
        custodians[row["code"]], _ = Custodian.objects.update_or_create(
            code=row["code"], defaults={key: value for key, value in row.items() if key != "code"}
        )
    dimensions = {}
    for code, (label_fr, label_en, categories) in DIMENSIONS.items():
        dimension, _ = Dimension.objects.update_or_create(
            code=code, defaults={"label_fr": label_fr, "label_en": label_en}
        )
        dimensions[code] = dimension
        for order, (category, category_fr, category_en) in enumerate(categories):
            Category.objects.update_or_create(
                dimension=dimension,
                code=category,
                defaults={"label_fr": category_fr, "label_en": category_en, "order": order},
            )
    for row in DATASETS:
        dataset, _ = Dataset.objects.update_or_create(
            code=row["code"],
            defaults={
                "custodian": custodians[row["custodian"]],
                **{key: row[key] for key in ("name_fr", "name_en", "description_fr", "description_en")},
            },
        )
        dataset.dimensions.set([dimensions[code] for code in row["dimensions"]])
        for code, name_fr, name_en, kind in row["measures"]:
            Measure.objects.update_or_create(
                dataset=dataset, code=code, defaults={"name_fr": name_fr, "name_en": name_en, "kind": kind}
            )
