"""Fixed enumerations of the indicators domain (DOMAIN.md, "Indicators")."""

from django.db import models


class Level(models.TextChoices):
    """The evidence ladder, after Tang et al. (2026): context, then mechanism, then outcome."""

    CONTEXT = "context", "Context"
    MECHANISM = "mechanism", "Mechanism"
    OUTCOME = "outcome", "Outcome"


class Dimension(models.TextChoices):
    TECHNOLOGICAL_INNOVATION = "technological-innovation", "Technological innovation"
    INDUSTRIAL_UPGRADING = "industrial-upgrading", "Industrial upgrading"
    GREEN_TRANSITION = "green-transition", "Green transition"
    DIGITAL_CONNECTIVITY = "digital-connectivity", "Digital connectivity"
    INCLUSIVE_DEVELOPMENT = "inclusive-development", "Inclusive development"


class Scope(models.TextChoices):
    """What an observation is about; each scope but national names exactly one subject of its kind."""

    NATIONAL = "national", "National"
    PROVINCE = "province", "Province"
    CORRIDOR = "corridor", "Corridor"
    PROJECT = "project", "Project"


class ObservationKind(models.TextChoices):
    ACTUAL = "actual", "Actual"
    TARGET = "target", "Target"
    BASELINE = "baseline", "Baseline"


# The subject column each scope requires; the other subject columns must be empty.
SUBJECT_FIELD = {
    Scope.NATIONAL: None,
    Scope.PROVINCE: "province",
    Scope.CORRIDOR: "corridor",
    Scope.PROJECT: "project",
}
SUBJECT_FIELDS = ("province", "corridor", "project")
