"""API representation of a best practice with its nested steps, evidence, outcomes, lessons.

Nested lists are written whole: a list given in a POST or PATCH replaces the stored one, a list
left out stays as it is. Steps cite evidence by number (``evidence_refs``: 1 = the first item
of ``evidence``), so a new practice can cite sources that have no id yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.relations import PKOnlyObject
from rest_framework.reverse import reverse

from cities.models import City, Organization, PolicyArea, Sector

from ..models import ActionStep, BestPractice, Evidence, Lesson, Outcome, PracticePartner
from ..revisions import PRACTICE_FIELDS
from ..services import PracticeContent

if TYPE_CHECKING:
    from django.contrib.auth.models import User

KEY_FIGURE_FIELDS = [
    "co2_avoided_t_per_year",
    "energy_saved_mwh_per_year",
    "waste_diverted_t_per_year",
    "people_served",
    "jobs_created",
]


class CitySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = City
        fields = ["id", "name", "slug", "country"]


class CityField(serializers.PrimaryKeyRelatedField[City]):
    """The implementing city: an id when writing, a small object when reading."""

    def use_pk_only_optimization(self) -> bool:
        # Reading needs the whole city, not only its id.
        return False

    def to_representation(self, value: City | PKOnlyObject) -> dict[str, Any]:
        return CitySummarySerializer(value).data


class CityFieldSchema(OpenApiSerializerFieldExtension):
    """The schema of ``CityField``: an id in requests, the small object in responses."""

    target_class = CityField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {"type": "integer", "minimum": 1, "description": "Id of the city."}
        return {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "slug": {"type": "string"},
                "country": {"type": "string"},
            },
            "required": ["id", "name", "slug", "country"],
        }


class StepSerializer(serializers.ModelSerializer):
    evidence_refs = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Numbers (from 1) of the items of `evidence` this step rests on.",
    )
    evidence = serializers.SerializerMethodField(help_text="Ids of the evidence it rests on.")

    class Meta:
        model = ActionStep
        fields = [
            "id",
            "position",
            "title",
            "detail",
            "duration",
            "responsible",
            "evidence_refs",
            "evidence",
        ]
        read_only_fields = ["id", "position"]

    def to_representation(self, instance: ActionStep) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Evidence positions run 1..n, so a source's position is its number.
        data["evidence_refs"] = sorted(source.position for source in instance.evidence.all())
        return data

    def get_evidence(self, instance: ActionStep) -> list[int]:
        return sorted(source.pk for source in instance.evidence.all())


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "position", "title", "doi", "url", "year", "kind"]
        read_only_fields = ["id", "position"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The model's own rules (DOI format, http/https links), reported on this item's fields.
        probe = Evidence(**attrs)
        try:
            probe.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return {**attrs, "doi": probe.doi} if "doi" in attrs else attrs


class OutcomeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Outcome
        fields = ["id", "position", "indicator", "baseline", "result", "unit", "year"]
        read_only_fields = ["id", "position"]


class LessonSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lesson
        fields = ["id", "position", "what_went_wrong", "do_differently"]
        read_only_fields = ["id", "position"]


class PartnerSerializer(serializers.ModelSerializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = PracticePartner
        fields = ["organization", "organization_name", "role"]


class BestPracticeSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="This practice in the API.")
    web_url = serializers.SerializerMethodField(help_text="The practice's page.")
    city = CityField(queryset=City.objects.all(), help_text="Id of the implementing city.")
    policy_areas = serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        queryset=PolicyArea.objects.all(),
        help_text="Policy area codes (at least one).",
    )
    sectors = serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        queryset=Sector.objects.all(),
        required=False,
        help_text="ISIC section letters.",
    )
    partners = PartnerSerializer(many=True, required=False, source="partner_links")
    cost = serializers.FloatField(
        read_only=True, allow_null=True, help_text="cost_usd, else the middle of the range."
    )
    author: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    steps = StepSerializer(many=True, required=False)
    evidence = EvidenceSerializer(many=True, required=False)
    outcomes = OutcomeSerializer(many=True, required=False)
    lessons = LessonSerializer(many=True, required=False)

    class Meta:
        model = BestPractice
        fields = [
            "id",
            "url",
            "web_url",
            "title",
            "slug",
            "city",
            "policy_areas",
            "sectors",
            "language",
            "summary",
            "body",
            "body_html",
            "scale",
            "start_year",
            "end_year",
            "cost_usd",
            "cost_min_usd",
            "cost_max_usd",
            "cost",
            "funding_sources",
            "partners",
            "context",
            "population_min",
            "population_max",
            "min_absorptive_capacity",
            "min_budget_usd",
            "preconditions",
            "contact",
            *KEY_FIGURE_FIELDS,
            "status",
            "author",
            "published_at",
            "created_at",
            "updated_at",
            "steps",
            "evidence",
            "outcomes",
            "lessons",
        ]
        read_only_fields = [
            "slug",
            "body_html",
            "status",
            "published_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "body": {"help_text": "Markdown; body_html is its sanitised rendering."},
            "body_html": {"help_text": "The body rendered to HTML, sanitised (safe to show)."},
        }

    def get_url(self, instance: BestPractice) -> str:
        return reverse(
            "api:best-practice-detail", args=[instance.pk], request=self.context.get("request")
        )

    def get_web_url(self, instance: BestPractice) -> str:
        return reverse("practice-detail", args=[instance.slug], request=self.context.get("request"))

    def to_content(self) -> PracticeContent:
        """The validated data in the shape the services write."""
        data = dict(self.validated_data)
        partners = data.pop("partner_links", None)
        return PracticeContent(
            fields={
                name: data[name] for name in [*PRACTICE_FIELDS, "city", "language"] if name in data
            },
            policy_areas=_listed(data.get("policy_areas")),
            sectors=_listed(data.get("sectors")),
            partners=(
                None
                if partners is None
                else [(row["organization"], row["role"]) for row in partners]
            ),
            steps=_rows(data.get("steps")),
            evidence=_rows(data.get("evidence")),
            outcomes=_rows(data.get("outcomes")),
            lessons=_rows(data.get("lessons")),
        )


def _listed(items: Iterable[Model] | None) -> list[Any] | None:
    """A list given in the request (possibly empty), or None when it was left out."""
    return None if items is None else list(items)


def _rows(items: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [dict(item) for item in items]


class WorkflowSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Kept in the practice's history; required to send a practice back.",
    )
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Publish only: an admin publishing their own practice (recorded).",
    )


class FlatPracticeSerializer(serializers.ModelSerializer):
    """One spreadsheet row per practice (``?format=csv``): the figures agencies compare."""

    city = serializers.CharField(source="city.name")
    country = serializers.CharField(source="city.country")
    policy_areas: serializers.SlugRelatedField[PolicyArea] = serializers.SlugRelatedField(
        many=True, slug_field="code", read_only=True
    )
    cost = serializers.FloatField(read_only=True, allow_null=True)
    steps = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = BestPractice
        fields = [
            "id",
            "title",
            "city",
            "country",
            "policy_areas",
            "scale",
            "start_year",
            "end_year",
            "cost",
            *KEY_FIGURE_FIELDS,
            "status",
            "steps",
            "evidence",
            "summary",
            "web_url",
        ]

    def get_steps(self, instance: BestPractice) -> int:
        return len(instance.steps.all())

    def get_evidence(self, instance: BestPractice) -> int:
        return len(instance.evidence.all())

    def get_web_url(self, instance: BestPractice) -> str:
        return reverse("practice-detail", args=[instance.slug], request=self.context.get("request"))
