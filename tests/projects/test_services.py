"""Rules that span rows, enforced by projects.services: the status lifecycle, a project's required relations,
derived fields that only services write, and investment-figure updates."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from projects import choices, services
from projects.models import InvestmentFigure, Project, StatusChange
from tests.factories import (
    CorridorFactory,
    PillarFactory,
    SectorFactory,
    SourceFactory,
    add_figure,
    add_rate,
    add_status,
    make_project,
    province,
)

D = datetime.date
S = choices.Status
LADDER = [S.PIPELINE, S.MOU, S.IMPLEMENTATION, S.OPERATIONAL]
ALL_STATUSES = list(S.values)


def history(project: Project) -> list[tuple[str, datetime.date]]:
    return list(StatusChange.objects.filter(project=project).order_by("id").values_list("status", "date"))


def stored_status(project: Project) -> tuple[str, datetime.date | None]:
    return tuple(Project.objects.filter(pk=project.pk).values_list("status", "status_since").get())


def backward(previous: str, current: str) -> dict[str, list[str]]:
    return {
        "status": [
            f"A project cannot move back from {previous} to {current}; a backward move is allowed only from suspended."
        ]
    }


# --- status transitions -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_change_record_forward_moves_step_by_step_allowed():
    project = make_project()

    for year, status in enumerate(LADDER, start=2015):
        add_status(project, status, D(year, 1, 1))

    assert history(project) == [(status, D(year, 1, 1)) for year, status in enumerate(LADDER, start=2015)]
    assert stored_status(project) == ("operational", D(2018, 1, 1))
    assert (project.status, project.status_since) == ("operational", D(2018, 1, 1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second"),
    [(S.PIPELINE, S.IMPLEMENTATION), (S.PIPELINE, S.OPERATIONAL), (S.MOU, S.OPERATIONAL), (S.MOU, S.MOU)],
)
def test_status_change_record_forward_moves_skipping_steps_allowed(first, second):
    project = make_project()
    add_status(project, first, D(2015, 1, 1))

    add_status(project, second, D(2016, 1, 1))

    assert stored_status(project) == (second, D(2016, 1, 1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("previous", "current"),
    [
        (S.MOU, S.PIPELINE),
        (S.IMPLEMENTATION, S.MOU),
        (S.IMPLEMENTATION, S.PIPELINE),
        (S.OPERATIONAL, S.IMPLEMENTATION),
        (S.OPERATIONAL, S.PIPELINE),
    ],
)
def test_status_change_record_backward_move_refused(previous, current):
    project = make_project()
    add_status(project, previous, D(2015, 1, 1))

    with pytest.raises(ValidationError) as caught:
        add_status(project, current, D(2016, 1, 1))

    assert caught.value.message_dict == backward(previous, current)
    assert history(project) == [(previous, D(2015, 1, 1))]
    assert stored_status(project) == (previous, D(2015, 1, 1))


@pytest.mark.django_db
def test_status_change_record_backward_move_after_suspension_allowed():
    project = make_project()
    add_status(project, S.IMPLEMENTATION, D(2015, 1, 1))
    add_status(project, S.SUSPENDED, D(2017, 1, 1))

    add_status(project, S.MOU, D(2020, 1, 1))

    assert stored_status(project) == ("mou", D(2020, 1, 1))


@pytest.mark.django_db
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_status_change_record_suspended_to_any_status_allowed(status):
    project = make_project()
    add_status(project, S.OPERATIONAL, D(2015, 1, 1))
    add_status(project, S.SUSPENDED, D(2016, 1, 1))

    add_status(project, status, D(2017, 1, 1))

    assert stored_status(project) == (status, D(2017, 1, 1))


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.SUSPENDED, S.CANCELLED])
@pytest.mark.parametrize("previous", LADDER)
def test_status_change_record_suspension_or_cancellation_from_any_rung_allowed(previous, status):
    project = make_project()
    add_status(project, previous, D(2015, 1, 1))

    add_status(project, status, D(2016, 1, 1))

    assert stored_status(project) == (status, D(2016, 1, 1))


@pytest.mark.django_db
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_status_change_record_after_cancelled_refused(status):
    project = make_project()
    add_status(project, S.MOU, D(2015, 1, 1))
    add_status(project, S.CANCELLED, D(2018, 3, 1))

    with pytest.raises(ValidationError) as caught:
        add_status(project, status, D(2019, 1, 1))

    assert caught.value.message_dict == {"status": ["The project was cancelled on 2018-03-01; cancelled is final."]}
    assert stored_status(project) == ("cancelled", D(2018, 3, 1))


@pytest.mark.django_db
def test_status_change_record_dated_before_previous_refused():
    project = make_project()
    add_status(project, S.PIPELINE, D(2015, 1, 1))
    add_status(project, S.MOU, D(2016, 6, 1))

    with pytest.raises(ValidationError) as caught:
        add_status(project, S.IMPLEMENTATION, D(2016, 5, 31))

    assert caught.value.message_dict == {
        "date": [
            "Dates along a project's history never go backwards: 2016-05-31 is before the previous status change "
            "(mou, 2016-06-01)."
        ]
    }
    assert history(project) == [("pipeline", D(2015, 1, 1)), ("mou", D(2016, 6, 1))]


@pytest.mark.django_db
def test_status_change_record_on_the_same_day_as_previous_allowed():
    project = make_project()
    add_status(project, S.MOU, D(2016, 6, 1))

    add_status(project, S.IMPLEMENTATION, D(2016, 6, 1))

    assert stored_status(project) == ("implementation", D(2016, 6, 1))


@pytest.mark.django_db
def test_status_change_record_unknown_status_refused():
    project = make_project()

    with pytest.raises(ValidationError) as caught:
        add_status(project, "finished", D(2016, 6, 1))

    assert caught.value.message_dict == {"status": ["Value 'finished' is not a valid choice."]}
    assert stored_status(project) == ("", None)


@pytest.mark.django_db
def test_status_change_record_unreadable_date_gives_field_error():
    project = make_project()
    add_status(project, S.PIPELINE, D(2015, 1, 1))

    with pytest.raises(ValidationError) as caught:
        add_status(project, S.MOU, "2016-02-30")

    assert caught.value.message_dict == {
        "date": ["“2016-02-30” value has the correct format (YYYY-MM-DD) but it is an invalid date."]
    }


# --- editing and deleting status changes ------------------------------------------------------------------------------


@pytest.fixture
def three_steps(db):
    """pipeline 2015 → mou 2016 → implementation 2018."""
    project = make_project()
    entries = [
        add_status(project, S.PIPELINE, D(2015, 1, 1)),
        add_status(project, S.MOU, D(2016, 1, 1)),
        add_status(project, S.IMPLEMENTATION, D(2018, 1, 1)),
    ]
    return project, entries


@pytest.mark.parametrize(
    ("index", "fields", "errors"),
    [
        (1, {"status": S.OPERATIONAL}, backward("operational", "implementation")),
        (2, {"status": S.PIPELINE}, backward("mou", "pipeline")),
        (
            2,
            {"date": D(2015, 12, 31)},
            {
                "date": [
                    "Dates along a project's history never go backwards: 2015-12-31 is before the previous status "
                    "change (mou, 2016-01-01)."
                ]
            },
        ),
        (
            1,
            {"date": D(2019, 1, 1)},
            {
                "date": [
                    "Dates along a project's history never go backwards: 2018-01-01 is before the previous status "
                    "change (mou, 2019-01-01)."
                ]
            },
        ),
        (0, {"status": S.CANCELLED}, {"status": ["The project was cancelled on 2015-01-01; cancelled is final."]}),
    ],
)
def test_status_change_update_breaking_the_sequence_refused(three_steps, index, fields, errors):
    project, entries = three_steps
    before = history(project)

    with pytest.raises(ValidationError) as caught:
        services.status_change_update(status_change=entries[index], **fields)

    assert caught.value.message_dict == errors
    assert history(project) == before
    assert stored_status(project) == ("implementation", D(2018, 1, 1))


def test_status_change_update_keeping_the_sequence_refreshes_the_project(three_steps):
    project, entries = three_steps

    services.status_change_update(status_change=entries[2], status=S.OPERATIONAL, date=D(2019, 7, 1))

    assert history(project) == [("pipeline", D(2015, 1, 1)), ("mou", D(2016, 1, 1)), ("operational", D(2019, 7, 1))]
    assert stored_status(project) == ("operational", D(2019, 7, 1))


def test_status_change_update_to_another_project_refused(three_steps):
    project, entries = three_steps

    with pytest.raises(ValidationError) as caught:
        services.status_change_update(status_change=entries[0], project=make_project())

    assert caught.value.message_dict == {
        "project": ["A status change cannot move to another project; delete and re-add it."]
    }


@pytest.mark.django_db
def test_status_change_delete_leaving_a_backward_move_refused():
    project = make_project()
    add_status(project, S.IMPLEMENTATION, D(2015, 1, 1))
    suspension = add_status(project, S.SUSPENDED, D(2016, 1, 1))
    add_status(project, S.MOU, D(2019, 1, 1))

    with pytest.raises(ValidationError) as caught:
        services.status_change_delete(status_change=suspension)

    assert caught.value.message_dict == backward("implementation", "mou")
    assert [status for status, _ in history(project)] == ["implementation", "suspended", "mou"]
    assert stored_status(project) == ("mou", D(2019, 1, 1))


@pytest.mark.django_db
def test_status_change_delete_of_the_latest_falls_back_to_the_previous():
    project = make_project()
    add_status(project, S.PIPELINE, D(2015, 1, 1))
    latest = add_status(project, S.MOU, D(2016, 1, 1))

    services.status_change_delete(status_change=latest)

    assert history(project) == [("pipeline", D(2015, 1, 1))]
    assert stored_status(project) == ("pipeline", D(2015, 1, 1))


@pytest.mark.django_db
def test_status_change_delete_of_the_only_one_leaves_no_status():
    project = make_project()
    only = add_status(project, S.PIPELINE, D(2015, 1, 1))

    services.status_change_delete(status_change=only)

    assert history(project) == []
    assert stored_status(project) == ("", None)


@pytest.mark.django_db
def test_status_change_delete_in_the_middle_keeping_a_valid_history_allowed():
    project = make_project()
    add_status(project, S.PIPELINE, D(2015, 1, 1))
    middle = add_status(project, S.MOU, D(2016, 1, 1))
    add_status(project, S.CANCELLED, D(2017, 1, 1))

    services.status_change_delete(status_change=middle)

    assert history(project) == [("pipeline", D(2015, 1, 1)), ("cancelled", D(2017, 1, 1))]
    assert stored_status(project) == ("cancelled", D(2017, 1, 1))


# --- projects: relations and derived fields ---------------------------------------------------------------------------


def create_project(**overrides):
    values = {
        "slug": "thar-coal",
        "name": "Thar coal",
        "phase": choices.Phase.CPEC_1,
        "corridor": CorridorFactory(code="green"),
        "sector": SectorFactory(code="energy"),
        "pillars": [PillarFactory(code="energy")],
        "provinces": [province("PK-SD")],
    }
    return services.project_create(**{**values, **overrides})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"pillars": []}, {"pillars": ["Choose at least one pillar."]}),
        (
            {"pillars": [], "slug": "Thar"},
            {
                "slug": ["Use lower-case letters, digits and single hyphens."],
                "pillars": ["Choose at least one pillar."],
            },
        ),
    ],
)
def test_project_create_without_pillar_refused(overrides, errors):
    with pytest.raises(ValidationError) as caught:
        create_project(**overrides)

    assert caught.value.message_dict == errors
    assert Project.objects.count() == 0
    assert Project.history.count() == 0


@pytest.mark.django_db
def test_project_create_takes_relations_from_generators():
    pillars = [PillarFactory(code="energy"), PillarFactory(code="environment")]

    project = create_project(pillars=(pillar for pillar in pillars), provinces=iter([province("PK-SD")]))

    assert sorted(project.pillars.values_list("code", flat=True)) == ["energy", "environment"]
    assert list(project.provinces.values_list("code", flat=True)) == ["PK-SD"]


@pytest.mark.django_db
def test_project_update_emptying_pillars_refused():
    project = create_project()

    with pytest.raises(ValidationError) as caught:
        services.project_update(project=project, pillars=[])

    assert caught.value.message_dict == {"pillars": ["Choose at least one pillar."]}
    assert Project.objects.get(pk=project.pk).pillars.count() == 1


@pytest.mark.django_db
def test_project_without_a_known_province_or_corridor_is_valid():
    project = create_project(provinces=[], corridor=None)

    services.project_update(project=project, provinces=[])

    stored = Project.objects.get(pk=project.pk)
    assert (stored.corridor, list(stored.provinces.all())) == (None, [])


@pytest.mark.django_db
def test_project_update_replaces_relations():
    project = create_project()

    services.project_update(project=project, provinces=[province("PK-SD"), province("PK-BA")], name="Thar Block II")

    project = Project.objects.get(pk=project.pk)
    assert (project.name, sorted(project.provinces.values_list("code", flat=True))) == (
        "Thar Block II",
        ["PK-BA", "PK-SD"],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("status", "operational"),
        ("status_since", D(2020, 1, 1)),
        ("announced_usd", Decimal(1)),
        ("committed_usd", Decimal(1)),
        ("realised_usd", Decimal(1)),
        ("realisation_ratio", Decimal(1)),
    ],
)
def test_project_create_and_update_refuse_derived_fields(name, value):
    message = {name: ["This field is derived from the status history and investment figures."]}

    with pytest.raises(ValidationError) as caught:
        create_project(**{name: value})
    assert caught.value.message_dict == message
    assert Project.objects.count() == 0

    project = create_project()
    with pytest.raises(ValidationError) as caught:
        services.project_update(project=project, **{name: value})
    assert caught.value.message_dict == message
    assert Project.objects.filter(pk=project.pk).values_list(name, flat=True).get() in ("", None)


@pytest.mark.django_db
def test_project_update_unknown_field_is_a_programming_error():
    project = create_project()

    with pytest.raises(TypeError, match="unknown project fields: nmae"):
        services.project_update(project=project, nmae="Typo")


@pytest.mark.django_db
def test_project_update_from_an_older_copy_keeps_the_derived_fields():
    project = create_project()
    older_copy = Project.objects.get(pk=project.pk)
    add_status(project, S.MOU, D(2016, 1, 1))
    add_figure(project, "announced", 1000)

    services.project_update(project=older_copy, summary="Lignite mine and power plant.")

    stored = Project.objects.get(pk=project.pk)
    assert (stored.summary, stored.status, stored.status_since, stored.announced_usd) == (
        "Lignite mine and power plant.",
        "mou",
        D(2016, 1, 1),
        Decimal("1000.00"),
    )
    assert (older_copy.status, older_copy.announced_usd) == ("mou", Decimal("1000.00"))


@pytest.mark.django_db
def test_status_change_delete_through_an_older_copy_still_refreshes_derived_fields():
    project = create_project()
    older_copy = Project.objects.get(pk=project.pk)  # no status, in memory: what deleting the only entry gives too
    only = add_status(project, S.PIPELINE, D(2015, 1, 1))
    only.project = older_copy

    services.status_change_delete(status_change=only)

    assert stored_status(project) == ("", None)


@pytest.mark.django_db
def test_project_set_publication_unknown_value_refused():
    project = create_project()

    with pytest.raises(ValidationError) as caught:
        services.project_set_publication(projects=[project], publication="public")

    assert caught.value.message_dict == {"publication": ["Choose one of: draft, published (not 'public')."]}


@pytest.mark.django_db
def test_project_set_publication_counts_only_changes():
    draft = create_project(slug="draft-one", publication="draft")
    published = create_project(slug="published-one", publication="published")

    changed = services.project_set_publication(projects=[draft, published], publication="published")

    assert changed == 1
    assert sorted(Project.objects.published().values_list("slug", flat=True)) == ["draft-one", "published-one"]


# --- investment figures: updates ---------------------------------------------------------------------------------


def stored_figure(figure: InvestmentFigure) -> tuple:
    return tuple(
        InvestmentFigure.objects.filter(pk=figure.pk)
        .values_list("amount", "currency", "amount_usd", "amount_usd_converted")
        .get()
    )


@pytest.mark.django_db
def test_investment_figure_update_amount_in_usd_moves_the_usd_amount():
    project = make_project()
    figure = add_figure(project, "announced", 100)

    services.investment_figure_update(investment=figure, amount=Decimal(250))

    assert stored_figure(figure) == (Decimal("250.00"), "USD", Decimal("250.00"), False)
    assert Project.objects.get(pk=project.pk).announced_usd == Decimal("250.00")


@pytest.mark.django_db
def test_investment_figure_update_amount_of_converted_figure_reconverts():
    project = make_project()
    add_rate("PKR", 2020, "0.0060000000")
    figure = add_figure(project, "announced", 1_000_000, currency="PKR")

    services.investment_figure_update(investment=figure, amount=Decimal(2_000_000))

    assert stored_figure(figure) == (Decimal("2000000.00"), "PKR", Decimal("12000.00"), True)
    assert Project.objects.get(pk=project.pk).announced_usd == Decimal("12000.00")


@pytest.mark.django_db
def test_investment_figure_update_as_of_of_converted_figure_uses_the_new_year():
    project = make_project()
    add_rate("PKR", 2020, "0.0060000000")
    add_rate("PKR", 2022, "0.0045000000")
    figure = add_figure(project, "announced", 1_000_000, currency="PKR")

    services.investment_figure_update(investment=figure, as_of=D(2022, 6, 30))

    assert stored_figure(figure) == (Decimal("1000000.00"), "PKR", Decimal("4500.00"), True)

    with pytest.raises(ValidationError) as caught:
        services.investment_figure_update(investment=figure, as_of=D(2021, 6, 30))
    assert list(caught.value.message_dict) == ["amount_usd"]
    assert stored_figure(figure) == (Decimal("1000000.00"), "PKR", Decimal("4500.00"), True)


@pytest.mark.django_db
def test_investment_figure_update_currency_from_usd_converts():
    project = make_project()
    add_rate("CNY", 2020, "0.1400000000")
    figure = add_figure(project, "announced", 1000)

    services.investment_figure_update(investment=figure, currency="CNY")

    assert stored_figure(figure) == (Decimal("1000.00"), "CNY", Decimal("140.00"), True)
    assert Project.objects.get(pk=project.pk).announced_usd == Decimal("140.00")


@pytest.mark.django_db
def test_investment_figure_update_currency_to_usd_copies_the_amount():
    project = make_project()
    figure = add_figure(project, "announced", 1000, currency="CNY", amount_usd=Decimal("150.00"))

    services.investment_figure_update(investment=figure, currency="USD")

    assert stored_figure(figure) == (Decimal("1000.00"), "USD", Decimal("1000.00"), False)


@pytest.mark.django_db
def test_investment_figure_update_amount_keeps_usd_amount_typed_by_the_editor():
    project = make_project()
    add_rate("PKR", 2020, "0.0060000000")
    figure = add_figure(project, "announced", 1_000_000, currency="PKR", amount_usd=Decimal("6250.00"))

    services.investment_figure_update(investment=figure, amount=Decimal(1_100_000))

    assert stored_figure(figure) == (Decimal("1100000.00"), "PKR", Decimal("6250.00"), False)


@pytest.mark.django_db
def test_investment_figure_update_emptied_usd_amount_converts_again():
    project = make_project()
    add_rate("PKR", 2020, "0.0060000000")
    figure = add_figure(project, "announced", 1_000_000, currency="PKR", amount_usd=Decimal("6250.00"))

    services.investment_figure_update(investment=figure, amount_usd=None)

    assert stored_figure(figure) == (Decimal("1000000.00"), "PKR", Decimal("6000.00"), True)


@pytest.mark.django_db
def test_investment_figure_update_to_another_project_refused():
    figure = add_figure(make_project(), "announced", 1000)

    with pytest.raises(ValidationError) as caught:
        services.investment_figure_update(investment=figure, project=make_project())

    assert caught.value.message_dict == {"project": ["A figure cannot move to another project; delete and re-add it."]}


# --- concurrent writes to one project (PostgreSQL: SQLite admits one writer at a time) -------------------------------

needs_row_locks = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and concurrent writers need PostgreSQL"
)


# Real commits, visible to the other connections; the tables are flushed afterwards, and the flush's post_migrate
# signal puts the fixed province list back for the tests after. A ``django_db`` mark, not a fixture of its own, so
# that the test database is set up even when these are the only tests selected.
committed = pytest.mark.django_db(transaction=True)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def waits_for_me(pid: int) -> bool:
    """Whether the PostgreSQL backend ``pid`` is waiting for a lock this connection holds (read live, each call)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid() = ANY(pg_blocking_pids(%s))", [pid])
        return cursor.fetchone()[0]


def run_while_first_holds_its_transaction(first, second, timeout: float = 10):
    """Run ``first`` in a transaction that stays open until ``second``, started in another connection once ``first``
    has done its work, is waiting for it on a lock; then let ``first`` commit. Fails the test when ``second`` does
    not start waiting within ``timeout`` seconds."""
    first_done, second_started, errors, results, pids, problems = threading.Event(), threading.Event(), [], {}, [], []

    def hold():
        first_done.set()
        if not second_started.wait(timeout=timeout):
            problems.append("the second transaction did not start")
            return
        deadline = time.monotonic() + timeout
        while not waits_for_me(pids[0]):
            if time.monotonic() > deadline:
                problems.append(f"the second transaction did not wait for the first within {timeout} s")
                return
            time.sleep(0.01)  # polling the other connection's state, not timing the test

    def start_second():
        if not first_done.wait(timeout=timeout):
            problems.append("the first transaction did not finish its work")
        pids.append(backend_pid())
        second_started.set()

    def in_thread(name, work, before, after=None):
        try:
            before()
            with transaction.atomic():
                results[name] = work()
                if after:
                    after()
        except Exception as error:  # reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=in_thread, args=("first", first, lambda: None, hold)),
        threading.Thread(target=in_thread, args=("second", second, start_second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert problems == []
    return results, errors


@needs_row_locks
@committed
def test_concurrent_figures_for_one_project_both_count():
    project = make_project()
    sources = [SourceFactory(), SourceFactory()]

    _, errors = run_while_first_holds_its_transaction(
        lambda: add_figure(
            Project.objects.get(pk=project.pk), "announced", 900, as_of=D(2021, 1, 1), source=sources[0]
        ),
        lambda: add_figure(
            Project.objects.get(pk=project.pk), "announced", 500, as_of=D(2020, 1, 1), source=sources[1]
        ),
    )

    assert errors == []
    stored = Project.objects.get(pk=project.pk)
    assert stored.announced_usd == Decimal("900.00")
    assert {name: getattr(stored, name) for name in services.DERIVED_FIELDS} == services.compute_derived(stored)


@needs_row_locks
@committed
def test_concurrent_status_changes_cannot_make_an_invalid_history():
    project = make_project()
    add_status(project, S.PIPELINE, D(2015, 1, 1))
    sources = [SourceFactory(), SourceFactory()]

    _, errors = run_while_first_holds_its_transaction(
        lambda: add_status(Project.objects.get(pk=project.pk), S.IMPLEMENTATION, D(2018, 1, 1), sources[0]),
        lambda: add_status(Project.objects.get(pk=project.pk), S.MOU, D(2019, 1, 1), sources[1]),
    )

    assert [error.message_dict for error in errors] == [backward("implementation", "mou")]
    assert history(project) == [("pipeline", D(2015, 1, 1)), ("implementation", D(2018, 1, 1))]
    assert stored_status(project) == ("implementation", D(2018, 1, 1))
