"""Serializers of the indicators API: indicators by code, observations with their subject by public identifier."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from indicators import services
from indicators.choices import SUBJECT_FIELD
from indicators.models import Indicator, Observation
from projects.models import Corridor, Source
from projects.visibility import visible_projects
from registry.api.fields import (
    AbsoluteUrlField,
    RegistryModelSerializer,
    ValidatedModelSerializer,
    VocabularyField,
    row_column,
    row_typed,
)

VALUE = {"max_digits": 20, "decimal_places": 6, "coerce_to_string": False}
# The columns the observation list reads with values() (``ObservationSerializer.row_representation``), and the one
# that holds the subject's public identifier for each scope (a province's primary key is its ISO code).
LIST_VALUES = [
    "id",
    "indicator__code",
    "scope",
    "province_id",
    "corridor__code",
    "project__slug",
    "period_start",
    "period_end",
    "kind",
    "value",
    "source_id",
    "quote",
    "is_preferred",
    "note",
]
SUBJECT_COLUMN = {"province": "province_id", "corridor": "corridor__code", "project": "project__slug"}
SUBJECT_VALUE = {scope: SUBJECT_COLUMN[name] for scope, name in SUBJECT_FIELD.items() if name}
URL_ID_MARKER = "observation-marker-0"


class ObservationPointSerializer(RegistryModelSerializer):
    """An observation inside an indicator's series or as its latest value."""

    value = serializers.DecimalField(**VALUE, read_only=True)
    subject = serializers.CharField(source="subject_code", read_only=True, allow_null=True)

    class Meta:
        model = Observation
        fields = [
            "id",
            "scope",
            "subject",
            "period_start",
            "period_end",
            "kind",
            "value",
            "source",
            "quote",
            "is_preferred",
            "note",
        ]


class IndicatorSerializer(ValidatedModelSerializer):
    corridors = VocabularyField(
        slug_field="code", many=True, queryset=Corridor.objects.all(), required=False, help_text="Corridor codes."
    )
    latest = serializers.SerializerMethodField(
        help_text="The most recent actual national observation, or null when there is none. When sources compete "
        "for that period, the preferred value, else the one from the latest-published source."
    )
    url = AbsoluteUrlField("indicator-detail", "code")

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "description",
            "unit",
            "level",
            "dimension",
            "higher_is_better",
            "corridors",
            "method",
            "latest",
            "url",
        ]

    @extend_schema_field(ObservationPointSerializer(allow_null=True))
    def get_latest(self, indicator):
        latest = getattr(indicator, "national_actuals", None)
        if latest is None:
            latest = list(
                indicator.observations.filter(scope="national", kind="actual")
                .select_related("source")
                .order_by("-period_end", "-period_start", "-id")
            )
        if not latest:
            return None
        period = (latest[0].period_start, latest[0].period_end)
        newest = [point for point in latest if (point.period_start, point.period_end) == period]
        return ObservationPointSerializer(services.preferred_values(newest)[0]).data


class ObservationSerializer(RegistryModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", queryset=Indicator.objects.all())
    subject = serializers.CharField(
        source="subject_code",
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Province ISO code, corridor code or project slug, by scope; null for national.",
    )
    value = serializers.DecimalField(**VALUE)
    source = serializers.PrimaryKeyRelatedField(queryset=Source.objects.all(), help_text="Source id.")
    url = AbsoluteUrlField("observation-detail", "pk")

    class Meta:
        model = Observation
        fields = [
            "id",
            "indicator",
            "scope",
            "subject",
            "period_start",
            "period_end",
            "kind",
            "value",
            "source",
            "quote",
            "is_preferred",
            "note",
            "url",
        ]
        # No unique-together validators from the constraints: the service's full_clean() names the field at fault
        # (the source of a second value from one source, is_preferred of a second preferred value).
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "subject" in data:  # absent when `fields=` leaves it out
            data["subject"] = data["subject"] or None
        return data

    def row_binders(self):
        """What ``to_representation`` gives for the observation, from its ``values(*LIST_VALUES)`` row: the list
        reads rows without building model instances (tests/indicators/test_api.py pins that both are equal)."""
        return ROW_READERS

    def url_around_id(self) -> list[str]:
        """The ``url`` field's value before and after the observation's id: reversed once, the id put in place."""
        url = self.reading_fields()["url"].url_for(URL_ID_MARKER, self.context.get("request"))
        return url.split(URL_ID_MARKER)

    def _subject_columns(self, attrs, instance=None):
        scope = attrs.get("scope", getattr(instance, "scope", None))
        subject = attrs.pop("subject_code", None)
        if subject is None and instance is not None and "scope" not in attrs:
            return {}
        try:
            columns = services.resolve_subject(scope=scope, subject=subject or "")
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        project = columns.get("project")
        request = self.context.get("request")
        visible = project is None or request is None or visible_projects(request.user).filter(pk=project.pk).exists()
        if not visible:
            raise serializers.ValidationError({"subject": f"No project with slug {subject!r}."})
        return columns

    def create(self, validated_data):
        validated_data.update(self._subject_columns(validated_data))
        return services.observation_record(**validated_data)

    def update(self, instance, validated_data):
        validated_data.update(self._subject_columns(validated_data, instance))
        return services.observation_update(observation=instance, **validated_data)


def _subject(serializer):
    def subject(row: dict) -> str | None:
        column = SUBJECT_VALUE.get(row["scope"])
        return (row[column] if column else None) or None

    return subject


def _url(serializer):
    before, after = serializer.url_around_id()
    return lambda row: f"{before}{row['id']}{after}"


# Each field of ObservationSerializer: given the serializer of a response, how its value is read from a values() row.
ROW_READERS = {
    "id": row_column("id"),
    "indicator": row_column("indicator__code"),
    "scope": row_typed("scope"),
    "subject": _subject,
    "period_start": row_typed("period_start"),
    "period_end": row_typed("period_end"),
    "kind": row_typed("kind"),
    "value": row_typed("value"),
    "source": row_column("source_id"),
    "quote": row_typed("quote"),
    "is_preferred": row_typed("is_preferred"),
    "note": row_typed("note"),
    "url": _url,
}


class SeriesSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    unit = serializers.CharField()
    scope = serializers.CharField()
    subject = serializers.CharField(allow_null=True)
    points = ObservationPointSerializer(many=True)
