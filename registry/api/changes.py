"""``GET /api/v1/changes/``: the registry-wide change feed (``registry.feed``), and the shape of its entries."""

import base64
import binascii

from django import forms
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from registry import feed
from registry.api import filters
from registry.api.fields import OffsetDateTimeField
from registry.api.pagination import MAX_PAGE_SIZE, parse_page_size
from registry.api.renderers import BrowsableAPIRenderer, ORJSONRenderer
from registry.api.views import ConditionalMixin, StrictQueryParamsMixin, form_errors

CURSOR_PREFIX = "before:"


class ChangeEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The entry's position in the feed: later entries have higher ids.")
    at = OffsetDateTimeField(help_text="When the change was made.")
    model = serializers.CharField(help_text="What kind of record changed, e.g. project, status-change, investment.")
    object = serializers.CharField(help_text="The record's public identifier (slug, code or id) when it changed.")
    action = serializers.ChoiceField(
        choices=["created", "updated", "deleted"],
        help_text="To the public, a record that becomes visible (a draft published) is created and one that stops "
        "being visible (unpublished, deleted) is deleted.",
    )
    changed_fields = serializers.ListField(
        child=serializers.CharField(), help_text="Fields the change touched (for created: the fields with a value)."
    )
    user = serializers.CharField(allow_null=True, help_text="The editor who made the change; shown to editors only.")
    url = serializers.URLField(
        allow_null=True,
        help_text="The record's API URL, to fetch it as it is now; null for rows shown only inside their project "
        "(participations, external identifiers), whose project has an entry of its own.",
    )


class ChangeFeedSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next, older page; null on the last one.")
    previous = serializers.URLField(allow_null=True, help_text="Always null: the feed pages back in time only.")
    results = ChangeEntrySerializer(many=True)


def encode_cursor(before: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{before}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(CURSOR_PREFIX) or not raw[len(CURSOR_PREFIX) :].isdigit():
            raise ValueError
        return int(raw[len(CURSOR_PREFIX) :])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError({"cursor": ["Invalid cursor: use the `next` link as given."]}) from None


class ModelListField(forms.MultipleChoiceField):
    to_python = filters.CommaSeparatedMultipleChoiceField.to_python
    validate = filters.CommaSeparatedMultipleChoiceField.validate


class ChangeFeedForm(forms.Form):
    since = filters.StrictDateTimeField(required=False)
    model = ModelListField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [(name, name) for name in sorted(feed.REGISTRY)]


def feed_models() -> list[str]:
    return sorted(feed.REGISTRY)


class ChangeFeedView(StrictQueryParamsMixin, ConditionalMixin, generics.GenericAPIView):
    """Every create, update and delete on published registry data, newest first, for incremental sync."""

    serializer_class = ChangeFeedSerializer
    pagination_class = None
    permission_classes = [AllowAny]
    renderer_classes = [ORJSONRenderer, BrowsableAPIRenderer]
    filter_backends = []

    def accepted_query_params(self):
        return {"format", "since", "model", "cursor", "page_size"}

    @extend_schema(
        tags=["changes"],
        operation_id="changes_list",
        summary="The registry-wide change feed",
        description="Newest first and cursor-paginated (no `count`): follow `next` to page back in time. The public "
        "feed shows what published data became: publishing a draft creates the project and everything that hangs "
        "off it, unpublishing or deleting it deletes them, and a source or organisation appears when published data "
        "first cites it. Replaying it from any point (applying entries oldest first, fetching each `url` that is "
        "created or updated and dropping each deleted record) ends with exactly what the lists show. Entries "
        "appear when their transaction commits: when polling with `since`, go back a minute and skip the ids "
        "already applied. Editors see every change as it was made, drafts included, with who made it.",
        parameters=[
            OpenApiParameter(
                "since", {"type": "string", "format": "date-time"}, description="Only changes made at or after this."
            ),
            OpenApiParameter(
                "model",
                {"type": "array", "items": {"type": "string", "enum": feed_models()}},
                explode=False,
                description="Kinds of record, comma-separated.",
            ),
            OpenApiParameter("cursor", str, description="The opaque cursor from a `next` link."),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                description=f"Entries per page (1–{MAX_PAGE_SIZE}, default 50).",
            ),
        ],
    )
    def get(self, request):
        form = ChangeFeedForm(
            data={"since": request.query_params.get("since"), "model": request.query_params.getlist("model")}
        )
        if not form.is_valid():
            raise form_errors(form.errors)
        cursor = request.query_params.get("cursor")
        editor = self.user_is_editor()
        entries, before = feed.page(
            editor=editor,
            page_size=parse_page_size(request, 50),
            since=form.cleaned_data["since"],
            models=form.cleaned_data["model"] or None,
            before=decode_cursor(cursor) if cursor else None,
        )
        next_url = None
        if before is not None:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", encode_cursor(before))
        results = [feed.represent(entry, editor=editor, request=request) for entry in entries]
        return Response({"next": next_url, "previous": None, "results": ChangeEntrySerializer(results, many=True).data})
