"""Investment statistics over a set of projects (API.md: ``stats/investment``).

A project in several pillars, provinces or participations counts in each of its groups; the totals count it once.
A group's ``realisation_ratio`` is the sum of realised over the sum of announced, over its projects that have both
(``ratio_project_count`` of them); ``realisation_ratio_all_projects`` divides the group's whole realised sum by its
whole announced sum. Capacity is summed per unit, never across units.
"""

import datetime
from decimal import Decimal

from django.db import connections
from django.db.models import CharField, Count, Expression, Min, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from projects import choices
from projects.as_of import CURRENT_FIELDS, headline_as_of, latest_status_change
from projects.models import InvestmentFigure, Project
from projects.services import realisation_ratio

DIMENSIONS = {
    "corridor": "corridor__code",
    "pillar": "pillars__code",
    "sector": "sector__code",
    "status": "status",
    "province": "provinces__code",
    "phase": "phase",
    "confidence": "confidence",
    # A group of organisation is one organisation in one participation role: a project counts once per role.
    "organisation": "participations__organisation__slug",
}
ROLE_COLUMN = "participations__role"
# Dimensions a project has exactly one value of (or none): grouped by these, each project is in one group.
ONE_GROUP_PER_PROJECT = {"corridor", "sector", "status", "phase", "confidence"}
TOTAL_MARK = "is_totals_row"
# Read once: an enum's ``values`` builds a new list on every access, and the statistics read it once per group.
CAPACITY_UNITS = tuple(choices.CapacityUnit.values)


def _aggregates(fields: dict[str, str]) -> dict:
    """The sums, over the stored derived fields or the as-of annotations that ``fields`` names for them."""
    announced, committed, realised = fields["announced_usd"], fields["committed_usd"], fields["realised_usd"]
    has_both = Q(**{f"{announced}__isnull": False, f"{realised}__isnull": False})
    return {
        # A project is one row of its group (each of its pillars or provinces is one row of the join): no DISTINCT.
        "project_count": Count("id"),
        "sum_announced": Sum(announced),
        "sum_committed": Sum(committed),
        "sum_realised": Sum(realised),
        "ratio_project_count": Count("id", filter=has_both),
        "announced_with_both": Sum(announced, filter=has_both),
        "realised_with_both": Sum(realised, filter=has_both),
        **{
            _capacity_alias(index): Sum("capacity_value", filter=Q(capacity_unit=unit))
            for index, unit in enumerate(CAPACITY_UNITS)
        },
    }


class CompiledAggregate(Expression):
    """An aggregate over the project table's own columns, as the SQL the ORM compiled for it once per process and
    database vendor (``compiled_aggregates``). The statistics ask for the same 17 aggregates on every request;
    resolving and compiling them again took about a fifth of a request (bench/README.md, "Issue 16, third pass").
    Nothing in them depends on the request: the filters shape the WHERE clause, the grouping the GROUP BY."""

    contains_aggregate = True

    def __init__(self, sql: str, params: tuple, output_field):
        super().__init__(output_field=output_field)
        self.sql, self.params = sql, params

    def resolve_expression(self, *args, **kwargs):
        return self  # already resolved and compiled, and never changed

    def as_sql(self, compiler, connection):
        return self.sql, list(self.params)

    def get_group_by_cols(self):
        return []


_compiled: dict[str, dict[str, CompiledAggregate]] = {}


def compiled_aggregates(using: str) -> dict[str, CompiledAggregate]:
    """``_aggregates(CURRENT_FIELDS)`` compiled for the database ``using`` (once per vendor), in the same order."""
    connection = connections[using]
    if connection.vendor not in _compiled:
        query = Project.objects.values("id").annotate(**_aggregates(CURRENT_FIELDS)).query
        compiler = query.get_compiler(connection=connection)
        compiled = {}
        for alias, annotation in query.annotations.items():
            sql, params = compiler.compile(annotation)
            compiled[alias] = CompiledAggregate(sql, tuple(params), annotation.output_field)
        _compiled[connection.vendor] = compiled
    return _compiled[connection.vendor]


def _finish(row: dict) -> dict:
    for kind in ("announced", "committed", "realised"):
        row[f"{kind}_usd"] = row.pop(f"sum_{kind}")
    announced, realised = row.pop("announced_with_both"), row.pop("realised_with_both")
    row["realisation_ratio"] = realisation_ratio(_decimal(announced), _decimal(realised))
    row["realisation_ratio_all_projects"] = realisation_ratio(
        _decimal(row["announced_usd"]), _decimal(row["realised_usd"])
    )
    capacity = {}
    for index, unit in enumerate(CAPACITY_UNITS):
        total = row.pop(_capacity_alias(index))
        if total is not None:
            capacity[unit] = total
    row["capacity"] = capacity
    return row


def _capacity_alias(index: int) -> str:
    return f"capacity_{index}"  # units such as "TEU/year" cannot be SQL aliases


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def investment_stats(
    projects: QuerySet, group_by: list[str], fields: dict[str, str] = CURRENT_FIELDS, roles: list[str] | None = None
) -> dict:
    """Totals and groups for ``projects`` (already filtered to what the reader may see); ``fields`` names the
    columns of the derived fields (``projects.as_of.AS_OF_FIELDS`` for a registry read as of a date). Grouped by
    organisation, each group is an organisation in one role, of ``roles`` when given."""
    # The project filters narrow with EXISTS and never join a many-valued relation: the filtered queryset has one
    # row per project and is aggregated as it is. Only a de-duplicated one goes through its ids.
    base = projects.order_by()
    if base.query.distinct:
        base = Project.objects.filter(id__in=base.values("id")).order_by()
    dimensions = {**DIMENSIONS, "status": fields["status"]}
    rows, columns = _grouped(base, group_by, dimensions, roles)
    aggregates = compiled_aggregates(base.db) if fields == CURRENT_FIELDS else _aggregates(fields)
    if set(group_by) <= ONE_GROUP_PER_PROJECT:
        # Each project is in exactly one group: the totals are the groups' sums, and one query answers both.
        grouped = list(rows.values(*columns).annotate(**aggregates).order_by(*columns))
        totals = _finish(_summed(grouped, aggregates))
    elif fields == CURRENT_FIELDS:
        grouped, totals = _groups_and_totals(base, rows, columns, aggregates)
        totals = _finish(totals)
    else:
        # As of a date the sums are over subquery annotations: aggregate() evaluates each once per project (in a
        # subquery), where a UNION branch would repeat them in every aggregate (1.5x the time), so two queries.
        grouped = list(rows.values(*columns).annotate(**aggregates).order_by(*columns))
        totals = _finish(base.aggregate(**aggregates))
    groups = [{**_group_key(row, group_by, dimensions), **_finish(row)} for row in grouped]
    return {"group_by": group_by, "totals": totals, "groups": groups}


def _groups_and_totals(base: QuerySet, rows: QuerySet, columns: list[str], aggregates: dict) -> tuple[list, dict]:
    """The groups (over the joined ``rows``, a project in each of its groups) and the totals (over ``base``, each
    project once) in one query: ``UNION ALL`` of the two aggregations, the totals row marked and sorted last."""
    groups = rows.annotate(**{TOTAL_MARK: Value(0)}).values(*columns, TOTAL_MARK).annotate(**aggregates)
    # The totals row: the same columns, the dimensions empty. Aggregated without GROUP BY, so always one row.
    empty = {f"_dimension_{index}": Value(None, output_field=CharField()) for index in range(len(columns))}
    totals = base.annotate(**empty, **{TOTAL_MARK: Value(1)}).values(*empty, TOTAL_MARK).annotate(**aggregates)
    result = list(groups.union(totals, all=True).order_by(TOTAL_MARK, *columns))
    for row in result:
        del row[TOTAL_MARK]
    return result[:-1], {name: result[-1][name] for name in aggregates}


def _summed(rows: list[dict], aggregates: dict) -> dict:
    """The aggregates over all rows from those per group: counts add up, sums add up (None where every group's is)."""
    totals = {}
    for name in aggregates:
        values = [row[name] for row in rows if row[name] is not None]
        totals[name] = sum(values) if values else (0 if name.endswith("count") else None)
    return totals


def _grouped(rows: QuerySet, group_by: list[str], dimensions: dict[str, str], roles: list[str] | None):
    """The rows to group and the columns to group them by: an organisation group is one organisation in one role."""
    columns = [dimensions[name] for name in group_by]
    if "organisation" in group_by:
        columns.append(ROLE_COLUMN)
        if roles:
            # The same join as the grouping column: only the participations in these roles make groups.
            rows = rows.filter(**{f"{ROLE_COLUMN}__in": roles})
    return rows, columns


def _group_key(row: dict, group_by: list[str], dimensions: dict[str, str]) -> dict:
    """Pops the grouping columns off ``row``: a dimension without a value (no corridor, no province) is ``None``."""
    key = {name: (row.pop(dimensions[name]) or None) for name in group_by}
    if "organisation" in group_by:
        key["role"] = row.pop(ROLE_COLUMN) or None
    return key


def investment_timeline(projects: QuerySet, kind: str, group_by: list[str], roles: list[str] | None = None) -> dict:
    """Per calendar year, from the year of the projects' earliest figure of ``kind`` to this year: the sum of their
    headline ``kind`` money as of 31 December (the headline rule over the figures dated by then), and how many
    projects it sums (those with such a figure by then); by the group, when ``group_by`` names a dimension (a status
    group is the status each project had on that date)."""
    base = projects.order_by()
    first = InvestmentFigure.objects.filter(project__in=base.values("id"), kind=kind).aggregate(first=Min("as_of"))
    if first["first"] is None:
        return {"kind": kind, "group_by": group_by, "years": []}
    years = []
    for year in range(first["first"].year, timezone.now().year + 1):
        on = datetime.date(year, 12, 31)
        rows = base.annotate(amount=headline_as_of(kind, on)).filter(amount__isnull=False)
        if "status" in group_by:
            rows = rows.annotate(
                status_then=Coalesce(Subquery(latest_status_change(on).values("status")[:1]), Value(""))
            )
        dimensions = {**DIMENSIONS, "status": "status_then"}
        aggregates = {"project_count": Count("id"), "amount_usd": Sum("amount")}
        entry = {"year": year, **rows.aggregate(**aggregates)}
        if group_by:
            grouped, columns = _grouped(rows, group_by, dimensions, roles)
            entry["groups"] = [
                {
                    **_group_key(row, group_by, dimensions),
                    "project_count": row["project_count"],
                    "amount_usd": row["amount_usd"],
                }
                for row in grouped.values(*columns).annotate(**aggregates).order_by(*columns)
            ]
        years.append(entry)
    return {"kind": kind, "group_by": group_by, "years": years}
