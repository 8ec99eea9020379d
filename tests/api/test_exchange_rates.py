"""Exchange rates in the open: the list with its sources, and every converted figure naming the rate it used."""

import datetime
from decimal import Decimal

import pytest

from projects import services
from projects.models import InvestmentFigure, Project
from tests import factories

D = datetime.date


@pytest.fixture
def rates(registry):
    sbp = factories.SourceFactory(title="SBP annual average exchange rates", url="https://www.sbp.org.pk/ecodata/")
    return {
        "pkr2016": factories.add_rate("PKR", 2016, "0.0095", source=sbp),
        "pkr2020": factories.add_rate("PKR", 2020, "0.0062", source=sbp),
        "cny2016": factories.add_rate("CNY", 2016, "0.15", source=factories.SourceFactory(title="IMF IFS")),
    }


def test_exchange_rate_list_with_sources_and_filters(api, rates):
    everything = api.get("/api/v1/exchange-rates/").json()["results"]
    pkr = api.get("/api/v1/exchange-rates/", {"currency": "pkr"}).json()["results"]
    in_2016 = api.get("/api/v1/exchange-rates/", {"year": "2016"}).json()["results"]

    assert [(row["currency"], row["year"], row["usd_per_unit"]) for row in everything] == [
        ("CNY", 2016, 0.15),
        ("PKR", 2016, 0.0095),
        ("PKR", 2020, 0.0062),
    ]
    assert everything[1]["source"]["title"] == "SBP annual average exchange rates"
    assert [row["year"] for row in pkr] == [2016, 2020]
    assert [row["currency"] for row in in_2016] == ["CNY", "PKR"]


@pytest.mark.parametrize(("params", "field"), [({"currency": "rupee"}, "currency"), ({"year": "16"}, "year")])
def test_exchange_rate_filters_bad_input_is_400(api, rates, params, field):
    response = api.get("/api/v1/exchange-rates/", params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_exchange_rates_are_read_only(editor_api, rates):
    response = editor_api.post("/api/v1/exchange-rates/", {"currency": "EUR", "year": 2020}, format="json")

    assert response.status_code == 405


def test_converted_figure_names_the_rate_it_used(api, rates, registry):
    figure = factories.add_figure(registry["karot"], "committed", "100000000000", currency="PKR", as_of=D(2016, 6, 30))
    usd = factories.add_figure(registry["karot"], "committed", "5", as_of=D(2016, 6, 30))

    listed = {
        row["id"]: row for row in api.get("/api/v1/investments/", {"project": "karot-hydropower"}).json()["results"]
    }
    detail = {row["id"]: row for row in api.get("/api/v1/projects/karot-hydropower/").json()["investments"]}

    for shown in (listed[figure.pk], detail[figure.pk]):
        assert (shown["amount_usd"], shown["amount_usd_converted"]) == (950000000, True)
        assert shown["exchange_rate"]["id"] == rates["pkr2016"].pk
        assert (shown["exchange_rate"]["currency"], shown["exchange_rate"]["year"]) == ("PKR", 2016)
        assert shown["exchange_rate"]["source"]["url"] == "https://www.sbp.org.pk/ecodata/"
    assert listed[usd.pk]["exchange_rate"] is None and detail[usd.pk]["exchange_rate"] is None


def test_figure_given_in_usd_by_the_editor_names_no_rate(editor_api, rates, registry):
    source = factories.SourceFactory()
    response = editor_api.post(
        "/api/v1/investments/",
        {
            "project": "karot-hydropower",
            "kind": "committed",
            "amount": 1000,
            "currency": "PKR",
            "amount_usd": 7,
            "as_of": "2016-06-30",
            "source": source.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert (response.json()["amount_usd_converted"], response.json()["exchange_rate"]) == (False, None)


def test_correcting_a_rate_converts_its_figures_again_and_their_projects_follow(rates, registry):
    karot = registry["karot"]
    figure = factories.add_figure(karot, "committed", "100000000000", currency="PKR", as_of=D(2016, 6, 30))
    rate = rates["pkr2016"]

    rate.usd_per_unit = Decimal("0.0096")
    services.exchange_rate_save(rate=rate)

    assert InvestmentFigure.objects.get(pk=figure.pk).amount_usd == Decimal("960000000.00")
    assert Project.objects.get(pk=karot.pk).committed_usd == Decimal("960000000.00")


def test_a_rate_in_use_keeps_its_year(rates, registry):
    factories.add_figure(registry["karot"], "committed", "1000", currency="PKR", as_of=D(2016, 6, 30))
    rate = rates["pkr2016"]
    rate.year = 2017

    with pytest.raises(Exception) as refused:
        services.exchange_rate_save(rate=rate)

    assert refused.value.message_dict == {
        "year": [
            "1 investment figure(s) were converted with this rate: it keeps its currency and year (add a rate for "
            "the other one)."
        ]
    }


def test_exchange_rate_list_query_count_does_not_grow(api, django_assert_num_queries, rates):
    for year in range(2000, 2010):
        factories.add_rate("PKR", year, "0.01")

    with django_assert_num_queries(2):  # count, page with sources
        api.get("/api/v1/exchange-rates/")


def test_figure_without_a_sourced_rate_stays_in_its_currency_and_says_why(editor_api, rates, registry):
    source = factories.SourceFactory()
    body = {
        "project": "ml-1-railway",
        "kind": "announced",
        "amount": 292400000000,
        "currency": "PKR",
        "as_of": "2022-11-15",
        "source": source.pk,
    }

    refused = editor_api.post("/api/v1/investments/", body, format="json")
    kept = editor_api.post(
        "/api/v1/investments/", {**body, "no_usd_reason": "No sourced PKR/USD rate for 2022."}, format="json"
    )

    assert refused.status_code == 400
    assert refused.json()["amount_usd"] == [
        "No exchange rate for PKR in 2022: enter the USD amount the source gives, add an exchange rate for that year "
        "first, or say in no_usd_reason why the figure stays in its currency."
    ]
    assert kept.status_code == 201, kept.content
    assert (kept.json()["amount_usd"], kept.json()["exchange_rate"], kept.json()["no_usd_reason"]) == (
        None,
        None,
        "No sourced PKR/USD rate for 2022.",
    )
    # It is the latest announced figure, but it has no USD amount: the headline stays the USD one.
    assert Project.objects.get(slug="ml-1-railway").announced_usd == Decimal("6800000000.00")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"currency": "USD"}, "A figure in USD has its USD amount: leave this empty."),
        ({"amount_usd": 5}, "A figure with a USD amount needs no reason for lacking one: leave it empty."),
    ],
)
def test_no_usd_reason_only_for_figures_without_a_usd_amount(editor_api, rates, registry, change, message):
    body = {
        "project": "ml-1-railway",
        "kind": "announced",
        "amount": 1000,
        "currency": "PKR",
        "as_of": "2022-11-15",
        "source": factories.SourceFactory().pk,
        "no_usd_reason": "No rate.",
    }

    response = editor_api.post("/api/v1/investments/", {**body, **change}, format="json")

    assert response.status_code == 400
    assert response.json()["no_usd_reason"] == [message]


def test_usd_figure_given_a_reason_and_another_usd_amount_names_both_rules(editor_api, rates, registry):
    figure = InvestmentFigure.objects.filter(currency="USD").first()

    response = editor_api.patch(
        f"/api/v1/investments/{figure.pk}/",
        {"no_usd_reason": "No rate.", "amount_usd": float(figure.amount + 1)},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "no_usd_reason": ["A figure in USD has its USD amount: leave this empty."],
        "non_field_errors": ["For a figure in USD, the USD amount equals the amount."],
    }
