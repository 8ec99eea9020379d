"""The rules over a project's rows (projects.rules): pure functions, no database."""

import ast
import datetime
import inspect

import pytest
from django.core.exceptions import ValidationError

from projects import rules
from projects.rules import HistoryEntry

D = datetime.date


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([], None),
        ([HistoryEntry("pipeline", D(2015, 1, 1)), HistoryEntry("operational", D(2016, 1, 1))], None),
        (
            [HistoryEntry("operational", D(2015, 1, 1)), HistoryEntry("suspended", D(2016, 1, 1))]
            + [HistoryEntry("mou", D(2017, 1, 1))],
            None,
        ),
        (
            [HistoryEntry("mou", D(2016, 1, 1)), HistoryEntry("implementation", D(2015, 1, 1))],
            (
                1,
                {
                    "date": [
                        "Dates along a project's history never go backwards: 2015-01-01 is before the previous "
                        "status change (mou, 2016-01-01)."
                    ]
                },
            ),
        ),
        (
            [HistoryEntry("cancelled", D(2016, 1, 1)), HistoryEntry("pipeline", D(2017, 1, 1))],
            (1, {"status": ["The project was cancelled on 2016-01-01; cancelled is final."]}),
        ),
        (
            [
                HistoryEntry("pipeline", D(2014, 1, 1)),
                HistoryEntry("implementation", D(2015, 1, 1)),
                HistoryEntry("mou", D(2016, 1, 1)),
            ],
            (
                2,
                {
                    "status": [
                        "A project cannot move back from implementation to mou; a backward move is allowed only "
                        "from suspended."
                    ]
                },
            ),
        ),
    ],
    ids=["empty", "forward", "back-after-suspended", "date-back", "after-cancelled", "backward"],
)
def test_status_history_error_finds_the_first_broken_entry(entries, expected):
    found = rules.status_history_error(entries)

    assert (found if found is None else (found[0], found[1].message_dict)) == expected


def test_validate_status_history_raises_the_first_error():
    with pytest.raises(ValidationError) as caught:
        rules.validate_status_history([HistoryEntry("cancelled", D(2016, 1, 1)), HistoryEntry("mou", D(2017, 1, 1))])

    assert caught.value.message_dict == {"status": ["The project was cancelled on 2016-01-01; cancelled is final."]}


class Row:
    def __init__(self, kind, is_preferred):
        self.kind, self.is_preferred = kind, is_preferred


@pytest.mark.parametrize(
    ("rows", "newly", "expected"),
    [
        ([Row("announced", True), Row("realised", True)], [True, True], set()),
        ([Row("announced", True), Row("announced", True)], [False, True], {1}),
        ([Row("announced", True), Row("announced", True)], [False, False], {0, 1}),
        ([Row("announced", True), Row("announced", False), Row("announced", True)], [True, False, True], {0, 2}),
    ],
    ids=["different-kinds", "newly-marked-at-fault", "none-newly-all", "both-new"],
)
def test_preferred_conflicts_blames_the_rows_newly_marked(rows, newly, expected):
    assert rules.preferred_conflicts(rows, newly_preferred=newly) == expected


def test_duplicate_participants_are_the_repeats_after_the_first():
    assert rules.duplicate_participants([(1, "sponsor"), (2, "sponsor"), (1, "sponsor"), (1, "operator")]) == {2}


def test_rows_validation_error_numbers_each_rows_messages():
    error = rules.RowsValidationError({2: ValidationError({"date": "Too late."}), 0: ValidationError("Gone.")})

    assert list(error.rows) == [0, 2]
    assert error.messages == ["Row 1: Gone.", "Row 3: Too late."]


def imported_modules(module) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_rules_sit_below_models_and_services_without_a_cycle():
    from projects import forms, models

    assert {"projects.services", "projects.models"} & imported_modules(rules) == set()
    assert "projects.services" not in imported_modules(models)
    # The admin's forms no longer switch off a model's clean(): nothing in them assigns to an instance's method.
    assert "instance.clean =" not in inspect.getsource(forms)
