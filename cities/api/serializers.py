"""API representations of policy areas, sectors, cities and organizations (API.md, "Fields")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cities.models import City, Organization, PolicyArea, Sector
from toolkit.filters import language_code

MAX_INT32 = 2**31 - 1


class PolicyAreaSerializer(serializers.ModelSerializer):
    sdg_targets = serializers.ListField(
        child=serializers.CharField(), help_text='UN SDG targets, e.g. ["11.6", "12.5"].'
    )

    class Meta:
        model = PolicyArea
        fields = ["code", "name", "description", "sdg_targets"]


class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["code", "name"]
        extra_kwargs = {"code": {"help_text": "ISIC Rev.4 section letter (A–U)."}}


class _CodeMapField(serializers.Field):
    """An object keyed by taxonomy code (``{"waste": 3}``), read from and written to rows.

    Unknown codes and bad values are reported per key:
    ``{"expertise": {"wste": ["Unknown policy area."]}}``.
    """

    unknown_message = "Unknown code."

    def __init__(self, *, child: serializers.Field, **kwargs):
        self.child = child
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def known_codes(self) -> set[str]:
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                f'Expected an object such as {{"{self.example_code}": 2}}.'
            )
        known = self.known_codes()
        values: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for code, value in data.items():
            if code not in known:
                errors[code] = [self.unknown_message]
                continue
            try:
                values[code] = self.child.run_validation(value)
            except serializers.ValidationError as exc:
                errors[code] = exc.detail
        if errors:
            raise serializers.ValidationError(errors)
        # source="*": the serializer's validated data gets {field_name: {code: value}}.
        return {self.field_name: values}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 3},
        "example": {"waste": 3, "air": 2},
    }
)
class AreaLevelsField(_CodeMapField):
    """Policy-area code → level 0..3, read from the city's area levels (only levels above 0)."""

    unknown_message = "Unknown policy area."
    example_code = "waste"

    def __init__(self, *, level: str, **kwargs):
        self.level = level
        super().__init__(child=serializers.IntegerField(min_value=0, max_value=3), **kwargs)

    def known_codes(self) -> set[str]:
        return set(PolicyArea.objects.values_list("code", flat=True))

    def to_representation(self, city: City) -> dict[str, int]:
        return {
            row.policy_area.code: getattr(row, self.level)
            for row in city.area_levels.all()
            if getattr(row, self.level)
        }


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "number", "minimum": 0},
        "example": {"C": 0.3, "E": 0.1},
    }
)
class SectorSharesField(_CodeMapField):
    """ISIC section letter → share of the economy (shares need not sum to 1)."""

    unknown_message = "Unknown sector."
    example_code = "C"

    def __init__(self, **kwargs):
        super().__init__(child=serializers.FloatField(min_value=0, max_value=1e9), **kwargs)

    def known_codes(self) -> set[str]:
        return set(Sector.objects.values_list("code", flat=True))

    def to_representation(self, city: City) -> dict[str, float]:
        return {row.sector.code: row.share for row in city.sector_shares.all()}


class CitySerializer(serializers.ModelSerializer):
    languages = serializers.ListField(
        child=serializers.CharField(max_length=2, validators=[language_code]),
        required=False,
        max_length=50,
        help_text="Working languages, ISO 639-1 codes such as en.",
    )
    expertise = AreaLevelsField(
        level="expertise",
        required=False,
        help_text="Policy-area code → expertise the city offers (0 none … 3 leading).",
    )
    needs = AreaLevelsField(
        level="need",
        required=False,
        help_text="Policy-area code → need (0 none … 3 high). Writing it replaces all needs.",
    )
    sectors = SectorSharesField(
        required=False,
        help_text="ISIC section letter → share of the economy. Writing it replaces all shares.",
    )

    class Meta:
        model = City
        fields = [
            "id",
            "name",
            "slug",
            "country",
            "region",
            "latitude",
            "longitude",
            "population",
            "role",
            "languages",
            "has_international_department",
            "international_staff",
            "years_of_cooperation",
            "absorptive_capacity",
            "cooperation_budget_usd",
            "cofunding_usd",
            "expertise",
            "needs",
            "sectors",
            "updated_at",
        ]
        read_only_fields = ["slug", "region", "updated_at"]
        # The columns are 32-bit on PostgreSQL; the same limit on SQLite keeps the API's answer
        # the same on both.
        extra_kwargs = {
            "international_staff": {"max_value": MAX_INT32},
            "years_of_cooperation": {"max_value": MAX_INT32},
        }


class CitySummarySerializer(serializers.ModelSerializer):
    """A city as a match shows it."""

    class Meta:
        model = City
        fields = ["id", "name", "slug", "country", "population"]
        read_only_fields = fields


class OrganizationSerializer(serializers.ModelSerializer):
    countries = serializers.ListField(
        child=serializers.CharField(),
        help_text="ISO 3166-1 alpha-2 codes of the countries it supports; empty means worldwide.",
    )
    policy_areas = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    # Optional in the model, so it may be empty: not always a URI.
    website = serializers.CharField(read_only=True, help_text="Web address, or empty.")

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "slug",
            "kind",
            "description",
            "website",
            "countries",
            "policy_areas",
            "updated_at",
        ]
        read_only_fields = fields


class ImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    city_ids = serializers.ListField(child=serializers.IntegerField())


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Row of the file (header = row 1).")
    field = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportErrorsSerializer(serializers.Serializer):
    errors = ImportErrorSerializer(many=True)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A CSV or JSON file in the city import format.")
