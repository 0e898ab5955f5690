"""The taxonomies a fresh database starts with (loaded by a data migration).

Policy areas follow the fields in which cities cooperate, each tagged with the UN SDG targets
it serves. Sectors are the ISIC Rev.4 sections. RELEVANCE is the 0/1 sector→policy-area table R
of the scoring model: which policy areas a sector's firms can do business in.

The names are stored in English; pages show them in the reader's language through ``term``
(``gettext_noop`` marks them for the catalogues). The API and exports keep the stored names.
"""

from django.utils.translation import gettext, gettext_noop


def term(name: str) -> str:
    """A taxonomy name in the active language; a name curators added later stays as written."""
    return gettext(name) if name else name


POLICY_AREAS = [
    (
        "waste",
        gettext_noop("Solid waste management"),
        "Collection, recycling, composting, landfill management and waste-to-energy.",
        ["11.6", "12.3", "12.5"],
    ),
    (
        "air",
        gettext_noop("Air quality"),
        "Monitoring and reducing air pollution from traffic, industry and households.",
        ["3.9", "11.6"],
    ),
    (
        "water",
        gettext_noop("Water supply"),
        "Safe drinking water, leakage reduction and water-resource management.",
        ["6.1", "6.4", "6.5"],
    ),
    (
        "sanitation",
        gettext_noop("Sanitation and wastewater"),
        "Sewerage, wastewater treatment, faecal sludge management and hygiene.",
        ["6.2", "6.3"],
    ),
    (
        "energy",
        gettext_noop("Energy efficiency and renewables"),
        "Efficient buildings and street lighting, renewable energy and district energy.",
        ["7.1", "7.2", "7.3"],
    ),
    (
        "low-carbon",
        gettext_noop("Low-carbon development"),
        "Greenhouse-gas inventories, climate action plans and low-carbon city strategies.",
        ["13.2", "13.3", "11.b"],
    ),
    (
        "adaptation",
        gettext_noop("Climate adaptation and disaster risk"),
        "Flood protection, early warning, heat resilience and disaster-risk reduction.",
        ["1.5", "11.5", "11.b", "13.1"],
    ),
    (
        "transport",
        gettext_noop("Urban transport"),
        "Public transport, walking and cycling, traffic management and clean vehicles.",
        ["3.6", "11.2"],
    ),
    (
        "planning",
        gettext_noop("Land use and housing"),
        "Urban planning, compact development, informal settlements and affordable housing.",
        ["11.1", "11.3"],
    ),
    (
        "green-space",
        gettext_noop("Green and public space"),
        "Parks, urban forests, biodiversity and safe public spaces.",
        ["11.7", "15.1", "15.5"],
    ),
    (
        "industry",
        gettext_noop("Green industry and pollution control"),
        "Cleaner production, industrial pollution control and eco-industrial parks.",
        ["9.4", "12.4", "12.6"],
    ),
    (
        "economy",
        gettext_noop("Local economic development"),
        "Jobs, small business support, tourism and the local economy.",
        ["8.3", "8.5", "8.9"],
    ),
    (
        "finance",
        gettext_noop("Municipal finance"),
        "Local and property taxes, revenue collection and public-private partnerships.",
        ["11.a", "17.1", "17.17"],
    ),
    (
        "governance",
        gettext_noop("Governance and institutions"),
        "Transparent, participatory administration and inter-municipal cooperation.",
        ["16.6", "16.7", "17.17"],
    ),
    (
        "health",
        gettext_noop("Public health"),
        "Primary health care, disease control and environmental health.",
        ["3.3", "3.8", "3.9"],
    ),
    (
        "education",
        gettext_noop("Education and training"),
        "Schools, vocational training and environmental education.",
        ["4.4", "4.7"],
    ),
    (
        "research",
        gettext_noop("Research and innovation"),
        "Joint research with universities, data and evidence for policy.",
        ["9.5", "17.6"],
    ),
    (
        "digital",
        gettext_noop("Digital and smart city"),
        "E-government, open data, sensors and digital public services.",
        ["9.c", "17.8"],
    ),
]

SECTORS = [
    ("A", gettext_noop("Agriculture, forestry and fishing")),
    ("B", gettext_noop("Mining and quarrying")),
    ("C", gettext_noop("Manufacturing")),
    ("D", gettext_noop("Electricity, gas, steam and air conditioning supply")),
    ("E", gettext_noop("Water supply; sewerage, waste management and remediation activities")),
    ("F", gettext_noop("Construction")),
    ("G", gettext_noop("Wholesale and retail trade; repair of motor vehicles and motorcycles")),
    ("H", gettext_noop("Transportation and storage")),
    ("I", gettext_noop("Accommodation and food service activities")),
    ("J", gettext_noop("Information and communication")),
    ("K", gettext_noop("Financial and insurance activities")),
    ("L", gettext_noop("Real estate activities")),
    ("M", gettext_noop("Professional, scientific and technical activities")),
    ("N", gettext_noop("Administrative and support service activities")),
    ("O", gettext_noop("Public administration and defence; compulsory social security")),
    ("P", gettext_noop("Education")),
    ("Q", gettext_noop("Human health and social work activities")),
    ("R", gettext_noop("Arts, entertainment and recreation")),
    ("S", gettext_noop("Other service activities")),
    (
        "T",
        gettext_noop(
            "Activities of households as employers; undifferentiated goods- and "
            "services-producing activities of households for own use"
        ),
    ),
    ("U", gettext_noop("Activities of extraterritorial organizations and bodies")),
]

RELEVANCE = {
    "A": ["green-space", "water", "adaptation"],
    "B": ["industry", "air", "water"],
    "C": ["industry", "air", "energy", "low-carbon"],
    "D": ["energy", "low-carbon", "air"],
    "E": ["waste", "water", "sanitation"],
    "F": ["planning", "energy", "adaptation"],
    "G": ["economy"],
    "H": ["transport", "air", "low-carbon"],
    "I": ["economy"],
    "J": ["digital", "governance"],
    "K": ["finance"],
    "L": ["planning", "finance"],
    "M": ["research", "planning", "digital"],
    "N": ["green-space", "waste"],
    "O": ["governance", "finance"],
    "P": ["education", "research"],
    "Q": ["health", "sanitation"],
    "R": ["green-space", "economy"],
    "S": ["economy"],
    "T": [],
    "U": ["governance"],
}
