"""The indicators admin: pages, filters, and bulk entry of a time series by CSV (preview, confirm, all-or-nothing)."""

import datetime
import tempfile
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from indicators.models import ONE_PREFERRED_MESSAGE, Indicator, Observation
from indicators.resources import ObservationResource
from tests.factories import CorridorFactory, IndicatorFactory, ObservationFactory, SourceFactory, make_project

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:indicators_observation_import")
PROCESS_URL = reverse("admin:indicators_observation_process_import")
# A file may leave out the optional columns quote and is_preferred (most tests' files do); an export has them all.
HEADER = "indicator,scope,subject,period_start,period_end,kind,value,source,note"
FULL_HEADER = "indicator,scope,subject,period_start,period_end,kind,value,source,quote,is_preferred,note"


@pytest.fixture(autouse=True)
def upload_folder(monkeypatch, tmp_path):
    """Keep the uploads that import-export stores between preview and confirmation in the test's own folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def series():
    """An indicator and two sources to cite, one of them by URL."""
    return {
        "indicator": IndicatorFactory(code="approved-sez-count", unit="zones"),
        "source": SourceFactory(url=""),
        "web_source": SourceFactory(url="https://example.org/boi-2026"),
    }


def csv_file(*lines: str, header: str = HEADER) -> SimpleUploadedFile:
    return SimpleUploadedFile("series.csv", "\n".join([header, *lines]).encode(), content_type="text/csv")


def preview(client, upload: SimpleUploadedFile):
    return client.post(IMPORT_URL, {"resource": "0", "format": "0", "import_file": upload})


def confirm(client, response):
    return client.post(PROCESS_URL, response.context["confirm_form"].initial)


def stored() -> list[tuple]:
    return [
        (o.indicator.code, o.scope, o.subject_code, o.period_start, o.period_end, o.kind, o.value, o.source_id, o.note)
        for o in Observation.objects.order_by("period_start", "scope")
    ]


def invalid_rows(response) -> dict[int, dict[str, list[str]]]:
    return {row.number: row.error_dict for row in response.context["result"].invalid_rows}


# --- a valid file: preview, then confirm ----------------------------------------------------------------------


def test_import_valid_file_dry_run_previews_and_writes_nothing(admin_client, series):
    source = series["source"].pk
    upload = csv_file(
        f"approved-sez-count,national,,2025-12-01,2025-12-31,actual,7,{source},Before the January notification",
        "approved-sez-count,national,,2026-01-01,2026-01-31,actual,44,https://example.org/boi-2026,",
    )

    response = preview(admin_client, upload)

    result = response.context["result"]
    assert response.status_code == 200
    assert [row.import_type for row in result.valid_rows()] == ["new", "new"]
    assert response.context["confirm_form"] is not None
    assert "Confirm import" in response.text
    assert Observation.objects.count() == 0


def test_import_valid_file_confirm_writes_every_row(admin_client, series):
    source, web_source = series["source"].pk, series["web_source"].pk
    project = make_project(slug="gwadar-port")
    CorridorFactory(code="green")
    upload = csv_file(
        f"approved-sez-count,national,,2025-12-01,2025-12-31,actual,7,{source},Before the January notification",
        "approved-sez-count,national,,2026-01-01,2026-01-31,actual,44,https://example.org/boi-2026,",
        f"approved-sez-count,province,PK-BA,2026-01-01,2026-01-31,target,3.5,{source},",
        f"approved-sez-count,corridor,green,2026-01-01,2026-01-31,baseline,2,{source},",
        f"approved-sez-count,project,gwadar-port,2026-01-01,2026-01-31,actual,1,{source},",
    )

    response = confirm(admin_client, preview(admin_client, upload))

    assert response.status_code == 302
    assert response.url == reverse("admin:indicators_observation_changelist")
    jan_start, jan_end = datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)
    assert stored() == [
        (
            "approved-sez-count",
            "national",
            "",
            datetime.date(2025, 12, 1),
            datetime.date(2025, 12, 31),
            "actual",
            Decimal("7"),
            source,
            "Before the January notification",
        ),
        ("approved-sez-count", "corridor", "green", jan_start, jan_end, "baseline", Decimal("2"), source, ""),
        ("approved-sez-count", "national", "", jan_start, jan_end, "actual", Decimal("44"), web_source, ""),
        ("approved-sez-count", "project", "gwadar-port", jan_start, jan_end, "actual", Decimal("1"), source, ""),
        ("approved-sez-count", "province", "PK-BA", jan_start, jan_end, "target", Decimal("3.5"), source, ""),
    ]
    assert Observation.objects.get(scope="project").project == project
    assert Observation.history.filter(history_type="+").count() == 5


def test_import_existing_observation_updated_and_identical_row_skipped(admin_client, series):
    source = series["source"]
    ObservationFactory(
        indicator=series["indicator"],
        period_start=datetime.date(2025, 12, 1),
        period_end=datetime.date(2025, 12, 31),
        value=Decimal("6"),
        source=source,
    )
    ObservationFactory(
        indicator=series["indicator"],
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        value=Decimal("44"),
        source=source,
    )
    upload = csv_file(
        f"approved-sez-count,national,,2025-12-01,2025-12-31,actual,7,{source.pk},corrected",
        f"approved-sez-count,national,,2026-01-01,2026-01-31,actual,44,{source.pk},",
    )

    response = preview(admin_client, upload)
    assert [row.import_type for row in response.context["result"].valid_rows()] == ["update", "skip"]
    confirm(admin_client, response)

    assert [(o.value, o.note) for o in Observation.objects.order_by("period_start")] == [
        (Decimal("7"), "corrected"),
        (Decimal("44"), ""),
    ]


# --- an invalid file: per-row errors, nothing written ---------------------------------------------------------


def test_import_invalid_rows_reported_per_row_and_nothing_written(admin_client, series):
    source = series["source"].pk
    upload = csv_file(
        f"approved-sez-count,national,,2025-12-01,2025-12-31,actual,7,{source},valid row",
        f"no-such-indicator,national,,2026-01-01,2026-01-31,actual,44,{source},",
        f"approved-sez-count,national,PK-BA,2026-01-01,2026-01-31,actual,44,{source},",
        f"approved-sez-count,province,,2026-01-01,2026-01-31,actual,44,{source},",
        f"approved-sez-count,national,,2026-02-01,2026-01-31,actual,44,{source},",
        "approved-sez-count,regional,,2026-03-01,2026-03-31,forecast,lots,999999,",
        "approved-sez-count,national,,31/01/2026,2026-01-31,actual,44,ministry website,",
    )

    response = preview(admin_client, upload)

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    assert invalid_rows(response) == {
        2: {"indicator": ["No indicator with code 'no-such-indicator'."]},
        3: {"subject": ["A national observation has no subject: leave it empty, not 'PK-BA'."]},
        4: {"subject": ["A province observation needs a subject: give the province ISO code (e.g. PK-BA)."]},
        5: {"period_end": ["The period cannot end (2026-01-31) before it starts (2026-02-01)."]},
        6: {
            "value": ["Enter a number with a dot for decimals, e.g. 44 or 3.2, not 'lots'."],
            "source": ["No source with id 999999: add the source first (Sources in the admin)."],
            "scope": ["Unknown scope 'regional': use one of national, province, corridor, project."],
            "kind": ["Unknown kind 'forecast': use one of actual, target, baseline."],
        },
        7: {
            "period_start": ["Enter the date as YYYY-MM-DD, not '31/01/2026'."],
            "source": ["Give the source's id (a number) or its URL (http:// or https://), not 'ministry website'."],
        },
    }
    assert "6 rows cannot be imported" in response.text
    assert "<li><strong>period_start</strong>: Enter the date as YYYY-MM-DD, not &#x27;31/01/2026&#x27;.</li>" in (
        response.text
    )
    assert Observation.objects.count() == 0


def test_import_duplicate_rows_in_one_file_reported(admin_client, series):
    source = series["source"].pk
    upload = csv_file(
        f"approved-sez-count,national,,2026-01-01,2026-01-31,actual,44,{source},",
        f"approved-sez-count,national,,2026-01-01,2026-01-31,actual,45,{source},",
    )

    response = preview(admin_client, upload)

    assert invalid_rows(response) == {
        2: {
            "__all__": [
                "Row 1 already gives this observation (indicator, scope, subject, period, kind and source): "
                "give each one once."
            ]
        }
    }
    assert Observation.objects.count() == 0


def test_import_wrong_header_reported_without_traceback(admin_client, series):
    upload = csv_file(
        "approved-sez-count,national,2026-01-01,2026-01-31,actual,44,1",
        header="indicator,scope,period_start,period_end,kind,vlaue,source",
    )

    response = preview(admin_client, upload)

    assert [str(error.error) for error in response.context["result"].base_errors] == [
        "The file's header is wrong: unknown column(s) vlaue; missing column(s) subject, value. Expected the "
        "columns: indicator, scope, subject, period_start, period_end, kind, value, source, quote, is_preferred, note "
        "(required: "
        "indicator, scope, subject, period_start, period_end, kind, value, source)."
    ]
    assert "Traceback" not in response.text
    assert Observation.objects.count() == 0


def test_import_confirm_rolls_back_every_row_when_one_became_invalid(admin_client, series):
    doomed = SourceFactory(url="")
    upload = csv_file(
        f"approved-sez-count,national,,2025-12-01,2025-12-31,actual,7,{series['source'].pk},",
        f"approved-sez-count,national,,2026-01-01,2026-01-31,actual,44,{doomed.pk},",
    )
    previewed = preview(admin_client, upload)
    doomed_id = doomed.pk
    doomed.delete()  # between the preview and the confirmation

    response = confirm(admin_client, previewed)

    assert response.status_code == 302
    assert response.url == IMPORT_URL
    assert Observation.objects.count() == 0
    messages = [str(message) for message in response.wsgi_request._messages]
    assert messages == [
        "Nothing was imported. row 2: source: "
        f"No source with id {doomed_id}: add the source first (Sources in the admin)."
    ]


def test_import_needs_add_and_change_permissions(client, series):
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_observation", "add_observation"]))
    client.force_login(user)

    response = client.get(IMPORT_URL)

    assert response.status_code == 403


# --- export ---------------------------------------------------------------------------------------------------


def test_export_uses_the_import_columns():
    observation = ObservationFactory(
        indicator=IndicatorFactory(code="renewable-integration"),
        scope="corridor",
        corridor=CorridorFactory(code="green"),
        period_start=datetime.date(2030, 1, 1),
        period_end=datetime.date(2030, 12, 31),
        kind="target",
        value=Decimal("60"),
        note="By 2030",
        quote="60% clean energy by 2030",
    )

    dataset = ObservationResource().export()

    assert dataset.headers == FULL_HEADER.split(",")
    assert list(dataset[0]) == [
        "renewable-integration",
        "corridor",
        "green",
        "2030-01-01",
        "2030-12-31",
        "target",
        "60",
        str(observation.source_id),
        "60% clean energy by 2030",
        "no",
        "By 2030",
    ]


# --- the admin pages ------------------------------------------------------------------------------------------


def test_observation_changelist_filters_and_search(admin_client, series):
    ObservationFactory(indicator=series["indicator"], note="Board of Investment")
    ObservationFactory(indicator=IndicatorFactory(code="gdp-usd", level="context", dimension=""))
    url = reverse("admin:indicators_observation_changelist")

    by_level = admin_client.get(url, {"indicator__level__exact": "mechanism"})
    by_dimension = admin_client.get(url, {"indicator__dimension__exact": "industrial-upgrading"})
    by_search = admin_client.get(url, {"q": "board of invest"})
    by_code = admin_client.get(url, {"q": "gdp-usd"})

    assert [r.context["cl"].result_count for r in (by_level, by_dimension, by_search, by_code)] == [1, 1, 1, 1]
    assert by_code.context["cl"].result_list[0].indicator.code == "gdp-usd"


def test_indicator_changelist_links_to_its_observations(admin_client, series):
    ObservationFactory(indicator=series["indicator"])
    ObservationFactory(indicator=series["indicator"], kind="target")

    response = admin_client.get(reverse("admin:indicators_indicator_changelist"))

    link = reverse("admin:indicators_observation_changelist") + f"?indicator__id__exact={series['indicator'].pk}"
    assert f'<a href="{link}">2 observations</a>' in response.text


def test_observation_add_form_shows_field_errors(admin_client, series):
    response = admin_client.post(
        reverse("admin:indicators_observation_add"),
        {
            "indicator": series["indicator"].pk,
            "kind": "actual",
            "value": "7",
            "scope": "national",
            "province": "PK-BA",
            "period_start": "2026-01-31",
            "period_end": "2026-01-01",
            "source": series["source"].pk,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "province": ["A national observation has no province: leave it empty."],
        "period_end": ["The period cannot end (2026-01-01) before it starts (2026-01-31)."],
    }
    assert Observation.objects.count() == 0


def test_indicator_admin_save_with_corridors_records_one_history_entry(admin_client):
    growth = CorridorFactory(code="growth")

    response = admin_client.post(
        reverse("admin:indicators_indicator_add"),
        {
            "code": "sez-firm-entry",
            "name": "Firms entering special economic zones",
            "unit": "firms",
            "level": "mechanism",
            "dimension": "industrial-upgrading",
            "higher_is_better": "true",
            "corridors": [growth.pk],
        },
    )

    assert response.status_code == 302
    indicator = Indicator.objects.get(code="sez-firm-entry")
    assert [c.code for c in indicator.corridors.all()] == ["growth"]
    assert list(indicator.history.values_list("history_type", flat=True)) == ["+"]


def test_admin_pages_render(admin_client, series):
    observation = ObservationFactory(indicator=series["indicator"])
    indicator = series["indicator"]
    urls = [
        IMPORT_URL,
        reverse("admin:indicators_observation_add"),
        reverse("admin:indicators_observation_change", args=[observation.pk]),
        reverse("admin:indicators_observation_history", args=[observation.pk]),
        reverse("admin:indicators_indicator_add"),
        reverse("admin:indicators_indicator_change", args=[indicator.pk]),
        reverse("admin:indicators_indicator_history", args=[indicator.pk]),
    ]

    statuses = [admin_client.get(url).status_code for url in urls]

    assert statuses == [200] * len(urls)
    assert "indicator, scope, subject, period_start, period_end, kind, value, source, quote, is_preferred, note" in (
        admin_client.get(IMPORT_URL).text
    )


# --- files as editors save them -----------------------------------------------------------------------------------


def test_import_semicolon_file_with_bom_is_read(admin_client, series):
    source = series["source"].pk
    text = "\ufeff" + "\n".join(
        [HEADER.replace(",", ";"), f"approved-sez-count;national;;2026-01-01;2026-01-31;actual;44,5;{source};"]
    )
    upload = SimpleUploadedFile("series.csv", text.encode(), content_type="text/csv")

    response = preview(admin_client, upload)

    # The semicolon separates the fields; "44,5" is one cell, and a decimal comma is not a number here.
    assert invalid_rows(response) == {
        1: {"value": ["Enter a number with a dot for decimals, e.g. 44 or 3.2, not '44,5'."]}
    }


def test_import_semicolon_file_confirms(admin_client, series):
    source = series["source"].pk
    text = "\n".join(
        [HEADER.replace(",", ";"), f"approved-sez-count;national;;2026-01-01;2026-01-31;actual;44.5;{source};"]
    )

    confirm(admin_client, preview(admin_client, SimpleUploadedFile("s.csv", text.encode())))

    assert [(o.value, o.period_start) for o in Observation.objects.all()] == [
        (Decimal("44.5"), datetime.date(2026, 1, 1))
    ]


def test_import_wrong_header_reports_once_and_reads_no_row(admin_client, series):
    upload = csv_file("a;b;c", "1;2;3", header="indicator;scope;when")

    response = preview(admin_client, upload)

    result = response.context["result"]
    assert len(result.base_errors) == 1
    assert (list(result.row_errors()), result.invalid_rows) == ([], [])
    assert "_rows_by_key" not in response.text and "Traceback" not in response.text


def test_import_xlsx_observations(admin_client, series):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    book.active.append(
        [
            "approved-sez-count",
            "national",
            None,
            datetime.datetime(2026, 1, 1),
            datetime.datetime(2026, 1, 31),
            "actual",
            44,
            series["source"].pk,
            None,
        ]
    )
    content = io.BytesIO()
    book.save(content)
    upload = SimpleUploadedFile("series.xlsx", content.getvalue())

    response = confirm(
        admin_client, admin_client.post(IMPORT_URL, {"resource": "0", "format": "1", "import_file": upload})
    )

    assert response.status_code == 302
    assert [(o.value, o.period_end) for o in Observation.objects.all()] == [(Decimal("44"), datetime.date(2026, 1, 31))]


def test_import_same_series_twice_records_no_history_the_second_time(admin_client, series):
    source = series["source"].pk
    lines = [f"approved-sez-count,national,,2026-01-01,2026-01-31,actual,44,{source},"]
    confirm(admin_client, preview(admin_client, csv_file(*lines)))
    history = Observation.history.count()

    again = preview(admin_client, csv_file(*lines))
    confirm(admin_client, again)

    assert [row.import_type for row in again.context["result"].valid_rows()] == ["skip"]
    assert Observation.history.count() == history


MALFORMED = {
    "empty": b"",
    "header-only": HEADER.encode(),
    "ragged-row": (HEADER + "\napproved-sez-count,national,,2026-01-01,2026-01-31,actual,44,1,,extra\n").encode(),
    "short-row": (HEADER + "\napproved-sez-count,national\n").encode(),
    "binary": b"\x00\x01\x02PK\x03\x04garbage",
    "quoted-semicolons": (
        HEADER.replace(",", ";") + '\n"approved-sez-count";national;;2026-01-01;"2026-01-31";actual;"44";1;"a; b"\n'
    ).encode(),
}


@pytest.mark.parametrize("content", MALFORMED.values(), ids=MALFORMED.keys())
def test_import_malformed_file_is_answered_in_sentences(admin_client, series, content):
    response = preview(admin_client, SimpleUploadedFile("series.csv", content, content_type="text/csv"))

    assert response.status_code == 200
    result = response.context.get("result")
    shown = [str(error.error) for error in result.base_errors] if result else []
    if result:
        shown += [
            message for row in result.invalid_rows for messages in row.error_dict.values() for message in messages
        ]
    shown += [str(error) for errors in response.context["form"].errors.values() for error in errors]
    assert all(message.endswith(".") and "object has no attribute" not in message for message in shown), shown
    assert "Traceback" not in response.text
    assert "_rows_by_key" not in response.text
    assert Observation.objects.count() == 0


def test_import_row_with_more_cells_than_the_header_is_named_by_its_line(admin_client, series):
    upload = csv_file(
        "approved-sez-count,national,,2026-01-01,2026-01-31,actual,44,1,",
        "approved-sez-count,national,,2026-02-01,2026-02-28,actual,45,1,,extra",
    )

    response = preview(admin_client, upload)

    assert response.context["form"].errors["import_file"] == [
        "Row 3 has 10 cells but the header names 9 columns: look for a stray ',' or a quote that is not closed on "
        "that row. Nothing was imported."
    ]


def test_import_row_missing_its_trailing_empty_cells_is_read(admin_client, series):
    row = f"approved-sez-count,national,,2026-01-01,2026-01-31,actual,44,{series['source'].pk}"

    response = preview(admin_client, csv_file(row))

    assert response.context["result"].totals["new"] == 1


# --- competing values: quote and preferred flag ------------------------------------------------------------------


def test_import_two_values_differing_only_by_source_both_kept(admin_client, series):
    source, web_source = series["source"].pk, series["web_source"].pk
    upload = csv_file(
        f"approved-sez-count,national,,2026-01-01,2026-01-31,actual,44,{source},Per BOI,yes,Official",
        "approved-sez-count,national,,2026-01-01,2026-01-31,actual,45,https://example.org/boi-2026,45 zones,no,",
        header=FULL_HEADER,
    )

    response = confirm(admin_client, preview(admin_client, upload))

    assert response.status_code == 302
    assert sorted(Observation.objects.values_list("value", "source_id", "is_preferred", "quote", "note")) == [
        (Decimal("44"), source, True, "Per BOI", "Official"),
        (Decimal("45"), web_source, False, "45 zones", ""),
    ]


def test_import_second_preferred_value_reported_on_its_column(admin_client, series):
    ObservationFactory(
        indicator=series["indicator"],
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        source=series["source"],
        is_preferred=True,
    )
    upload = csv_file(
        "approved-sez-count,national,,2026-01-01,2026-01-31,actual,45,https://example.org/boi-2026,,yes,",
        header=FULL_HEADER,
    )

    response = preview(admin_client, upload)

    assert invalid_rows(response) == {1: {"is_preferred": [ONE_PREFERRED_MESSAGE]}}
    assert Observation.objects.count() == 1


def test_import_moves_the_preferred_flag_when_the_row_giving_it_up_comes_first(admin_client, series):
    first = ObservationFactory(
        indicator=series["indicator"],
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        value=Decimal("44"),
        source=series["source"],
        is_preferred=True,
    )
    upload = csv_file(
        f"approved-sez-count,national,,2026-01-01,2026-01-31,actual,44,{series['source'].pk},no",
        "approved-sez-count,national,,2026-01-01,2026-01-31,actual,45,https://example.org/boi-2026,yes",
        header="indicator,scope,subject,period_start,period_end,kind,value,source,is_preferred",
    )

    response = confirm(admin_client, preview(admin_client, upload))

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.is_preferred is False
    assert Observation.objects.get(is_preferred=True).source == series["web_source"]


def test_import_without_the_preferred_column_keeps_the_stored_flag(admin_client, series):
    observation = ObservationFactory(
        indicator=series["indicator"],
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        value=Decimal("44"),
        source=series["source"],
        is_preferred=True,
        quote="44 zones",
    )
    upload = csv_file(f"approved-sez-count,national,,2026-01-01,2026-01-31,actual,46,{series['source'].pk},")

    confirm(admin_client, preview(admin_client, upload))

    observation.refresh_from_db()
    assert (observation.value, observation.is_preferred, observation.quote) == (Decimal("46"), True, "44 zones")


def test_observation_admin_form_refuses_second_preferred_value(admin_client, series):
    ObservationFactory(
        indicator=series["indicator"],
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        source=series["source"],
        is_preferred=True,
    )

    response = admin_client.post(
        reverse("admin:indicators_observation_add"),
        {
            "indicator": series["indicator"].pk,
            "kind": "actual",
            "value": "45",
            "scope": "national",
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
            "source": series["web_source"].pk,
            "quote": "45 zones",
            "is_preferred": "on",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"is_preferred": [ONE_PREFERRED_MESSAGE]}
    assert Observation.objects.count() == 1


def test_observation_admin_form_saves_quote_and_preferred_flag(admin_client, series):
    response = admin_client.post(
        reverse("admin:indicators_observation_add"),
        {
            "indicator": series["indicator"].pk,
            "kind": "actual",
            "value": "45",
            "scope": "national",
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
            "source": series["web_source"].pk,
            "quote": "45 zones",
            "is_preferred": "on",
        },
    )

    assert response.status_code == 302
    assert list(Observation.objects.values_list("quote", "is_preferred")) == [("45 zones", True)]
