"""API representations of matches and match runs (API.md, "Fields")."""

from __future__ import annotations

from rest_framework import serializers

from cities.api.serializers import CitySummarySerializer
from matching import services
from matching.models import COMPONENTS, Match, MatchRun
from matching.querysets import OWN_COLUMNS


class ComponentsSerializer(serializers.Serializer):
    """The eight components of SCORING.md, each in [0, 1]."""

    need_fit = serializers.FloatField(
        help_text="How much of the recipient's needs the donor can offer."
    )
    evidence = serializers.FloatField(
        help_text="Share of the recipient's needs with a published practice of the donor."
    )
    reciprocity = serializers.FloatField(help_text="What the donor can learn back, and the market.")
    size = serializers.FloatField(help_text="1 for cities of equal size.")
    industry = serializers.FloatField(help_text="Similarity of the economic structures.")
    capacity = serializers.FloatField(
        help_text="Can the donor lend people, can the recipient absorb the help."
    )
    budget = serializers.FloatField(help_text="Budget and co-funding against the cost.")
    language = serializers.FloatField(help_text="1 when the cities share a working language.")


class TopAreaSerializer(serializers.Serializer):
    area = serializers.CharField(help_text="Policy area code.")
    need = serializers.IntegerField(help_text="The recipient's need, 0–3.")
    expertise = serializers.IntegerField(help_text="The donor's expertise, 0–3.")


class PracticeReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class MatchSerializer(serializers.ModelSerializer):
    donor = CitySummarySerializer(read_only=True)
    recipient = CitySummarySerializer(read_only=True)
    components = ComponentsSerializer(source="*", read_only=True)
    top_areas = TopAreaSerializer(
        many=True,
        read_only=True,
        help_text="The (up to three) areas that contribute most to need_fit, best first.",
    )
    practices = PracticeReferenceSerializer(
        many=True, read_only=True, help_text="The donor's published practices in those areas."
    )
    gives_back = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Policy areas in which the recipient can help the donor in return.",
    )

    class Meta:
        model = Match
        fields = [
            "id",
            "run",
            "donor",
            "recipient",
            "score",
            "components",
            "donor_rank",
            "recipient_rank",
            "top_areas",
            "practices",
            "gives_back",
            "existing_partnership",
        ]
        read_only_fields = fields

    def to_representation(self, match: Match | dict) -> dict:
        # Built by hand: walking DRF's nested fields for a page of 25 matches took longer than
        # the page's SQL (bench/api.py). The fields above still define the schema; the API
        # tests hold this output to them. ``match`` is a Match or a row of
        # ``Match.objects.list_rows()`` (the list pages read rows: no model instances to build).
        row = match if isinstance(match, dict) else columns_of(match)
        return {
            "id": row["id"],
            "run": row["run_id"],
            "donor": {name: row[f"donor__{name}"] for name in CITY_FIELDS},
            "recipient": {name: row[f"recipient__{name}"] for name in CITY_FIELDS},
            "score": row["score"],
            "components": {name: row[name] for name in COMPONENTS},
            "donor_rank": row["donor_rank"],
            "recipient_rank": row["recipient_rank"],
            "top_areas": [
                {
                    "area": top.get("area"),
                    "need": top.get("need"),
                    "expertise": top.get("expertise"),
                }
                for top in row["top_areas"]
            ],
            "practices": [
                {"id": practice.get("id"), "title": practice.get("title")}
                for practice in row["practices"]
            ],
            "gives_back": list(row["gives_back"]),
            "existing_partnership": row["existing_partnership"],
        }


# The city fields a match's JSON shows (``CITY_COLUMNS`` holds a few more for the pages).
CITY_FIELDS = ("id", "name", "slug", "country", "population")


def columns_of(match: Match) -> dict:
    """A Match (stored or scored on the fly) as the row ``Match.objects.list_rows()`` gives."""
    row = {name: getattr(match, name) for name in OWN_COLUMNS}
    for side in ("donor", "recipient"):
        city = getattr(match, side)
        row.update({f"{side}__{name}": getattr(city, name) for name in CITY_FIELDS})
    return row


class CityMatchSerializer(MatchSerializer):
    """A match of one city: stored (with its id and run) or scored on the fly (both null)."""

    id = serializers.IntegerField(read_only=True, allow_null=True)
    run = serializers.IntegerField(
        source="run_id",
        read_only=True,
        allow_null=True,
        help_text="The run that stored the match; null when scored on the fly.",
    )


class MatchRunSerializer(serializers.ModelSerializer):
    duration_s = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Seconds from start to finish."
    )
    weights = serializers.JSONField(
        read_only=True, help_text="The exact weights and constants the run used."
    )
    error = serializers.SerializerMethodField(
        help_text="Why the run failed, in the language of Accept-Language; empty otherwise."
    )

    class Meta:
        model = MatchRun
        fields = [
            "id",
            "status",
            "progress",
            "is_active",
            "cities",
            "pairs_scored",
            "matches_stored",
            "weights",
            "created_at",
            "started_at",
            "finished_at",
            "duration_s",
            "error",
            "heartbeat_at",
            "recoveries",
        ]
        read_only_fields = fields

    def get_error(self, run: MatchRun) -> str:
        return services.describe_failure(run)


class PairSerializer(serializers.Serializer):
    """A match named by its two cities (``/api/matches/pair/``): lasting, unlike row ids."""

    donor = CitySummarySerializer(read_only=True)
    recipient = CitySummarySerializer(read_only=True)
    stored = serializers.BooleanField(
        read_only=True,
        help_text="True: the active run's row. False: not stored there, scored just now with "
        "the run's weights (``id`` is null; ranks are null outside the top K).",
    )
    match = MatchSerializer(
        read_only=True,
        allow_null=True,
        help_text="Null when the two do not fit (the donor offers none of the needs).",
    )
    page = serializers.CharField(read_only=True, help_text="The pair's page on the site.")
