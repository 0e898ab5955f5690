"""Snapshots of a practice (with its steps, evidence, outcomes, lessons) and readable diffs.

A snapshot is plain JSON, so a revision still reads the same after the models change; restoring
turns it back into the content the services write (``PracticeContent``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import BestPractice

# The practice's own fields a revision keeps (and a restore writes back), in reading order.
PRACTICE_FIELDS = [
    "title",
    "summary",
    "body",
    "scale",
    "start_year",
    "end_year",
    "cost_usd",
    "cost_min_usd",
    "cost_max_usd",
    "funding_sources",
    "context",
    "population_min",
    "population_max",
    "min_absorptive_capacity",
    "min_budget_usd",
    "preconditions",
    "contact",
    "co2_avoided_t_per_year",
    "energy_saved_mwh_per_year",
    "waste_diverted_t_per_year",
    "people_served",
    "jobs_created",
]
STEP_FIELDS = ["title", "detail", "duration", "responsible"]
EVIDENCE_FIELDS = ["title", "doi", "url", "year", "kind"]
OUTCOME_FIELDS = ["indicator", "baseline", "result", "unit", "year"]
LESSON_FIELDS = ["what_went_wrong", "do_differently"]


def take_snapshot(practice: BestPractice) -> dict[str, Any]:
    """Everything a reader of the practice sees, as JSON (reads the rows fresh)."""
    evidence = list(practice.evidence.order_by("position", "id"))
    number_of = {item.pk: index for index, item in enumerate(evidence, start=1)}
    steps = list(practice.steps.order_by("position", "id").prefetch_related("evidence"))
    partners = practice.partner_links.select_related("organization").order_by("organization__name")
    return {
        **{name: getattr(practice, name) for name in PRACTICE_FIELDS},
        "status": practice.status,
        "city": {"id": practice.city_id, "name": str(practice.city)},
        "policy_areas": sorted(practice.policy_areas.values_list("code", flat=True)),
        "sectors": sorted(practice.sectors.values_list("code", flat=True)),
        "partners": [
            {
                "organization_id": link.organization_id,
                "organization": link.organization.name,
                "role": link.role,
            }
            for link in partners
        ],
        "steps": [
            {
                **{name: getattr(step, name) for name in STEP_FIELDS},
                "evidence_refs": sorted(
                    number_of[item.pk] for item in step.evidence.all() if item.pk in number_of
                ),
            }
            for step in steps
        ],
        "evidence": [{name: getattr(item, name) for name in EVIDENCE_FIELDS} for item in evidence],
        "outcomes": [
            {name: getattr(item, name) for name in OUTCOME_FIELDS}
            for item in practice.outcomes.order_by("position", "id")
        ],
        "lessons": [
            {name: getattr(item, name) for name in LESSON_FIELDS}
            for item in practice.lessons.order_by("position", "id")
        ],
    }


@dataclass(frozen=True)
class DiffRow:
    label: str
    before: str
    after: str

    @property
    def kind(self) -> str:
        if not self.before:
            return "added"
        if not self.after:
            return "removed"
        return "changed"


def diff_snapshots(before: dict[str, Any], after: dict[str, Any]) -> list[DiffRow]:
    """The fields that differ between two snapshots, labelled for a person to read."""
    old, new = _flatten(before), _flatten(after)
    labels = list(old) + [label for label in new if label not in old]
    return [
        DiffRow(label, old.get(label, ""), new.get(label, ""))
        for label in labels
        if old.get(label, "") != new.get(label, "")
    ]


def _flatten(snapshot: dict[str, Any]) -> dict[str, str]:
    rows: dict[str, str] = {
        "Status": _text(snapshot.get("status")),
        "City": _text((snapshot.get("city") or {}).get("name")),
        "Policy areas": ", ".join(snapshot.get("policy_areas", [])),
        "Sectors": ", ".join(snapshot.get("sectors", [])),
    }
    for name in PRACTICE_FIELDS:
        rows[_label(name)] = _text(snapshot.get(name))
    rows["Partners"] = "\n".join(
        f"{partner['organization']} ({partner['role']})" for partner in snapshot.get("partners", [])
    )
    sections = [
        ("Step", "steps", [*STEP_FIELDS, "evidence_refs"]),
        ("Evidence", "evidence", EVIDENCE_FIELDS),
        ("Outcome", "outcomes", OUTCOME_FIELDS),
        ("Lesson", "lessons", LESSON_FIELDS),
    ]
    for title, key, fields in sections:
        for number, item in enumerate(snapshot.get(key, []), start=1):
            for name in fields:
                rows[f"{title} {number}: {_label(name)}"] = _text(item.get(name))
    return rows


def _label(name: str) -> str:
    special = {
        "co2_avoided_t_per_year": "CO₂ avoided (t/yr)",
        "energy_saved_mwh_per_year": "Energy saved (MWh/yr)",
        "waste_diverted_t_per_year": "Waste diverted (t/yr)",
        "doi": "DOI",
        "url": "URL",
        "evidence_refs": "Evidence cited",
        "do_differently": "What they would do differently",
    }
    return special.get(name, name.replace("_usd", " (USD)").replace("_", " ").capitalize())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
