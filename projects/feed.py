"""The projects app's records in the change feed (``registry.feed``): names, identifiers, what is public of them,
what hangs off a project and what shows what."""

from django.db.models import Q

from projects import visibility
from projects.models import (
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
    Sector,
    Source,
    StatusChange,
)
from registry.feed import Embedding, FeedModel, register


def everyone(queryset):
    """Reference data: public as a whole."""
    return queryset


def projects_citing(source_id) -> list:
    """Projects whose full record shows this source (general sources, status history, figures)."""
    return list(
        Project.objects.filter(
            Q(sources=source_id) | Q(status_changes__source=source_id) | Q(investments__source=source_id)
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def projects_with_participant(organisation_id) -> list:
    return list(Participation.objects.filter(organisation_id=organisation_id).values_list("project_id", flat=True))


def rates_citing(source_id) -> list:
    return list(ExchangeRate.objects.filter(source_id=source_id).values_list("pk", flat=True))


def figures_converted_with(rate_id) -> list:
    return list(InvestmentFigure.objects.filter(exchange_rate_id=rate_id).values_list("pk", flat=True))


def in_projects(relation: str):
    """Projects that show a vocabulary entry by its code."""
    return lambda pk: list(Project.objects.filter(**{relation: pk}).values_list("pk", flat=True))


def register_models() -> None:
    project_part = ("project", "project")
    register(
        FeedModel(
            "project",
            Project,
            "slug",
            public=visibility.public_projects,
            url_name="project-detail",
            references=("sources",),
            private_fields=("editorial_note",),
        )
    )
    register(
        FeedModel(
            "status-change",
            StatusChange,
            "id",
            public=visibility.public_children,
            url_name="statuschange-detail",
            owner=project_part,
            references=("source",),
            embedded_in=(Embedding("project", ("status_history",), via="project"),),
        )
    )
    register(
        FeedModel(
            "investment",
            InvestmentFigure,
            "id",
            public=visibility.public_children,
            url_name="investment-detail",
            owner=project_part,
            references=("source",),
            embedded_in=(Embedding("project", ("investments",), via="project"),),
        )
    )
    register(
        FeedModel(
            "participation",
            Participation,
            "id",
            public=visibility.public_children,
            owner=project_part,
            references=("organisation",),
            embedded_in=(Embedding("project", ("participants",), via="project"),),
        )
    )
    register(
        FeedModel(
            "external-identifier",
            ExternalIdentifier,
            "id",
            public=visibility.public_children,
            owner=project_part,
            embedded_in=(Embedding("project", ("external_ids",), via="project"),),
        )
    )
    register(
        FeedModel(
            "organisation",
            Organisation,
            "slug",
            public=visibility.public_organisations,
            url_name="organisation-detail",
            embedded_in=(
                Embedding("project", ("participants",), rows=projects_with_participant, when=("slug", "name")),
            ),
        )
    )
    register(
        FeedModel(
            "source",
            Source,
            "id",
            public=visibility.public_sources,
            url_name="source-detail",
            embedded_in=(
                Embedding("project", ("sources", "status_history", "investments"), rows=projects_citing),
                Embedding("exchange-rate", ("source",), rows=rates_citing),
            ),
        )
    )
    for name, model, relation in [
        ("corridor", Corridor, "corridor"),
        ("pillar", Pillar, "pillars"),
        ("sector", Sector, "sector"),
    ]:
        register(
            FeedModel(
                name,
                model,
                "code",
                public=everyone,
                url_name=f"{name}-detail",
                embedded_in=(Embedding("project", (relation,), rows=in_projects(relation), when=("code",)),),
            )
        )
    register(
        FeedModel(
            "exchange-rate",
            ExchangeRate,
            "id",
            public=everyone,
            url_name="exchange-rate-detail",
            references=("source",),
            embedded_in=(Embedding("investment", ("exchange_rate",), rows=figures_converted_with),),
        )
    )
    register(FeedModel("event", Event, "slug", public=everyone, url_name="event-detail", references=("sources",)))
    register(
        FeedModel(
            "event-project",
            EventProject,
            "id",
            public=visibility.public_children,
            owner=project_part,
            embedded_in=(
                Embedding("event", ("projects",), via="event"),
                Embedding("project", ("events",), via="project"),
            ),
        )
    )
