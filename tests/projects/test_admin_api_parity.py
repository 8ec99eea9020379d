"""The admin and the API apply one set of rules: for every model an editor can write through both, the same input
gives the same stored values and derived fields, or the same error messages.

Each case writes once through the API (JSON, a token) and once through the admin (the page's form, re-posted with
every pre-filled field as a browser does), each on its own identical twin, and compares the results.
"""

import datetime
from decimal import Decimal

import pytest

from indicators.models import Indicator, Observation
from projects import choices, services
from projects.models import InvestmentFigure, Organisation, Participation, Project, Source, StatusChange
from tests.admin_forms import BrowserForm
from tests.api_fixtures import token_client
from tests.factories import (
    CorridorFactory,
    IndicatorFactory,
    ObservationFactory,
    OrganisationFactory,
    PillarFactory,
    SectorFactory,
    SourceFactory,
    add_figure,
    add_participant,
    add_rate,
    add_status,
    make_project,
)

pytestmark = pytest.mark.django_db
D = datetime.date
KIND = choices.InvestmentKind
S = choices.Status


@pytest.fixture
def clients(editor, client):
    client.force_login(editor)
    return token_client(editor), client


@pytest.fixture
def vocabulary(db):
    return {
        "corridor": CorridorFactory(code="green", name="Green Corridor"),
        "pillar": PillarFactory(code="energy", name="Energy"),
        "sector": SectorFactory(code="energy-hydro", name="Hydropower"),
        "source": SourceFactory(title="PPIB project list"),
    }


def twin(slug, vocabulary):
    """A project with one status change, one USD figure and one sponsor, the same for every twin."""
    project = make_project(
        slug=slug, corridor=vocabulary["corridor"], pillars=[vocabulary["pillar"]], sector=vocabulary["sector"]
    )
    add_status(project, S.MOU, D(2015, 1, 1), source=vocabulary["source"])
    add_figure(project, KIND.ANNOUNCED, "1000", as_of=D(2016, 2, 1), source=vocabulary["source"])
    add_participant(project, OrganisationFactory(slug="three-gorges", name="China Three Gorges"))
    return project


def derived(project):
    project.refresh_from_db()
    return {name: getattr(project, name) for name in services.DERIVED_FIELDS}


def messages_of(errors) -> list[str]:
    """Every message of an API body or a form's errors, whatever field it is on."""
    if isinstance(errors, dict):
        return sorted(message for value in errors.values() for message in messages_of(value))
    if isinstance(errors, list):
        return sorted(message for value in errors for message in messages_of(value))
    return [str(errors)]


def admin_errors(response) -> list[str]:
    assert response.status_code == 200, "the admin accepted what the API refused"
    found = list(response.context["adminform"].form.errors.values())
    for inline in response.context["inline_admin_formsets"]:
        found += [dict(form.errors) for form in inline.formset.forms]
        found += list(inline.formset.non_form_errors())
    return messages_of(found)


def figure_state(project):
    figure = InvestmentFigure.objects.get(project=project, kind=KIND.ANNOUNCED)
    return (figure.amount, figure.currency, figure.amount_usd, figure.amount_usd_converted, figure.is_preferred)


def change_url(project):
    return f"/admin/projects/project/{project.pk}/change/"


# --- investment figures -------------------------------------------------------------------------------------------

FIGURE_CHANGES = [
    ({"currency": "PKR"}, True),
    ({"amount": "2000"}, False),
    ({"currency": "PKR", "amount_usd": "12"}, True),
    ({"as_of": "2017-03-01", "currency": "PKR"}, True),
    ({"currency": "PKR"}, False),  # no rate for 2016: refused
    ({"amount_usd": "999"}, False),  # a USD figure's USD amount is its amount: refused
    ({"amount": "-5"}, False),
]


def api_figure_body(changes):
    return {name: (float(value) if name in ("amount", "amount_usd") else value) for name, value in changes.items()}


@pytest.mark.parametrize(("changes", "with_rate"), FIGURE_CHANGES, ids=lambda value: str(value))
def test_investment_figure_update_same_result_in_admin_and_api(clients, vocabulary, changes, with_rate):
    if with_rate:
        add_rate("PKR", 2016, "0.0095")
        add_rate("PKR", 2017, "0.0090")
    api, admin = clients
    by_api, by_admin = twin("twin-api", vocabulary), twin("twin-admin", vocabulary)
    figure = InvestmentFigure.objects.get(project=by_api)

    api_response = api.patch(f"/api/v1/investments/{figure.pk}/", api_figure_body(changes), format="json")
    form = BrowserForm(admin, change_url(by_admin))
    admin_response = form.set(**{f"investments-0-{name}": value for name, value in changes.items()}).post()

    if api_response.status_code == 200:
        assert admin_response.status_code == 302
        assert figure_state(by_admin) == figure_state(by_api)
        assert derived(by_admin) == derived(by_api)
    else:
        assert api_response.status_code == 400
        assert admin_errors(admin_response) == messages_of(api_response.json())
        assert (
            figure_state(by_admin)
            == figure_state(by_api)
            == (Decimal("1000.00"), "USD", Decimal("1000.00"), False, False)
        )


@pytest.mark.parametrize(
    "values",
    [
        {"kind": KIND.REALISED, "amount": "800", "currency": "USD", "as_of": "2022-06-29"},
        {"kind": KIND.REALISED, "amount": "80000", "currency": "PKR", "as_of": "2016-06-29"},
        {"kind": KIND.ANNOUNCED, "amount": "1200", "currency": "USD", "as_of": "2015-06-29", "is_preferred": True},
        {"kind": KIND.REALISED, "amount": "800", "currency": "usd", "as_of": "2022-06-29"},
    ],
    ids=["usd", "converted", "preferred", "lower-case-currency"],
)
def test_investment_figure_create_same_result_in_admin_and_api(clients, vocabulary, values):
    add_rate("PKR", 2016, "0.0095")
    api, admin = clients
    by_api, by_admin = twin("twin-api", vocabulary), twin("twin-admin", vocabulary)
    source = vocabulary["source"].pk

    api_response = api.post(
        "/api/v1/investments/",
        {**api_figure_body(values), "project": by_api.slug, "source": source},
        format="json",
    )
    form = BrowserForm(admin, change_url(by_admin))
    form.add_row("investments", source=source, **values)
    admin_response = form.post()

    if api_response.status_code == 201:
        assert admin_response.status_code == 302
        fields = ["kind", "amount", "currency", "amount_usd", "amount_usd_converted", "as_of", "is_preferred"]
        assert list(InvestmentFigure.objects.filter(project=by_admin).values_list(*fields)) == list(
            InvestmentFigure.objects.filter(project=by_api).values_list(*fields)
        )
        assert derived(by_admin) == derived(by_api)
    else:
        assert admin_errors(admin_response) == messages_of(api_response.json())


# --- status changes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "date"),
    [(S.IMPLEMENTATION, "2016-12-01"), (S.PIPELINE, "2016-12-01"), (S.OPERATIONAL, "2014-01-01")],
    ids=["forward", "backward", "date-before"],
)
def test_status_change_create_same_result_in_admin_and_api(clients, vocabulary, status, date):
    api, admin = clients
    by_api, by_admin = twin("twin-api", vocabulary), twin("twin-admin", vocabulary)
    source = vocabulary["source"].pk

    api_response = api.post(
        "/api/v1/status-changes/",
        {"project": by_api.slug, "status": status, "date": date, "source": source, "note": ""},
        format="json",
    )
    form = BrowserForm(admin, change_url(by_admin))
    form.add_row("status_changes", status=status, date=date, source=source)
    admin_response = form.post()

    if api_response.status_code == 201:
        assert admin_response.status_code == 302
        assert derived(by_admin) == derived(by_api)
    else:
        assert admin_errors(admin_response) == messages_of(api_response.json())
        assert StatusChange.objects.filter(project=by_admin).count() == 1


def test_status_change_update_same_result_in_admin_and_api(clients, vocabulary):
    api, admin = clients
    by_api, by_admin = twin("twin-api", vocabulary), twin("twin-admin", vocabulary)
    change = StatusChange.objects.get(project=by_api)

    api.patch(f"/api/v1/status-changes/{change.pk}/", {"status": S.OPERATIONAL, "date": "2020-01-01"}, format="json")
    form = BrowserForm(admin, change_url(by_admin))
    form.set(**{"status_changes-0-status": S.OPERATIONAL, "status_changes-0-date": "2020-01-01"}).post()

    assert derived(by_admin) == derived(by_api)
    assert (derived(by_api)["status"], derived(by_api)["status_since"]) == (S.OPERATIONAL, D(2020, 1, 1))


# --- participations -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [choices.ParticipationRole.OPERATOR, choices.ParticipationRole.SPONSOR])
def test_participation_added_same_result_in_admin_and_api(clients, vocabulary, role):
    api, admin = clients
    by_api, by_admin = twin("twin-api", vocabulary), twin("twin-admin", vocabulary)
    wapda = OrganisationFactory(slug="wapda")
    three_gorges = Organisation.objects.get(slug="three-gorges")
    participants = [
        {"organisation": "three-gorges", "role": "sponsor", "note": ""},
        {"organisation": "wapda" if role == "operator" else "three-gorges", "role": role, "note": ""},
    ]

    api_response = api.patch(f"/api/v1/projects/{by_api.slug}/", {"participants": participants}, format="json")
    form = BrowserForm(admin, change_url(by_admin))
    form.add_row("participations", organisation=(wapda if role == "operator" else three_gorges).pk, role=role)
    admin_response = form.post()

    if api_response.status_code == 200:
        assert admin_response.status_code == 302
        stored = ["organisation__slug", "role", "note"]
        assert sorted(Participation.objects.filter(project=by_admin).values_list(*stored)) == sorted(
            Participation.objects.filter(project=by_api).values_list(*stored)
        )
    else:
        assert admin_errors(admin_response) == messages_of(api_response.json())


# --- projects -----------------------------------------------------------------------------------------------------


def project_body(vocabulary, slug, **overrides):
    return {
        "slug": slug,
        "name": "Karot Hydropower Project",
        "summary": "",
        "phase": "1",
        "corridor": "green",
        "pillars": ["energy"],
        "sector": "energy-hydro",
        "provinces": ["PK-PB", "PK-JK"],
        "place_name": "Karot",
        "publication": "draft",
    } | overrides


def admin_project_form(admin, vocabulary, body):
    form = BrowserForm(admin, "/admin/projects/project/add/")
    values = {
        "slug": body["slug"],
        "name": body["name"],
        "phase": body["phase"],
        "corridor": vocabulary["corridor"].pk,
        "sector": vocabulary["sector"].pk,
        "place_name": body["place_name"],
        "publication": body["publication"],
        "pillars": [vocabulary["pillar"].pk] if body["pillars"] else [],
        "provinces": body["provinces"],
    }
    for name in ("latitude", "longitude", "capacity_value", "capacity_unit", "construction_started_on", "completed_on"):
        if name in body:
            values[name] = "" if body[name] is None else body[name]
    form.set(**{name: value for name, value in values.items() if value != []})
    for name in ("pillars", "provinces"):
        if not values[name]:
            form.fields.pop(name, None)
    return form


PROJECT_CASES = [
    {},
    {"latitude": 33.6, "longitude": 73.6, "capacity_value": 720, "capacity_unit": "MW"},
    {"latitude": 45.0, "longitude": 73.6},
    {"latitude": 33.6},
    {"pillars": []},
    {"provinces": []},
    {"capacity_value": 720},
    {"construction_started_on": "2017-01-01", "completed_on": "2016-01-01"},
]


@pytest.mark.parametrize("overrides", PROJECT_CASES, ids=lambda value: ",".join(value) or "valid")
def test_project_create_same_result_in_admin_and_api(clients, vocabulary, overrides):
    api, admin = clients

    api_response = api.post("/api/v1/projects/", project_body(vocabulary, "by-api", **overrides), format="json")
    admin_response = admin_project_form(admin, vocabulary, project_body(vocabulary, "by-admin", **overrides)).post()

    if api_response.status_code == 201:
        assert admin_response.status_code == 302
        fields = [
            f.name for f in Project._meta.concrete_fields if f.name not in ("id", "slug", "created_at", "updated_at")
        ]
        by_api, by_admin = Project.objects.get(slug="by-api"), Project.objects.get(slug="by-admin")
        assert {name: getattr(by_admin, name) for name in fields} == {name: getattr(by_api, name) for name in fields}
        provinces = sorted(by_api.provinces.values_list("code", flat=True))
        assert provinces == ([] if overrides.get("provinces") == [] else ["PK-JK", "PK-PB"])
        assert sorted(by_admin.provinces.values_list("code", flat=True)) == provinces
        assert by_admin.history.count() == by_api.history.count() == 1
    else:
        assert admin_errors(admin_response) == messages_of(api_response.json())
        assert Project.objects.count() == 0


def test_project_rename_same_result_in_admin_and_api(clients, vocabulary):
    api, admin = clients
    by_api, by_admin = twin("twin-api", vocabulary), twin("twin-admin", vocabulary)

    api.patch(f"/api/v1/projects/{by_api.slug}/", {"name": "Karot HPP"}, format="json")
    BrowserForm(admin, change_url(by_admin)).set(name="Karot HPP").post()

    assert Project.objects.get(pk=by_admin.pk).name == Project.objects.get(pk=by_api.pk).name == "Karot HPP"
    assert derived(by_admin) == derived(by_api)
    assert by_admin.history.first().changed_fields == by_api.history.first().changed_fields == ["name"]


# --- single-row records: organisations, sources, indicators, observations ------------------------------------------


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ({"slug": "wapda", "name": "WAPDA", "country": "PK", "kind": "government", "website": ""}, True),
        ({"slug": "wapda", "name": "WAPDA", "country": "pk", "kind": "government", "website": ""}, False),
        ({"slug": "Wapda", "name": "WAPDA", "country": "PK", "kind": "government", "website": ""}, False),
        ({"slug": "wapda power", "name": "WAPDA", "country": "PK", "kind": "government", "website": ""}, False),
        ({"slug": "ctg", "name": "WAPDA", "country": "PK", "kind": "government", "website": ""}, False),
    ],
    ids=["valid", "country-lower-case", "slug-capitals", "slug-with-a-space", "slug-taken"],
)
def test_organisation_create_same_result_in_admin_and_api(clients, db, body, ok):
    api, admin = clients

    OrganisationFactory(slug="ctg", name="China Three Gorges")
    api_response = api.post("/api/v1/organisations/", body, format="json")
    stored_by_api = list(Organisation.objects.values_list("slug", "name", "country", "kind"))
    Organisation.objects.exclude(slug="ctg").delete()
    admin_response = BrowserForm(admin, "/admin/projects/organisation/add/", "organisation_form").set(**body).post()

    if ok:
        assert (api_response.status_code, admin_response.status_code) == (201, 302)
        assert list(Organisation.objects.values_list("slug", "name", "country", "kind")) == stored_by_api
    else:
        assert admin_errors(admin_response) == messages_of(api_response.json())


@pytest.mark.parametrize(
    ("url", "ok"), [("https://ppib.gov.pk/list", True), ("ftp://ppib.gov.pk/list", False), ("taken", False)]
)
def test_source_create_same_result_in_admin_and_api(clients, db, url, ok):
    api, admin = clients
    if url == "taken":
        url = SourceFactory(url="https://dawn.com/karot").url
    body = {"title": "PPIB list", "publisher": "PPIB", "url": url, "kind": "official"}

    api_response = api.post("/api/v1/sources/", body, format="json")
    Source.objects.filter(title="PPIB list").delete()
    admin_response = BrowserForm(admin, "/admin/projects/source/add/", "source_form").set(**body).post()

    if ok:
        assert (api_response.status_code, admin_response.status_code) == (201, 302)
    else:
        assert admin_errors(admin_response) == messages_of(api_response.json())


def test_indicator_create_same_result_in_admin_and_api(clients, db):
    api, admin = clients
    body = {"code": "sez-firm-entry", "name": "Firms entering SEZs", "unit": "firms", "level": "outcome"}

    api_response = api.post("/api/v1/indicators/", body | {"dimension": "industrial-upgrading"}, format="json")
    by_api = list(Indicator.objects.values_list("code", "name", "unit", "level", "dimension", "higher_is_better"))
    Indicator.objects.all().delete()
    form = BrowserForm(admin, "/admin/indicators/indicator/add/", "indicator_form")
    admin_response = form.set(**(body | {"dimension": "industrial-upgrading"})).post()

    assert (api_response.status_code, admin_response.status_code) == (201, 302)
    assert (
        list(Indicator.objects.values_list("code", "name", "unit", "level", "dimension", "higher_is_better")) == by_api
    )


@pytest.mark.parametrize(
    ("period_end", "province"), [("2025-12-31", ""), ("2024-12-31", ""), ("2025-12-31", "PK-PB")], ids=str
)
def test_observation_create_same_result_in_admin_and_api(clients, db, period_end, province):
    api, admin = clients
    indicator, source = IndicatorFactory(code="jobs"), SourceFactory()
    body = {
        "indicator": "jobs",
        "scope": "national",
        "period_start": "2025-01-01",
        "period_end": period_end,
        "kind": "actual",
        "value": 155000,
        "source": source.pk,
    }

    api_response = api.post("/api/v1/observations/", body | ({"subject": province} if province else {}), format="json")
    stored = ["indicator__code", "scope", "period_start", "period_end", "kind", "value"]
    by_api = list(Observation.objects.values_list(*stored))
    Observation.objects.all().delete()
    form = BrowserForm(admin, "/admin/indicators/observation/add/", "observation_form")
    admin_response = form.set(**(body | {"indicator": indicator.pk, "province": province})).post()

    if api_response.status_code == 201:
        assert admin_response.status_code == 302
        assert list(Observation.objects.values_list(*stored)) == by_api
    elif province:
        # The API names the subject by its code in one field, the admin form has a column per kind of subject:
        # both refuse a national observation with a province, each naming the field the editor filled in.
        assert messages_of(api_response.json()) == [
            "A national observation has no subject: leave it empty, not 'PK-PB'."
        ]
        assert admin_errors(admin_response) == ["A national observation has no province: leave it empty."]
        assert Observation.objects.count() == 0
    else:
        assert admin_errors(admin_response) == messages_of(api_response.json())


# --- deletions and updates of single records ------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["status_changes", "investments"])
def test_row_deleted_same_result_in_admin_and_api(clients, vocabulary, prefix):
    api, admin = clients
    by_api, by_admin = twin("twin-api", vocabulary), twin("twin-admin", vocabulary)
    model, endpoint = {
        "status_changes": (StatusChange, "status-changes"),
        "investments": (InvestmentFigure, "investments"),
    }[prefix]
    # A second row, so that deleting the first leaves a history and a headline figure to derive from.
    add_status(by_api, S.IMPLEMENTATION, D(2017, 1, 1), source=vocabulary["source"])
    add_status(by_admin, S.IMPLEMENTATION, D(2017, 1, 1), source=vocabulary["source"])
    add_figure(by_api, KIND.ANNOUNCED, "3000", as_of=D(2018, 1, 1), source=vocabulary["source"])
    add_figure(by_admin, KIND.ANNOUNCED, "3000", as_of=D(2018, 1, 1), source=vocabulary["source"])
    first = model.objects.filter(project=by_api).order_by("pk").first()

    api_response = api.delete(f"/api/v1/{endpoint}/{first.pk}/")
    admin_response = BrowserForm(admin, change_url(by_admin)).set(**{f"{prefix}-0-DELETE": "on"}).post()

    assert (api_response.status_code, admin_response.status_code) == (204, 302)
    assert model.objects.filter(project=by_admin).count() == model.objects.filter(project=by_api).count() == 1
    assert derived(by_admin) == derived(by_api)


ORGANISATION_CHANGES = [({"name": "Water and Power Development Authority"}, True), ({"country": "pk"}, False)]


@pytest.mark.parametrize(("changes", "ok"), ORGANISATION_CHANGES, ids=["rename", "country-lower-case"])
def test_organisation_update_same_result_in_admin_and_api(clients, db, changes, ok):
    api, admin = clients
    by_api = OrganisationFactory(slug="wapda-api", name="WAPDA", country="PK")
    by_admin = OrganisationFactory(slug="wapda-admin", name="WAPDA", country="PK")

    api_response = api.patch(f"/api/v1/organisations/{by_api.slug}/", changes, format="json")
    url = f"/admin/projects/organisation/{by_admin.pk}/change/"
    admin_response = BrowserForm(admin, url, "organisation_form").set(**changes).post()

    by_api.refresh_from_db()
    by_admin.refresh_from_db()
    if ok:
        assert (api_response.status_code, admin_response.status_code) == (200, 302)
        assert (by_admin.name, by_admin.country) == (by_api.name, by_api.country)
    else:
        assert admin_errors(admin_response) == messages_of(api_response.json())
        assert (by_admin.country, by_api.country) == ("PK", "PK")


@pytest.mark.parametrize(("url", "ok"), [("https://ppib.gov.pk/list-2", True), ("ftp://ppib.gov.pk/x", False)])
def test_source_update_same_result_in_admin_and_api(clients, db, url, ok):
    api, admin = clients
    by_api, by_admin = SourceFactory(title="PPIB list"), SourceFactory(title="PPIB list")

    api_response = api.patch(f"/api/v1/sources/{by_api.pk}/", {"url": url}, format="json")
    Source.objects.filter(pk=by_api.pk).update(url="https://example.org/api-twin")
    admin_response = BrowserForm(admin, f"/admin/projects/source/{by_admin.pk}/change/", "source_form")
    admin_response = admin_response.set(url=url).post()

    if ok:
        assert (api_response.status_code, admin_response.status_code) == (200, 302)
        assert Source.objects.get(pk=by_admin.pk).url == url
    else:
        assert admin_errors(admin_response) == messages_of(api_response.json())


@pytest.mark.parametrize("code", ["Firm Entry", "jobs"], ids=["not-a-slug", "taken"])
def test_indicator_create_refused_with_the_same_messages_in_admin_and_api(clients, db, code):
    api, admin = clients
    IndicatorFactory(code="jobs")
    body = {"code": code, "name": "Firms", "unit": "firms", "level": "outcome", "dimension": "industrial-upgrading"}

    api_response = api.post("/api/v1/indicators/", body, format="json")
    admin_response = BrowserForm(admin, "/admin/indicators/indicator/add/", "indicator_form").set(**body).post()

    assert api_response.status_code == 400
    assert admin_errors(admin_response) == messages_of(api_response.json())
    assert Indicator.objects.count() == 1


@pytest.mark.parametrize("period_end", ["2025-06-30", "2024-06-30"], ids=["valid", "ends-before-it-starts"])
def test_observation_update_same_result_in_admin_and_api(clients, db, period_end):
    api, admin = clients
    by_api, by_admin = ObservationFactory(), ObservationFactory()

    api_response = api.patch(f"/api/v1/observations/{by_api.pk}/", {"period_end": period_end}, format="json")
    url = f"/admin/indicators/observation/{by_admin.pk}/change/"
    admin_response = BrowserForm(admin, url, "observation_form").set(period_end=period_end).post()

    by_api.refresh_from_db()
    by_admin.refresh_from_db()
    if api_response.status_code == 200:
        assert admin_response.status_code == 302
        assert by_admin.period_end == by_api.period_end == D.fromisoformat(period_end)
    else:
        assert admin_errors(admin_response) == messages_of(api_response.json())
        assert by_admin.period_end == by_api.period_end == D(2025, 12, 31)
