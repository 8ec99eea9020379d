"""The indicators domain (DOMAIN.md, "Indicators"): what the registry measures, and sourced, dated values of it.

Single-row rules live in named database constraints; ``clean()`` repeats them as clear field errors for the
admin, the CSV import, the API and the seed loader, which all go through ``full_clean()``.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from indicators import choices
from indicators.choices import SUBJECT_FIELD, SUBJECT_FIELDS, Scope
from projects import rules
from projects.models import SLUG_VALIDATOR, Corridor, Project, Province, Source, name_link_rows
from registry.history import TrackedHistory


class Indicator(models.Model):
    """A measure of whether CPEC converts infrastructure into productive capacity, on the evidence ladder."""

    code = models.SlugField(max_length=100, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=100, help_text="Unit of every value, e.g. 'percent', 'USD millions', 'firms'.")
    level = models.CharField(
        max_length=20,
        choices=choices.Level.choices,
        help_text="Rung of the evidence ladder: context, mechanism or outcome.",
    )
    dimension = models.CharField(
        max_length=30, choices=choices.Dimension.choices, blank=True, help_text="Empty when no dimension fits."
    )
    higher_is_better = models.BooleanField(
        null=True, blank=True, help_text="Whether a higher value is an improvement; empty when neither is."
    )
    corridors = models.ManyToManyField(Corridor, blank=True, related_name="indicators")
    method = models.TextField(blank=True, help_text="How the indicator is measured.")
    history = TrackedHistory(m2m_fields=[corridors])

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=choices.Level.values), name="indicator_level_valid"),
            models.CheckConstraint(
                condition=Q(dimension="") | Q(dimension__in=choices.Dimension.values), name="indicator_dimension_valid"
            ),
        ]

    def __str__(self):
        return self.name


class ObservationQuerySet(models.QuerySet):
    def public(self):
        """What anonymous readers may see: every observation except those about a project that is not published."""
        return self.filter(~Q(scope=Scope.PROJECT) | rules.published("project"))


def _subject_matches_scope() -> Q:
    condition = Q()
    for scope, required in SUBJECT_FIELD.items():
        condition |= Q(scope=scope, **{f"{name}__isnull": name != required for name in SUBJECT_FIELDS})
    return condition


def _subject_key(scope: str) -> list[str]:
    subject = SUBJECT_FIELD[scope]
    return ["indicator", *([subject] if subject else []), "period_start", "period_end", "kind"]


def _unique_per_scope(scope: str, message: str) -> models.UniqueConstraint:
    # One conditional constraint per scope: the subject columns are nullable and SQL treats NULLs as distinct, so a
    # single constraint over all of them would never fire for national observations. Competing values (two sources
    # giving the same indicator, subject, period and kind) are kept side by side: the source is part of the key.
    return models.UniqueConstraint(
        fields=[*_subject_key(scope), "source"],
        condition=Q(scope=scope),
        name=f"observation_unique_{scope}",
        violation_error_message=message,
    )


def _one_preferred_per_scope(scope: str) -> models.UniqueConstraint:
    # Partial unique index: at most one preferred value per (indicator, subject, period, kind).
    return models.UniqueConstraint(
        fields=_subject_key(scope),
        condition=Q(scope=scope, is_preferred=True),
        name=f"observation_one_preferred_{scope}",
        violation_error_message=ONE_PREFERRED_MESSAGE,
    )


ONE_PREFERRED_MESSAGE = (
    "Another value of this indicator, subject, period and kind is already preferred: unmark that one first "
    "(at most one preferred value per indicator, subject, period and kind)."
)
DUPLICATE_SOURCE_MESSAGE = (
    "This source already gives a value of this indicator for this subject, period and kind: correct that one "
    "(a competing value needs another source)."
)


class Observation(models.Model):
    """One sourced value of one indicator, for one subject (the nation, a province, corridor or project) and period.

    An observation about a project belongs to it like its status changes and investment figures do: deleting the
    project deletes them (CASCADE), and their history keeps the deleted rows so the values can be recovered.
    Anonymous readers see observations of published projects only (``Observation.objects.public()``).
    """

    # No separate index: the (indicator, scope, period_start) index below serves lookups by indicator.
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="observations", db_index=False)
    scope = models.CharField(
        max_length=10, choices=choices.Scope.choices, help_text="What the value is about; names the subject column."
    )
    # ForeignKey columns are indexed by default, which serves the API's province/corridor/project filters.
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True, related_name="observations")
    corridor = models.ForeignKey(Corridor, on_delete=models.PROTECT, null=True, blank=True, related_name="observations")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, null=True, blank=True, related_name="observations")
    period_start = models.DateField(help_text="First day of the period the value refers to.")
    period_end = models.DateField(help_text="Last day of the period (the same day for a value at a date).")
    kind = models.CharField(max_length=10, choices=choices.ObservationKind.choices)
    value = models.DecimalField(max_digits=20, decimal_places=6, help_text="In the indicator's unit.")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="observations")
    quote = models.TextField(blank=True, help_text="The source's exact words that state the value.")
    is_preferred = models.BooleanField(
        default=False,
        help_text="The value the series and an indicator's latest value use when sources compete for the same "
        "indicator, subject, period and kind (at most one).",
    )
    note = models.TextField(blank=True)
    history = TrackedHistory()

    objects = ObservationQuerySet.as_manager()

    class Meta:
        ordering = ["indicator_id", "scope", "period_start", "period_end", "kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(scope__in=choices.Scope.values), name="observation_scope_valid"),
            models.CheckConstraint(condition=Q(kind__in=choices.ObservationKind.values), name="observation_kind_valid"),
            models.CheckConstraint(
                condition=_subject_matches_scope(),
                name="observation_subject_matches_scope",
                violation_error_message="The subject must match the scope: a national observation has none, "
                "a province, corridor or project observation has exactly that one.",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="observation_period_end_not_before_start",
                violation_error_message="The period cannot end before it starts.",
            ),
            _unique_per_scope(
                Scope.NATIONAL,
                "This indicator already has a national observation of this kind for this period from this source.",
            ),
            _unique_per_scope(
                Scope.PROVINCE,
                "This indicator already has an observation of this kind for this province and period from this source.",
            ),
            _unique_per_scope(
                Scope.CORRIDOR,
                "This indicator already has an observation of this kind for this corridor and period from this source.",
            ),
            _unique_per_scope(
                Scope.PROJECT,
                "This indicator already has an observation of this kind for this project and period from this source.",
            ),
            *(_one_preferred_per_scope(scope) for scope in Scope.values),
        ]
        indexes = [
            models.Index(fields=["indicator", "scope", "period_start"], name="observation_series_idx"),
            models.Index(fields=["kind"], name="observation_kind_idx"),
            # The list's cursor order (period_start, id): a page reads its rows off these indexes, for one
            # indicator and scope or for any other filter, instead of sorting every match.
            models.Index(fields=["indicator", "scope", "period_start", "id"], name="observation_series_page_idx"),
            models.Index(fields=["period_start", "id"], name="observation_page_idx"),
        ]

    def __str__(self):
        subject = self.subject_code or "national"
        return f"{self.indicator.code} · {subject} · {self.period_start}–{self.period_end} · {self.kind}"

    @property
    def subject(self) -> Province | Corridor | Project | None:
        """The province, corridor or project the observation is about; ``None`` for a national one."""
        name = SUBJECT_FIELD.get(self.scope)
        return getattr(self, name) if name else None

    @property
    def subject_code(self) -> str:
        """The subject's public identifier: province ISO code, corridor code or project slug; empty for national."""
        subject = self.subject
        if subject is None:
            return ""
        return subject.slug if isinstance(subject, Project) else subject.code

    def clean(self):
        errors = {}
        if self.scope in choices.Scope.values:
            scope_label = choices.Scope(self.scope).label.lower()
            required = SUBJECT_FIELD[self.scope]
            for name in SUBJECT_FIELDS:
                present = getattr(self, f"{name}_id") is not None
                if name == required and not present:
                    errors[name] = f"A {scope_label} observation needs the {name} it is about."
                elif name != required and present:
                    errors[name] = (
                        f"A {scope_label} observation has no {name}: leave it empty."
                        if required is None
                        else f"A {scope_label} observation is about a {required} only: leave the {name} empty."
                    )
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = f"The period cannot end ({self.period_end}) before it starts ({self.period_start})."
        if not errors:
            errors.update(self._competing_value_errors())
        if errors:
            raise ValidationError(errors)

    def same_key(self) -> "ObservationQuerySet":
        """The other observations of this indicator, subject, period and kind: the values competing with this one."""
        return Observation.objects.filter(
            indicator_id=self.indicator_id,
            scope=self.scope,
            **{f"{name}_id": getattr(self, f"{name}_id") for name in SUBJECT_FIELDS},
            period_start=self.period_start,
            period_end=self.period_end,
            kind=self.kind,
        ).exclude(pk=self.pk)

    def _competing_value_errors(self) -> dict[str, str]:
        """The uniqueness rules as field errors (the constraints repeat them in the database): one value per
        source, and at most one preferred value, per indicator, subject, period and kind."""
        if (
            self.indicator_id is None
            or self.scope not in choices.Scope.values
            or self.kind not in choices.ObservationKind.values
            or not self.period_start
            or not self.period_end
        ):
            return {}
        errors = {}
        others = self.same_key()
        if self.source_id is not None and others.filter(source_id=self.source_id).exists():
            errors["source"] = DUPLICATE_SOURCE_MESSAGE
        if self.is_preferred and others.filter(is_preferred=True).exists():
            errors["is_preferred"] = ONE_PREFERRED_MESSAGE
        return errors


name_link_rows(Indicator.corridors, "corridor")
