"""Investment statistics over a set of projects (API.md: ``stats/investment``).

A project in several pillars or provinces counts in each of its groups; the totals count it once.
A group's realisation ratio is the sum of realised over the sum of announced, over its projects that have both.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum

DIMENSIONS = {
    "corridor": "corridor__code",
    "pillar": "pillars__code",
    "sector": "sector__code",
    "status": "status",
    "province": "provinces__code",
    "phase": "phase",
}
HAS_BOTH = Q(announced_usd__isnull=False, realised_usd__isnull=False)


def _aggregates() -> dict:
    return {
        # A project is one row of its group (each of its pillars or provinces is one row of the join): no DISTINCT.
        "project_count": Count("id"),
        "sum_announced": Sum("announced_usd"),
        "sum_committed": Sum("committed_usd"),
        "sum_realised": Sum("realised_usd"),
        "announced_with_both": Sum("announced_usd", filter=HAS_BOTH),
        "realised_with_both": Sum("realised_usd", filter=HAS_BOTH),
    }


def _finish(row: dict) -> dict:
    for kind in ("announced", "committed", "realised"):
        row[f"{kind}_usd"] = row.pop(f"sum_{kind}")
    announced, realised = row.pop("announced_with_both"), row.pop("realised_with_both")
    ratio = None
    if announced and realised is not None:
        ratio = (Decimal(realised) / Decimal(announced)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    row["realisation_ratio"] = ratio
    return row


def investment_stats(projects: QuerySet, group_by: list[str]) -> dict:
    """Totals and groups for ``projects`` (already filtered to what the reader may see)."""
    # The project filters narrow with EXISTS and never join a many-valued relation: the filtered queryset has one
    # row per project and is aggregated as it is. Only a de-duplicated one goes through its ids.
    base = projects.order_by()
    if base.query.distinct:
        from projects.models import Project

        base = Project.objects.filter(id__in=base.values("id")).order_by()
    totals = _finish(base.aggregate(**_aggregates()))
    columns = [DIMENSIONS[name] for name in group_by]
    groups = []
    for row in base.values(*columns).annotate(**_aggregates()).order_by(*columns):
        group = {name: (row.pop(DIMENSIONS[name]) or None) for name in group_by}
        groups.append({**group, **_finish(row)})
    return {"group_by": group_by, "totals": totals, "groups": groups}
