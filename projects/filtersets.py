"""Query-parameter filters of the projects API (API.md: "Project filters"); every filter has a label."""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import extend_schema_field

from projects import choices
from projects.as_of import AS_OF_FIELDS, CURRENT_FIELDS, projects_as_of, status_in
from projects.models import (
    Corridor,
    Event,
    EventProject,
    ExchangeRate,
    InvestmentFigure,
    Organisation,
    Participation,
    Pillar,
    Project,
    Sector,
    Source,
    StatusChange,
    stale_condition,
)
from projects.visibility import visible_projects
from registry.api import filters


def _range(field: str, what: str) -> tuple[filters.NumberFilter, filters.NumberFilter]:
    """A derived field's range: on the values as of `as_of` when it is given."""
    return (
        filters.NumberFilter(field_name=field, method="filter_derived_min", label=f"{what} at least this value."),
        filters.NumberFilter(field_name=field, method="filter_derived_max", label=f"{what} at most this value."),
    )


# Four plain decimal numbers (spaces around them allowed), longitudes in -180..180 and latitudes in -90..90: the
# schema's pattern, and exactly what the filter reads (float() alone would also take 1e1, nan, 7_3 or tabs).
_LONGITUDE = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[0-9]{1,2})(?:\.[0-9]+)?)"
_LATITUDE = r"-?(?:90(?:\.0+)?|[0-8]?[0-9](?:\.[0-9]+)?)"
BBOX_PATTERN = f"^ *{_LONGITUDE} *, *{_LATITUDE} *, *{_LONGITUDE} *, *{_LATITUDE} *$"


class BBoxField(django_filters.fields.forms.CharField):
    """``min_lon,min_lat,max_lon,max_lat`` in WGS84 degrees."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not re.fullmatch(BBOX_PATTERN, str(value)):
            raise ValidationError(
                f"Give four numbers: min_lon,min_lat,max_lon,max_lat (e.g. 66.5,24.5,68.0,25.5), longitudes in "
                f"-180..180 and latitudes in -90..90; got {value!r}."
            )
        min_lon, min_lat, max_lon, max_lat = (float(part.strip(" ")) for part in str(value).split(","))
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValidationError(
                f"Each minimum must be at most its maximum (min_lon ≤ max_lon, min_lat ≤ max_lat); got {value!r}."
            )
        return min_lon, min_lat, max_lon, max_lat


@extend_schema_field({"type": "string", "pattern": BBOX_PATTERN})
class BBoxFilter(django_filters.Filter):
    field_class = BBoxField


class ProjectSearchFilter(filters.TextSearchFilter):
    """The text in the project's own fields, a participant's name, or its corridor's name or aliases."""

    def condition(self, term: str) -> Q:
        lowered = term.lower()
        corridor_ids = [
            corridor.pk
            for corridor in Corridor.objects.all()
            if lowered in corridor.name.lower() or any(lowered in alias.lower() for alias in corridor.aliases)
        ]
        participant = Participation.objects.filter(project=OuterRef("pk"), organisation__name__icontains=term)
        return super().condition(term) | Q(corridor_id__in=corridor_ids) | Exists(participant)


class ProjectFilterSet(filters.RegistryFilterSet):
    corridor = filters.MultiCodeFilter(
        field_name="corridor",
        to_field_name="code",
        queryset=Corridor.objects.all(),
        cached=True,
        none_value=choices.NONE_VALUE,
        enumerated=True,
        label="Corridor code(s); `none` for projects no source or documented rule assigns to a corridor.",
    )
    pillar = filters.MultiCodeFilter(
        to_field_name="code",
        queryset=Pillar.objects.all(),
        cached=True,
        enumerated=True,
        method="filter_pillar",
        label="5E pillar code(s): projects in any of them.",
    )
    sector = filters.MultiCodeFilter(
        to_field_name="code",
        queryset=Sector.objects.all(),
        cached=True,
        enumerated=True,
        method="filter_sector",
        label="Sector code(s); a top-level sector matches its children too.",
    )
    phase = filters.MultiChoiceFilter(choices=choices.Phase.choices, label="CPEC phase: 1 or 2.")
    confidence = filters.MultiChoiceFilter(
        choices=choices.Confidence.choices, label="How sure the record is: high, medium or low (any of them)."
    )
    status = filters.MultiChoiceFilter(
        choices=choices.Status.choices, method="filter_status", label="Current status (with `as_of`: the status then)."
    )
    province = filters.MultiChoiceFilter(
        choices=[*choices.Province.choices, (choices.NONE_VALUE, "No known province")],
        method="filter_province",
        label="Province ISO 3166-2:PK code(s); `none` for projects without a known province.",
    )
    organisation = filters.MultiCodeFilter(
        to_field_name="slug",
        queryset=Organisation.objects.all(),
        method="filter_linked",
        label="Slug(s) of any participant organisation (with `role`: in that role only).",
    )
    role = filters.MultiChoiceFilter(
        choices=choices.ParticipationRole.choices,
        method="filter_linked",
        label="Participation role(s); with `organisation` restricts to that role, alone matches any participant "
        "in the role.",
    )
    country = filters.CodeListFilter(
        length=2, example="CN, PK", method="filter_country", label="ISO 3166-1 alpha-2 code(s) of any participant."
    )
    announced_usd_min, announced_usd_max = _range("announced_usd", "Announced USD")
    committed_usd_min, committed_usd_max = _range("committed_usd", "Committed USD")
    realised_usd_min, realised_usd_max = _range("realised_usd", "Realised USD")
    realisation_ratio_min, realisation_ratio_max = _range("realisation_ratio", "Realisation ratio")
    status_since_after = filters.DateFilter(
        field_name="status_since", method="filter_derived_min", label="Current status reached on or after this date."
    )
    status_since_before = filters.DateFilter(
        field_name="status_since", method="filter_derived_max", label="Current status reached on or before this date."
    )
    completed_after = filters.DateFilter(field_name="completed_on", lookup_expr="gte", label="Completed on or after.")
    completed_before = filters.DateFilter(field_name="completed_on", lookup_expr="lte", label="Completed on or before.")
    is_stale = filters.BooleanFilter(
        method="filter_is_stale",
        label="true: in pipeline, mou or implementation for more than 4 years without a newer status change.",
    )
    has_location = filters.BooleanFilter(method="filter_has_location", label="true: the project has coordinates.")
    bbox = BBoxFilter(
        method="filter_bbox",
        label="Bounding box min_lon,min_lat,max_lon,max_lat (WGS84 degrees, plain decimals), each min at most its max.",
    )
    updated_since = filters.DateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="Changed at or after this ISO 8601 datetime."
    )
    search = ProjectSearchFilter(
        fields=("name", "summary", "place_name"),
        label="Case-insensitive text in name, summary, place, participant names or corridor name/aliases.",
    )
    event = filters.MultiCodeFilter(
        to_field_name="slug",
        queryset=Event.objects.all(),
        method="filter_linked",
        label="Slug(s) of governance events: projects linked to any of them (with `event_role`: in that role only).",
    )
    event_role = filters.MultiChoiceFilter(
        choices=choices.EventRole.choices,
        method="filter_linked",
        label="Event role(s); with `event` restricts to that role, alone matches projects any event gave the role.",
    )
    publication = filters.MultiChoiceFilter(
        choices=choices.Publication.choices,
        label="Editors only (an editor's token; 401 without credentials, 403 for other accounts): draft or published.",
    )
    as_of = filters.DateFilter(
        method="filter_applied_first",
        label="Read the registry as of this date (YYYY-MM-DD): status, status_since, headline money and staleness "
        "as the records dated on or before it give them; every derived filter and ordering uses those values. "
        "Projects with no status change by then are left out (see include_future).",
    )
    include_future = filters.BooleanFilter(
        method="filter_applied_first",
        label="With as_of: true keeps the projects that had no status change by then (with no status).",
    )
    ordering = filters.ordering_filter(
        {
            name: name
            for name in [
                "name",
                "announced_usd",
                "realised_usd",
                "realisation_ratio",
                "status_since",
                "updated_at",
                "capacity_value",
            ]
        },
        default="name",
        tie_breaker="slug",
        label="Sort by these fields (comma-separated, - for descending); nulls last. Default: name.",
    )

    EDITOR_ONLY = frozenset({"publication"})

    class Meta:
        model = Project
        fields = []

    # Which column stands for each derived field: the stored one, or its as-of annotation (``filter_queryset``).
    derived = CURRENT_FIELDS
    on = None  # the date the registry is read as of (``as_of``), None for today

    def is_valid(self):
        valid = super().is_valid()
        if (
            valid
            and self.form.cleaned_data.get("include_future") is not None
            and not self.form.cleaned_data.get("as_of")
        ):
            self.form.add_error("include_future", "include_future applies to a registry read as of a date: give as_of.")
            return False
        return valid

    def filter_queryset(self, queryset):
        on = self.form.cleaned_data.get("as_of")
        if on is not None:
            include_future = bool(self.form.cleaned_data.get("include_future"))
            queryset = projects_as_of(queryset, on, include_future=include_future, request=self.request)
            self.derived, self.on = AS_OF_FIELDS, on
        return super().filter_queryset(queryset)

    def ordering_field(self, name: str) -> str:
        return self.derived.get(name, name)

    def filter_applied_first(self, queryset, name, value):
        return queryset  # as_of and include_future shape the queryset before any filter (filter_queryset)

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(status__in=value) if self.on is None else status_in(self.on, value, self.request))

    def filter_derived_min(self, queryset, name, value):
        return queryset if value is None else queryset.filter(**{f"{self.derived[name]}__gte": value})

    def filter_derived_max(self, queryset, name, value):
        return queryset if value is None else queryset.filter(**{f"{self.derived[name]}__lte": value})

    def filter_pillar(self, queryset, name, value):
        if not value:
            return queryset
        through = Project.pillars.through
        return queryset.filter(Exists(through.objects.filter(project=OuterRef("pk"), pillar__in=value)))

    def filter_sector(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(sector__in=value) | Q(sector__parent__in=value))

    def filter_province(self, queryset, name, value):
        if not value:
            return queryset
        through = Project.provinces.through
        codes = [code for code in value if code != choices.NONE_VALUE]
        in_codes = through.objects.filter(project=OuterRef("pk"), province__in=codes)
        condition = Exists(in_codes) if codes else Q(pk__in=[])
        if choices.NONE_VALUE in value:
            condition |= ~Exists(through.objects.filter(project=OuterRef("pk")))
        return queryset.filter(condition)

    def filter_country(self, queryset, name, value):
        if not value:
            return queryset
        participants = Participation.objects.filter(project=OuterRef("pk"), organisation__country__in=value)
        return queryset.filter(Exists(participants))

    # The link tables the project filters read, by parameter: the table, its target parameter, its role parameter.
    LINKS = {
        "organisation": (Participation, "organisation", "role"),
        "role": (Participation, "organisation", "role"),
        "event": (EventProject, "event", "event_role"),
        "event_role": (EventProject, "event", "event_role"),
    }

    def filter_linked(self, queryset, name, value):
        """Projects with a row in a link table of the given targets (``organisation``, ``event``) and roles (``role``,
        ``event_role``): a target and its role apply together, as one EXISTS; a role alone matches any target."""
        model, target, role = self.LINKS[name]
        if not value or (name == role and self.form.cleaned_data.get(target)):
            return queryset  # a role given with its target is applied with the target
        rows = model.objects.filter(project=OuterRef("pk"))
        if targets := self.form.cleaned_data.get(target):
            rows = rows.filter(**{f"{target}__in": targets})
        if roles := self.form.cleaned_data.get(role):
            rows = rows.filter(role__in=roles)
        return queryset.filter(Exists(rows))

    def filter_is_stale(self, queryset, name, value):
        if value is None:
            return queryset
        condition = stale_condition(self.on, status=self.derived["status"], since=self.derived["status_since"])
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_has_location(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(latitude__isnull=not value)

    def filter_bbox(self, queryset, name, value):
        if not value:
            return queryset
        min_lon, min_lat, max_lon, max_lat = value
        return queryset.filter(
            longitude__gte=min_lon, longitude__lte=max_lon, latitude__gte=min_lat, latitude__lte=max_lat
        )


class SectorFilterSet(filters.RegistryFilterSet):
    parent = filters.MultiCodeFilter(
        field_name="parent",
        to_field_name="code",
        queryset=Sector.objects.filter(parent=None),
        enumerated=True,
        label="Parent code.",
    )

    class Meta:
        model = Sector
        fields = []


def visible_projects_for(request):
    """The projects a filter may name: the caller's visible ones (a draft's slug is unknown to the public)."""
    return visible_projects(getattr(request, "user", None))


class StatusChangeFilterSet(filters.RegistryFilterSet):
    project = filters.MultiCodeFilter(
        field_name="project", to_field_name="slug", queryset=visible_projects_for, label="Project slug(s)."
    )
    status = filters.MultiChoiceFilter(choices=choices.Status.choices, label="Status(es).")

    class Meta:
        model = StatusChange
        fields = []


class InvestmentFigureFilterSet(filters.RegistryFilterSet):
    project = filters.MultiCodeFilter(
        field_name="project", to_field_name="slug", queryset=visible_projects_for, label="Project slug(s)."
    )
    kind = filters.MultiChoiceFilter(choices=choices.InvestmentKind.choices, label="announced, committed or realised.")
    currency = filters.CodeListFilter(
        field_name="currency", length=3, example="USD, PKR", label="ISO 4217 currency code(s), e.g. USD,PKR."
    )

    class Meta:
        model = InvestmentFigure
        fields = []


class OrganisationFilterSet(filters.RegistryFilterSet):
    country = filters.CodeListFilter(
        field_name="country", length=2, example="CN, PK", label="ISO 3166-1 alpha-2 code(s)."
    )
    kind = filters.MultiChoiceFilter(choices=choices.OrganisationKind.choices, label="Kind(s) of organisation.")
    search = filters.TextSearchFilter(fields=("name", "slug"), label="Case-insensitive text in the name or slug.")

    class Meta:
        model = Organisation
        fields = []


class SourceFilterSet(filters.RegistryFilterSet):
    kind = filters.MultiChoiceFilter(choices=choices.SourceKind.choices, label="Kind(s) of source.")
    publisher = django_filters.CharFilter(
        field_name="publisher", lookup_expr="iexact", label="Publisher name (case-insensitive, exact)."
    )
    search = filters.TextSearchFilter(
        fields=("title", "publisher", "url"), label="Case-insensitive text in title, publisher or URL."
    )

    class Meta:
        model = Source
        fields = []


class EventFilterSet(filters.RegistryFilterSet):
    kind = filters.MultiChoiceFilter(choices=choices.EventKind.choices, label="Kind(s) of event.")
    date_after = filters.DateFilter(
        method="filter_date_after",
        label="Events on or after this date (YYYY-MM-DD); an event dated by month or year counts if any of its "
        "period is.",
    )
    date_before = filters.DateFilter(
        method="filter_date_before",
        label="Events on or before this date (YYYY-MM-DD); an event dated by month or year counts if any of its "
        "period is.",
    )
    project = filters.MultiCodeFilter(
        to_field_name="slug",
        queryset=visible_projects_for,
        method="filter_project",
        label="Project slug(s): events linked to any of them.",
    )
    search = filters.TextSearchFilter(
        fields=("title", "summary", "place"), label="Case-insensitive text in title, summary or place."
    )

    class Meta:
        model = Event
        fields = []

    def filter_date_after(self, queryset, name, value):
        """The event's period ends on or after ``value``: its start is on or after the start of the period of the
        same precision that holds ``value``."""
        if value is None:
            return queryset
        return queryset.filter(
            Q(date_precision=choices.DatePrecision.DAY, date__gte=value)
            | Q(date_precision=choices.DatePrecision.MONTH, date__gte=value.replace(day=1))
            | Q(date_precision=choices.DatePrecision.YEAR, date__gte=value.replace(month=1, day=1))
        )

    def filter_date_before(self, queryset, name, value):
        """The event's period starts on or before ``value``."""
        return queryset if value is None else queryset.filter(date__lte=value)

    def filter_project(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Exists(EventProject.objects.filter(event=OuterRef("pk"), project__in=value)))


class YearField(forms.Field):
    """Calendar years: ``2016,2017``."""

    def clean_items(self, years: list[str]) -> list[int]:
        invalid = [year for year in years if not (year.isascii() and year.isdigit() and len(year) == 4)]
        if invalid:
            raise ValidationError(
                f"Use four-digit years such as 2016; got {', '.join(repr(year) for year in invalid)}.", code="invalid"
            )
        return [int(year) for year in years]


@extend_schema_field({"type": "integer", "minimum": 1000, "maximum": 9999})
class YearListFilter(filters.CommaListFilter):
    field_class = YearField


class ExchangeRateFilterSet(filters.RegistryFilterSet):
    currency = filters.CodeListFilter(
        field_name="currency", length=3, example="PKR, CNY", label="ISO 4217 currency code(s), e.g. PKR,CNY."
    )
    year = YearListFilter(field_name="year", label="Calendar year(s), comma-separated.")

    class Meta:
        model = ExchangeRate
        fields = []
