"""Bulk import of projects, figures, status changes and participations in the admin, and the export of the list:
preview, errors on their rows as sentences, all-or-nothing confirmation, idempotent re-imports, CSV and XLSX."""

import datetime
import io
import tempfile
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import choices, services
from projects.models import InvestmentFigure, Participation, Project, StatusChange
from projects.resources import ProjectResource
from tests.factories import (
    CorridorFactory,
    OrganisationFactory,
    PillarFactory,
    SectorFactory,
    SourceFactory,
    add_figure,
    add_rate,
    add_status,
    make_project,
)

pytestmark = pytest.mark.django_db
IMPORT_URL = reverse("admin:projects_project_import")
PROCESS_URL = reverse("admin:projects_project_process_import")
PROJECTS, FIGURES, STATUSES, PARTICIPATIONS = range(4)
CSV_FORMAT, XLSX_FORMAT = 0, 1
PROJECT_HEADER = "slug,name,phase,corridor,pillars,sector,provinces,place_name,latitude,longitude,publication"
D = datetime.date


@pytest.fixture(autouse=True)
def upload_folder(monkeypatch, tmp_path):
    """Keep the uploads that import-export stores between preview and confirmation in the test's own folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.fixture
def vocabulary(db):
    return {
        "green": CorridorFactory(code="green", name="Green Corridor"),
        "growth": CorridorFactory(code="growth", name="Growth Corridor"),
        "energy": PillarFactory(code="energy", name="Energy"),
        "export": PillarFactory(code="export", name="Export"),
        "hydro": SectorFactory(code="energy-hydro", name="Hydropower"),
        "source": SourceFactory(url="https://ppib.gov.pk/projects"),
    }


def upload(text: str, name="rows.csv", encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_upload(rows: list[list]) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    content = io.BytesIO()
    book.save(content)
    return SimpleUploadedFile("rows.xlsx", content.getvalue())


def preview(client, resource: int, file, file_format: int = CSV_FORMAT):
    return client.post(IMPORT_URL, {"resource": str(resource), "format": str(file_format), "import_file": file})


def confirm(client, previewed):
    assert previewed.context["confirm_form"] is not None, invalid_rows(previewed)
    return client.post(PROCESS_URL, previewed.context["confirm_form"].initial)


def invalid_rows(response) -> dict[int, dict[str, list[str]]]:
    return {row.number: row.error_dict for row in response.context["result"].invalid_rows}


def import_types(response) -> list[str]:
    return [row.import_type for row in response.context["result"].valid_rows()]


def project_line(number: int, **overrides) -> str:
    values = {
        "slug": f"sez-{number:02d}",
        "name": f"Special Economic Zone {number}",
        "phase": "2",
        "corridor": "growth",
        "pillars": "export;energy",
        "sector": "energy-hydro",
        "provinces": "PK-PB;PK-SD",
        "place_name": f"Town {number}",
        "latitude": "30.5",
        "longitude": "70.25",
        "publication": "draft",
    } | overrides
    return ",".join(values[column] for column in PROJECT_HEADER.split(","))


def thirty_projects(bad: dict[int, dict] | None = None) -> str:
    """The file of the JCC meeting: 30 projects, with the given rows (by number) overridden."""
    bad = bad or {}
    return "\n".join([PROJECT_HEADER, *(project_line(n, **bad.get(n, {})) for n in range(1, 31))])


# --- projects -----------------------------------------------------------------------------------------------------


def test_import_thirty_projects_with_two_bad_rows_previews_their_errors_and_writes_nothing(admin_client, vocabulary):
    bad = {7: {"corridor": "blue"}, 19: {"latitude": "45", "provinces": "PK-XX"}}

    response = preview(admin_client, PROJECTS, upload(thirty_projects(bad)))

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    assert invalid_rows(response) == {
        7: {"corridor": ["No corridor with code 'blue'. Known: green, growth."]},
        19: {"provinces": ["No province with code 'PK-XX'. Known: PK-BA, PK-GB, PK-IS, PK-JK, PK-KP, PK-PB, PK-SD."]},
    }
    assert "2 rows cannot be imported" in response.text
    assert Project.objects.count() == 0


def test_import_thirty_projects_fixed_file_previews_then_confirms_through_the_services(admin_client, vocabulary):
    previewed = preview(admin_client, PROJECTS, upload(thirty_projects()))
    assert import_types(previewed) == ["new"] * 30
    assert Project.objects.count() == 0

    response = confirm(admin_client, previewed)

    assert response.status_code == 302
    assert Project.objects.count() == 30
    project = Project.objects.get(slug="sez-07")
    assert (project.name, project.phase, project.corridor.code, project.sector.code) == (
        "Special Economic Zone 7",
        "2",
        "growth",
        "energy-hydro",
    )
    assert sorted(project.pillars.values_list("code", flat=True)) == ["energy", "export"]
    assert sorted(project.provinces.values_list("code", flat=True)) == ["PK-PB", "PK-SD"]
    assert (project.latitude, project.longitude) == (Decimal("30.500000"), Decimal("70.250000"))
    assert [entry.history_type for entry in project.history.all()] == ["+"]


def test_import_same_projects_file_twice_changes_nothing_the_second_time(admin_client, vocabulary):
    confirm(admin_client, preview(admin_client, PROJECTS, upload(thirty_projects())))
    history = Project.history.count()

    again = preview(admin_client, PROJECTS, upload(thirty_projects()))
    confirm(admin_client, again)

    assert import_types(again) == ["skip"] * 30
    assert Project.history.count() == history


def test_import_project_row_with_a_change_updates_only_that_project(admin_client, vocabulary):
    confirm(admin_client, preview(admin_client, PROJECTS, upload(thirty_projects())))

    previewed = preview(
        admin_client, PROJECTS, upload(thirty_projects({3: {"name": "SEZ Three", "pillars": "export"}}))
    )
    confirm(admin_client, previewed)

    assert import_types(previewed) == ["skip", "skip", "update"] + ["skip"] * 27
    project = Project.objects.get(slug="sez-03")
    assert (project.name, list(project.pillars.values_list("code", flat=True))) == ("SEZ Three", ["export"])
    assert project.history.first().changed_fields == ["name", "pillars"]


def test_import_project_rule_of_the_model_is_reported_on_its_row(admin_client, vocabulary):
    lines = [PROJECT_HEADER, project_line(1, latitude="45"), project_line(2, longitude="", latitude="31")]

    response = preview(admin_client, PROJECTS, upload("\n".join(lines)))

    assert invalid_rows(response) == {
        1: {"latitude": ["Latitude 45 is outside Pakistan (23.5 to 37.1 N)."]},
        2: {"longitude": ["Give both latitude and longitude, or neither."]},
    }


def test_import_semicolon_csv_with_bom_reads_like_a_comma_csv(admin_client, vocabulary):
    text = "\ufeff" + thirty_projects().replace(",", ";").replace("export;energy", '"export;energy"')
    text = text.replace("PK-PB;PK-SD", '"PK-PB;PK-SD"')

    response = confirm(admin_client, preview(admin_client, PROJECTS, upload(text)))

    assert response.status_code == 302
    assert Project.objects.count() == 30
    assert sorted(Project.objects.get(slug="sez-01").provinces.values_list("code", flat=True)) == ["PK-PB", "PK-SD"]


def test_import_xlsx_with_typed_cells_is_read(admin_client, vocabulary):
    rows = [
        PROJECT_HEADER.split(",") + ["mou_signed_on"],
        [
            "karot",
            "Karot Hydropower",
            1,
            "green",
            "energy",
            "energy-hydro",
            "PK-PB,PK-JK",
            "Karot",
            33.6,
            73.6,
            "draft",
            datetime.datetime(2014, 4, 20),
        ],
    ]

    response = confirm(admin_client, preview(admin_client, PROJECTS, xlsx_upload(rows), XLSX_FORMAT))

    assert response.status_code == 302
    project = Project.objects.get(slug="karot")
    assert (project.phase, project.latitude, project.mou_signed_on) == ("1", Decimal("33.600000"), D(2014, 4, 20))


def test_import_wrong_header_is_one_sentence_and_no_row_is_read(admin_client, vocabulary):
    response = preview(admin_client, PROJECTS, upload("slug;nmae;phase\nkarot;Karot;1\nsahiwal;Sahiwal;1"))

    result = response.context["result"]
    assert [str(error.error) for error in result.base_errors] == [
        "The file's header is wrong: unknown column(s) nmae; missing column(s) name, corridor, pillars, sector, "
        "provinces. Expected the columns: slug, name, summary, phase, corridor, pillars, sector, provinces, "
        "place_name, latitude, longitude, location_precision, capacity_value, capacity_unit, mou_signed_on, "
        "financial_close_on, construction_started_on, completed_on, sources, confidence, editorial_note, "
        "publication (required: slug, name, phase, corridor, pillars, sector, provinces)."
    ]
    assert list(result.row_errors()) == [] and result.invalid_rows == []
    assert "Traceback" not in response.text


def test_import_file_that_is_not_utf8_is_refused_with_a_sentence(admin_client, vocabulary):
    response = preview(admin_client, PROJECTS, upload(thirty_projects({1: {"name": "Zoné"}}), encoding="latin-1"))

    assert response.context["form"].errors["import_file"] == [
        "The file could not be read. Choose the format it is in (CSV or XLSX); a CSV file must be saved as UTF-8 "
        '("CSV UTF-8" in Excel), with a comma or a semicolon between the fields.'
    ]


def test_import_same_project_twice_in_one_file_is_reported(admin_client, vocabulary):
    lines = [PROJECT_HEADER, project_line(1), project_line(1, name="Other name")]

    response = preview(admin_client, PROJECTS, upload("\n".join(lines)))

    assert invalid_rows(response) == {2: {"__all__": ["Row 1 already gives this project (slug): give each one once."]}}


def test_import_row_failing_unexpectedly_is_reported_as_a_sentence(admin_client, vocabulary, monkeypatch):
    def broken(**fields):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "project_create", broken)

    response = preview(admin_client, PROJECTS, upload("\n".join([PROJECT_HEADER, project_line(1)])))

    assert invalid_rows(response) == {
        1: {
            "__all__": [
                "This row could not be checked because of an unexpected problem in the registry (it has been logged "
                "for its maintainers). Nothing was imported."
            ]
        }
    }
    assert "boom" not in response.text


def test_import_confirm_rolls_back_everything_when_a_row_became_invalid(admin_client, vocabulary):
    previewed = preview(admin_client, PROJECTS, upload(thirty_projects({30: {"pillars": "export"}})))
    vocabulary["energy"].delete()  # between the preview and the confirmation: rows 1-29 cite it

    response = admin_client.post(PROCESS_URL, previewed.context["confirm_form"].initial)

    assert (response.status_code, response.url) == (302, IMPORT_URL)
    assert Project.objects.count() == 0
    (message,) = [str(message) for message in response.wsgi_request._messages]
    assert message.startswith("Nothing was imported. row 1: pillars: No pillar with code 'energy'. Known: export.")


def test_import_needs_add_and_change_permissions(client, vocabulary):
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_project", "add_project"]))
    client.force_login(user)

    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(reverse("admin:projects_project_import_template", args=[0, "csv"])).status_code == 403


@pytest.mark.parametrize(
    ("index", "header"),
    [
        (PROJECTS, ",".join(ProjectResource.Meta.fields)),
        (FIGURES, "project,kind,amount,currency,amount_usd,as_of,source,is_preferred,note,quote"),
        (STATUSES, "project,status,date,source,note,quote"),
        (PARTICIPATIONS, "project,organisation,role,note"),
    ],
)
def test_import_template_download_has_the_columns(admin_client, index, header):
    csv = admin_client.get(reverse("admin:projects_project_import_template", args=[index, "csv"]))
    xlsx = admin_client.get(reverse("admin:projects_project_import_template", args=[index, "xlsx"]))

    assert csv.content.decode().strip() == header
    assert csv["Content-Disposition"].startswith("attachment; filename=")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in sheet[1]] == header.split(",")


def test_import_page_links_the_templates_and_preselects_the_kind(admin_client):
    response = admin_client.get(IMPORT_URL, {"resource": str(FIGURES)})

    assert response.context["form"].initial["resource"] == str(FIGURES)
    assert reverse("admin:projects_project_import_template", args=[FIGURES, "xlsx"]) in response.text


# --- rows that hang off projects ----------------------------------------------------------------------------------

FIGURE_HEADER = "project,kind,amount,currency,amount_usd,as_of,source,is_preferred,note"


@pytest.fixture
def karot(vocabulary):
    project = make_project(slug="karot", corridor=vocabulary["green"], sector=vocabulary["hydro"])
    add_status(project, choices.Status.MOU, D(2014, 4, 20), source=vocabulary["source"])
    return project


def test_import_figures_convert_through_the_services_and_reimport_changes_nothing(admin_client, vocabulary, karot):
    add_rate("PKR", 2016, "0.0095")
    text = "\n".join(
        [
            FIGURE_HEADER,
            "karot,announced,1698000000,USD,,2016-02-01,https://ppib.gov.pk/projects,yes,PPIB list",
            f"karot,committed,100000000000,PKR,,2016-12-01,{vocabulary['source'].pk},no,",
        ]
    )

    first = preview(admin_client, FIGURES, upload(text))
    confirm(admin_client, first)
    history = (InvestmentFigure.history.count(), karot.history.count())
    again = preview(admin_client, FIGURES, upload(text))
    confirm(admin_client, again)

    assert import_types(first) == ["new", "new"]
    assert import_types(again) == ["skip", "skip"]
    assert (InvestmentFigure.history.count(), karot.history.count()) == history
    karot.refresh_from_db()
    assert (karot.announced_usd, karot.committed_usd) == (Decimal("1698000000.00"), Decimal("950000000.00"))
    committed = InvestmentFigure.objects.get(kind="committed")
    assert (committed.amount_usd, committed.amount_usd_converted) == (Decimal("950000000.00"), True)


def test_import_figure_row_with_a_new_amount_updates_it_like_the_api(admin_client, vocabulary, karot):
    add_figure(karot, "announced", "1000", as_of=D(2016, 2, 1), source=vocabulary["source"])
    text = f"{FIGURE_HEADER}\nkarot,announced,2000,USD,1000,2016-02-01,{vocabulary['source'].pk},no,"

    confirm(admin_client, preview(admin_client, FIGURES, upload(text)))

    figure = InvestmentFigure.objects.get()
    assert (figure.amount, figure.amount_usd) == (Decimal("2000.00"), Decimal("2000.00"))


def test_import_figure_errors_are_sentences_on_their_rows(admin_client, vocabulary, karot):
    text = "\n".join(
        [
            FIGURE_HEADER,
            f"nowhere,announced,10,USD,,2016-02-01,{vocabulary['source'].pk},no,",
            f"karot,promised,ten,USD,,01/02/2016,{vocabulary['source'].pk},maybe,",
            f"karot,announced,10,PKR,,2016-02-01,{vocabulary['source'].pk},no,",
        ]
    )

    response = preview(admin_client, FIGURES, upload(text))

    assert invalid_rows(response) == {
        1: {"project": ["No project with slug 'nowhere'."]},
        2: {
            "kind": ["Unknown kind 'promised': use one of announced, committed, realised."],
            "amount": ["Enter a number with a dot for decimals, e.g. 44 or 3.2, not 'ten'."],
            "as_of": ["Enter the date as YYYY-MM-DD, not '01/02/2016'."],
            "is_preferred": ["Write yes or no, not 'maybe'."],
        },
        3: {
            "amount_usd": [
                "No exchange rate for PKR in 2016: enter the USD amount the source gives, add an exchange rate "
                "for that year first, or say in no_usd_reason why the figure stays in its currency."
            ]
        },
    }


def test_import_status_changes_apply_the_history_rule(admin_client, vocabulary, karot):
    source = vocabulary["source"].pk
    text = "\n".join(
        [
            "project,status,date,source,note",
            f"karot,implementation,2016-12-01,{source},Financial close",
            f"karot,pipeline,2018-01-01,{source},",
        ]
    )

    response = preview(admin_client, STATUSES, upload(text))

    assert invalid_rows(response) == {
        2: {
            "status": [
                "A project cannot move back from implementation to pipeline; a backward move is allowed only from "
                "suspended."
            ]
        }
    }
    assert StatusChange.objects.count() == 1


def test_import_status_changes_then_reimport_skips(admin_client, vocabulary, karot):
    text = f"project,status,date,source,note\nkarot,implementation,2016-12-01,{vocabulary['source'].pk},Close"

    confirm(admin_client, preview(admin_client, STATUSES, upload(text)))
    again = preview(admin_client, STATUSES, upload(text))

    assert import_types(again) == ["skip"]
    karot.refresh_from_db()
    assert (karot.status, karot.status_since) == ("implementation", D(2016, 12, 1))


def test_import_participations_through_the_participants_service(admin_client, vocabulary, karot):
    OrganisationFactory(slug="three-gorges")
    OrganisationFactory(slug="wapda")
    text = "project,organisation,role,note\nkarot,three-gorges,sponsor,70%\nkarot,wapda,operator,"

    confirm(admin_client, preview(admin_client, PARTICIPATIONS, upload(text)))
    changed = preview(admin_client, PARTICIPATIONS, upload(text.replace("70%", "80%")))
    confirm(admin_client, changed)

    assert import_types(changed) == ["update", "skip"]
    assert sorted(Participation.objects.values_list("organisation__slug", "role", "note")) == [
        ("three-gorges", "sponsor", "80%"),
        ("wapda", "operator", ""),
    ]


# --- export -------------------------------------------------------------------------------------------------------


def test_export_of_the_filtered_list_has_only_those_projects_and_escapes_formulas(admin_client, vocabulary):
    make_project(slug="karot", name='=HYPERLINK("http://evil")', corridor=vocabulary["green"])
    make_project(slug="sahiwal", name="Sahiwal", corridor=vocabulary["growth"])
    url = reverse("admin:projects_project_export") + f"?corridor__id__exact={vocabulary['green'].pk}"

    csv = admin_client.post(url, {"format": "0", "resource": "0", **export_fields()})
    xlsx = admin_client.post(url, {"format": "1", "resource": "0", **export_fields()})

    lines = csv.content.decode().strip().splitlines()
    assert lines[0].startswith("slug,name,")
    assert [line.split(",")[0] for line in lines[1:]] == ["karot"]
    assert "'=HYPERLINK" in lines[1]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["B2"].value == '\'=HYPERLINK("http://evil")'
    assert sheet.max_row == 2


def export_fields() -> dict:
    return {f"projectresource_{name}": "on" for name in ProjectResource.Meta.fields}


def test_export_file_reimports_without_changes(admin_client, vocabulary):
    for number in range(3):
        make_project(slug=f"p-{number}", corridor=vocabulary["green"], sector=vocabulary["hydro"])
    exported = admin_client.post(
        reverse("admin:projects_project_export"), {"format": "0", "resource": "0", **export_fields()}
    )

    response = preview(admin_client, PROJECTS, upload(exported.content.decode()))

    assert import_types(response) == ["skip"] * 3


def test_export_needs_the_view_permission(client, vocabulary):
    user = User.objects.create_user("nobody", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_organisation"))
    client.force_login(user)

    response = client.post(
        reverse("admin:projects_project_export"), {"format": "0", "resource": "0", **export_fields()}
    )

    assert response.status_code == 403


def test_export_query_count_does_not_grow_with_projects(admin_client, vocabulary, django_assert_max_num_queries):
    def export():
        response = admin_client.post(
            reverse("admin:projects_project_export"), {"format": "0", "resource": "0", **export_fields()}
        )
        assert response.status_code == 200
        return response

    make_project(slug="p-0", corridor=vocabulary["green"], pillars=[vocabulary["energy"]])
    with CaptureQueriesContext(connection) as one:
        export()
    for number in range(1, 12):
        make_project(slug=f"p-{number}", corridor=vocabulary["green"], pillars=[vocabulary["energy"]])

    with django_assert_max_num_queries(len(one)):
        lines = export().content.decode().strip().splitlines()

    assert len(lines) == 1 + 12


def test_import_status_change_keeps_its_quote(admin_client, vocabulary, karot):
    source = vocabulary["source"].pk
    text = "\n".join(
        [
            "project,status,date,source,note,quote",
            f'karot,implementation,2016-12-01,{source},Financial close,"Work began on 1 December, the company said."',
        ]
    )

    confirm(admin_client, preview(admin_client, STATUSES, upload(text)))

    stored = StatusChange.objects.get(project=karot, date=datetime.date(2016, 12, 1))
    assert (stored.status, stored.quote) == ("implementation", "Work began on 1 December, the company said.")
