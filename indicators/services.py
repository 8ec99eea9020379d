"""Helpers shared by every path that names an observation's subject by its public identifier (CSV import, seed
loader, API): province ISO code, corridor code or project slug, read according to the scope."""

from django.core.exceptions import ValidationError

from indicators.choices import SUBJECT_FIELD, SUBJECT_FIELDS, Scope
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
