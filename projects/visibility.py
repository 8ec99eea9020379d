"""Who sees what: the one place that decides which projects (and what hangs off them) a user may read.

Anonymous readers and users without the ``projects.view_project`` permission see published projects only;
editors see drafts too. Every API queryset, export, statistic and feed goes through these functions.
"""

from django.db.models import Q, QuerySet

from projects import choices
from projects.models import Project

EDITOR_PERMISSION = "projects.view_project"


def is_editor(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(EDITOR_PERMISSION))


def visible_projects(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Project.objects.all() if queryset is None else queryset
    return queryset if is_editor(user) else queryset.filter(publication=choices.Publication.PUBLISHED)


def visible_children(user, queryset: QuerySet, project_path: str = "project") -> QuerySet:
    """Rows that hang off a project (status changes, figures, observations...) whose project the user may see."""
    if is_editor(user):
        return queryset
    return queryset.filter(**{f"{project_path}__publication": choices.Publication.PUBLISHED})


def published_project_condition(project_path: str = "project") -> Q:
    return Q(**{f"{project_path}__publication": choices.Publication.PUBLISHED})
