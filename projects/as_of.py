"""The registry as of a date (DOMAIN.md, "Time"): each project's derived fields as its records stood on that date.

A project's status then is its latest status change dated on or before the date; its headline money is the headline
rule (``services.headline_figure``: the preferred figure, else the latest ``as_of``, ties the latest created) over
the figures whose ``as_of`` is on or before it. "As of" reads the dates the records carry (when a status was reached,
the date a figure refers to), not when an editor entered them: what the registry said on a date is in the history.

``projects_as_of`` adds these values to a queryset as annotations, so that a page, an export or a statistic is one
SQL query whatever the number of projects; ``AS_OF_FIELDS`` names the annotation that stands for each derived field.
"""

import datetime
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    Expression,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Round

from projects import choices
from projects.models import InvestmentFigure, Project, StatusChange
from projects.services import realisation_ratio
from registry import data_version

AS_OF_FIELDS = {
    "status": "as_of_status",
    "status_since": "as_of_status_since",
    "announced_usd": "as_of_announced_usd",
    "committed_usd": "as_of_committed_usd",
    "realised_usd": "as_of_realised_usd",
    "realisation_ratio": "as_of_realisation_ratio",
}
CURRENT_FIELDS = {name: name for name in AS_OF_FIELDS}
# The annotations a row or an instance reads; the ratio is an alias only (``projects_as_of``), recomputed from them.
AS_OF_SELECTED = {name: annotation for name, annotation in AS_OF_FIELDS.items() if name != "realisation_ratio"}
MONEY = DecimalField(max_digits=18, decimal_places=2)
_ratio_column = Project._meta.get_field("realisation_ratio")
RATIO = DecimalField(max_digits=_ratio_column.max_digits, decimal_places=_ratio_column.decimal_places)


LATEST_ORDER = ("-date", "-id")
STORED_HAD_STATUS = Q(status_since__isnull=False)
HEADLINE_ORDER = ("-is_preferred", "-as_of", "-created_at", "-id")
LOOKUP_ALIAS = "as_of_record"


def latest_status_change(on: datetime.date) -> QuerySet:
    """The status changes of the outer project dated on or before ``on``, latest first."""
    return StatusChange.objects.filter(project=OuterRef("pk"), date__lte=on).order_by(*LATEST_ORDER)


def headline_figures(kind: str, on: datetime.date) -> QuerySet:
    """The outer project's figures of ``kind`` as of ``on``, the headline one first (``services.headline_figure``)."""
    figures = InvestmentFigure.objects.filter(
        project=OuterRef("pk"), kind=kind, as_of__lte=on, amount_usd__isnull=False
    )
    return figures.order_by(*HEADLINE_ORDER)


def _quotient(dividend: str, divisor: str):
    """dividend / divisor as a decimal number; SQLite divides whole numbers as whole numbers, so as reals there."""
    if connection.vendor == "sqlite":
        return Cast(dividend, FloatField()) / F(divisor)
    return F(dividend) / F(divisor)


class ProjectLookup(Expression):
    """One column of the outer project's first row in a table of its records (``StatusChange``,
    ``InvestmentFigure``), by ``conditions`` and ``ordering``: what ``Subquery(queryset.values(column)[:1])`` says,
    written as SQL. Only the outer project's id goes through the ORM (so a query that nests this one relabels it);
    the rest is a fixed statement with its parameters, which costs no inner query to build, resolve and compile on
    every request (those were most of the Python an as-of page added to the plain list's).

    ``conditions`` are ``(field name, SQL condition[, its parameter])``; ``ordering`` field names, ``-`` for
    descending. The inner table's alias is one Django never gives (it names tables by their name or a letter and a
    number, U0 in a nested query), so the outer id cannot be shadowed. The equivalence with the ORM querysets
    (``latest_status_change``, ``headline_figures``) is pinned by tests/projects/test_as_of.py.
    """

    def __init__(self, model, column: str, conditions: tuple, ordering: tuple, output_field):
        super().__init__(output_field=output_field)
        self.model, self.column, self.conditions, self.ordering = model, column, conditions, ordering
        self.project = F("pk")

    def get_source_expressions(self):
        return [self.project]

    def set_source_expressions(self, exprs):
        (self.project,) = exprs

    def as_sql(self, compiler, connection):
        meta, quote = self.model._meta, connection.ops.quote_name

        def column(name: str) -> str:
            return f"{LOOKUP_ALIAS}.{quote(meta.get_field(name).column)}"

        project_sql, params = compiler.compile(self.project)
        where = [f"{column('project')} = {project_sql}"]
        for name, condition, *value in self.conditions:  # ("as_of", "<= %s", on) or ("amount_usd", "IS NOT NULL")
            where.append(f"{column(name)} {condition}")
            params = (*params, *value)
        order = ", ".join(
            f"{column(name.lstrip('-'))} {'DESC' if name.startswith('-') else 'ASC'}" for name in self.ordering
        )
        sql = (
            f"(SELECT {column(self.column)} FROM {quote(meta.db_table)} {LOOKUP_ALIAS} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT 1)"
        )
        return sql, params


def headline_as_of(kind: str, on: datetime.date) -> Case:
    """The outer project's headline USD amount of ``kind`` as of ``on``.

    When no figure of ``kind`` (of any project) is dated after ``on``, every project's figures as of then are all its
    figures, and its stored headline column (kept in step by the write path) is the answer: a column read. Which case
    holds is one uncorrelated EXISTS, which PostgreSQL evaluates once per query (an InitPlan, an index probe on
    ``investment_kind_as_of_idx``); only otherwise is the headline looked up among each project's figures.
    """
    return Case(
        When(_none_dated_later(kind, on), then=F(f"{kind}_usd")),
        default=ProjectLookup(
            InvestmentFigure,
            "amount_usd",
            (("kind", "= %s", kind), ("as_of", "<= %s", on), ("amount_usd", "IS NOT NULL")),
            HEADLINE_ORDER,
            MONEY,
        ),
        output_field=MONEY,
    )


def _none_dated_later(kind: str, on: datetime.date) -> RawSQL:
    """No figure of ``kind`` with a USD amount is dated after ``on``. Written out, as ``ProjectLookup`` is, so that
    compiling it costs no inner query; it refers to no outer column, so no alias of a query around it can change it."""
    meta = InvestmentFigure._meta
    kind_column, as_of_column, usd_column = (meta.get_field(name).column for name in ("kind", "as_of", "amount_usd"))
    sql = (
        f"NOT EXISTS (SELECT 1 FROM {meta.db_table} "
        f"WHERE {kind_column} = %s AND {as_of_column} > %s AND {usd_column} IS NOT NULL)"
    )
    return RawSQL(sql, (kind, on), output_field=BooleanField())


def status_as_of(on: datetime.date, *, stored: str, looked_up: str) -> Case:
    """The outer project's status (``stored="status", looked_up="status"``) or its date (``"status_since"``,
    ``"date"``) as of ``on``: null when it had no status change by then.

    The stored ``status``/``status_since`` are the project's latest status change (the write path keeps them in
    step); when that change is dated on or before ``on`` it is the latest by then too, so the stored column answers
    and the lookup in the status history runs only for projects that changed status after ``on``. Read as of a recent
    date, that is a column read for nearly every project, in a filter and a COUNT as well.
    """
    return Case(
        When(status_since__lte=on, then=F(stored)),
        default=ProjectLookup(
            StatusChange, looked_up, (("date", "<= %s", on),), LATEST_ORDER, Project._meta.get_field(stored)
        ),
        output_field=Project._meta.get_field(stored),
    )


def had_status_by(on: datetime.date) -> Q:
    """The project had a status change dated on or before ``on`` (its as-of status is not empty): a semi-join, so a
    COUNT or a filter needs no status value."""
    return Q(status_since__lte=on) | Exists(StatusChange.objects.filter(project=OuterRef("pk"), date__lte=on))


def status_in(on: datetime.date, statuses: list[str], request=None) -> Q:
    """The as-of status (``as_of_status``, from ``projects_as_of``) is one of ``statuses``: on the stored column
    where it answers (``status_as_of``), else on the looked-up status. Said so rather than as one CASE, the planner
    estimates the matches from the stored column's statistics: a CASE gets a guessed 0.5%, which made it join the
    sectors by a nested loop over every match. With no status change dated after ``on``, the stored column alone."""
    latest = latest_dates(request)
    if latest is not None and latest.status_is_stored(on):
        return Q(status__in=statuses)
    reached = Q(status_since__lte=on)
    return (reached & Q(status__in=statuses)) | (~reached & Q(as_of_status__in=statuses))


@dataclass(frozen=True)
class LatestDates:
    """The latest date the registry's dated records carry: of a status change, and per kind of a figure with a USD
    amount (None: there is none)."""

    status: datetime.date | None
    money: dict[str, datetime.date | None]

    def status_is_stored(self, on: datetime.date) -> bool:
        """No status change is dated after ``on``: every project's status then is its stored one."""
        return self.status is None or self.status <= on

    def money_is_stored(self, kind: str, on: datetime.date) -> bool:
        """No figure of ``kind`` with a USD amount is dated after ``on``: every headline then is the stored one."""
        latest = self.money.get(kind)
        return latest is None or latest <= on


def latest_dates(request=None) -> LatestDates | None:
    """``LatestDates``, read from the primary once per data version (``registry.data_version.kept``); None where no
    version is trusted. A registry read as of a date on or after them is the registry as it is: the as-of values
    are the stored columns, which a filter, an ordering and a COUNT read through their indexes."""

    def read() -> LatestDates:
        status = StatusChange.objects.using(DEFAULT_DB_ALIAS).aggregate(latest=Max("date"))["latest"]
        figures = InvestmentFigure.objects.using(DEFAULT_DB_ALIAS).filter(amount_usd__isnull=False)
        money = dict(figures.values_list("kind").annotate(latest=Max("as_of")).order_by())
        return LatestDates(status, {kind: money.get(kind) for kind in choices.InvestmentKind.values})

    return data_version.kept("projects.as_of.latest_dates", read, request)


def projects_as_of(queryset: QuerySet, on: datetime.date, *, include_future: bool = False, request=None) -> QuerySet:
    """``queryset`` with the derived fields as of ``on`` annotated (``AS_OF_FIELDS``).

    A project that had no status change by then had not entered the record yet: it is left out, unless
    ``include_future``, which keeps it with no status. ``request``: the data version is read once per request
    (``registry.data_version.request_version``).

    The realisation ratio is an alias, not a selected column: SQL repeats the announced and realised subqueries in
    it (four lookups more per row), and the rows recompute it from those two in Python (``apply_as_of``) with the
    stored ratio's rounding; a filter or an ordering on it still reads it. PostgreSQL evaluates the selected
    subqueries after the sort and limit, for the page's rows only; a filter or an ordering on an as-of value
    evaluates that one for every candidate row.
    """
    latest = latest_dates(request)
    if latest is not None and latest.status_is_stored(on):
        # Every status change is dated on or before ``on``: the stored status is the status then, and a project
        # had a status by then exactly when it has one (``status_since`` is its latest change's date).
        status, status_since, had_status = Coalesce(F("status"), Value("")), F("status_since"), STORED_HAD_STATUS
    else:
        status = Coalesce(status_as_of(on, stored="status", looked_up="status"), Value(""))
        status_since, had_status = status_as_of(on, stored="status_since", looked_up="date"), had_status_by(on)
    money = {
        kind: F(f"{kind}_usd") if latest is not None and latest.money_is_stored(kind, on) else headline_as_of(kind, on)
        for kind in choices.InvestmentKind.values
    }
    annotated = queryset.annotate(
        as_of_status=status,
        as_of_status_since=status_since,
        as_of_announced_usd=money[choices.InvestmentKind.ANNOUNCED],
        as_of_committed_usd=money[choices.InvestmentKind.COMMITTED],
        as_of_realised_usd=money[choices.InvestmentKind.REALISED],
    ).alias(
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
    return annotated if include_future else annotated.filter(had_status)


def apply_as_of(project, on: datetime.date) -> None:
    """Put a project's annotated as-of values in its derived fields, for serializers that read those; its staleness
    is then judged on that date too. The ratio is rounded by the same function as the stored one."""
    for name, annotation in AS_OF_SELECTED.items():
        value = getattr(project, annotation)
        setattr(project, name, "" if name == "status" and value is None else value)
    project.realisation_ratio = realisation_ratio(project.announced_usd, project.realised_usd)
    project.stale_on = on
