"""The indicators' writes and shared rules, used by every path (API, admin, CSV import, seed loader): resolving an
observation's subject by its public identifier (province ISO code, corridor code or project slug, read according to
the scope), recording and changing observations, and choosing among competing values."""

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

from indicators.choices import SUBJECT_FIELD, SUBJECT_FIELDS, Scope
from indicators.models import Observation
from projects.models import Corridor, Project, Province


def resolve_subject(*, scope: str, subject: str) -> dict:
    """The subject columns (``province``, ``corridor``, ``project``) for a scope and a subject identifier.

    Raises ``ValidationError({"subject": ...})`` when the identifier is missing, unexpected or unknown. An invalid
    scope is left to the model's own validation: the result then names no subject.
    """
    subject = (subject or "").strip()
    columns = dict.fromkeys(SUBJECT_FIELDS)
    if scope == Scope.NATIONAL:
        if subject:
            raise ValidationError(
                {"subject": f"A national observation has no subject: leave it empty, not {subject!r}."}
            )
        return columns
    if scope == Scope.PROVINCE:
        lookup, model, described = "code", Province, "province ISO code (e.g. PK-BA)"
    elif scope == Scope.CORRIDOR:
        lookup, model, described = "code", Corridor, "corridor code (e.g. green)"
    elif scope == Scope.PROJECT:
        lookup, model, described = "slug", Project, "project slug"
    else:
        return columns
    if not subject:
        raise ValidationError({"subject": f"A {scope} observation needs a subject: give the {described}."})
    try:
        columns[SUBJECT_FIELD[scope]] = model.objects.get(**{lookup: subject})
    except model.DoesNotExist:
        known = ""
        if model is not Project:
            known = " Known: " + ", ".join(model.objects.order_by(lookup).values_list(lookup, flat=True)) + "."
        raise ValidationError({"subject": f"No {scope} with {lookup} {subject!r}.{known}"}) from None
    return columns


# --- writing observations -------------------------------------------------------------------------------------

# What an API, admin or import write may set on an observation (the subject columns come from resolve_subject).
OBSERVATION_FIELDS = (
    "indicator",
    "scope",
    *SUBJECT_FIELDS,
    "period_start",
    "period_end",
    "kind",
    "value",
    "source",
    "quote",
    "is_preferred",
    "note",
)


def _refuse_unknown(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(OBSERVATION_FIELDS))
    if unknown:
        raise ValueError(f"Not an observation field: {', '.join(unknown)}.")


def observation_record(**fields: Any) -> Observation:
    """Validate (``full_clean()``: one value per source and at most one preferred value per indicator, subject,
    period and kind, as field errors) and save a new observation. Raises ``ValidationError``."""
    _refuse_unknown(fields)
    return observation_save(observation=Observation(**fields))


def observation_update(*, observation: Observation, **fields: Any) -> Observation:
    """Change an observation's fields, validated like ``observation_record``. Raises ``ValidationError``."""
    _refuse_unknown(fields)
    for name, value in fields.items():
        setattr(observation, name, value)
    return observation_save(observation=observation)


def observation_save(*, observation: Observation) -> Observation:
    """Validate and save an observation built or changed elsewhere (the admin's form). Raises ``ValidationError``."""
    observation.full_clean()
    observation.save()
    return observation


def observation_delete(*, observation: Observation) -> None:
    observation.delete()


# --- competing values --------------------------------------------------------------------------------------------


def preference_key(observation: Observation) -> tuple:
    """Sort key of competing values, best last: the preferred one, else the one from the latest-published source
    (``Source.published_on``; a source without a date counts as the oldest), then the higher source id."""
    source = observation.source
    return (observation.is_preferred, source.published_on or datetime.date.min, source.pk)


def competing_key(observation: Observation) -> tuple:
    """What competing values share: indicator, scope, subject, period and kind."""
    return (
        observation.indicator_id,
        observation.scope,
        *(getattr(observation, f"{name}_id") for name in SUBJECT_FIELDS),
        observation.period_start,
        observation.period_end,
        observation.kind,
    )


def preferred_values(observations: Iterable[Observation]) -> list[Observation]:
    """One observation per (indicator, scope, subject, period, kind): the preferred one, else the one from the
    latest-published source (``preference_key``); in the order the first of each group came. The observations'
    sources should be loaded with them (``select_related("source")``)."""
    best: dict[tuple, Observation] = {}
    for observation in observations:
        key = competing_key(observation)
        chosen = best.get(key)
        if chosen is None or preference_key(observation) > preference_key(chosen):
            best[key] = observation
    return list(best.values())
