"""Reference figures and word lists the synthetic warehouse is drawn from.

Approximate public figures for Québec (population by health region, age
pyramid) and plausible, deliberately rough, utilisation profiles. Changing any
number here changes the generated data: bump ``generate.GENERATOR_VERSION``.
"""

#: Health region code -> population in thousands (approximate, 2021), the person weights.
REGION_POPULATION = {
    "01": 200,
    "02": 280,
    "03": 770,
    "04": 530,
    "05": 510,
    "06": 2080,
    "07": 410,
    "08": 148,
    "09": 90,
    "10": 14.5,
    "11": 92,
    "12": 440,
    "13": 445,
    "14": 540,
    "15": 640,
    "16": 1450,
    "17": 14.5,
    "18": 19,
}

#: Where patients from elsewhere go for care: a region's weight as a destination is its population times this.
REFERRAL_ATTRACTION = {"03": 3.0, "06": 4.0, "16": 1.5, "05": 1.5}

#: Population share (percent) by five-year age group 0-4, 5-9, ..., 95-99.
AGE_PYRAMID = [5.0, 5.5, 5.6, 5.3, 5.6, 6.0, 6.5, 6.7, 6.6, 6.0, 6.4, 7.2, 7.2, 6.3, 5.2, 3.7, 2.4, 1.5, 0.7, 0.2]

#: Lower bounds of the catalogue's age groups after the first ("0-17", "18-34", ...).
AGE_GROUP_BOUNDS = [18, 35, 50, 65, 75]

# Relative yearly use by age group (0-17, 18-34, 35-49, 50-64, 65-74, 75+), then the women's factor.
MEDICAL_USE_BY_AGE = [0.8, 0.7, 0.8, 1.1, 1.6, 2.1]
MEDICAL_USE_WOMEN = [1.0, 1.6, 1.4, 1.15, 1.05, 1.0]
DRUG_USE_BY_AGE = [0.3, 0.4, 0.6, 1.0, 2.5, 3.2]
DRUG_USE_WOMEN = [1.0, 1.8, 1.4, 1.2, 1.1, 1.05]
#: Hospital stays per person-year (absolute), and the women's factor (pregnancies).
HOSPITAL_RATE_BY_AGE = [0.03, 0.04, 0.05, 0.08, 0.15, 0.28]
HOSPITAL_RATE_WOMEN = [1.0, 2.2, 1.3, 1.0, 0.95, 1.0]
#: Newborns: a stay in their first year of life is frequent.
HOSPITAL_RATE_FIRST_YEAR = 0.45

#: Means over the whole period 2019-2025, per person.
MEDICAL_SERVICES_PER_PERSON = 10.0
DRUG_CLAIMS_PER_PERSON = 6.0

#: Shape of the gamma frailty multiplying each person's rates (smaller: more heterogeneous).
FRAILTY_SHAPE = {"medical": 0.8, "drug": 0.5, "hospital": 0.4}

#: Share of events given in the person's home region (the rest goes to a referral region).
HOME_REGION_SHARE = {"medical": 0.88, "drug": 0.96, "hospital": 0.85}

#: Specialty -> (median amount in cents, log-normal sigma, weights by age group).
SPECIALTIES = {
    "family_medicine": (4200, 0.45, [40, 55, 55, 50, 45, 45]),
    "internal_medicine": (9500, 0.6, [1, 5, 7, 9, 12, 14]),
    "cardiology": (11000, 0.7, [0.5, 1, 3, 7, 10, 11]),
    "paediatrics": (5500, 0.5, [40, 0, 0, 0, 0, 0]),
    "psychiatry": (12000, 0.5, [3, 7, 6, 4, 2, 2]),
    "general_surgery": (28000, 1.0, [2, 4, 5, 6, 7, 6]),
    "obstetrics_gynaecology": (15000, 0.9, [0.5, 14, 7, 2, 1, 0.5]),
    "ophthalmology": (8000, 0.8, [3, 2, 3, 6, 10, 12]),
    "radiology": (6000, 0.8, [4, 7, 9, 10, 10, 9]),
    "other": (9000, 0.8, [6, 5, 5, 6, 6, 6]),
}
#: Men never see an obstetrician-gynaecologist in this synthetic world.
SPECIALTIES_WOMEN_ONLY = {"obstetrics_gynaecology"}

#: ATC first level -> (median amount in cents per claim, sigma, weights by age group).
DRUG_CLASSES = {
    "A": (3500, 0.9, [6, 6, 9, 12, 14, 14]),
    "B": (4000, 0.9, [1, 1, 2, 4, 7, 9]),
    "C": (2500, 0.8, [0.5, 2, 8, 20, 26, 28]),
    "D": (2000, 0.8, [8, 6, 4, 3, 2, 2]),
    "G": (3000, 0.8, [1, 14, 9, 5, 5, 5]),
    "H": (2500, 0.8, [2, 3, 5, 6, 6, 6]),
    "J": (2000, 0.9, [35, 15, 10, 7, 6, 6]),
    "L": (60000, 1.3, [0.5, 1, 2, 3, 3, 2]),
    "M": (2500, 0.8, [2, 5, 7, 8, 7, 6]),
    "N": (3000, 0.9, [15, 30, 30, 22, 18, 19]),
    "P": (1500, 0.7, [4, 1, 1, 0.5, 0.5, 0.5]),
    "R": (4000, 0.9, [20, 10, 8, 7, 7, 7]),
    "S": (2000, 0.8, [4, 2, 2, 3, 5, 6]),
    "V": (5000, 1.0, [1, 1, 1, 1, 1, 1]),
}

#: Share of amounts that are exceptional (a complex procedure, a rare-disease drug), multiplied 20 to 150 times.
EXCEPTIONAL_AMOUNT_SHARE = 3e-4

#: ICD-10 chapter -> (mean length of stay in days, weights by age group).
DIAGNOSIS_CHAPTERS = {
    "01": (7, [4, 2, 2, 2, 3, 4]),
    "02": (9, [1, 3, 8, 15, 18, 12]),
    "03": (6, [1, 0.5, 0.5, 1, 1, 1.5]),
    "04": (6, [2, 2, 3, 4, 4, 4]),
    "05": (18, [6, 12, 10, 5, 3, 4]),
    "06": (8, [3, 2, 2, 3, 3, 4]),
    "07": (3, [0.5, 0.2, 0.3, 0.5, 1, 1]),
    "08": (3, [1, 0.2, 0.2, 0.2, 0.3, 0.3]),
    "09": (8, [0.5, 1, 5, 14, 18, 20]),
    "10": (7, [20, 3, 3, 6, 9, 12]),
    "11": (6, [5, 9, 11, 13, 11, 9]),
    "12": (6, [1, 1, 1, 1, 1, 1.5]),
    "13": (6, [1, 3, 6, 9, 9, 6]),
    "14": (5, [2, 3, 3, 4, 5, 6]),
    "15": (2.5, [0.5, 40, 12, 0, 0, 0]),
    "16": (5, [30, 0, 0, 0, 0, 0]),
    "17": (6, [3, 0.2, 0.1, 0.1, 0, 0]),
    "18": (4, [5, 4, 4, 4, 4, 5]),
    "19": (7, [10, 10, 7, 6, 6, 9]),
    "20": (4, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
    "21": (5, [5, 2, 2, 2, 2, 3]),
    "22": (9, [0.2, 0.5, 0.7, 1, 1.5, 2]),
}
CHAPTERS_WOMEN_ONLY = {"15"}
#: COVID-19 (U07, chapter XXII) stays in 2020-2022: that chapter's weight is multiplied by this.
COVID_YEARS_CHAPTER_22_FACTOR = 6.0
COVID_YEARS = {2020, 2021, 2022}

#: Acts billed, per specialty: a few codes each, the first ones the most frequent.
ACTS_PER_SPECIALTY = 8

# --- Identities ------------------------------------------------------------------------------------------------------

LAST_NAMES = [
    "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Gagné",
    "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron", "Leblanc", "Paquette", "Girard", "Simard",
    "Boucher", "Caron", "Beaulieu", "Cloutier", "Dubé", "Poirier", "Fournier", "Lapointe", "Leclerc",
    "Lefebvre", "Poulin", "Thibault", "St-Pierre", "Nadeau", "Martin", "Landry", "Martel", "Bédard",
    "Grenier", "Lessard", "Bernier", "Richard", "Michaud", "Hébert", "Desjardins", "Couture", "Turcotte",
    "Lachance", "Parent", "Blais", "Gosselin", "Savard", "Proulx", "Beaudoin", "Demers", "Perreault",
    "Boudreau", "Lemieux", "Cyr", "Perron", "Dufour", "Dion", "Mercier", "Bolduc", "Bérubé", "Boisvert",
    "Langlois", "Ménard", "Thériault", "Nguyen", "Smith", "Wong", "Haddad", "Joseph", "O'Neill", "Ng",
]  # fmt: skip
#: Surnames frequent in Nunavik (17) and in the Cree territory of James Bay (18).
LAST_NAMES_BY_REGION = {
    "17": ["Annanack", "Tukkiapik", "Kasudluak", "Qumaluk", "Okpik", "Nappaaluk", "Saunders", "Angatookalook"],
    "18": ["Mianscum", "Bosum", "Cooper", "Petawabano", "Awashish", "Neeposh", "Diamond", "Matoush", "Wapachee"],
}
FIRST_NAMES_WOMEN = [
    "Marie", "Sophie", "Julie", "Isabelle", "Nathalie", "Catherine", "Mélanie", "Geneviève", "Émilie",
    "Léa", "Chloé", "Emma", "Florence", "Alice", "Béatrice", "Rosalie", "Camille", "Sarah", "Jeanne",
    "Louise", "Monique", "Francine", "Lise", "Diane", "Nicole", "Sylvie", "Johanne", "Annie", "Karine",
    "Valérie", "Amélie", "Olivia", "Zoé", "Juliette", "Anaïs", "Yasmine", "Fatima", "Linda", "Ève",
]  # fmt: skip
FIRST_NAMES_MEN = [
    "Jean", "Pierre", "Michel", "André", "Claude", "Daniel", "Luc", "Martin", "Stéphane", "Sébastien",
    "Éric", "François", "Mathieu", "Alexandre", "Simon", "Louis", "William", "Thomas", "Félix", "Liam",
    "Noah", "Jacob", "Nathan", "Samuel", "Olivier", "Gabriel", "Antoine", "Raymond", "Gilles", "Réjean",
    "Yves", "Denis", "Marc", "Patrick", "Jérôme", "Hugo", "Mohamed", "Karim", "Émile",
]  # fmt: skip
STREET_TYPES = ["rue", "rue", "rue", "avenue", "boulevard", "chemin", "rang"]
STREET_NAMES = [
    "Saint-Denis", "Principale", "des Érables", "du Lac", "Notre-Dame", "Saint-Laurent", "de l'Église",
    "des Pins", "Wellington", "King", "Champlain", "Laurier", "Papineau", "du Parc", "Racine", "des Cèdres",
    "Saint-Jean", "Jean-Talon", "Sherbrooke", "des Bouleaux", "de la Gare", "du Moulin", "Cartier", "Dorchester",
]  # fmt: skip

#: First letter of every postal code of a region (Canada Post: G eastern, H Montréal area, J western Québec).
POSTAL_LETTER_BY_REGION = {
    "01": "G", "02": "G", "03": "G", "04": "G", "05": "J", "06": "H", "07": "J", "08": "J", "09": "G",
    "10": "G", "11": "G", "12": "G", "13": "H", "14": "J", "15": "J", "16": "J", "17": "J", "18": "J",
}  # fmt: skip

#: Region -> cities with their forward sortation areas; a full code (rural FSA) is used as is.
CITIES_BY_REGION = {
    "01": [("Rimouski", ["G5L", "G5M", "G5N"]), ("Rivière-du-Loup", ["G5R"]), ("Matane", ["G4W"])],
    "02": [("Saguenay", ["G7H", "G7J", "G7S"]), ("Alma", ["G8B"]), ("Roberval", ["G8H"])],
    "03": [("Québec", ["G1R", "G1S", "G1V", "G1K", "G2B", "G1M"]), ("Baie-Saint-Paul", ["G3Z"])],
    "04": [("Trois-Rivières", ["G8T", "G8Y", "G9A"]), ("Shawinigan", ["G9N"]), ("Victoriaville", ["G6P"])],
    "05": [("Sherbrooke", ["J1H", "J1E", "J1J", "J1L"]), ("Magog", ["J1X"]), ("Granby", ["J2G", "J2H"])],
    "06": [("Montréal", ["H2X", "H2J", "H3A", "H4A", "H1A", "H3N", "H2T", "H8N", "H9R", "H1Z", "H4C"])],
    "07": [("Gatineau", ["J8T", "J8Y", "J9H", "J8P"]), ("Maniwaki", ["J9E"])],
    "08": [("Rouyn-Noranda", ["J9X"]), ("Val-d'Or", ["J9P"]), ("Amos", ["J9T"])],
    "09": [("Baie-Comeau", ["G4Z", "G5C"]), ("Sept-Îles", ["G4R", "G4S"])],
    "10": [("Chibougamau", ["G8P"]), ("Chapais", ["G0W 1H0"])],
    "11": [("Gaspé", ["G4X"]), ("Les Îles-de-la-Madeleine", ["G4T"]), ("Chandler", ["G0C 1K0"])],
    "12": [("Lévis", ["G6V", "G6W", "G6Z"]), ("Saint-Georges", ["G5Y", "G5Z"]), ("Thetford Mines", ["G6G"])],
    "13": [("Laval", ["H7N", "H7T", "H7W", "H7G", "H7L"])],
    "14": [("Joliette", ["J6E"]), ("Terrebonne", ["J6W", "J6X"]), ("Repentigny", ["J6A"])],
    "15": [
        ("Saint-Jérôme", ["J7Y", "J7Z"]),
        ("Mirabel", ["J7J"]),
        ("Blainville", ["J7C"]),
        ("Mont-Tremblant", ["J8E"]),
    ],
    "16": [
        ("Longueuil", ["J4K", "J4H", "J4J"]),
        ("Brossard", ["J4W", "J4Z"]),
        ("Saint-Jean-sur-Richelieu", ["J3A", "J3B"]),
        ("Saint-Hyacinthe", ["J2S"]),
        ("Châteauguay", ["J6J"]),
    ],
    "17": [("Kuujjuaq", ["J0M 1C0"]), ("Puvirnituq", ["J0M 1P0"]), ("Inukjuak", ["J0M 1M0"])],
    "18": [("Chisasibi", ["J0M 1E0"]), ("Waskaganish", ["J0M 1R0"]), ("Wemindji", ["J0M 1L0"])],
}

#: Letters Canada Post uses in the second half of a postal code.
POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"
