"""Bulk entry in the admin (django-import-export), shared by the registry's apps.

- Files as editors save them: CSV with a comma or a semicolon between fields (sniffed from the header line), UTF-8
  with or without a byte-order mark, or XLSX (the first sheet). Exports escape cells that a spreadsheet would run as
  a formula.
- ``RegistryResource``: rows written through the apps' services, matched to stored rows by their natural key,
  skipped when nothing would change (so re-importing a file changes nothing and records no history), and every
  problem reported on its row as a sentence, never as a Python message.
- ``RegistryImportExportMixin`` for a ``ModelAdmin``: preview, all-or-nothing confirmation, a template download per
  kind of row, and an export of the changelist as filtered.
"""

import csv
import datetime
import io
import logging
import re
from decimal import Decimal, InvalidOperation

import tablib
from diff_match_patch import diff_match_patch
from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models as db_models
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.encoding import force_str
from django.utils.safestring import mark_safe
from import_export import resources, widgets
from import_export.admin import ExportMixin, ImportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm
from import_export.results import RowResult

from registry.api.renderers import FORMULA_TRIGGERS

logger = logging.getLogger(__name__)

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
UNEXPECTED = (
    "This row could not be checked because of an unexpected problem in the registry (it has been logged for its "
    "maintainers). Nothing was imported."
)


def text(value) -> str:
    """A cell as text, trimmed; an empty cell is ""."""
    return force_str(value if value is not None else "").strip()


def escape_formula(cell):
    """A text cell a spreadsheet would run as a formula, made inert with a leading apostrophe, as the API's CSV does
    (``registry.api.renderers``); the admin's export writes numbers as text, and a number is left as it is."""
    if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS) and not NUMBER.match(cell):
        return "'" + cell
    return cell


def _escaped(dataset: tablib.Dataset) -> tablib.Dataset:
    escaped = tablib.Dataset(headers=dataset.headers)
    for row in dataset:
        escaped.append([escape_formula(cell) for cell in row])
    return escaped


# --- file formats ---------------------------------------------------------------------------------------------


def sniff_delimiter(content: str) -> str:
    """``;`` when the header line has more semicolons than commas (Excel's CSV in many locales), else ``,``."""
    header = content.lstrip("\ufeff").split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


class FileProblem(ValueError):
    """What is wrong with a file as a whole, in a sentence for the editor."""


class SniffedCSV(CSV):
    """CSV, comma- or semicolon-separated, UTF-8 with or without a BOM; exported with commas, formulas escaped.

    A row with fewer cells than the header is read with the missing cells empty (spreadsheets drop trailing empty
    cells); a row with more is a problem of the file, named by its line."""

    def create_dataset(self, in_stream):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig")
        in_stream = in_stream.lstrip("\ufeff")
        delimiter = sniff_delimiter(in_stream)
        lines = [row for row in csv.reader(io.StringIO(in_stream, newline=""), delimiter=delimiter) if any(row)]
        if not lines:
            return tablib.Dataset()
        header, rows = lines[0], lines[1:]
        dataset = tablib.Dataset(headers=header)
        for number, row in enumerate(rows, start=2):
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
                raise FileProblem(
                    f"Row {number} has {len(row)} cells but the header names {len(header)} columns: look for a "
                    f"stray {delimiter!r} or a quote that is not closed on that row. Nothing was imported."
                )
            dataset.append((row + [""] * len(header))[: len(header)])
        return dataset

    def export_data(self, dataset, **kwargs):
        return _escaped(dataset).export("csv", **kwargs)


class SafeXLSX(XLSX):
    """XLSX (the first sheet); exported with formulas escaped."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(_escaped(dataset), **kwargs)


# --- widgets: each reads a cell or says, in a sentence, what the cell should hold -----------------------------------


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return text(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class ChoiceWidget(widgets.Widget):
    """One value of a fixed list (also its label, in any case)."""

    def __init__(self, choices, *, noun: str, required: bool = True):
        self.choices, self.noun, self.required = list(choices), noun, required

    def clean(self, value, row=None, **kwargs):
        given = text(value)
        if isinstance(value, float) and value.is_integer():  # XLSX reads 1 as 1.0
            given = str(int(value))
        if not given:
            if self.required:
                raise ValueError(f"Give the {self.noun}: one of {self.allowed()}.")
            return ""
        for code, label in self.choices:
            if given.lower() in (str(code).lower(), str(label).lower()):
                return code
        raise ValueError(f"Unknown {self.noun} {given!r}: use one of {self.allowed()}.")

    def allowed(self) -> str:
        return ", ".join(str(code) for code, _ in self.choices)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class CodeWidget(widgets.ForeignKeyWidget):
    """A row of a vocabulary or a record by its public identifier (code or slug); the error names the known ones
    when the list is short."""

    def __init__(self, model, field: str, *, noun: str, required: bool = True, list_known: bool = True):
        super().__init__(model, field=field)
        self.noun, self.required, self.list_known = noun, required, list_known

    def known(self) -> str:
        if not self.list_known:
            return ""
        codes = list(self.model.objects.order_by(self.field).values_list(self.field, flat=True)[:30])
        return f" Known: {', '.join(codes)}." if codes else ""

    def clean(self, value, row=None, **kwargs):
        code = text(value)
        if not code:
            if self.required:
                raise ValueError(f"Give the {self.noun}'s {self.field}.")
            return None
        found = self.model.objects.filter(**{self.field: code}).first()
        if found is None:
            raise ValueError(f"No {self.noun} with {self.field} {code!r}.{self.known()}")
        return found


class CodesWidget(CodeWidget):
    """Several identifiers in one cell, separated by ``;`` (or ``,``); exported joined with ``;``."""

    def clean(self, value, row=None, **kwargs):
        codes = [code.strip() for code in re.split(r"[;,]", text(value)) if code.strip()]
        if not codes:
            if self.required:
                raise ValueError(f"Give at least one {self.noun} {self.field}, several separated by ';'.")
            return []
        found = {getattr(item, self.field): item for item in self.model.objects.filter(**{f"{self.field}__in": codes})}
        unknown = [code for code in codes if code not in found]
        if unknown:
            listed = ", ".join(repr(code) for code in unknown)
            raise ValueError(f"No {self.noun} with {self.field} {listed}.{self.known()}")
        return list(dict.fromkeys(found[code] for code in codes))

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        items = value.all() if hasattr(value, "all") else value
        return ";".join(str(getattr(item, self.field)) for item in items)


class ISODateWidget(widgets.DateWidget):
    """A date as YYYY-MM-DD (or a date cell of a spreadsheet)."""

    def __init__(self, *, required: bool = True):
        super().__init__(format="%Y-%m-%d")
        self.required = required

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        given = text(value)
        if not given:
            if self.required:
                raise ValueError("Give the date as YYYY-MM-DD.")
            return None
        try:
            return datetime.datetime.strptime(given, "%Y-%m-%d").date()
        except ValueError:
            raise ValueError(f"Enter the date as YYYY-MM-DD, not {given!r}.") from None

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class NumberWidget(widgets.DecimalWidget):
    """A number with a dot for decimals (or a number cell of a spreadsheet)."""

    def __init__(self, *, required: bool = True):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            raise ValueError(f"Enter a number with a dot for decimals, e.g. 44 or 3.2, not {value!r}.")
        if isinstance(value, int | float | Decimal):
            number = Decimal(str(value))
        else:
            given = text(value).replace("\u00a0", "").replace(" ", "")
            if not given:
                if self.required:
                    raise ValueError("Give a number, with a dot for decimals, e.g. 44 or 3.2.")
                return None
            try:
                number = Decimal(given)
            except InvalidOperation:
                number = Decimal("NaN")
        if not number.is_finite():
            raise ValueError(f"Enter a number with a dot for decimals, e.g. 44 or 3.2, not {text(value)!r}.")
        return number

    def render(self, value, obj=None, **kwargs):
        # 44, not 44.000000 (the column's scale), and never 4.4E+1.
        return "" if value is None else format(value.normalize(), "f")


class YesNoWidget(widgets.BooleanWidget):
    """yes/no, true/false, 1/0 (an empty cell is no)."""

    YES, NO = {"yes", "true", "1", "y"}, {"no", "false", "0", "n", ""}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        given = text(value).lower()
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if given in self.YES:
            return True
        if given in self.NO:
            return False
        raise ValueError(f"Write yes or no, not {text(value)!r}.")

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


# --- resources ------------------------------------------------------------------------------------------------


def column(name: str, widget: widgets.Widget) -> Field:
    """A column named as the model field (and the API field) it fills."""
    return Field(attribute=name, column_name=name, widget=widget)


class _ValuesDiff:
    """The preview's cells: what the row held before (empty for a new row) and after, as import-export shows it."""

    def __init__(self, before: list[str], after: list[str]):
        self.before, self.after = before, after

    def as_html(self) -> list[str]:
        matcher = diff_match_patch()
        cells = []
        for old, new in zip(self.before, self.after, strict=True):
            diff = matcher.diff_main(force_str(old), force_str(new))
            matcher.diff_cleanupSemantic(diff)
            cells.append(mark_safe(matcher.diff_prettyHtml(diff)))
        return cells


class RegistryResource(resources.ModelResource):
    """Rows written through the services, one row at a time, each checked by the same rules as the API.

    A subclass declares its columns (``Meta.fields``), which of them a file must have (``required_columns``), the
    natural key (``natural_key``: columns that name the stored row), and implements ``find``, ``create`` and
    ``update``. Optional columns left out of a file are left as stored.
    """

    required_columns: tuple[str, ...] = ()
    natural_key: tuple[str, ...] = ()
    # What one row is, for messages: "project", "investment figure".
    row_noun = "row"

    class Meta:
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen_keys: dict[tuple, int] = {}

    # The file as a whole.

    def columns(self) -> list[str]:
        return [field.column_name for field in self.get_import_fields()]

    def before_import(self, dataset, **kwargs):
        self.seen_keys = {}
        headers = [text(header) for header in dataset.headers or []]
        unknown = [header for header in headers if header not in self.columns()]
        missing = [column for column in self.required_columns if column not in headers]
        repeated = sorted({header for header in headers if headers.count(header) > 1})
        problems = []
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if repeated:
            problems.append(f"repeated column(s) {', '.join(repeated)}")
        if problems:
            dataset.wipe()  # no row is read against a wrong header
            raise ValueError(
                f"The file's header is wrong: {'; '.join(problems)}. Expected the columns: "
                f"{', '.join(self.columns())} (required: {', '.join(self.required_columns)})."
            )
        dataset.headers = headers

    def after_import(self, dataset, result, **kwargs):
        # The failed-rows table shows each row's cells under the file's own header, in the file's order (rather
        # than every known column, with "---" for the ones the file does not have).
        # The preview likewise shows the columns the file has.
        result.file_headers = list(dataset.headers or [])
        known = list(result.diff_headers)
        for row in result.invalid_rows:
            cells = dict(zip(known, row.values, strict=True))
            row.values = tuple(cells[header] for header in result.file_headers if header in cells)
        shown = [index for index, header in enumerate(known) if header in result.file_headers]
        result.diff_headers = [known[index] for index in shown]
        for row in result.rows:
            if row.diff:
                row.diff = [row.diff[index] for index in shown]
        super().after_import(dataset, result, **kwargs)

    # One row.

    def import_row(self, row, instance_loader, **kwargs):
        row_result = self.get_row_result_class()()
        number = kwargs.get("row_number")
        try:
            with transaction.atomic():  # a database error in one row leaves the others checkable
                self._import_row(row, row_result, number)
        except ValidationError as error:
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = self.in_columns(error)
        except Exception:
            logger.exception("Import of %s row %s failed", self.row_noun, number)
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = ValidationError({NON_FIELD_ERRORS: [UNEXPECTED]})
        return row_result

    def _import_row(self, row, row_result, number):
        values, errors = self.parse(row)
        if errors:
            raise ValidationError(errors)
        key = tuple(self.key_part(values[name]) for name in self.natural_key)
        earlier = self.seen_keys.setdefault(key, number)
        if earlier != number:
            raise ValidationError(
                {NON_FIELD_ERRORS: f"Row {earlier} already gives this {self.row_noun}: give each one once."}
            )
        existing = self.find(values)
        before = self.exported(existing) if existing is not None else [""] * len(self.get_import_fields())
        if existing is None:
            instance = self.create(values)
            row_result.import_type = RowResult.IMPORT_TYPE_NEW
        else:
            changes = self.changes(existing, values)
            if not changes:
                row_result.import_type = RowResult.IMPORT_TYPE_SKIP
                instance = existing
            else:
                instance = self.update(existing, changes)
                row_result.import_type = RowResult.IMPORT_TYPE_UPDATE
        row_result.diff = _ValuesDiff(before, self.exported(instance)).as_html()
        row_result.add_instance_info(instance)
        row_result.instance = instance

    @staticmethod
    def key_part(value):
        return value.pk if hasattr(value, "pk") else value

    def parse(self, row) -> tuple[dict, dict]:
        """The row's values by field attribute (only the columns the file has), and the cells' errors by column."""
        values, errors = {}, {}
        for field in self.get_import_fields():
            if field.column_name not in row:
                continue
            try:
                values[field.attribute] = field.widget.clean(row[field.column_name], row=row)
            except ValueError as error:
                errors[field.column_name] = [str(error)]
        return values, errors

    def exported(self, instance) -> list[str]:
        return [force_str(self.export_field(field, instance) or "") for field in self.get_import_fields()]

    def changes(self, instance, values: dict) -> dict:
        """The values that differ from the stored row (a related row compared by id, a list as a set of ids)."""
        changed = {}
        for name, value in values.items():
            field = instance._meta.get_field(name)
            if field.many_to_many:
                stored = set(getattr(instance, name).values_list("pk", flat=True))
                if stored != {item.pk for item in value}:
                    changed[name] = value
            elif field.is_relation:
                if getattr(instance, field.attname) != getattr(value, "pk", value):
                    changed[name] = value
            elif getattr(instance, name) != value:
                changed[name] = value
        return changed

    def in_columns(self, error: ValidationError) -> ValidationError:
        """A service's error keyed by the file's columns; what belongs to no column stays on the row."""
        if not hasattr(error, "error_dict"):
            return ValidationError({NON_FIELD_ERRORS: error.messages})
        columns = set(self.columns())
        keyed: dict[str, list[str]] = {}
        for name, messages_ in error.message_dict.items():
            keyed.setdefault(name if name in columns else NON_FIELD_ERRORS, []).extend(messages_)
        return ValidationError(keyed)

    def find(self, values: dict):
        raise NotImplementedError

    def create(self, values: dict):
        raise NotImplementedError

    def update(self, instance, changes: dict):
        raise NotImplementedError

    @classmethod
    def template_rows(cls) -> list[list]:
        """Example rows for the template download (none: the header alone)."""
        return []


# --- exports of a plain list ---------------------------------------------------------------------------------


def _public_key(model) -> str:
    """How a row of ``model`` is named in a file: its code or slug where it has one (as in the API), else its id."""
    names = {field.name for field in model._meta.fields}
    return next((name for name in ("code", "slug") if name in names), "pk")


class RelatedWidget(CodeWidget):
    """A related row by its code or slug (else its id), for exports."""

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(getattr(value, self.field))


def _export_widget(field) -> widgets.Widget:
    if field.many_to_many:
        return CodesWidget(field.related_model, _public_key(field.related_model), noun=field.verbose_name)
    if field.is_relation:
        return RelatedWidget(field.related_model, _public_key(field.related_model), noun=field.verbose_name)
    if isinstance(field, db_models.BooleanField):
        return YesNoWidget()
    if isinstance(field, db_models.DateTimeField):
        return TextWidget()
    if isinstance(field, db_models.DateField):
        return ISODateWidget()
    if isinstance(field, db_models.DecimalField):
        return NumberWidget()
    return TextWidget()


def list_resource(model) -> type[resources.ModelResource]:
    """The export of a model's change list: its id and every field the editors edit, named as the model's fields;
    a related row by its code or slug (else its id), several separated by ``;``, dates as YYYY-MM-DD."""
    fields = [
        field for field in [*model._meta.fields, *model._meta.many_to_many] if field.editable and not field.primary_key
    ]
    names = ["id", *(field.name for field in fields)]
    columns = {
        "id": column("id", TextWidget()),
        **{field.name: column(field.name, _export_widget(field)) for field in fields},
    }
    related = [field.name for field in fields if field.is_relation and not field.many_to_many]
    many = [field.name for field in fields if field.many_to_many]

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(*related).prefetch_related(*many)

    meta = type("Meta", (), {"model": model, "fields": names, "export_order": names, "name": "List"})
    attrs = {**columns, "Meta": meta, "filter_export": filter_export, "__module__": __name__}
    return type(f"{model.__name__}ListResource", (resources.ModelResource,), attrs)


# --- the admin ------------------------------------------------------------------------------------------------

TEMPLATE_FORMATS = {"csv": SniffedCSV, "xlsx": SafeXLSX}


class RegistryExportMixin(ExportMixin):
    """ "Export this list" above a change list: its rows as filtered and searched, as CSV or XLSX (formulas escaped).
    The columns are the resource's (``export_resource_classes``), by default the model's own fields."""

    export_formats = [SniffedCSV, SafeXLSX]
    # Every column of the list (no column picker: its "select all" is an inline script, which the
    # Content-Security-Policy blocks).
    export_form_class = ExportForm
    export_resource_classes: list | None = None
    # The export link (and the import links, for admins that import) above the admin's own change list.
    import_export_change_list_template = "admin/registry/change_list.html"

    def get_export_resource_classes(self, request):
        return list(self.export_resource_classes or [list_resource(self.model)])


class RegistryImportExportMixin(ImportMixin, RegistryExportMixin):
    """Import with preview and all-or-nothing confirmation, template downloads, and export of the filtered list."""

    import_formats = [SniffedCSV, SafeXLSX]
    import_template_name = "admin/registry/import.html"
    from_encoding = "utf-8-sig"
    import_export_change_list_template = RegistryExportMixin.import_export_change_list_template

    def get_urls(self):
        template = path(
            "import/template/<int:index>.<str:extension>",
            self.admin_site.admin_view(self.import_template_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_import_template",
        )
        return [template, *super().get_urls()]

    def has_import_permission(self, request):
        # An import creates and updates rows: it needs both permissions on every kind of row it can write.
        models = {resource._meta.model._meta for resource in self.get_import_resource_classes(request)}
        return all(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for opts in models
            for action in ("add", "change")
        )

    def create_import_form(self, request):
        form = super().create_import_form(request)
        if "resource" in form.fields:
            form.fields["resource"].label = "What to import"
        return form

    def get_import_form_initial(self, request):
        initial = super().get_import_form_initial(request)
        chosen = request.GET.get("resource", "")
        if chosen.isdigit() and int(chosen) < len(self.get_import_resource_classes(request)):
            initial["resource"] = chosen
        return initial

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        url_name = f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template"
        context["templates"] = [
            (
                resource.get_display_name(),
                {extension: reverse(url_name, args=[index, extension]) for extension in TEMPLATE_FORMATS},
            )
            for index, resource in enumerate(self.resource_classes)
        ]
        return context

    def import_template_view(self, request, index, extension):
        """An empty file with the columns (and example rows) of one kind of import, as CSV or XLSX."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resources_ = self.get_import_resource_classes(request)
        if index >= len(resources_) or extension not in TEMPLATE_FORMATS:
            raise Http404("No such import template.")
        resource = resources_[index]()
        dataset = tablib.Dataset(headers=resource.columns())
        for example in resource.template_rows():
            dataset.append(example)
        file_format = TEMPLATE_FORMATS[extension]()
        name = f"{resource._meta.model._meta.model_name}-import-template.{extension}"
        response = HttpResponse(file_format.export_data(dataset), content_type=file_format.get_content_type())
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, FileProblem):
            form.add_error("import_file", str(e))
            return
        form.add_error(
            "import_file",
            "The file could not be read. Choose the format it is in (CSV or XLSX); a CSV file must be saved as "
            'UTF-8 ("CSV UTF-8" in Excel), with a comma or a semicolon between the fields.',
        )

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        # The confirmation imports again for real: if a row has become invalid since the preview (someone entered
        # the same record meanwhile), roll the whole file back rather than keep the valid rows.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            problems = [str(error.error) for error in result.base_errors]
            problems += [
                f"row {row.number}: "
                + "; ".join(
                    (f"{column}: " if column != NON_FIELD_ERRORS else "") + " ".join(messages_)
                    for column, messages_ in row.error_dict.items()
                )
                for row in result.invalid_rows
            ]
            messages.error(request, "Nothing was imported. " + " | ".join(problems))
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        return super().process_result(result, request)
