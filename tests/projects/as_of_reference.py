"""The as-of annotations as they were written before issue 16's third pass: five correlated subqueries per project,
the ratio over four more, the missing status excluded by its value. Kept only as the reference the tests compare
``projects.as_of`` with; production code must not import it."""

import datetime

from django.db import connection
from django.db.models import Case, F, FloatField, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Round

from projects import choices
from projects.as_of import MONEY, RATIO, headline_figures, latest_status_change


def _quotient(dividend: str, divisor: str):
    if connection.vendor == "sqlite":
        return Cast(dividend, FloatField()) / F(divisor)
    return F(dividend) / F(divisor)


def reference_projects_as_of(queryset: QuerySet, on: datetime.date, *, include_future: bool = False) -> QuerySet:
    latest = latest_status_change(on)
    money = {
        kind: Subquery(headline_figures(kind, on).values("amount_usd")[:1], output_field=MONEY)
        for kind in choices.InvestmentKind.values
    }
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
