"""Fixed enumerations of the projects domain (DOMAIN.md). Editable vocabularies are tables in models.py."""

from django.db import models


class Phase(models.TextChoices):
    CPEC_1 = "1", "CPEC 1.0"
    CPEC_2 = "2", "CPEC 2.0"


class Status(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    MOU = "mou", "MoU signed"
    IMPLEMENTATION = "implementation", "Implementation"
    OPERATIONAL = "operational", "Operational"
    SUSPENDED = "suspended", "Suspended"
    CANCELLED = "cancelled", "Cancelled"


# The lifecycle ladder: a move to a lower rung is "backward". Suspended and cancelled stand off the ladder.
STATUS_LADDER = [Status.PIPELINE, Status.MOU, Status.IMPLEMENTATION, Status.OPERATIONAL]
# Statuses in which a project can go stale (DOMAIN.md: more than 4 years without a newer status change).
STALE_STATUSES = [Status.PIPELINE, Status.MOU, Status.IMPLEMENTATION]
STALE_AFTER_YEARS = 4


class Province(models.TextChoices):
    PUNJAB = "PK-PB", "Punjab"
    SINDH = "PK-SD", "Sindh"
    KHYBER_PAKHTUNKHWA = "PK-KP", "Khyber Pakhtunkhwa"
    BALOCHISTAN = "PK-BA", "Balochistan"
    GILGIT_BALTISTAN = "PK-GB", "Gilgit-Baltistan"
    AZAD_JAMMU_AND_KASHMIR = "PK-JK", "Azad Jammu and Kashmir"
    ISLAMABAD = "PK-IS", "Islamabad Capital Territory"


class CapacityUnit(models.TextChoices):
    MW = "MW", "MW"
    KM = "km", "km"
    MGD = "MGD", "million gallons per day"
    ACRES = "acres", "acres"
    HECTARES = "hectares", "hectares"
    BEDS = "beds", "beds"
    TEU_PER_YEAR = "TEU/year", "TEU per year"
    TONNES_PER_YEAR = "tonnes/year", "tonnes per year"
    VEHICLES_PER_YEAR = "vehicles/year", "vehicles per year"
    OTHER = "other", "other"


class Publication(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class InvestmentKind(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    COMMITTED = "committed", "Committed"
    REALISED = "realised", "Realised"


class OrganisationKind(models.TextChoices):
    GOVERNMENT = "government", "Government"
    STATE_OWNED = "state-owned", "State-owned enterprise"
    PRIVATE = "private", "Private company"
    FINANCIER = "financier", "Financier"
    MULTILATERAL = "multilateral", "Multilateral institution"
    OTHER = "other", "Other"


class ParticipationRole(models.TextChoices):
    SPONSOR = "sponsor", "Sponsor"
    FINANCIER = "financier", "Financier"
    CONTRACTOR = "contractor", "Contractor"
    OPERATOR = "operator", "Operator"
    IMPLEMENTING_AGENCY = "implementing-agency", "Implementing agency"
    GOVERNMENT_COUNTERPART = "government-counterpart", "Government counterpart"


class SourceKind(models.TextChoices):
    OFFICIAL = "official", "Official"
    NEWS = "news", "News"
    ACADEMIC = "academic", "Academic"
    DATASET = "dataset", "Dataset"
    OTHER = "other", "Other"


class IdentifierScheme(models.TextChoices):
    AIDDATA = "aiddata", "AidData"
    IATI = "iati", "IATI"
    GEM = "gem", "Global Energy Monitor"
    WORLDBANK = "worldbank", "World Bank"
    PPIB = "ppib", "PPIB"
    NEPRA = "nepra", "NEPRA"
    OCDS = "ocds", "OCDS"
    OTHER = "other", "Other"


# Pakistan's bounding box (DOMAIN.md): a point outside it is a typo, not a project.
PAKISTAN_LAT_MIN, PAKISTAN_LAT_MAX = 23.5, 37.1
PAKISTAN_LON_MIN, PAKISTAN_LON_MAX = 60.8, 77.9


class EventKind(models.TextChoices):
    JCC_MEETING = "jcc-meeting", "JCC meeting"
    JWG_MEETING = "jwg-meeting", "JWG meeting"
    AGREEMENT = "agreement", "Agreement"
    VISIT = "visit", "Visit"
    POLICY = "policy", "Policy"


class Confidence(models.TextChoices):
    """How sure the compiler of a record is of it, all things considered (the seed data's grade)."""

    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class LocationPrecision(models.TextChoices):
    """How precise a project's coordinates are, as Global Energy Monitor marks them."""

    EXACT = "exact", "Exact"
    APPROXIMATE = "approximate", "Approximate"
    REGION = "region", "Region"


# The filter value that asks for records without a corridor or without a province.
NONE_VALUE = "none"


class DatePrecision(models.TextChoices):
    """How much of a date the sources give: a day, a month or only a year (never an invented day)."""

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class EventRole(models.TextChoices):
    """What an event did for a project."""

    ANNOUNCED = "announced", "Announced"
    APPROVED = "approved", "Approved"
    REVIEWED = "reviewed", "Reviewed"
    FINANCED = "financed", "Financed"
    DROPPED = "dropped", "Dropped"
