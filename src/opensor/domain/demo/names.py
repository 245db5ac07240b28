"""Danish name material for the demo register: people, streets, hospitals, departments, places.

Hospital names are the real hospitals of each region (public knowledge), each with the code of
the municipality it lies in; everything else (people, practices, nursing homes) is invented
from common Danish first names, surnames and place-name elements. Nothing here identifies a
real person: names are drawn at random and combined.
"""

from __future__ import annotations

__all__ = [
    "DEPARTMENTS",
    "FAROE_HOSPITALS",
    "FAROE_OWNER",
    "FAROE_STREETS",
    "FAROE_TOWNS",
    "FIRST_NAMES",
    "GREENLAND_INSTITUTIONS",
    "GREENLAND_OWNER",
    "GREENLAND_STREETS",
    "GREENLAND_UNITS",
    "HEALTH_ADMINISTRATION_SUBUNITS",
    "HEALTH_ADMINISTRATION_UNITS",
    "HOME_CARE_AREAS",
    "HOME_CARE_TEAMS",
    "HOSPITALS",
    "HOSPITAL_UNITS",
    "NURSING_HOME_SUPPORT_UNITS",
    "NURSING_HOME_UNITS",
    "PLACE_NAMES",
    "REGIONAL_SERVICES",
    "REGIONAL_SERVICE_UNITS",
    "REHABILITATION_UNITS",
    "SECTIONS",
    "SPECIALIST_CLINICS",
    "STATE_INSTITUTIONS",
    "STATE_OWNERS",
    "STATE_UNITS",
    "STREET_NAMES",
    "SURNAMES",
]


def _words(text: str) -> tuple[str, ...]:
    """The comma-separated names of ``text`` (line breaks and surrounding space ignored)."""
    return tuple(word.strip() for word in text.split(",") if word.strip())


FIRST_NAMES: tuple[str, ...] = _words(
    """
    Anders, Anne, Bente, Birgitte, Camilla, Charlotte, Christian, Dorte, Emil, Erik, Eva,
    Frederik, Hanne, Hans, Helle, Henrik, Ida, Inger, Jakob, Jens, Jesper, Julie, Karen,
    Kasper, Kirsten, Lars, Lene, Line, Louise, Mads, Maria, Mette, Michael, Mikkel, Morten,
    Niels, Nina, Ole, Peter, Pia, Poul, Rasmus, Rikke, Sara, Signe, Sofie, Stine, Susanne,
    Søren, Thomas, Tine, Torben, Trine, Ulla, Vibeke, Anette, Bo, Carsten, Dennis, Gitte,
    Jette, Kim, Lise, Martin, Malene, Tove
    """
)

SURNAMES: tuple[str, ...] = _words(
    """
    Jensen, Nielsen, Hansen, Pedersen, Andersen, Christensen, Larsen, Sørensen, Rasmussen,
    Jørgensen, Petersen, Madsen, Kristensen, Olsen, Thomsen, Christiansen, Poulsen,
    Johansen, Møller, Mortensen, Knudsen, Jakobsen, Mikkelsen, Frederiksen, Laursen,
    Henriksen, Lund, Schmidt, Eriksen, Holm, Kristiansen, Clausen, Simonsen, Svendsen,
    Andreasen, Iversen, Jeppesen, Vestergaard, Mogensen, Nissen, Lauridsen, Bach, Kjær,
    Jepsen, Dahl, Østergaard, Bertelsen, Skov, Overgaard, Lindberg, Thygesen, Friis, Bruun,
    Damgaard, Winther, Krogh, Ravn, Høgh, Juhl, Nørgaard, Bak, Mathiesen, Brandt, Kofoed,
    Gregersen, Toft
    """
)

STREET_NAMES: tuple[str, ...] = _words(
    """
    Algade, Vestergade, Østergade, Nørregade, Søndergade, Storegade, Torvet, Jernbanegade,
    Stationsvej, Skolevej, Kirkevej, Kirkegade, Bygaden, Hovedgaden, Møllevej, Industrivej,
    Parkvej, Strandvejen, Kongensgade, Dronningensgade, Adelgade, Bredgade, Slotsgade,
    Havnegade, Skovvej, Engvej, Ringvej, Bakkevej, Birkevej, Egevej, Lindevej, Bøgevej,
    Ahornvej, Kastanievej, Rosenvænget, Solvej, Vænget, Haveforeningsvej, Tværgade,
    Vesterbrogade, Nørrebrogade, Amagerbrogade, Frederiksberg Allé, Gammel Kongevej,
    Østerbrogade, Roskildevej, Køgevej, Holbækvej, Ringstedvej, Odensevej, Vejlevej,
    Horsensvej, Randersvej, Viborgvej, Silkeborgvej, Herningvej, Aalborgvej, Hjørringvej,
    Esbjergvej, Kolding Landevej, Sygehusvej, Lægehusvej, Rådhuspladsen, Rådhusvej,
    Centervej, Idrætsvej, Sportsvej, Fabriksvej, Banegårdspladsen, Præstevej, Smedevej,
    Mejerivej, Grønnegade, Klostergade, Fiskergade, Skibbrogade, Enghavevej, Åboulevarden
    """
)

GREENLAND_STREETS: tuple[str, ...] = _words(
    """
    Aqqusinersuaq, Imaneq, Tuapannguit, Qullilerfik, Issortarfimmut, Aqqusinertaaq,
    Kuussuaq, Nuussuaq, Paamiuttaq, Sipisaq
    """
)
FAROE_STREETS: tuple[str, ...] = _words(
    """
    Niels Finsens gøta, Tróndargøta, J.C. Svabos gøta, Landavegur, Áarvegur, Dalavegur,
    Hoyvíksvegur, Vágsbotnur, Klaksvíksvegur, Sjúkrahúsvegur
    """
)

PLACE_NAMES: tuple[str, ...] = _words(
    """
    Solgården, Egebakken, Lindehuset, Birkely, Kastanjehaven, Rosenlund, Bøgehøj,
    Fyrreparken, Ellekilde, Møllebo, Engbo, Skovly, Strandgården, Åbakken, Hybenhaven,
    Lærkereden, Solbakken, Toftegården, Elmehøj, Kildebakken, Nørremarken, Sønderbo,
    Vesterled, Østervang, Fjordglimt, Havebo, Humlehaven, Bakkehuset, Bymidten,
    Kløverengen, Lyngbo, Rønnebo, Bellisgården, Ahornhøj, Poppelhaven, Pilegården,
    Æblehaven, Skovgården, Slotsparken, Søhuset, Grantoften, Højvang, Lupinvej, Valmuen,
    Margueritten
    """
)

# (name, municipality code) per region code; the municipality is where the main site lies.
HOSPITALS: dict[str, tuple[tuple[str, str], ...]] = {
    "1081": (
        ("Aalborg Universitetshospital", "0851"),
        ("Regionshospital Nordjylland", "0860"),
        ("Aalborg Universitetshospital, Thisted", "0787"),
        ("Aalborg Universitetshospital, Farsø", "0820"),
        ("Regionshospital Nordjylland, Frederikshavn", "0813"),
        ("Psykiatrien i Region Nordjylland", "0851"),
    ),
    "1082": (
        ("Aarhus Universitetshospital", "0751"),
        ("Gødstrup Hospital", "0657"),
        ("Regionshospitalet Viborg", "0791"),
        ("Regionshospitalet Randers", "0730"),
        ("Regionshospitalet Horsens", "0615"),
        ("Regionshospitalet Silkeborg", "0740"),
        ("Regionshospitalet Skive", "0779"),
        ("Regionshospitalet Holstebro", "0661"),
        ("Psykiatrien i Region Midtjylland", "0751"),
    ),
    "1083": (
        ("Odense Universitetshospital", "0461"),
        ("Odense Universitetshospital, Svendborg", "0479"),
        ("Sygehus Lillebælt, Vejle", "0630"),
        ("Sygehus Lillebælt, Kolding", "0621"),
        ("Sydvestjysk Sygehus", "0561"),
        ("Sygehus Sønderjylland, Aabenraa", "0580"),
        ("Sygehus Sønderjylland, Sønderborg", "0540"),
        ("Psykiatrien i Region Syddanmark", "0630"),
    ),
    "1084": (
        ("Rigshospitalet", "0101"),
        ("Bispebjerg og Frederiksberg Hospital", "0101"),
        ("Amager og Hvidovre Hospital", "0167"),
        ("Herlev og Gentofte Hospital", "0163"),
        ("Nordsjællands Hospital", "0219"),
        ("Bornholms Hospital", "0400"),
        ("Rigshospitalet, Glostrup", "0161"),
        ("Region Hovedstadens Psykiatri", "0101"),
    ),
    "1085": (
        ("Sjællands Universitetshospital, Køge", "0259"),
        ("Sjællands Universitetshospital, Roskilde", "0265"),
        ("Holbæk Sygehus", "0316"),
        ("Nykøbing F. Sygehus", "0376"),
        ("Næstved Sygehus", "0370"),
        ("Slagelse Sygehus", "0330"),
        ("Psykiatrien Region Sjælland", "0340"),
    ),
}

# (name, unit type key, speciality code or "") — unit type keys: see builders.UNIT_TYPES.
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("Medicinsk Afdeling", "clinical", "419192003"),
    ("Kirurgisk Afdeling", "clinical", "394609007"),
    ("Ortopædkirurgisk Afdeling", "clinical", "394801008"),
    ("Gynækologisk-Obstetrisk Afdeling", "clinical", "394585009"),
    ("Børne- og Ungeafdelingen", "clinical", "394537008"),
    ("Kardiologisk Afdeling", "clinical", "394579002"),
    ("Lungemedicinsk Afdeling", "clinical", "418112009"),
    ("Neurologisk Afdeling", "clinical", "394591006"),
    ("Onkologisk Afdeling", "clinical", "394592004"),
    ("Radiologisk Afdeling", "clinical", "394914008"),
    ("Klinisk Biokemisk Afdeling", "clinical", "394596001"),
    ("Klinisk Mikrobiologisk Afdeling", "clinical", "408454008"),
    ("Patologisk Afdeling", "clinical", "394915009"),
    ("Øjenafdelingen", "clinical", "394594003"),
    ("Øre-Næse-Halskirurgisk Afdeling", "clinical", "394604002"),
    ("Urologisk Afdeling", "clinical", "394612005"),
    ("Nyremedicinsk Afdeling", "clinical", "394589003"),
    ("Endokrinologisk Afdeling", "clinical", "394583002"),
    ("Hæmatologisk Afdeling", "clinical", "394803006"),
    ("Reumatologisk Afdeling", "clinical", "394810000"),
    ("Hudafdelingen", "clinical", "394582007"),
    ("Infektionsmedicinsk Afdeling", "clinical", "394807007"),
    ("Geriatrisk Afdeling", "clinical", "394811001"),
    ("Psykiatrisk Afdeling", "clinical", "394587001"),
    ("Børne- og Ungdomspsykiatrisk Afdeling", "clinical", "394588006"),
    ("Mave- og Tarmkirurgisk Afdeling", "clinical", "551411000005104"),
    ("Karkirurgisk Afdeling", "clinical", "408463005"),
    ("Neurokirurgisk Afdeling", "clinical", "394610002"),
    ("Plastikkirurgisk Afdeling", "clinical", "394611003"),
    ("Thoraxkirurgisk Afdeling", "clinical", "394603008"),
    ("Klinisk Fysiologisk og Nuklearmedicinsk Afdeling", "clinical", "394601005"),
    ("Klinisk Immunologisk Afdeling", "clinical", "421661004"),
    ("Arbejdsmedicinsk Klinik", "clinical", "394821009"),
    ("Klinisk Genetisk Afdeling", "clinical", "394580004"),
    ("Tand-, Mund- og Kæbekirurgisk Afdeling", "clinical", "394605001"),
    ("Medicinsk Gastroenterologisk Afdeling", "clinical", "394584008"),
)

# Units every hospital has first: management, acute admission and intensive care.
HOSPITAL_UNITS: tuple[tuple[str, str, str], ...] = (
    ("Hospitalsledelsen", "administrative", ""),
    ("Akutafdelingen", "acute", ""),
    ("Intensiv Afdeling", "intensive", "394577000"),
    ("Anæstesiologisk Afdeling", "clinical", "394577000"),
    ("Service og Logistik", "service", ""),
)

# (name, kind) — kind "ward" admits patients, "outpatient" is ambulant, "other" neither.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("Sengeafsnit", "ward"),
    ("Ambulatorium", "outpatient"),
    ("Dagafsnit", "outpatient"),
    ("Sengeafsnit Nord", "ward"),
    ("Sengeafsnit Syd", "ward"),
    ("Dagkirurgi", "outpatient"),
    ("Klinik for Udredning", "outpatient"),
    ("Observationsafsnit", "ward"),
    ("Skadestue", "outpatient"),
    ("Forskningsenhed", "other"),
    ("Sekretariat", "other"),
    ("Sengeafsnit Øst", "ward"),
    ("Sengeafsnit Vest", "ward"),
    ("Udgående Team", "outpatient"),
)

# (name, institution type) of the regions' emergency services.
REGIONAL_SERVICES: tuple[tuple[str, str], ...] = (
    ("Lægevagten", "550661000005105"),
    ("Præhospitalet", "554211000005102"),
    ("Akutberedskabet", "554211000005102"),
    ("Akuttelefonen 1813", "550661000005105"),
)
REGIONAL_SERVICE_UNITS: tuple[str, ...] = _words(
    """
    Lægevagtskonsultation, Ambulancestation, Akutlægebil, Visitation, Vagtcentral
    """
)

HEALTH_ADMINISTRATION_UNITS: tuple[str, ...] = _words(
    """
    Sundhedsplejen, Kommunal Tandpleje, Misbrugscenter, Sundhedscenter,
    Forebyggelse og Sundhedsfremme, Visitationen, Hjælpemiddelcentret, Akutteam,
    Demenskoordination, Rusmiddelcenter, Socialpsykiatrien, Sygeplejeklinik,
    Børne- og Ungetandpleje, Træningsenheden, Sundhedshus
    """
)
HEALTH_ADMINISTRATION_SUBUNITS: tuple[str, ...] = _words(
    """
    Team Nord, Team Syd, Team Øst, Team Vest, Team Midt, Tandklinik Skovbrynet,
    Tandklinik Bakkeskolen, Distrikt Centrum, Distrikt Land, Rådgivningen
    """
)

# Nursing-home units are clinical unless named in NURSING_HOME_SUPPORT_UNITS.
NURSING_HOME_UNITS: tuple[str, ...] = _words(
    """
    Afsnit A, Afsnit B, Afsnit C, Demensafsnit, Skærmet enhed, Aflastningspladser,
    Midlertidige pladser, Køkkenet, Administration
    """
)
NURSING_HOME_SUPPORT_UNITS: dict[str, str] = {
    "Køkkenet": "service",
    "Administration": "administrative",
}

HOME_CARE_AREAS: tuple[str, ...] = ("Nord", "Syd", "Øst", "Vest", "Midt", "Centrum", "Land")
HOME_CARE_TEAMS: tuple[str, ...] = _words(
    """
    Sygeplejeteam 1, Sygeplejeteam 2, Sygeplejeteam 3, Aftenteam, Natteam, Akutteam,
    Demensteam, Sårteam
    """
)

REHABILITATION_UNITS: tuple[tuple[str, str], ...] = (
    ("Vederlagsfri fysioterapi", "clinical"),
    ("Genoptræning efter sundhedsloven", "clinical"),
    ("Rehabiliteringsafsnit", "clinical"),
    ("Hjerneskadeteam", "clinical"),
    ("Hjælpemidler", "service"),
)

# State owners, and (owner index, name, institution type, municipality) of their institutions.
STATE_OWNERS: tuple[str, ...] = (
    "Indenrigs- og Sundhedsministeriet",
    "Forsvarsministeriet",
    "Justitsministeriet, Kriminalforsorgen",
)
STATE_INSTITUTIONS: tuple[tuple[int, str, str, str], ...] = (
    (0, "Statens Serum Institut", "550651000005108", "0101"),
    (1, "Forsvarets Sundhedstjeneste", "264361005", "0791"),
    (2, "Kriminalforsorgens Sundhedstjeneste", "264361005", "0101"),
    (0, "Statens Serum Institut, Vaccinationsklinik", "554231000005106", "0101"),
)
# Unit names below each state institution (same order as STATE_INSTITUTIONS), ";"-separated.
STATE_UNITS: tuple[tuple[str, ...], ...] = tuple(
    tuple(name.strip() for name in line.split(";"))
    for line in (
        "Bakteriologi; Virologi; Parasitologi; Mykologi; Blodtypeserologi",
        "Sundhedscenter Karup; Sundhedscenter Holstebro; Sundhedscenter Fredericia; "
        "Sundhedscenter Slagelse; Sundhedscenter Høvelte; Sundhedscenter Aalborg",
        "Sygeafdelingen, Statsfængslet Østjylland; Sygeafdelingen, Vestre Fængsel; "
        "Sygeafdelingen, Statsfængslet Enner Mark; Sygeafdelingen, Statsfængslet Renbæk",
        "Rejsevaccination; Vaccinationsrådgivning",
    )
)

GREENLAND_OWNER = "Grønlands Selvstyre, Departementet for Sundhed"
# (name, town, institution type, latitude, longitude)
GREENLAND_INSTITUTIONS: tuple[tuple[str, str, str, float, float], ...] = (
    ("Dronning Ingrids Hospital", "Nuuk", "22232009", 64.1766, -51.7361),
    ("Sundhedscenter Sisimiut", "Sisimiut", "264361005", 66.9395, -53.6735),
    ("Sundhedscenter Ilulissat", "Ilulissat", "264361005", 69.2198, -51.0986),
    ("Sundhedscenter Qaqortoq", "Qaqortoq", "264361005", 60.7184, -46.0356),
    ("Sundhedscenter Aasiaat", "Aasiaat", "264361005", 68.7098, -52.8699),
    ("Sundhedscenter Maniitsoq", "Maniitsoq", "264361005", 65.4147, -52.9003),
    ("Sundhedscenter Tasiilaq", "Tasiilaq", "264361005", 65.6145, -37.6368),
    ("Sundhedscenter Upernavik", "Upernavik", "264361005", 72.7868, -56.1549),
    ("Sundhedscenter Paamiut", "Paamiut", "264361005", 61.9940, -49.6678),
    ("Sundhedscenter Nanortalik", "Nanortalik", "264361005", 60.1429, -45.2397),
)
GREENLAND_UNITS: tuple[str, ...] = _words(
    """
    Medicinsk Afdeling, Kirurgisk Afdeling, Fødeafdeling, Ambulatoriet, Tandklinikken,
    Apoteket, Sundhedsplejen, Laboratoriet
    """
)

FAROE_OWNER = "Heilsumálaráðið"
# (name, town, latitude, longitude) of the Faroese hospitals.
FAROE_HOSPITALS: tuple[tuple[str, str, float, float], ...] = (
    ("Landssjúkrahúsið", "Tórshavn", 62.0055, -6.7763),
    ("Klaksvíkar Sjúkrahús", "Klaksvík", 62.2266, -6.5890),
    ("Suðuroyar Sjúkrahús", "Tvøroyri", 61.5556, -6.8063),
)
# (town, latitude, longitude) for Faroese practices.
FAROE_TOWNS: tuple[tuple[str, float, float], ...] = (
    ("Tórshavn", 62.0107, -6.7741),
    ("Klaksvík", 62.2266, -6.5890),
    ("Runavík", 62.1082, -6.7226),
    ("Vágur", 61.4733, -6.8100),
    ("Miðvágur", 62.0511, -7.1939),
    ("Saltangará", 62.1150, -6.7210),
    ("Fuglafjørður", 62.2444, -6.8150),
    ("Vestmanna", 62.1548, -7.1664),
)

# Speciality code of a specialist practice → the word its clinic names start with.
SPECIALIST_CLINICS: tuple[tuple[str, str], ...] = (
    ("394594003", "Øjenklinikken"),
    ("394582007", "Hudklinikken"),
    ("394604002", "Øre-Næse-Hals Klinikken"),
    ("394587001", "Psykiaterklinikken"),
    ("394585009", "Gynækologisk Klinik"),
    ("394537008", "Børnelægeklinikken"),
    ("394810000", "Gigtklinikken"),
    ("394801008", "Ortopædkirurgisk Klinik"),
    ("394579002", "Hjerteklinikken"),
    ("419192003", "Speciallægeklinik for Intern Medicin"),
    ("394591006", "Neurologisk Klinik"),
    ("394611003", "Plastikkirurgisk Klinik"),
    ("394609007", "Kirurgisk Klinik"),
    ("394588006", "Børne- og Ungdomspsykiatrisk Klinik"),
    ("394805004", "Allergiklinikken"),
)
