"""Every change list in the admin has "Export this list": its rows as filtered and searched, as CSV or XLSX, with the
model's own fields (related rows by code or slug, dates as YYYY-MM-DD), formulas made inert."""

import datetime
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.imports import list_resource
from tests.factories import (
    CorridorFactory,
    IndicatorFactory,
    OrganisationFactory,
    PillarFactory,
    SectorFactory,
    SourceFactory,
    add_rate,
)

pytestmark = pytest.mark.django_db


def export(client, model, query: str = "", file_format: str = "0"):
    resource = list_resource(model)
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource._meta.fields}
    opts = model._meta
    return client.post(
        f"/admin/{opts.app_label}/{opts.model_name}/export/{query}", {"format": file_format, "resource": "0", **fields}
    )


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:500]
    return [line.split(",") for line in response.content.decode().strip().splitlines()]


def two_of_each(model_name):
    """Two rows of a model, and the search that finds the first only."""
    if model_name == "corridor":
        return CorridorFactory(code="green", name="Green Corridor"), CorridorFactory(code="growth"), "green"
    if model_name == "pillar":
        corridor = CorridorFactory(code="green", name="Green Corridor")
        return PillarFactory(code="energy", aligned_corridor=corridor), PillarFactory(code="trade"), "energy"
    if model_name == "sector":
        energy = SectorFactory(code="energy", name="Energy")
        return SectorFactory(code="energy-hydro", name="Hydropower", parent=energy), energy, "hydro"
    if model_name == "source":
        return SourceFactory(title="=cmd|' /C calc'!A0", url="https://ppib.gov.pk/x"), SourceFactory(), "ppib"
    if model_name == "organisation":
        return OrganisationFactory(slug="wapda", name="WAPDA"), OrganisationFactory(slug="ctg"), "wapda"
    if model_name == "exchangerate":
        return add_rate("PKR", 2016, "0.0095"), add_rate("CNY", 2016, "0.15"), "PKR"
    indicator = IndicatorFactory(code="jobs", name="Jobs")
    indicator.corridors.set([CorridorFactory(code="green"), CorridorFactory(code="growth")])
    return indicator, IndicatorFactory(code="exports"), "jobs"


EXPECTED_HEADERS = {
    "corridor": "id,code,name,aliases,description,order",
    "pillar": "id,code,name,description,aligned_corridor",
    "sector": "id,code,name,parent",
    "source": "id,title,publisher,url,published_on,accessed_on,kind",
    "organisation": "id,slug,name,country,kind,website",
    "exchangerate": "id,currency,year,usd_per_unit,source",
    "indicator": "id,code,name,description,unit,level,dimension,higher_is_better,method,corridors",
}


@pytest.mark.parametrize("model_name", list(EXPECTED_HEADERS))
def test_export_of_every_list_has_only_the_searched_rows(admin_client, model_name):
    first, _, search = two_of_each(model_name)

    rows = rows_of(export(admin_client, type(first), f"?q={search}"))

    assert ",".join(rows[0]) == EXPECTED_HEADERS[model_name]
    assert [row[0] for row in rows[1:]] == [str(first.pk)]


@pytest.mark.parametrize("model_name", list(EXPECTED_HEADERS))
def test_changelist_of_every_model_links_its_export_with_the_filters(admin_client, model_name):
    first, _, search = two_of_each(model_name)
    opts = first._meta

    page = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/?q={search}").content.decode()

    assert f'href="/admin/{opts.app_label}/{opts.model_name}/export/?q={search}" class="export_link"' in page


def test_export_names_related_rows_by_code_and_keeps_dates_iso(admin_client):
    rate = add_rate("PKR", 2016, "0.0095", source=SourceFactory(url="https://sbp.org.pk/rates"))
    rate.source.published_on = datetime.date(2016, 12, 31)
    rate.source.save()
    indicator, _, _ = two_of_each("indicator")

    rates = rows_of(export(admin_client, type(rate)))
    sources = rows_of(export(admin_client, type(rate.source)))
    indicators = rows_of(export(admin_client, type(indicator), "?q=jobs"))

    assert rates[1] == [str(rate.pk), "PKR", "2016", "0.0095", str(rate.source.pk)]
    assert sources[1][4] == "2016-12-31"
    assert indicators[1][-1] == "green;growth"


def test_export_escapes_formulas_in_csv_and_xlsx(admin_client):
    source, _, _ = two_of_each("source")

    csv = export(admin_client, type(source), "?q=ppib")
    xlsx = export(admin_client, type(source), "?q=ppib", file_format="1")

    assert csv.content.decode().splitlines()[1].startswith(f"{source.pk},'=cmd|")
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).active["B2"].value == "'=cmd|' /C calc'!A0"


def test_export_of_a_list_needs_the_view_permission(client):
    organisation = OrganisationFactory(slug="wapda")
    user = User.objects.create_user("nobody", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_source"))
    client.force_login(user)

    response = export(client, type(organisation))

    assert response.status_code == 403


@pytest.mark.parametrize("model_name", ["exchangerate", "indicator", "pillar"])
def test_export_query_count_does_not_grow_with_rows(admin_client, model_name, django_assert_max_num_queries):
    first, _, _ = two_of_each(model_name)
    model = type(first)
    with CaptureQueriesContext(connection) as two:
        rows_of(export(admin_client, model))
    for year in range(2000, 2010):
        if model_name == "exchangerate":
            add_rate("PKR", year, "0.01")
        elif model_name == "indicator":
            IndicatorFactory(code=f"i-{year}").corridors.set([CorridorFactory(code="green")])
        else:
            PillarFactory(code=f"p-{year}", aligned_corridor=CorridorFactory(code="green"))

    with django_assert_max_num_queries(len(two)):
        rows = rows_of(export(admin_client, model))

    assert len(rows) == 1 + model.objects.count()


@pytest.mark.parametrize("url", ["/admin/projects/project/", "/admin/indicators/observation/"])
def test_changelist_with_imports_links_each_import_and_the_export(admin_client, url):
    page = admin_client.get(url + "?q=karot").content.decode()

    assert f'href="{url}import/" class="import_link"' in page
    assert f'href="{url}export/?q=karot" class="export_link"' in page
