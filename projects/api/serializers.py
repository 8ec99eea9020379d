"""Serializers of the projects API: the shapes in API.md, related records by their public identifiers.

Writes go through ``projects.services`` (or ``full_clean()`` for single-row records), so the API applies the same
rules as the admin; a broken rule is a 400 with the model's message.
"""

import functools
import re

from django.urls import NoReverseMatch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from projects import choices, services
from projects.models import (
    HTTP_URL_VALIDATOR,
    NON_NEGATIVE,
    PARTIAL_DATE_PATTERN,
    SLUG_VALIDATOR,
    Corridor,
    Event,
    EventProject,
    ExchangeRate,
    ExternalIdentifier,
    InvestmentFigure,
    Organisation,
    Participation,
    Pillar,
    Project,
    Province,
    Sector,
    Source,
    StatusChange,
    parse_partial_date,
    partial_date,
    project_is_stale,
)
from projects.visibility import visible_projects
from registry.api.fields import (
    AbsoluteUrlField,
    ContextFreeRepresentation,
    RegistryModelSerializer,
    ValidatedModelSerializer,
    VocabularyField,
    json_type_name,
    row_choice,
    row_column,
    row_computed,
    row_typed,
)
from registry.api.rows import Computed, RowReader
from registry.validators import web_url_validator

MONEY = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": False}
# The schema says "minimum: 0"; the message is the model's, so the API and the admin refuse in the same words.
NOT_NEGATIVE = {"min_value": 0, "error_messages": {"min_value": NON_NEGATIVE.message}}
URL_SLUG_MARKER = "slug-marker-0"


def money_field(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(**MONEY, read_only=True, allow_null=True, help_text=help_text)


# --- reference data -------------------------------------------------------------------------------------------


class CorridorSerializer(RegistryModelSerializer):
    project_count = serializers.IntegerField(read_only=True, help_text="Published projects in the corridor.")
    announced_usd = money_field("Sum of the headline announced USD of its published projects.")
    realised_usd = money_field("Sum of the headline realised USD of its published projects.")
    url = AbsoluteUrlField("corridor-detail", "code")

    class Meta:
        model = Corridor
        fields = [
            "code",
            "name",
            "aliases",
            "description",
            "order",
            "project_count",
            "announced_usd",
            "realised_usd",
            "url",
        ]


class PillarSerializer(RegistryModelSerializer):
    aligned_corridor = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The corridor the 5Es pair it with, or null."
    )
    project_count = serializers.IntegerField(read_only=True, help_text="Published projects in the pillar.")
    url = AbsoluteUrlField("pillar-detail", "code")

    class Meta:
        model = Pillar
        fields = ["code", "name", "description", "aligned_corridor", "project_count", "url"]


class SectorSerializer(RegistryModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Parent sector code or null."
    )
    project_count = serializers.IntegerField(read_only=True, help_text="Published projects in the sector itself.")
    url = AbsoluteUrlField("sector-detail", "code")

    class Meta:
        model = Sector
        fields = ["code", "name", "parent", "project_count", "url"]


class ProvinceSerializer(RegistryModelSerializer):
    project_count = serializers.IntegerField(read_only=True, help_text="Published projects in the province.")

    class Meta:
        model = Province
        fields = ["code", "name", "project_count"]


class SourceSerializer(ContextFreeRepresentation, ValidatedModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "title", "publisher", "url", "published_on", "accessed_on", "kind"]
        # A URL already cited is refused by the model's constraint, with its message (as in the admin).
        extra_kwargs = {"url": {"validators": [web_url_validator, HTTP_URL_VALIDATOR]}}


class OrganisationSerializer(ValidatedModelSerializer):
    url = AbsoluteUrlField("organisation-detail", "slug")

    class Meta:
        model = Organisation
        fields = ["slug", "name", "country", "kind", "website", "url"]


class SourceReferenceField(serializers.PrimaryKeyRelatedField):
    """A source given by id in writes and shown in full in responses (schema: registry.api.schema)."""

    def use_pk_only_optimization(self):
        return False

    def to_representation(self, value):
        return SourceSerializer.shared().to_representation(value)


# --- project parts --------------------------------------------------------------------------------------------


class ParticipantSerializer(ContextFreeRepresentation, RegistryModelSerializer):
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), help_text="Organisation slug."
    )
    name = serializers.CharField(source="organisation.name", read_only=True, help_text="The organisation's name.")
    read_only_reasons = {"name": "It is the name of the organisation given in `organisation`."}

    class Meta:
        model = Participation
        fields = ["organisation", "name", "role", "note"]
        extra_kwargs = {"note": {"required": False}}
        validators = []  # uniqueness is checked over the whole list in ProjectSerializer


class ExternalIdentifierSerializer(ContextFreeRepresentation, RegistryModelSerializer):
    class Meta:
        model = ExternalIdentifier
        fields = ["scheme", "value", "url", "quote"]


class VisibleProjectFieldMixin:
    """A ``project`` field that only accepts projects the requesting user may see, set once: an update (PUT or PATCH)
    may leave it out, and may only repeat it unchanged (the services refuse a move; the schema marks it read-only
    there, projects.api.schema.document_model_rules)."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and "project" in fields and not fields["project"].read_only:
            fields["project"].queryset = visible_projects(request.user)
        if self.instance is not None and "project" in fields:
            fields["project"].required = False
        return fields


class ExchangeRateSerializer(RegistryModelSerializer):
    """US dollars per unit of a currency in a year, with its source: what converts figures to USD."""

    usd_per_unit = serializers.DecimalField(
        max_digits=20, decimal_places=10, coerce_to_string=False, read_only=True, help_text="US dollars per unit."
    )
    source = SourceSerializer(read_only=True, help_text="Where the rate comes from.")
    url = AbsoluteUrlField("exchange-rate-detail", "pk")

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "year", "usd_per_unit", "source", "url"]


class StatusChangeSerializer(VisibleProjectFieldMixin, RegistryModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all(), help_text="Project slug.")
    source = serializers.PrimaryKeyRelatedField(queryset=Source.objects.all(), help_text="Source id.")

    class Meta:
        model = StatusChange
        fields = ["id", "project", "status", "date", "source", "note", "quote"]

    def create(self, validated_data):
        return services.status_change_record(**validated_data)

    def update(self, instance, validated_data):
        return services.status_change_update(status_change=instance, **validated_data)


class InvestmentFigureSerializer(VisibleProjectFieldMixin, RegistryModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all(), help_text="Project slug.")
    source = serializers.PrimaryKeyRelatedField(queryset=Source.objects.all(), help_text="Source id.")
    amount = serializers.DecimalField(**MONEY, **NOT_NEGATIVE)
    amount_usd = serializers.DecimalField(
        **MONEY,
        **NOT_NEGATIVE,
        required=False,
        allow_null=True,
        help_text="Equals amount for USD. Other currencies: omit to convert with the exchange rate of the year of "
        "as_of, or give the USD value the source states.",
    )

    class Meta:
        model = InvestmentFigure
        fields = [
            "id",
            "project",
            "kind",
            "amount",
            "currency",
            "amount_usd",
            "amount_usd_converted",
            "exchange_rate",
            "no_usd_reason",
            "as_of",
            "source",
            "note",
            "quote",
            "is_preferred",
        ]
        read_only_fields = ["amount_usd_converted"]
        validators = []  # the preferred-figure rule is checked by full_clean() with a field-level message

    exchange_rate = ExchangeRateSerializer(
        read_only=True, allow_null=True, help_text="The rate the registry converted amount_usd with, or null."
    )
    read_only_reasons = {
        "amount_usd_converted": "It is set by the registry: true when it converted amount_usd with an exchange rate.",
        "exchange_rate": "It is set by the registry: the rate of the currency for the year of as_of "
        "(GET /api/v1/exchange-rates/).",
    }

    def create(self, validated_data):
        return services.investment_figure_record(**validated_data)

    def update(self, instance, validated_data):
        return services.investment_figure_update(investment=instance, **validated_data)


class StatusHistoryEntrySerializer(ContextFreeRepresentation, RegistryModelSerializer):
    source = SourceSerializer(read_only=True)

    class Meta:
        model = StatusChange
        fields = ["id", "status", "date", "note", "quote", "source"]


class InvestmentClaimSerializer(RegistryModelSerializer):
    amount = serializers.DecimalField(**MONEY, read_only=True)
    amount_usd = serializers.DecimalField(**MONEY, read_only=True, allow_null=True)
    exchange_rate = ExchangeRateSerializer(
        read_only=True, allow_null=True, help_text="The rate the registry converted amount_usd with, or null."
    )
    source = SourceSerializer(read_only=True)

    class Meta:
        model = InvestmentFigure
        fields = [
            "id",
            "kind",
            "amount",
            "currency",
            "amount_usd",
            "amount_usd_converted",
            "exchange_rate",
            "no_usd_reason",
            "as_of",
            "is_preferred",
            "note",
            "quote",
            "source",
        ]


# --- governance events ----------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "pattern": PARTIAL_DATE_PATTERN,
        "example": "2015-11",
        "description": "As precise as the sources give it: YYYY-MM-DD, YYYY-MM or YYYY.",
    }
)
class PartialDateField(serializers.Field):
    """An event's date as precise as its sources: written and read as YYYY-MM-DD, YYYY-MM or YYYY; it sets the
    event's ``date`` (the period's first day) and ``date_precision``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, event):
        return event.date_text

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(f"Expected a string, got {json_type_name(data)}.")
        try:
            date, precision = parse_partial_date(data)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        if not re.fullmatch(PARTIAL_DATE_PATTERN, data):  # the schema's pattern: parse_partial_date's dates, unpadded
            raise serializers.ValidationError(
                f"Give a date as YYYY-MM-DD, YYYY-MM or YYYY, without spaces; got {data!r}."
            )
        return {"date": date, "date_precision": precision}


class EventProjectSerializer(RegistryModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all(), help_text="Project slug.")
    name = serializers.CharField(source="project.name", read_only=True, help_text="The project's name.")
    read_only_reasons = {"name": "It is the name of the project given in `project`."}

    class Meta:
        model = EventProject
        fields = ["project", "name", "role", "note"]
        extra_kwargs = {"note": {"required": False}}
        validators = []  # a role is held once per project: checked over the whole list by the service

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["project"].queryset = visible_projects(request.user)
        return fields


class EventSerializer(RegistryModelSerializer):
    """A governance event (DOMAIN.md, "Governance"): dated as precisely as its sources, with the projects it concerns
    and what it did for each."""

    date = PartialDateField(help_text="As precise as the sources give it: YYYY-MM-DD, YYYY-MM or YYYY.")
    sources = SourceReferenceField(
        many=True,
        queryset=Source.objects.all(),
        help_text="One or more sources: objects in responses, ids in writes.",
    )
    projects = EventProjectSerializer(
        source="project_links",
        many=True,
        required=False,
        help_text="The projects it concerns, each with its role (a project once per role); a write replaces the "
        "list. The public see published projects only.",
    )
    url = AbsoluteUrlField("event-detail", "slug")
    read_only_reasons = {"date_precision": "It follows from `date`: give YYYY-MM-DD, YYYY-MM or YYYY."}

    class Meta:
        model = Event
        fields = [
            "slug",
            "kind",
            "title",
            "date",
            "date_precision",
            "place",
            "summary",
            "quote",
            "sources",
            "projects",
            "url",
        ]
        read_only_fields = ["date_precision"]

    def to_representation(self, instance):
        """Sources by id and projects by slug then role, whether the links were prefetched for a read or are read
        back after a write (which lists them in the order they were stored)."""
        data = super().to_representation(instance)
        if "sources" in data:  # absent when `fields=` leaves it out
            data["sources"] = sorted(data["sources"], key=lambda source: source["id"])
        if "projects" in data:
            data["projects"] = sorted(data["projects"], key=lambda link: (link["project"], link["role"]))
        return data

    def validate_projects(self, links):
        seen = set()
        for link in links:
            missing = [name for name in ("project", "role") if name not in link]
            if missing:
                raise serializers.ValidationError(f"Each project needs {' and '.join(missing)}.")
            key = (link["project"].pk, link["role"])
            if key in seen:
                raise serializers.ValidationError(f"{link['project'].slug} is listed twice as {link['role']}.")
            seen.add(key)
        return links

    def create(self, validated_data):
        links = validated_data.pop("project_links", [])
        return services.event_create(projects=links, **validated_data)

    def update(self, instance, validated_data):
        links = validated_data.pop("project_links", None)
        return services.event_update(event=instance, projects=links, **validated_data)


# --- projects -------------------------------------------------------------------------------------------------

PROJECT_LIST_FIELDS = [
    "slug",
    "name",
    "summary",
    "phase",
    "corridor",
    "pillars",
    "sector",
    "status",
    "status_since",
    "is_stale",
    "provinces",
    "place_name",
    "latitude",
    "longitude",
    "location_precision",
    "capacity_value",
    "capacity_unit",
    "announced_usd",
    "committed_usd",
    "realised_usd",
    "realisation_ratio",
    "participants",
    "confidence",
    "publication",
    "updated_at",
    "url",
]
PROJECT_DETAIL_FIELDS = [
    *PROJECT_LIST_FIELDS[:-1],
    "mou_signed_on",
    "financial_close_on",
    "construction_started_on",
    "completed_on",
    "status_history",
    "investments",
    "external_ids",
    "events",
    "sources",
    "observations_url",
    "url",
]


def attached_codes(project: Project, attribute: str, relation: str) -> list[str]:
    """The codes the list view attached to the project (``attach_list_relations``), else read through the relation."""
    codes = getattr(project, attribute, None)
    return codes if codes is not None else [item.code for item in getattr(project, relation).all()]


def attached_participants(project: Project) -> list[tuple]:
    """(organisation slug, organisation name, role, note) of each participation, attached or read."""
    rows = getattr(project, "participant_rows", None)
    if rows is not None:
        return rows
    return [(p.organisation.slug, p.organisation.name, p.role, p.note) for p in project.participations.all()]


class ProjectSerializer(RegistryModelSerializer):
    """A project in a list (API.md); writes accept the same names, derived fields are read-only."""

    corridor = VocabularyField(
        slug_field="code",
        queryset=Corridor.objects.all(),
        required=False,
        allow_null=True,
        help_text="Corridor code, or null: only where a source or a documented editorial rule assigns one.",
    )
    pillars = VocabularyField(
        slug_field="code", many=True, queryset=Pillar.objects.all(), help_text="5E pillar codes (at least one)."
    )
    sector = VocabularyField(slug_field="code", queryset=Sector.objects.all(), help_text="Sector code.")
    provinces = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        queryset=Province.objects.all(),
        required=False,
        help_text="ISO 3166-2:PK codes; empty when no province is known (e.g. a nationwide grant).",
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, required=False, allow_null=True
    )
    capacity_value = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        coerce_to_string=False,
        required=False,
        allow_null=True,
        min_value=0,
        error_messages={"min_value": "Capacity must not be negative."},
    )
    capacity_unit = serializers.ChoiceField(
        choices=choices.CapacityUnit.choices, required=False, allow_null=True, help_text="Unit of capacity_value."
    )
    location_precision = serializers.ChoiceField(
        choices=choices.LocationPrecision.choices,
        required=False,
        allow_null=True,
        help_text="How precise latitude/longitude are: exact, approximate (e.g. GEM's approximate) or region; "
        "null when not stated.",
    )
    confidence = serializers.ChoiceField(
        choices=choices.Confidence.choices,
        required=False,
        allow_null=True,
        help_text="How sure the record is, all things considered: high, medium or low; null when not graded.",
    )
    status = serializers.ChoiceField(
        choices=choices.Status.choices, read_only=True, allow_null=True, help_text="Derived: the latest status change."
    )
    is_stale = serializers.SerializerMethodField(
        help_text="In pipeline, mou or implementation for more than 4 years without a newer status change."
    )
    announced_usd = money_field("Derived: the preferred (else latest) announced figure, in USD.")
    committed_usd = money_field("Derived: the preferred (else latest) committed figure, in USD.")
    realised_usd = money_field("Derived: the preferred (else latest) realised figure, in USD.")
    realisation_ratio = serializers.DecimalField(
        max_digits=22,
        decimal_places=4,
        coerce_to_string=False,
        read_only=True,
        allow_null=True,
        help_text="Derived: realised / announced; null when either is missing or announced is 0.",
    )
    participants = ParticipantSerializer(
        source="participations",
        many=True,
        required=False,
        help_text="Organisations and their roles (an organisation once per role).",
    )
    url = AbsoluteUrlField("project-detail", "slug")
    _url_around_slug: list[str] | None = None
    read_only_reasons = {
        "status": "It is derived from the status history: record a status change (POST /api/v1/status-changes/).",
        "status_since": "It is derived from the status history: the date of the latest status change.",
        "is_stale": "It is computed from status and status_since: more than 4 years in pipeline, mou or "
        "implementation.",
        **dict.fromkeys(
            ["announced_usd", "committed_usd", "realised_usd"],
            "It is derived from the project's investment figures (the preferred one of its kind, else the latest): "
            "record a figure (POST /api/v1/investments/).",
        ),
        "realisation_ratio": "It is derived: realised_usd / announced_usd.",
        "status_history": "Status changes are written at /api/v1/status-changes/.",
        "investments": "Investment figures are written at /api/v1/investments/.",
        "external_ids": "External identifiers are edited in the admin.",
        "events": "Events are written at /api/v1/events/ with the projects they concern.",
        "observations_url": "It is the address of the project's indicator observations.",
    }

    class Meta:
        model = Project
        fields = PROJECT_LIST_FIELDS
        read_only_fields = ["status_since", "updated_at"]
        extra_kwargs = {
            "slug": {
                "help_text": "The project's identifier in the API: lower-case letters, digits and hyphens. Stable: "
                "it cannot change while the project is published."
            }
        }

    def to_representation(self, instance):
        """The list shape, built directly: the values of DRF's generic field loop (tests/bench pins that they are
        equal, byte for byte), at a third of its cost per row, which dominated lists and exports. Only the fields
        asked for (``fields=``) are built, so that what they do not need is neither read nor fetched."""
        return {name: LIST_VALUES[name](self, instance) for name in self.fields}

    def row_binders(self):
        """The list shape from a ``values()`` row (``projects.api.views.list_values``, relations attached by
        ``attach_list_relations``): what ``to_representation`` gives for the project (tests/bench pins that both
        are equal, byte for byte), without building a model instance and the corridor and sector it joins."""
        return ROW_VALUES

    def typed(self, name: str, value):
        return None if value is None else self.reading_fields()[name].to_representation(value)

    def choice(self, name: str, value):
        return self.reading_fields()[name].to_representation(value)

    def project_url(self, slug: str) -> str:
        """The ``url`` field's value; reversed once per response, the slug put in place (it needs no quoting)."""
        url_field, request = self.reading_fields()["url"], self.context.get("request")
        if not SLUG_VALIDATOR.regex.fullmatch(slug):
            return url_field.url_for(slug, request)
        if self._url_around_slug is None:
            self._url_around_slug = url_field.url_for(URL_SLUG_MARKER, request).split(URL_SLUG_MARKER)
        before, after = self._url_around_slug
        return f"{before}{slug}{after}"

    def generic_representation(self, instance):
        """DRF's own field loop, for the detail and as the reference the list shape must equal."""
        data = super().to_representation(instance)
        for name in ("status", "capacity_unit", "location_precision", "confidence"):  # a blank choice reads as null
            if name in data and not data[name]:
                data[name] = None
        return data

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_stale(self, project) -> bool:
        return project.is_stale

    def validate_capacity_unit(self, value):
        return value or ""

    def validate_location_precision(self, value):
        return value or ""

    def validate_confidence(self, value):
        return value or ""

    def validate_participants(self, participants):
        seen = set()
        for participant in participants:
            # In a PATCH the nested fields are not required by DRF; a participant still needs both.
            missing = [name for name in ("organisation", "role") if name not in participant]
            if missing:
                raise serializers.ValidationError(f"Each participant needs {' and '.join(missing)}.")
            key = (participant["organisation"].pk, participant["role"])
            if key in seen:
                raise serializers.ValidationError(
                    f"{participant['organisation'].slug} is listed twice as {participant['role']}."
                )
            seen.add(key)
        return participants

    # The project and its participants are written together: the viewset's create and update run in one transaction
    # (registry.api.views.RegistryModelViewSet, IfMatchMixin).
    def create(self, validated_data):
        participants = validated_data.pop("participations", None)
        project = services.project_create(**validated_data)
        if participants is not None:
            services.project_set_participants(project=project, participants=participants)
        return project

    def update(self, instance, validated_data):
        participants = validated_data.pop("participations", None)
        project = services.project_update(project=instance, **validated_data)
        if participants is not None:
            services.project_set_participants(project=project, participants=participants)
        return project


def _participants(serializer, project) -> list[dict]:
    return [
        {"organisation": slug, "name": str(name), "role": role, "note": str(note)}
        for slug, name, role, note in attached_participants(project)
    ]


def _stored(name: str):
    return lambda serializer, project: serializer.typed(name, getattr(project, name))


def _text(name: str):
    return lambda serializer, project: str(getattr(project, name))


def _choice(name: str):
    return lambda serializer, project: serializer.choice(name, getattr(project, name)) or None


# How ProjectSerializer builds each field of the list shape from a project.
LIST_VALUES = {
    "slug": _text("slug"),
    "name": _text("name"),
    "summary": _text("summary"),
    "phase": lambda serializer, project: serializer.choice("phase", project.phase),
    "corridor": lambda serializer, project: project.corridor.code if project.corridor_id is not None else None,
    "pillars": lambda serializer, project: attached_codes(project, "pillar_codes", "pillars"),
    "sector": lambda serializer, project: project.sector.code,
    "status": _choice("status"),
    "status_since": _stored("status_since"),
    "is_stale": lambda serializer, project: project.is_stale,
    "provinces": lambda serializer, project: attached_codes(project, "province_codes", "provinces"),
    "place_name": _text("place_name"),
    "latitude": _stored("latitude"),
    "longitude": _stored("longitude"),
    "capacity_value": _stored("capacity_value"),
    "location_precision": _choice("location_precision"),
    "capacity_unit": _choice("capacity_unit"),
    "announced_usd": _stored("announced_usd"),
    "committed_usd": _stored("committed_usd"),
    "realised_usd": _stored("realised_usd"),
    "realisation_ratio": _stored("realisation_ratio"),
    "participants": _participants,
    "confidence": _choice("confidence"),
    "publication": lambda serializer, project: serializer.choice("publication", project.publication),
    "updated_at": _stored("updated_at"),
    "url": lambda serializer, project: serializer.project_url(project.slug),
}


def _row_participants(serializer, row: dict) -> list[dict]:
    return [
        {"organisation": slug, "name": name, "role": role, "note": note}
        for slug, name, role, note in row["participant_rows"]
    ]


def _row_is_stale(serializer, row: dict) -> bool:
    return project_is_stale(row["status"], row["status_since"], row.get("stale_on"))


# How ProjectSerializer builds each field of the list shape from a values() row (LIST_VALUES, from an instance).
ROW_VALUES = {
    "slug": row_column("slug"),
    "name": row_column("name"),
    "summary": row_column("summary"),
    "phase": row_choice("phase", blank_is_null=False),
    "corridor": row_column("corridor__code"),
    "pillars": row_column("pillar_codes"),
    "sector": row_column("sector__code"),
    "status": row_choice("status"),
    "status_since": row_typed("status_since"),
    "is_stale": row_computed(_row_is_stale),
    "provinces": row_column("province_codes"),
    "place_name": row_column("place_name"),
    "latitude": row_typed("latitude"),
    "longitude": row_typed("longitude"),
    "capacity_value": row_typed("capacity_value"),
    "location_precision": row_choice("location_precision"),
    "capacity_unit": row_choice("capacity_unit"),
    "announced_usd": row_typed("announced_usd"),
    "committed_usd": row_typed("committed_usd"),
    "realised_usd": row_typed("realised_usd"),
    "realisation_ratio": row_typed("realisation_ratio"),
    "participants": row_computed(_row_participants),
    "confidence": row_choice("confidence"),
    "publication": row_choice("publication", blank_is_null=False),
    "updated_at": row_typed("updated_at"),
    "url": row_computed(lambda serializer, row: serializer.project_url(row["slug"])),
}


class ProjectEventSerializer(ContextFreeRepresentation, RegistryModelSerializer):
    """A governance event as a project's record shows it: the event, and what it did for the project."""

    event = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="The event's slug.")
    title = serializers.CharField(source="event.title", read_only=True, help_text="The event's title.")
    kind = serializers.CharField(source="event.kind", read_only=True, help_text="The kind of event.")
    date = PartialDateField(source="event", read_only=True)

    class Meta:
        model = EventProject
        fields = ["event", "title", "kind", "date", "role", "note"]


class ProjectDetailSerializer(ProjectSerializer):
    """A project with its full record: key dates, status history, every money claim, identifiers, events, sources."""

    status_history = StatusHistoryEntrySerializer(source="status_changes", many=True, read_only=True)
    investments = InvestmentClaimSerializer(many=True, read_only=True)
    external_ids = ExternalIdentifierSerializer(many=True, read_only=True)
    events = ProjectEventSerializer(
        source="event_links", many=True, read_only=True, help_text="The governance events that concern it, by date."
    )
    sources = SourceReferenceField(
        many=True,
        queryset=Source.objects.all(),
        required=False,
        help_text="The project's general sources: objects in responses, ids in writes.",
    )
    observations_url = serializers.SerializerMethodField(help_text="The indicator observations about this project.")

    class Meta(ProjectSerializer.Meta):
        fields = PROJECT_DETAIL_FIELDS

    def to_representation(self, instance):
        return self.generic_representation(instance)

    def row_binders(self):
        """The full record from a ``values()`` row of the project and a ``values_list()`` of each related list it
        shows (``projects.api.views.ProjectViewSet.detail_row``): what ``to_representation`` gives for the project
        with its relations prefetched (tests/bench pins both byte for byte), without the model instances."""
        return DETAIL_ROW_VALUES

    def related_records(self, name: str, row: dict) -> list[dict]:
        reader = detail_readers()[name]
        return [reader.read(values, self.context) for values in row[f"{name}_rows"]]

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_observations_url(self, project) -> str | None:
        return self.observations_url_for(project.slug)

    def observations_url_for(self, slug: str) -> str | None:
        try:
            base = reverse("observation-list", request=self.context.get("request"))
        except NoReverseMatch:  # the indicators API is not installed
            return None
        return f"{base}?project={slug}"


KEY_DATES = ["mou_signed_on", "financial_close_on", "construction_started_on", "completed_on"]
# The related lists of the full record that are read by a RowReader (detail_readers), each from a values_list().
DETAIL_RECORDS = ["status_history", "investments", "external_ids", "events", "sources"]


def _exchange_rate_url(context, pk):
    return ExchangeRateSerializer.reading_fields()["url"].url_for(pk, context.get("request"))


def _event_date(context, date, precision):
    return partial_date(date, precision) if date else ""  # Event.date_text


@functools.cache
def detail_readers() -> dict[str, RowReader]:
    """How each related list of the full record is read from its values_list() rows; built once per process, on
    first use (it builds the nested serializers' fields)."""
    return {
        "status_history": RowReader(StatusHistoryEntrySerializer),
        "investments": RowReader(
            InvestmentClaimSerializer, computed={"exchange_rate.url": Computed(("id",), _exchange_rate_url)}
        ),
        "external_ids": RowReader(ExternalIdentifierSerializer),
        "events": RowReader(
            ProjectEventSerializer,
            computed={"date": Computed(("event__date", "event__date_precision"), _event_date)},
        ),
        "sources": RowReader(SourceSerializer, prefix="source__"),  # read through the project-source links
    }


def _row_records(name: str):
    return row_computed(lambda serializer, row: serializer.related_records(name, row))


# How ProjectDetailSerializer builds each field of the full record from a values() row (ROW_VALUES, the list's).
DETAIL_ROW_VALUES = {
    **ROW_VALUES,
    **{name: row_typed(name) for name in KEY_DATES},
    **{name: _row_records(name) for name in DETAIL_RECORDS},
    "observations_url": row_computed(lambda serializer, row: serializer.observations_url_for(row["slug"])),
}


# --- statistics ------------------------------------------------------------------------------------------------


STATS_MONEY = {"max_digits": 24, "decimal_places": 2, "coerce_to_string": False, "allow_null": True}


class InvestmentTotalsSerializer(serializers.Serializer):
    project_count = serializers.IntegerField(help_text="Projects in the group (in the totals: each project once).")
    announced_usd = serializers.DecimalField(**STATS_MONEY, help_text="Sum of the projects' headline announced USD.")
    committed_usd = serializers.DecimalField(**STATS_MONEY, help_text="Sum of the projects' headline committed USD.")
    realised_usd = serializers.DecimalField(**STATS_MONEY, help_text="Sum of the projects' headline realised USD.")
    realisation_ratio = serializers.DecimalField(
        max_digits=22,
        decimal_places=4,
        coerce_to_string=False,
        allow_null=True,
        help_text="Sum of realised / sum of announced over the projects that have both (`ratio_project_count`).",
    )
    ratio_project_count = serializers.IntegerField(
        help_text="How many projects `realisation_ratio` rests on: those with both announced and realised money."
    )
    realisation_ratio_all_projects = serializers.DecimalField(
        max_digits=22,
        decimal_places=4,
        coerce_to_string=False,
        allow_null=True,
        help_text="Sum of realised / sum of announced over all the projects (`realised_usd` / `announced_usd`).",
    )
    capacity = serializers.DictField(
        child=serializers.DecimalField(max_digits=24, decimal_places=3, coerce_to_string=False),
        help_text="Sum of the projects' capacity per unit (MW, km, ...): units present only, never added across.",
    )


# The dimensions a group of the statistics is keyed by: those of ``group_by`` (the others are absent). A comment, not
# a docstring: the schema would take a docstring as the description of every group.
class GroupDimensionsSerializer(serializers.Serializer):
    corridor = serializers.CharField(required=False, allow_null=True, help_text="Corridor code (when grouped by it).")
    pillar = serializers.CharField(required=False, allow_null=True, help_text="Pillar code (when grouped by it).")
    sector = serializers.CharField(required=False, allow_null=True, help_text="Sector code (when grouped by it).")
    status = serializers.CharField(required=False, allow_null=True, help_text="Status (when grouped by it).")
    province = serializers.CharField(required=False, allow_null=True, help_text="Province code (when grouped by it).")
    phase = serializers.CharField(required=False, allow_null=True, help_text="Phase (when grouped by it).")
    confidence = serializers.CharField(
        required=False, allow_null=True, help_text="Confidence grade (when grouped by it); null: not graded."
    )
    organisation = serializers.CharField(
        required=False, allow_null=True, help_text="Organisation slug (when grouped by it); null: no participant."
    )
    role = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="The organisation's participation role (when grouped by organisation).",
    )


class InvestmentGroupSerializer(InvestmentTotalsSerializer, GroupDimensionsSerializer):
    pass


class InvestmentStatsSerializer(serializers.Serializer):
    group_by = serializers.ListField(child=serializers.CharField())
    totals = InvestmentTotalsSerializer()
    groups = InvestmentGroupSerializer(many=True)


class TimelineGroupSerializer(GroupDimensionsSerializer):
    status = serializers.CharField(
        required=False, allow_null=True, help_text="Status on 31 December of the year (when grouped by it)."
    )
    project_count = serializers.IntegerField(help_text="Projects with a figure of the kind by the end of the year.")
    amount_usd = serializers.DecimalField(**STATS_MONEY, help_text="Sum of their headline figures of the kind, USD.")


class TimelineYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="The calendar year; values are as of its 31 December.")
    project_count = serializers.IntegerField(help_text="Projects with a figure of the kind by the end of the year.")
    amount_usd = serializers.DecimalField(**STATS_MONEY, help_text="Sum of their headline figures of the kind, USD.")
    groups = TimelineGroupSerializer(many=True, required=False, help_text="Per group, with `group_by`.")


class InvestmentTimelineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=choices.InvestmentKind.choices, help_text="Which money the sums are of.")
    group_by = serializers.ListField(child=serializers.CharField(), help_text="The dimension, if any.")
    years = TimelineYearSerializer(many=True)
