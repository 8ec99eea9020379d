"""Use the client openapi-python-client generated from the live schema against the live server, as a developer
would: a filtered list, paging through every page, a detail, a 400. Any answer the generated models cannot read
(a missing required field, a wrong type) or an unexpected status fails the check.

Usage: python .ci/client_check.py BASE_URL CLIENT_DIR   (CLIENT_DIR holds the generated package ``cpec_client``)
"""

import sys


def main(base_url: str, client_dir: str) -> None:
    sys.path.insert(0, client_dir)
    from cpec_client import Client
    from cpec_client.api.projects import projects_list, projects_retrieve
    from cpec_client.api.statistics import stats_investment
    from cpec_client.models import InvestmentStats, PaginatedProjectList, ProjectDetail, StatsInvestmentGroupByItem

    client = Client(base_url=base_url, raise_on_unexpected_status=True)

    first = projects_list.sync_detailed(client=client, has_location=True, page_size=5)
    assert first.status_code == 200, first.status_code
    assert isinstance(first.parsed, PaginatedProjectList), first.content[:300]
    assert first.parsed.results, "the seed data has located projects"
    assert all(project.latitude is not None for project in first.parsed.results)

    slugs, page = [], 1
    while True:
        answer = projects_list.sync_detailed(client=client, page=page, page_size=20)
        assert answer.status_code == 200 and isinstance(answer.parsed, PaginatedProjectList), answer.content[:300]
        slugs += [project.slug for project in answer.parsed.results]
        if not answer.parsed.next_:
            break
        page += 1
    assert len(slugs) == answer.parsed.count == len(set(slugs)), (len(slugs), answer.parsed.count)

    detail = projects_retrieve.sync_detailed(client=client, slug=slugs[0])
    assert detail.status_code == 200 and isinstance(detail.parsed, ProjectDetail), detail.content[:300]
    assert detail.parsed.slug == slugs[0]

    stats = stats_investment.sync_detailed(client=client, group_by=[StatsInvestmentGroupByItem.CORRIDOR])
    assert stats.status_code == 200 and isinstance(stats.parsed, InvestmentStats), stats.content[:300]
    assert stats.parsed.totals.project_count == len(slugs), (stats.parsed.totals.project_count, len(slugs))

    refused = projects_list.sync_detailed(client=client, page=page + 1000)
    assert refused.status_code == 400, refused.status_code
    assert refused.parsed is not None and "page" in refused.parsed.additional_properties, refused.content[:300]

    print(f"client check: {len(slugs)} projects over {page} pages, detail {slugs[0]}, a 400 read: ok")


if __name__ == "__main__":
    main(*sys.argv[1:3])
