"""The registry as of a date (DOMAIN.md, "Time"): each project's derived fields as its records stood on that date.

A project's status then is its latest status change dated on or before the date; its headline money is the headline
rule (``services.headline_figure``: the preferred figure, else the latest ``as_of``, ties the latest created) over
the figures whose ``as_of`` is on or before it. "As of" reads the dates the records carry (when a status was reached,
the date a figure refers to), not when an editor entered them: what the registry said on a date is in the history.

``projects_as_of`` adds these values to a queryset as annotations, so that a page, an export or a statistic is one
SQL query whatever the number of projects; ``AS_OF_FIELDS`` names the annotation that stands for each derived field.
"""

import datetime

from django.db import connection
from django.db.models import Case, DecimalField, F, FloatField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Round

from projects import choices
from projects.models import InvestmentFigure, Project, StatusChange
from projects.services import realisation_ratio

AS_OF_FIELDS = {
    "status": "as_of_status",
    "status_since": "as_of_status_since",
    "announced_usd": "as_of_announced_usd",
    "committed_usd": "as_of_committed_usd",
    "realised_usd": "as_of_realised_usd",
    "realisation_ratio": "as_of_realisation_ratio",
}
CURRENT_FIELDS = {name: name for name in AS_OF_FIELDS}
MONEY = DecimalField(max_digits=18, decimal_places=2)
_ratio_column = Project._meta.get_field("realisation_ratio")
RATIO = DecimalField(max_digits=_ratio_column.max_digits, decimal_places=_ratio_column.decimal_places)


def latest_status_change(on: datetime.date) -> QuerySet:
    """The status changes of the outer project dated on or before ``on``, latest first."""
    return StatusChange.objects.filter(project=OuterRef("pk"), date__lte=on).order_by("-date", "-id")


def headline_figures(kind: str, on: datetime.date) -> QuerySet:
    """The outer project's figures of ``kind`` as of ``on``, the headline one first (``services.headline_figure``)."""
    figures = InvestmentFigure.objects.filter(
        project=OuterRef("pk"), kind=kind, as_of__lte=on, amount_usd__isnull=False
    )
    return figures.order_by("-is_preferred", "-as_of", "-created_at", "-id")


def _quotient(dividend: str, divisor: str):
    """dividend / divisor as a decimal number; SQLite divides whole numbers as whole numbers, so as reals there."""
    if connection.vendor == "sqlite":
        return Cast(dividend, FloatField()) / F(divisor)
    return F(dividend) / F(divisor)


def headline_as_of(kind: str, on: datetime.date) -> Subquery:
    """The outer project's headline USD amount of ``kind`` as of ``on``."""
    return Subquery(headline_figures(kind, on).values("amount_usd")[:1], output_field=MONEY)


def projects_as_of(queryset: QuerySet, on: datetime.date, *, include_future: bool = False) -> QuerySet:
    """``queryset`` with the derived fields as of ``on`` annotated (``AS_OF_FIELDS``).

    A project that had no status change by then had not entered the record yet: it is left out, unless
    ``include_future``, which keeps it with no status.
    """
    latest = latest_status_change(on)
    money = {kind: headline_as_of(kind, on) for kind in choices.InvestmentKind.values}
    annotated = queryset.annotate(
        as_of_status=Coalesce(Subquery(latest.values("status")[:1]), Value("")),
        as_of_status_since=Subquery(latest.values("date")[:1]),
        as_of_announced_usd=money[choices.InvestmentKind.ANNOUNCED],
        as_of_committed_usd=money[choices.InvestmentKind.COMMITTED],
        as_of_realised_usd=money[choices.InvestmentKind.REALISED],
    ).annotate(
        as_of_realisation_ratio=Case(
            When(
                as_of_announced_usd__gt=0,
                as_of_realised_usd__isnull=False,
                then=Round(
                    _quotient("as_of_realised_usd", "as_of_announced_usd"), RATIO.decimal_places, output_field=RATIO
                ),
            ),
            default=None,
            output_field=RATIO,
        )
    )
    if not include_future:
        annotated = annotated.exclude(as_of_status="")
    return annotated


def apply_as_of(project, on: datetime.date) -> None:
    """Put a project's annotated as-of values in its derived fields, for serializers that read those; its staleness
    is then judged on that date too. The ratio is rounded by the same function as the stored one."""
    for name, annotation in AS_OF_FIELDS.items():
        if name != "realisation_ratio":
            value = getattr(project, annotation)
            setattr(project, name, "" if name == "status" and value is None else value)
    project.realisation_ratio = realisation_ratio(project.announced_usd, project.realised_usd)
    project.stale_on = on
