"""The projects domain (DOMAIN.md): vocabularies, projects, their sourced claims, and who took part.

Single-row rules live in named database constraints, field validators and ``clean()``; rules that span rows (the
status history, one preferred figure per kind) live in ``projects.rules`` and are applied by ``projects.services``,
through which the admin, the API, the imports and the seed loader write projects, status changes and figures.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from projects import choices, rules
from projects.display import format_money
from registry.history import BatchedDeletion, BatchedDeletionQuerySet, TrackedHistory
from registry.validators import web_url_validator

SLUG_VALIDATOR = RegexValidator(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "Use lower-case letters, digits and single hyphens.")
HTTP_URL_VALIDATOR = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// URL.")
CURRENCY_VALIDATOR = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code in capitals, e.g. USD, PKR, CNY.")
COUNTRY_VALIDATOR = RegexValidator(r"^[A-Z]{2}$", "Use a two-letter ISO 3166-1 code in capitals, e.g. PK, CN.")
NON_NEGATIVE = MinValueValidator(Decimal("0"), "Must not be negative.")

MONEY = {"max_digits": 18, "decimal_places": 2}
MONEY_LIMIT = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"])


def python_values(instance: models.Model, *names: str) -> list | None:
    """The fields' values converted to their Python types, or None when one cannot be converted.

    ``full_clean()`` runs ``clean()`` even when ``clean_fields()`` failed, leaving the raw input in place; the
    cross-field checks in ``clean()`` then compare these converted values and skip what ``clean_fields()`` has
    already reported, instead of failing with a TypeError on, say, a date given as "2020-13-01".
    """
    values = []
    for name in names:
        field = instance._meta.get_field(name)
        try:
            values.append(field.to_python(getattr(instance, field.attname)))
        except ValidationError:
            return None
    return values


def _number(value: Decimal) -> str:
    """A number as typed, whatever scale it was stored or sent with: 45, 45.5 (not 45.000000)."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


class DescendingNullsLastIndex(models.Index):
    """An index for the API's descending sort: ``ORDER BY <field> DESC NULLS LAST, <tie_breaker>``.

    PostgreSQL uses an index for that order only when the index says NULLS LAST too. SQLite refuses the clause in
    an index, and its descending index puts NULLs last anyway, so there the index is created without it.
    """

    def __init__(self, *, field: str, name: str, tie_breaker: str = "slug"):
        self.field_name, self.tie_breaker = field, tie_breaker
        super().__init__(F(field).desc(nulls_last=True), F(tie_breaker), name=name)

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "sqlite":
            plain = models.Index(F(self.field_name).desc(), F(self.tie_breaker), name=self.name)
            return plain.create_sql(model, schema_editor, using, **kwargs)
        return super().create_sql(model, schema_editor, using, **kwargs)

    def deconstruct(self):
        path, _, _ = super().deconstruct()
        return path, (), {"field": self.field_name, "name": self.name, "tie_breaker": self.tie_breaker}


def stale_cutoff(today: datetime.date | None = None) -> datetime.date:
    """The date before which a project still in pipeline/mou/implementation is stale (4 years ago)."""
    today = today or timezone.now().date()
    years = choices.STALE_AFTER_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


class Corridor(models.Model):
    """One of the five CPEC Phase II corridors."""

    code = models.SlugField(max_length=50, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(max_length=200, unique=True)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names used in official texts and the press.")
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = TrackedHistory()

    class Meta:
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    def clean(self):
        if not isinstance(self.aliases, list) or not all(isinstance(a, str) and a.strip() for a in self.aliases):
            raise ValidationError({"aliases": "Aliases must be a list of non-empty names."})


class Pillar(models.Model):
    """One of the Planning Ministry's 5Es."""

    code = models.SlugField(max_length=50, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    aligned_corridor = models.ForeignKey(
        Corridor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="aligned_pillars",
        help_text="The corridor the 5Es framework pairs this pillar with (documentation, not a constraint).",
    )
    history = TrackedHistory()

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Sector(models.Model):
    """A sector of activity, in two levels: a top-level sector and its children."""

    code = models.SlugField(max_length=50, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    history = TrackedHistory()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="sector_not_own_parent"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.parent_id is not None:
            if self.pk is not None and self.parent_id == self.pk:
                raise ValidationError({"parent": "A sector cannot be its own parent."})
            if self.parent.parent_id is not None:
                raise ValidationError({"parent": "Sectors have two levels: the parent must be a top-level sector."})
            if self.pk is not None and self.children.exists():
                raise ValidationError({"parent": "A sector with children cannot itself have a parent."})


class Province(models.Model):
    """A province or territory of Pakistan (ISO 3166-2:PK); a fixed list created by a migration."""

    code = models.CharField(max_length=5, primary_key=True, choices=choices.Province.choices)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Source(models.Model):
    """A citation: where a figure, date or status comes from."""

    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True, validators=[web_url_validator, HTTP_URL_VALIDATOR])
    published_on = models.DateField(null=True, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=choices.SourceKind.choices, default=choices.SourceKind.OTHER)
    history = TrackedHistory()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["url"],
                condition=~Q(url=""),
                name="source_url_unique_when_given",
                violation_error_message="A source with this URL is already registered: cite that one.",
            ),
            models.CheckConstraint(
                # Case-insensitive like the URL validator (HTTPS://... is valid); SQLite's LIKE already was.
                condition=Q(url="") | Q(url__istartswith="http://") | Q(url__istartswith="https://"),
                name="source_url_http_or_https",
            ),
            models.CheckConstraint(condition=Q(kind__in=choices.SourceKind.values), name="source_kind_valid"),
        ]

    def __str__(self):
        return f"{self.publisher}: {self.title}" if self.publisher else self.title


class Organisation(models.Model):
    """A government body, company, financier or institution that takes part in projects."""

    slug = models.SlugField(max_length=100, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(max_length=300)
    country = models.CharField(
        max_length=2, blank=True, validators=[COUNTRY_VALIDATOR], help_text="ISO 3166-1 alpha-2."
    )
    kind = models.CharField(max_length=20, choices=choices.OrganisationKind.choices)
    website = models.URLField(max_length=500, blank=True, validators=[web_url_validator, HTTP_URL_VALIDATOR])
    history = TrackedHistory()

    class Meta:
        ordering = ["name", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=choices.OrganisationKind.values), name="organisation_kind_valid"
            ),
        ]

    def __str__(self):
        return self.name


class ProjectQuerySet(BatchedDeletionQuerySet):
    def published(self):
        return self.filter(rules.published())

    def stale(self, today: datetime.date | None = None):
        return self.filter(stale_condition(today))

    def not_stale(self, today: datetime.date | None = None):
        return self.exclude(stale_condition(today))


def project_is_stale(status: str, status_since: datetime.date | None, today: datetime.date | None = None) -> bool:
    """Whether a project with this status, reached on ``status_since``, is stale on ``today`` (default: the real
    today): what ``stale_condition`` selects, for one project's values."""
    return status in choices.STALE_STATUSES and status_since is not None and status_since < stale_cutoff(today)


def stale_condition(today: datetime.date | None = None, *, status: str = "status", since: str = "status_since") -> Q:
    """Stale on ``today`` (default: the real today), over the given status columns (or their as-of annotations)."""
    return Q(**{f"{status}__in": choices.STALE_STATUSES, f"{since}__lt": stale_cutoff(today)})


class Project(BatchedDeletion):
    """The unit of the registry: one CPEC project with its classification, place, size and derived money.

    A project's deletion, with the rows it cascades to, is one deletion batch (``projects.recovery`` restores it).
    """

    slug = models.SlugField(max_length=150, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(max_length=300)
    summary = models.TextField(blank=True)

    phase = models.CharField(max_length=1, choices=choices.Phase.choices)
    corridor = models.ForeignKey(
        Corridor,
        on_delete=models.PROTECT,
        related_name="projects",
        null=True,
        blank=True,
        help_text="Only where a source or a documented editorial rule assigns one; empty means unassigned.",
    )
    pillars = models.ManyToManyField(Pillar, related_name="projects")
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="projects")

    provinces = models.ManyToManyField(
        Province, related_name="projects", blank=True, help_text="None when no province is known (e.g. nationwide)."
    )
    place_name = models.CharField(max_length=300, blank=True, help_text="District or town, free text.")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    location_precision = models.CharField(
        max_length=11,
        choices=choices.LocationPrecision.choices,
        blank=True,
        help_text="How precise the coordinates are: exact, approximate or only the region.",
    )

    capacity_value = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    capacity_unit = models.CharField(max_length=20, choices=choices.CapacityUnit.choices, blank=True)

    mou_signed_on = models.DateField(null=True, blank=True)
    financial_close_on = models.DateField(null=True, blank=True)
    construction_started_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)

    sources = models.ManyToManyField(Source, blank=True, related_name="projects", help_text="General citations.")

    confidence = models.CharField(
        max_length=6,
        choices=choices.Confidence.choices,
        blank=True,
        help_text="How sure the record is, all things considered: high, medium or low; empty when not graded.",
    )
    editorial_note = models.TextField(
        blank=True,
        help_text="For editors only: never shown in the public API, exports or feed.",
    )
    publication = models.CharField(
        max_length=10, choices=choices.Publication.choices, default=choices.Publication.DRAFT, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Derived: written only by projects.services, in the transaction that changes what they derive from.
    status = models.CharField(max_length=20, choices=choices.Status.choices, blank=True, editable=False)
    status_since = models.DateField(null=True, blank=True, editable=False)
    announced_usd = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    committed_usd = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    realised_usd = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    # Wide enough for any realised / announced (at most 10^16 / 0.01), so no pair of valid figures overflows it.
    realisation_ratio = models.DecimalField(max_digits=22, decimal_places=4, null=True, blank=True, editable=False)

    history = TrackedHistory(m2m_fields=[pillars, provinces, sources])
    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="project_lat_lon_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True)
                | Q(latitude__gte=choices.PAKISTAN_LAT_MIN, latitude__lte=choices.PAKISTAN_LAT_MAX),
                name="project_latitude_in_pakistan",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True)
                | Q(longitude__gte=choices.PAKISTAN_LON_MIN, longitude__lte=choices.PAKISTAN_LON_MAX),
                name="project_longitude_in_pakistan",
            ),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True)
                | Q(construction_started_on__isnull=True)
                | Q(completed_on__gte=F("construction_started_on")),
                name="project_completed_not_before_construction",
            ),
            models.CheckConstraint(
                condition=Q(capacity_value__isnull=True, capacity_unit="")
                | Q(capacity_value__isnull=False, capacity_value__gte=0) & ~Q(capacity_unit=""),
                name="project_capacity_value_and_unit_together",
            ),
            models.CheckConstraint(condition=Q(phase__in=choices.Phase.values), name="project_phase_valid"),
            models.CheckConstraint(
                condition=Q(confidence__in=["", *choices.Confidence.values]), name="project_confidence_valid"
            ),
            models.CheckConstraint(
                condition=Q(location_precision__in=["", *choices.LocationPrecision.values]),
                name="project_location_precision_valid",
            ),
            models.CheckConstraint(
                condition=Q(publication__in=choices.Publication.values), name="project_publication_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="") | Q(status__in=choices.Status.values), name="project_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status="") & Q(status_since__isnull=True))
                | (~Q(status="") & Q(status_since__isnull=False)),
                name="project_status_and_since_together",
            ),
            models.CheckConstraint(
                condition=(Q(announced_usd__isnull=True) | Q(announced_usd__gte=0))
                & (Q(committed_usd__isnull=True) | Q(committed_usd__gte=0))
                & (Q(realised_usd__isnull=True) | Q(realised_usd__gte=0)),
                name="project_derived_money_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "status_since"], name="project_status_since_idx"),
            models.Index(fields=["announced_usd"], name="project_announced_idx"),
            models.Index(fields=["realised_usd"], name="project_realised_idx"),
            # The API's orderings both ways, ties broken by slug, so that a page reads its rows off an index instead
            # of sorting every match (ascending announced, realised and updated_at use the single-column indexes,
            # with an incremental sort for ties).
            models.Index(fields=["name", "slug"], name="project_name_idx"),
            DescendingNullsLastIndex(field="name", name="project_name_desc_idx"),
            DescendingNullsLastIndex(field="announced_usd", name="project_announced_desc_idx"),
            DescendingNullsLastIndex(field="realised_usd", name="project_realised_desc_idx"),
            models.Index(fields=["realisation_ratio", "slug"], name="project_ratio_idx"),
            DescendingNullsLastIndex(field="realisation_ratio", name="project_ratio_desc_idx"),
            models.Index(fields=["status_since", "slug"], name="project_since_idx"),
            DescendingNullsLastIndex(field="status_since", name="project_since_desc_idx"),
            DescendingNullsLastIndex(field="updated_at", name="project_updated_desc_idx"),
            models.Index(fields=["capacity_value", "slug"], name="project_capacity_idx"),
            DescendingNullsLastIndex(field="capacity_value", name="project_capacity_desc_idx"),
            # Range filters that no other index starts with.
            models.Index(fields=["committed_usd"], name="project_committed_idx"),
            models.Index(fields=["completed_on"], name="project_completed_idx"),
            models.Index(fields=["longitude", "latitude"], name="project_location_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_stale(self) -> bool:
        """Stale today, or on ``stale_on`` when the project is read as of a date (``projects.as_of``)."""
        return project_is_stale(self.status, self.status_since, getattr(self, "stale_on", None))

    @property
    def is_published(self) -> bool:
        return self.publication == choices.Publication.PUBLISHED

    def clean(self):
        errors = {}
        coordinates = python_values(self, "latitude", "longitude")
        if coordinates is not None:
            latitude, longitude = coordinates
            if (latitude is None) != (longitude is None):
                errors["latitude" if latitude is None else "longitude"] = (
                    "Give both latitude and longitude, or neither."
                )
            if latitude is not None and not choices.PAKISTAN_LAT_MIN <= latitude <= choices.PAKISTAN_LAT_MAX:
                errors["latitude"] = (
                    f"Latitude {_number(latitude)} is outside Pakistan "
                    f"({choices.PAKISTAN_LAT_MIN} to {choices.PAKISTAN_LAT_MAX} N)."
                )
            if longitude is not None and not choices.PAKISTAN_LON_MIN <= longitude <= choices.PAKISTAN_LON_MAX:
                errors["longitude"] = (
                    f"Longitude {_number(longitude)} is outside Pakistan "
                    f"({choices.PAKISTAN_LON_MIN} to {choices.PAKISTAN_LON_MAX} E)."
                )
        dates = python_values(self, "construction_started_on", "completed_on")
        if dates is not None:
            started, completed = dates
            if completed and started and completed < started:
                errors["completed_on"] = "The completion date cannot be before construction started."
        capacity = python_values(self, "capacity_value", "capacity_unit")
        if capacity is not None:
            value, unit = capacity
            if (value is None) != (unit in (None, "")):
                errors["capacity_unit" if unit in (None, "") else "capacity_value"] = (
                    "Give a capacity value together with its unit, or neither."
                )
            if value is not None and value < 0:
                errors["capacity_value"] = "Capacity must not be negative."
        if errors:
            raise ValidationError(errors)


class StatusChange(models.Model):
    """A dated, sourced entry in a project's status history; the latest one is the project's status.

    Its place in the history (dates never go back, the status ladder) is a rule over the project's rows:
    ``projects.services`` checks it with ``projects.rules`` on every write.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=20, choices=choices.Status.choices)
    date = models.DateField()
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="status_changes")
    note = models.TextField(blank=True)
    quote = models.TextField(
        blank=True, help_text="The sentence of the source that states this, word for word (so a reader can check it)."
    )
    history = TrackedHistory()

    class Meta:
        # Entry order: dates never go backwards along it, so it is also date order.
        ordering = ["project_id", "date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=choices.Status.values), name="status_change_status_valid"),
        ]
        indexes = [models.Index(fields=["project", "date"], name="status_change_project_date_idx")]

    def __str__(self):
        return f"{self.get_status_display()} since {self.date}"


class ExchangeRate(models.Model):
    """US dollars per unit of a currency in a year, used to convert investment figures."""

    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR])
    year = models.PositiveSmallIntegerField()
    usd_per_unit = models.DecimalField(max_digits=20, decimal_places=10)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="exchange_rates")
    history = TrackedHistory()

    class Meta:
        ordering = ["currency", "year"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "year"], name="exchange_rate_unique_currency_year"),
            models.CheckConstraint(condition=Q(usd_per_unit__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(condition=~Q(currency="USD"), name="exchange_rate_not_usd"),
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.usd_per_unit} USD ({self.year})"

    def clean(self):
        if self.currency == "USD":
            raise ValidationError({"currency": "US dollars need no exchange rate."})
        rate = python_values(self, "usd_per_unit")
        if rate is not None and rate[0] is not None and rate[0] <= 0:
            raise ValidationError({"usd_per_unit": "The rate must be positive."})


class InvestmentFigure(models.Model):
    """One sourced claim about a project's money; competing claims are all kept."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="investments")
    kind = models.CharField(max_length=10, choices=choices.InvestmentKind.choices)
    amount = models.DecimalField(**MONEY, validators=[NON_NEGATIVE])
    currency = models.CharField(max_length=3, default="USD", validators=[CURRENCY_VALIDATOR])
    amount_usd = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=[NON_NEGATIVE],
        help_text="Equal to the amount for USD. For other currencies: leave empty to convert with the "
        "exchange rate of the year of 'as of', or enter the value the source gives.",
    )
    amount_usd_converted = models.BooleanField(
        default=False, editable=False, help_text="True when the registry converted amount_usd from an exchange rate."
    )
    no_usd_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why a figure in another currency has no USD amount (no sourced exchange rate for its year, say): "
        "it then stays in its currency and does not count in USD headlines and totals.",
    )
    exchange_rate = models.ForeignKey(
        "ExchangeRate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="investments",
        help_text="The rate the registry converted amount_usd with (none when it did not convert).",
    )
    as_of = models.DateField(help_text="The date the figure refers to.")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="investments")
    note = models.TextField(blank=True)
    quote = models.TextField(
        blank=True, help_text="The sentence of the source that states this, word for word (so a reader can check it)."
    )
    is_preferred = models.BooleanField(default=False, help_text="The figure to use as the project's headline.")
    created_at = models.DateTimeField(auto_now_add=True)
    history = TrackedHistory()

    class Meta:
        ordering = ["project_id", "kind", "as_of", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=Q(is_preferred=True),
                name="investment_one_preferred_per_kind",
                violation_error_message="This project already has a preferred figure of this kind: "
                "unmark that one first (at most one preferred figure per project and kind).",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="investment_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(amount_usd__isnull=True) | Q(amount_usd__gte=0), name="investment_amount_usd_non_negative"
            ),
            models.CheckConstraint(
                # IS NOT NULL: a NULL would make the comparison unknown, which a CHECK lets through.
                condition=~Q(currency="USD") | Q(amount_usd__isnull=False, amount_usd=F("amount")),
                name="investment_usd_amount_equals_amount",
                violation_error_message="For a figure in USD, the USD amount equals the amount.",
            ),
            models.CheckConstraint(condition=Q(kind__in=choices.InvestmentKind.values), name="investment_kind_valid"),
            models.CheckConstraint(
                condition=Q(no_usd_reason="") | Q(amount_usd__isnull=True), name="investment_no_usd_reason_only_without"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "kind"], name="investment_project_kind_idx"),
            # "Is any figure of this kind dated after the date?", once per query of a registry read as of a date
            # (projects.as_of.headline_as_of): an index probe instead of a scan of every figure.
            models.Index(fields=["kind", "as_of"], name="investment_kind_as_of_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {format_money(self.amount, self.currency)} ({self.as_of})"

    def clean(self):
        converted = python_values(self, "amount", "amount_usd", "as_of")
        if converted is None:
            return  # clean_fields() reports the value that is not a number or a date
        amount, amount_usd, as_of = converted
        if amount is None or amount < 0 or not self.currency:
            return  # a negative amount is reported by its validator; copying it would add a constraint error
        if self.currency == "USD":
            if self.no_usd_reason:
                raise ValidationError({"no_usd_reason": "A figure in USD has its USD amount: leave this empty."})
            if amount_usd is not None and amount_usd != amount:
                raise ValidationError({"amount_usd": "For a figure in USD, the USD amount equals the amount."})
            self.amount_usd = amount
            self.amount_usd_converted, self.exchange_rate = False, None
            return
        if not isinstance(self.currency, str) or not CURRENCY_VALIDATOR.regex.search(self.currency):
            return  # clean_fields() reports the malformed currency code
        if self.no_usd_reason:
            if amount_usd is not None and not self.amount_usd_converted:
                raise ValidationError(
                    {"no_usd_reason": "A figure with a USD amount needs no reason for lacking one: leave it empty."}
                )
            self.amount_usd, self.amount_usd_converted, self.exchange_rate = None, False, None
            return  # kept in its currency, as the editor says why
        if amount_usd is not None and not self.amount_usd_converted:
            self.exchange_rate = None
            return  # entered by the editor from the source
        if as_of is None:
            return
        rate = ExchangeRate.objects.filter(currency=self.currency, year=as_of.year).first()
        if rate is None:
            raise ValidationError(
                {
                    "amount_usd": f"No exchange rate for {self.currency} in {as_of.year}: "
                    "enter the USD amount the source gives, add an exchange rate for that year first, or say in "
                    "no_usd_reason why the figure stays in its currency."
                }
            )
        amount_usd = amount * rate.usd_per_unit
        if amount_usd < MONEY_LIMIT:  # quantizing a larger product could exceed the decimal context's precision
            amount_usd = amount_usd.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if amount_usd >= MONEY_LIMIT:
            raise ValidationError(
                {
                    "amount_usd": f"Converted at {rate.usd_per_unit} USD per {self.currency}, {amount} {self.currency} "
                    f"is {amount_usd:.2f} USD, too large to store (the limit is below {MONEY_LIMIT} USD)."
                }
            )
        self.amount_usd = amount_usd
        self.amount_usd_converted, self.exchange_rate = True, rate


class Participation(models.Model):
    """An organisation's role in a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participations")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=30, choices=choices.ParticipationRole.choices)
    note = models.CharField(max_length=500, blank=True, help_text="Share, scope or other detail.")
    history = TrackedHistory()

    class Meta:
        ordering = ["project_id", "role", "organisation__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "organisation", "role"], name="participation_unique_project_organisation_role"
            ),
            models.CheckConstraint(
                condition=Q(role__in=choices.ParticipationRole.values), name="participation_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} ({self.get_role_display()})"


class ExternalIdentifier(models.Model):
    """The project's identifier in another dataset, so that the registry can be the join key."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="external_ids")
    scheme = models.CharField(max_length=20, choices=choices.IdentifierScheme.choices)
    value = models.CharField(max_length=200)
    url = models.URLField(max_length=1000, blank=True, validators=[web_url_validator, HTTP_URL_VALIDATOR])
    quote = models.TextField(
        blank=True, help_text="The sentence of the linked page that ties the identifier to the project, word for word."
    )
    history = TrackedHistory()

    class Meta:
        ordering = ["project_id", "scheme", "value"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "value"], name="external_identifier_unique_scheme_value"),
            models.CheckConstraint(
                condition=Q(scheme__in=choices.IdentifierScheme.values), name="external_identifier_scheme_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_scheme_display()}: {self.value}"


def name_link_rows(relation, noun: str) -> None:
    """Give a many-to-many relation's link rows a readable name ("Karot Hydropower Project: pillar Energy"), for
    the pages that list them (a deletion's confirmation) instead of "Project_pillars object (24)"."""
    through = relation.through
    source, target = relation.field.m2m_field_name(), relation.field.m2m_reverse_field_name()

    def __str__(self):
        return f"{getattr(self, source)}: {noun} {getattr(self, target)}"

    through.__str__ = __str__


name_link_rows(Project.pillars, "pillar")
name_link_rows(Project.provinces, "province")
name_link_rows(Project.sources, "source")


# --- governance ---------------------------------------------------------------------------------------------------


def partial_date(date: datetime.date, precision: str) -> str:
    """A date as precise as the sources give it: 2015-11-08, 2015-11 or 2015."""
    if precision == choices.DatePrecision.YEAR:
        return f"{date.year:04d}"
    if precision == choices.DatePrecision.MONTH:
        return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


# Exactly the texts parse_partial_date accepts (without surrounding spaces): YYYY, YYYY-MM or a day on the calendar,
# 29 February in leap years only; the year from 0001. The API's schema documents it, and the API checks it as sent.
_YEAR = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_DAY = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29"
PARTIAL_DATE_PATTERN = rf"^(?:{_YEAR}(?:-(?:0[1-9]|1[0-2])|-{_MONTH_DAY})?|{_LEAP_DAY})$"


def parse_partial_date(text: str) -> tuple[datetime.date, str]:
    """``2015-11-08``, ``2015-11`` or ``2015`` as (the period's first day, its precision); ValueError otherwise."""
    text = text.strip()
    parts = text.split("-")
    if not all(part.isascii() and part.isdigit() for part in parts) or [len(part) for part in parts] not in (
        [4],
        [4, 2],
        [4, 2, 2],
    ):
        raise ValueError(f"Give a date as YYYY-MM-DD, YYYY-MM or YYYY; got {text!r}.")
    numbers = [int(part) for part in parts] + [1] * (3 - len(parts))
    try:
        date = datetime.date(*numbers)
    except ValueError:
        raise ValueError(f"{text!r} is not a date on the calendar.") from None
    precision = [choices.DatePrecision.YEAR, choices.DatePrecision.MONTH, choices.DatePrecision.DAY][len(parts) - 1]
    return date, precision


class Event(models.Model):
    """A dated governance step: a JCC or JWG meeting, an agreement, a visit, a policy; sourced, with the projects it
    concerns. Its date is as precise as the sources give it: a month or a year is never turned into a day."""

    slug = models.SlugField(max_length=150, unique=True, validators=[SLUG_VALIDATOR])
    kind = models.CharField(max_length=20, choices=choices.EventKind.choices)
    title = models.CharField(max_length=300)
    date = models.DateField(help_text="The first day of the period the sources give: the day, month or year.")
    date_precision = models.CharField(
        max_length=5, choices=choices.DatePrecision.choices, default=choices.DatePrecision.DAY
    )
    place = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    quote = models.TextField(
        blank=True, help_text="The sentence of a source that dates the event, word for word (so a reader can check it)."
    )
    sources = models.ManyToManyField(Source, related_name="events", help_text="One or more sources.")
    projects = models.ManyToManyField(Project, through="EventProject", related_name="events")
    history = TrackedHistory(m2m_fields=[sources])

    class Meta:
        ordering = ["date", "slug"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=choices.EventKind.values), name="event_kind_valid"),
            models.CheckConstraint(
                condition=Q(date_precision__in=choices.DatePrecision.values), name="event_date_precision_valid"
            ),
        ]
        indexes = [models.Index(fields=["date", "slug"], name="event_date_idx")]

    def __str__(self):
        return f"{self.title} ({self.date_text})"

    @property
    def date_text(self) -> str:
        return partial_date(self.date, self.date_precision) if self.date else ""

    def clean(self):
        values = python_values(self, "date", "date_precision")
        if values is None or values[0] is None:
            return
        date, precision = values
        if precision == choices.DatePrecision.MONTH and date.day != 1:
            raise ValidationError({"date": "A date of month precision is the month's first day (YYYY-MM-01)."})
        if precision == choices.DatePrecision.YEAR and (date.month, date.day) != (1, 1):
            raise ValidationError({"date": "A date of year precision is the year's first day (YYYY-01-01)."})


class EventProject(models.Model):
    """What an event did for a project (announced, approved, reviewed it...), with a note."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="project_links")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="event_links")
    role = models.CharField(max_length=20, choices=choices.EventRole.choices)
    note = models.CharField(max_length=500, blank=True)
    history = TrackedHistory()

    class Meta:
        ordering = ["event_id", "project_id", "role", "id"]
        verbose_name = "event's project"
        constraints = [
            models.UniqueConstraint(fields=["event", "project", "role"], name="event_project_unique_role"),
            models.CheckConstraint(condition=Q(role__in=choices.EventRole.values), name="event_project_role_valid"),
        ]

    def __str__(self):
        return f"{self.event.title}: {self.get_role_display().lower()} {self.project}"


name_link_rows(Event.sources, "source")
