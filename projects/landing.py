"""The public landing page at ``/``: what the registry is, its live totals, two charts and the latest changes.

It shows what an anonymous reader sees, whoever asks (editors' drafts never count here), built from the same
statistics and change feed as the API.
"""

from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_safe

from projects import choices
from projects.models import Corridor
from projects.stats import investment_stats
from projects.visibility import visible_projects
from registry import feed
from registry.charts import Series, compact_usd, grouped_bar_chart

LATEST_CHANGES = 8
NO_CORRIDOR = "No corridor"


def money_series(groups: list[dict]) -> list[Series]:
    return [
        Series("Announced", "announced", [group["announced_usd"] for group in groups]),
        Series("Committed", "committed", [group["committed_usd"] for group in groups]),
        Series("Realised", "realised", [group["realised_usd"] for group in groups]),
    ]


def corridor_chart(projects) -> str:
    groups = investment_stats(projects, ["corridor"])["groups"]
    names = dict(Corridor.objects.values_list("code", "name"))
    order = {code: index for index, code in enumerate(Corridor.objects.values_list("code", flat=True))}
    groups.sort(key=lambda group: order.get(group["corridor"], len(order)))
    labels = [names.get(group["corridor"], NO_CORRIDOR) for group in groups]
    return grouped_bar_chart(
        title="Announced, committed and realised money by corridor", categories=labels, series=money_series(groups)
    )


def phase_chart(projects) -> str:
    groups = investment_stats(projects, ["phase"])["groups"]
    labels = [choices.Phase(group["phase"]).label for group in groups]
    return grouped_bar_chart(
        title="Announced, committed and realised money by CPEC phase", categories=labels, series=money_series(groups)
    )


@require_safe
def landing_page(request):
    projects = visible_projects(None)  # the public view, whoever is signed in
    totals = investment_stats(projects, ["phase"])["totals"]
    entries = [feed.represent(entry, editor=False) for entry in feed.entries_for(editor=False)[:LATEST_CHANGES]]
    context = {
        "project_count": totals["project_count"],
        "corridor_count": Corridor.objects.count(),
        "province_count": projects.aggregate(count=Count("provinces", distinct=True))["count"],
        "announced": compact_usd(totals["announced_usd"]),
        "committed": compact_usd(totals["committed_usd"]),
        "realised": compact_usd(totals["realised_usd"]),
        "corridor_chart": corridor_chart(projects),
        "phase_chart": phase_chart(projects),
        "changes": entries,
    }
    return render(request, "projects/landing.html", context)
