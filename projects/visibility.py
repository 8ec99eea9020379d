"""Who sees what: the one place that decides which records of the registry a reader may see.

Anonymous readers, and users without the ``projects.view_project`` permission, see published projects, what hangs off
them, and the organisations and sources that published data cites; editors see everything, drafts included. The API's
querysets, exports, statistics, the change feed and the landing page all ask these functions.
"""

from collections.abc import Callable
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from projects import rules
from projects.models import (
    Event,
    ExchangeRate,
    InvestmentFigure,
    Organisation,
    Participation,
    Project,
    Source,
    StatusChange,
)
from registry.permissions import is_editor

__all__ = [
    "is_editor",
    "public_children",
    "public_organisations",
    "public_projects",
    "public_sources",
    "register_source_citation",
    "visible_children",
    "visible_organisations",
    "visible_projects",
    "visible_sources",
]


def public_projects(queryset: QuerySet | None = None) -> QuerySet:
    queryset = Project.objects.all() if queryset is None else queryset
    return queryset.filter(rules.published())


def public_children(queryset: QuerySet, project_path: str = "project") -> QuerySet:
    """Rows that hang off a project (status changes, figures, participations...): public with their project."""
    return queryset.filter(rules.published(project_path))


def public_organisations(queryset: QuerySet | None = None) -> QuerySet:
    """Organisations that take part in a published project: one that only drafts name is not public yet."""
    queryset = Organisation.objects.all() if queryset is None else queryset
    return queryset.filter(pk__in=public_children(Participation.objects.all()).values("organisation_id"))


# What makes a source public: a published record that cites it. Each entry gives the ids of the sources cited by
# public rows; apps that cite sources add theirs (``register_source_citation``), so this module needs none of them.
_SOURCE_CITATIONS: list[Callable[[], QuerySet]] = [
    lambda: public_children(Project.sources.through.objects.all()).values("source_id"),
    lambda: public_children(StatusChange.objects.all()).values("source_id"),
    lambda: public_children(InvestmentFigure.objects.all()).values("source_id"),
    lambda: ExchangeRate.objects.values("source_id"),
    lambda: Event.sources.through.objects.values("source_id"),
]


def register_source_citation(cited_source_ids: Callable[[], QuerySet]) -> None:
    """Another app's public rows cite sources too: ``cited_source_ids()`` returns their ``source_id`` values."""
    if cited_source_ids not in _SOURCE_CITATIONS:
        _SOURCE_CITATIONS.append(cited_source_ids)


def public_sources(queryset: QuerySet | None = None) -> QuerySet:
    """Sources that published data cites; one that only drafts cite (or nothing yet) is not public."""
    queryset = Source.objects.all() if queryset is None else queryset
    return queryset.filter(reduce(or_, (Q(pk__in=cited()) for cited in _SOURCE_CITATIONS)))


def visible_projects(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Project.objects.all() if queryset is None else queryset
    return queryset if is_editor(user) else public_projects(queryset)


def visible_children(user, queryset: QuerySet, project_path: str = "project") -> QuerySet:
    """Rows that hang off a project (status changes, figures, observations...) whose project the user may see."""
    return queryset if is_editor(user) else public_children(queryset, project_path)


def visible_organisations(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Organisation.objects.all() if queryset is None else queryset
    return queryset if is_editor(user) else public_organisations(queryset)


def visible_sources(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Source.objects.all() if queryset is None else queryset
    return queryset if is_editor(user) else public_sources(queryset)
