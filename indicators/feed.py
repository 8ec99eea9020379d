"""The indicators app's records in the change feed (``registry.feed``) and the sources they cite."""

from indicators.models import Indicator, Observation
from projects.visibility import register_source_citation
from registry.feed import Embedding, FeedModel, register


def public_observations(queryset):
    return queryset.public()


def register_models() -> None:
    register(FeedModel("indicator", Indicator, "code", public=lambda queryset: queryset, url_name="indicator-detail"))
    register(
        FeedModel(
            "observation",
            Observation,
            "id",
            public=public_observations,
            url_name="observation-detail",
            owner=("project", "project"),
            owner_shown_as="subject",
            references=("source",),
            # An indicator shows its latest value.
            embedded_in=(Embedding("indicator", ("latest",), via="indicator"),),
        )
    )
    register_source_citation(lambda: Observation.objects.public().values("source_id"))
