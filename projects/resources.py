"""Bulk import and export of projects and their rows in the admin (Projects → Import / Export).

Four kinds of file, one record a row, columns named as in the API (README, "Bulk import" lists them):

- projects: matched by ``slug``; vocabularies by code (``corridor``, ``sector``; ``pillars`` and ``provinces`` as
  codes separated by ``;``), ``sources`` by id or URL;
- investment figures: matched by ``project`` (slug), ``kind``, ``as_of`` and ``source`` (id or URL);
- status changes: matched by ``project``, ``status`` and ``date``;
- participations: matched by ``project``, ``organisation`` (slug) and ``role``.

Every row is written through ``projects.services`` (the API's rules, derived fields kept in step); a row that
changes nothing is skipped, so importing a file twice changes nothing the second time.
"""

import re

from django.core.exceptions import ValidationError

from projects import choices, rules, services
from projects.models import (
    Corridor,
    InvestmentFigure,
    Organisation,
    Participation,
    Pillar,
    Project,
    Province,
    Sector,
    Source,
    StatusChange,
)
from registry.imports import (
    ChoiceWidget,
    CodesWidget,
    CodeWidget,
    ISODateWidget,
    NumberWidget,
    RegistryResource,
    TextWidget,
    YesNoWidget,
    column,
    text,
)


def _source(value: str) -> Source:
    if value.isdigit():
        lookup, described = {"pk": int(value)}, f"id {value}"
    elif value.startswith(("http://", "https://")):
        lookup, described = {"url": value}, f"URL {value}"
    else:
        raise ValueError(f"Give the source's id (a number) or its URL (http:// or https://), not {value!r}.")
    try:
        return Source.objects.get(**lookup)
    except Source.DoesNotExist:
        raise ValueError(f"No source with {described}: add the source first (Sources in the admin).") from None


class SourceWidget(CodeWidget):
    """A source by its id, or by its exact URL; exported as the id."""

    def __init__(self, *, required: bool = True):
        super().__init__(Source, field="pk", noun="source", required=required, list_known=False)

    def clean(self, value, row=None, **kwargs):
        given = text(value)
        if isinstance(value, float) and value.is_integer():  # XLSX reads 12 as 12.0
            given = str(int(value))
        if not given:
            if self.required:
                raise ValueError("Give the source's id (a number) or its URL.")
            return None
        return _source(given)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value.pk)


class SourcesWidget(SourceWidget):
    """Several sources in one cell (ids or URLs), separated by ``;``; exported as ids."""

    def clean(self, value, row=None, **kwargs):
        return list(dict.fromkeys(_source(item.strip()) for item in re.split(r";", text(value)) if item.strip()))

    def render(self, value, obj=None, **kwargs):
        items = value.all() if hasattr(value, "all") else value or []
        return ";".join(str(item.pk) for item in items)


def project_field():
    return column("project", CodeWidget(Project, "slug", noun="project", list_known=False))


def _one_or_none(queryset, described: str):
    """The stored row a natural key names; two or more is an editor's matter to sort out, not the import's."""
    found = list(queryset[:2])
    if len(found) > 1:
        raise ValidationError(
            f"The registry holds several {described}: edit them on the project's page, the import cannot tell "
            "which one this row means."
        )
    return found[0] if found else None


class ProjectResource(RegistryResource):
    """A project a row; the project's own fields, matched by slug."""

    slug = column("slug", TextWidget())
    name = column("name", TextWidget())
    summary = column("summary", TextWidget())
    phase = column("phase", ChoiceWidget(choices.Phase.choices, noun="phase"))
    corridor = column("corridor", CodeWidget(Corridor, "code", noun="corridor", required=False))
    pillars = column("pillars", CodesWidget(Pillar, "code", noun="pillar"))
    sector = column("sector", CodeWidget(Sector, "code", noun="sector"))
    provinces = column("provinces", CodesWidget(Province, "code", noun="province", required=False))
    place_name = column("place_name", TextWidget())
    latitude = column("latitude", NumberWidget(required=False))
    longitude = column("longitude", NumberWidget(required=False))
    location_precision = column(
        "location_precision",
        ChoiceWidget(choices.LocationPrecision.choices, noun="location precision", required=False),
    )
    capacity_value = column("capacity_value", NumberWidget(required=False))
    capacity_unit = column(
        "capacity_unit", ChoiceWidget(choices.CapacityUnit.choices, noun="capacity unit", required=False)
    )
    mou_signed_on = column("mou_signed_on", ISODateWidget(required=False))
    financial_close_on = column("financial_close_on", ISODateWidget(required=False))
    construction_started_on = column("construction_started_on", ISODateWidget(required=False))
    completed_on = column("completed_on", ISODateWidget(required=False))
    sources = column("sources", SourcesWidget(required=False))
    confidence = column("confidence", ChoiceWidget(choices.Confidence.choices, noun="confidence", required=False))
    editorial_note = column("editorial_note", TextWidget())
    publication = column("publication", ChoiceWidget(choices.Publication.choices, noun="publication"))

    natural_key = ("slug",)
    required_columns = ("slug", "name", "phase", "corridor", "pillars", "sector", "provinces")
    row_noun = "project (slug)"

    class Meta:
        model = Project
        name = "Projects"
        fields = services.PROJECT_INPUT_FIELDS
        import_order = export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("corridor", "sector").prefetch_related("pillars", "provinces", "sources")

    def find(self, values):
        return Project.objects.filter(slug=values["slug"]).first()

    def create(self, values):
        relations = {name: values.pop(name, []) for name in services.M2M_FIELDS}
        return services.project_create(**relations, **values)

    def update(self, instance, changes):
        return services.project_update(project=instance, **changes)


class InvestmentFigureResource(RegistryResource):
    """A sourced money claim a row, matched by project, kind, as_of and source."""

    project = project_field()
    kind = column("kind", ChoiceWidget(choices.InvestmentKind.choices, noun="kind"))
    amount = column("amount", NumberWidget())
    currency = column("currency", TextWidget())
    amount_usd = column("amount_usd", NumberWidget(required=False))
    as_of = column("as_of", ISODateWidget())
    source = column("source", SourceWidget())
    is_preferred = column("is_preferred", YesNoWidget())
    note = column("note", TextWidget())
    quote = column("quote", TextWidget())

    natural_key = ("project", "kind", "as_of", "source")
    required_columns = ("project", "kind", "amount", "currency", "as_of", "source")
    row_noun = "figure (project, kind, as_of and source)"

    class Meta:
        model = InvestmentFigure
        name = "Investment figures"
        fields = (
            "project",
            "kind",
            "amount",
            "currency",
            "amount_usd",
            "as_of",
            "source",
            "is_preferred",
            "note",
            "quote",
        )
        import_order = export_order = fields

    def find(self, values):
        key = {name: values[name] for name in self.natural_key}
        return _one_or_none(
            InvestmentFigure.objects.filter(**key), f"{values['kind']} figures of this project from this source"
        )

    def changes(self, instance, values):
        changed = super().changes(instance, values)
        if changed.get("amount_usd", 0) is None and (instance.amount_usd_converted or instance.currency == "USD"):
            # An empty USD amount asks the registry to work it out, which is what the stored one is already.
            del changed["amount_usd"]
        return changed

    def create(self, values):
        return services.investment_figure_record(**values)

    def update(self, instance, changes):
        return services.investment_figure_update(investment=instance, **changes)


class StatusChangeResource(RegistryResource):
    """A dated status of a project a row, matched by project, status and date."""

    project = project_field()
    status = column("status", ChoiceWidget(choices.Status.choices, noun="status"))
    date = column("date", ISODateWidget())
    source = column("source", SourceWidget())
    note = column("note", TextWidget())
    quote = column("quote", TextWidget())

    natural_key = ("project", "status", "date")
    required_columns = ("project", "status", "date", "source")
    row_noun = "status change (project, status and date)"

    class Meta:
        model = StatusChange
        name = "Status changes"
        fields = ("project", "status", "date", "source", "note", "quote")
        import_order = export_order = fields

    def find(self, values):
        key = {name: values[name] for name in self.natural_key}
        return _one_or_none(StatusChange.objects.filter(**key), "status changes of this project with this date")

    def create(self, values):
        return services.status_change_record(**values)

    def update(self, instance, changes):
        return services.status_change_update(status_change=instance, **changes)


class ParticipationResource(RegistryResource):
    """An organisation's role in a project a row, matched by project, organisation and role."""

    project = project_field()
    organisation = column("organisation", CodeWidget(Organisation, "slug", noun="organisation", list_known=False))
    role = column("role", ChoiceWidget(choices.ParticipationRole.choices, noun="role"))
    note = column("note", TextWidget())

    natural_key = ("project", "organisation", "role")
    required_columns = ("project", "organisation", "role")
    row_noun = "participation (project, organisation and role)"

    class Meta:
        model = Participation
        name = "Participations"
        fields = ("project", "organisation", "role", "note")
        import_order = export_order = fields

    def find(self, values):
        key = {name: values[name] for name in self.natural_key}
        return Participation.objects.filter(**key).first()

    def create(self, values):
        return self._write(values)

    def update(self, instance, changes):
        key = {"project": instance.project, "organisation": instance.organisation, "role": instance.role}
        return self._write({**key, **changes})

    def _write(self, values):
        """Through ``project_set_participants`` (as the API writes participants), the others kept as they are."""
        project = values["project"]
        wanted = {"organisation": values["organisation"], "role": values.get("role"), "note": values.get("note")}
        others = [
            {"organisation": p.organisation, "role": p.role, "note": p.note}
            for p in project.participations.select_related("organisation")
            if (p.organisation_id, p.role) != (wanted["organisation"].pk, wanted["role"])
        ]
        if wanted["note"] is None:
            del wanted["note"]
        try:
            services.project_set_participants(project=project, participants=[wanted, *others])
        except rules.RowsValidationError as error:
            raise error.rows.get(0, error) from None
        return Participation.objects.get(project=project, organisation=wanted["organisation"], role=wanted["role"])
