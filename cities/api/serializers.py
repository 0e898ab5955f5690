"""API representations of policy areas, sectors, cities and organizations (API.md, "Fields")."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from cities.models import City, Organization, PolicyArea, Sector
from cities.profile import (
    API_FIELDS,
    DERIVED_AFTER,
    FIELD,
    LEVEL_MAX,
    LEVEL_MIN,
    SHARE_MAX,
    WithinLimit,
)
from toolkit.filters import language_code
from toolkit.jsonlimits import loads as json_loads

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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

    unknown_message: StrOrPromise = _("Unknown code.")
    example_code = "code"

    def __init__(self, *, child: serializers.Field, **kwargs: Any) -> None:
        self.child = child
        kwargs.setdefault("source", "*")
        kwargs.setdefault("help_text", FIELD[kwargs.pop("profile_field")].help_text)
        super().__init__(**kwargs)

    def known_codes(self) -> set[str]:
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> dict[str, dict[str, Any]]:
        if isinstance(data, str):
            # A multipart or form body sends the object as a JSON part.
            with contextlib.suppress(ValueError):
                data = json_loads(data, max_depth=2)
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                gettext("Expected an object such as %(example)s.")
                % {"example": f'{{"{self.example_code}": 2}}'}
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
        return {str(self.field_name): values}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": LEVEL_MIN, "maximum": LEVEL_MAX},
        "example": {"waste": 3, "air": 2},
    }
)
class AreaLevelsField(_CodeMapField):
    """Policy-area code → level on the profile's scale, read from the city's area levels (only
    levels above 0)."""

    unknown_message = _("Unknown policy area.")
    example_code = "waste"

    def __init__(self, *, level: str, **kwargs: Any) -> None:
        self.level = level
        child = serializers.IntegerField(min_value=LEVEL_MIN, max_value=LEVEL_MAX)
        super().__init__(child=child, **kwargs)

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
        "additionalProperties": {"type": "number", "minimum": 0, "maximum": SHARE_MAX},
        "example": {"C": 0.3, "E": 0.1},
    }
)
class SectorSharesField(_CodeMapField):
    """ISIC section letter → share of the economy (shares need not sum to 1)."""

    unknown_message = _("Unknown sector.")
    example_code = "C"

    def __init__(self, **kwargs: Any) -> None:
        child = serializers.FloatField(min_value=0, max_value=SHARE_MAX)
        super().__init__(child=child, **kwargs)

    def known_codes(self) -> set[str]:
        return set(Sector.objects.values_list("code", flat=True))

    def to_representation(self, city: City) -> dict[str, float]:
        return {row.sector.code: row.share for row in city.sector_shares.all()}


def _city_field_names() -> list[str]:
    """API.md's order: the profile's fields, with the slug after the name and the region (which
    follows the country) after the country."""
    names = ["id"]
    for name in API_FIELDS:
        names += [name, DERIVED_AFTER[name]] if name in DERIVED_AFTER else [name]
    return [*names, "updated_at"]


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "minLength": 2, "maxLength": 2},
        "maxItems": int(FIELD["languages"].maximum or 0),
        "uniqueItems": True,
    }
)
class LanguageCodesField(serializers.ListField):
    """A city's languages: two-letter codes, each once."""

    def to_internal_value(self, data: Any) -> list[str]:
        codes = super().to_internal_value(data)
        twice = sorted({code for code in codes if codes.count(code) > 1})
        if twice:
            raise serializers.ValidationError(
                gettext("Give each language once: %(codes)s.") % {"codes": ", ".join(twice)}
            )
        return codes


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false``, as the schema says, in JSON and in multipart parts alike (DRF's
    own field also takes ``0``, ``on``, ``yes``... which the schema does not promise)."""

    TRUE_VALUES = {True, "true", "True"}
    FALSE_VALUES = {False, "false", "False"}
    NULL_VALUES: set = set()

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, str) and not isinstance(self.root.initial_data, QueryDict):
            self.fail("invalid", input=data)  # a JSON body says true or false, not "true"
        return super().to_internal_value(data)


class CitySerializer(serializers.ModelSerializer):
    """A city as API.md lists its fields; labels, help and limits come from the profile schema
    (through the model's fields)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
    }

    languages = LanguageCodesField(
        child=serializers.CharField(max_length=2, validators=[language_code]),
        required=False,
        max_length=int(FIELD["languages"].maximum or 0),
        help_text=FIELD["languages"].help_text,
    )
    expertise = AreaLevelsField(level="expertise", profile_field="expertise", required=False)
    needs = AreaLevelsField(level="need", profile_field="needs", required=False)
    sectors = SectorSharesField(profile_field="sectors", required=False)

    class Meta:
        model = City
        fields = _city_field_names()
        read_only_fields = ["slug", "region", "updated_at"]

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[type, dict]:
        """A field with a plausible limit shows it in the schema (``maximum``) and refuses past
        it in its own words, whatever the column could store."""
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        profile_field = FIELD.get(field_name)
        if profile_field is not None and profile_field.limit is not None:
            highest = profile_field.limit.current()
            if profile_field.maximum is not None:
                highest = min(highest, profile_field.maximum)
            kwargs["max_value"] = highest
            kwargs["error_messages"] = {"max_value": profile_field.limit.message()}
            kwargs["validators"] = [
                check
                for check in kwargs.get("validators", [])
                if not isinstance(check, WithinLimit)
            ]
        return field_class, kwargs


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
    policy_areas: serializers.SlugRelatedField[PolicyArea] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
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


# A field named "errors" would hide Serializer.errors, so this one is declared inline (for the
# OpenAPI schema only: the view writes the answer itself).
ImportErrorsSerializer = inline_serializer(
    name="ImportErrors", fields={"errors": ImportErrorSerializer(many=True)}
)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A CSV or JSON file in the city import format.")
