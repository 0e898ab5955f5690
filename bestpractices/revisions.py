"""Snapshots of a practice (with its steps, evidence, outcomes, lessons) and readable diffs.

A snapshot is plain JSON, so a revision still reads the same after the models change; restoring
turns it back into the content the services write (``PracticeContent``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop, pgettext

from .models import ActionStep, BestPractice, Evidence, Lesson, Outcome

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
    status = snapshot.get("status")
    rows: dict[str, str] = {
        gettext("Status"): _text(
            BestPractice.Status(status).label if status in BestPractice.Status.values else status
        ),
        gettext("City"): _text((snapshot.get("city") or {}).get("name")),
        gettext("Policy areas"): ", ".join(snapshot.get("policy_areas", [])),
        gettext("Sectors"): ", ".join(snapshot.get("sectors", [])),
    }
    for name in PRACTICE_FIELDS:
        rows[_label(BestPractice, name)] = _text(snapshot.get(name))
    rows[gettext("Partners")] = "\n".join(
        f"{partner['organization']} ({partner['role']})" for partner in snapshot.get("partners", [])
    )
    sections: list[tuple[str, str, type[Model], list[str]]] = [
        (pgettext("row of a practice", "Step"), "steps", ActionStep, STEP_FIELDS),
        (pgettext("row of a practice", "Evidence"), "evidence", Evidence, EVIDENCE_FIELDS),
        (pgettext("row of a practice", "Outcome"), "outcomes", Outcome, OUTCOME_FIELDS),
        (pgettext("row of a practice", "Lesson"), "lessons", Lesson, LESSON_FIELDS),
    ]
    for title, key, model, fields in sections:
        names = [*fields, "evidence_refs"] if key == "steps" else fields
        for number, item in enumerate(snapshot.get(key, []), start=1):
            for name in names:
                label = gettext("%(row)s %(number)s: %(field)s") % {
                    "row": title,
                    "number": number,
                    "field": _label(model, name),
                }
                rows[label] = _text(item.get(name))
    return rows


def _label(model: type[Model], name: str) -> str:
    """A field's name for a person, in the active language (the model's verbose name)."""
    if name == "evidence_refs":
        return gettext("Evidence cited")
    field = model._meta.get_field(name)
    return capfirst(str(getattr(field, "verbose_name", name)))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# What a revision says of itself, stored in English and shown in the reader's language; a
# workflow move adds the curator's comment after a colon ("Sent back: add the costs").
SUMMARIES = frozenset(
    [
        gettext_noop("Created"),
        gettext_noop("Edited"),
        gettext_noop("Created in the admin"),
        gettext_noop("Edited in the admin"),
        gettext_noop("Submitted for review"),
        gettext_noop("Published"),
        gettext_noop("Sent back"),
        gettext_noop("Archived"),
    ]
)
RESTORED = re.compile(r"^Restored revision (\d+)$")
# What the history records before the comment of an admin who published their own practice.
ADMIN_OVERRIDE = gettext_noop("Admin override: published by its own author.")


def restored_summary(number: int) -> str:
    return f"Restored revision {number}"


def readable_summary(summary: str) -> str:
    """A stored revision summary in the active language (a comment stays as written)."""
    head, colon, comment = summary.partition(": ")
    if head in SUMMARIES:
        return gettext(head) + (gettext(": ") + readable_comment(comment) if colon else "")
    restored = RESTORED.match(summary)
    if restored:
        return gettext("Restored revision %(number)s") % {"number": restored.group(1)}
    return summary


def readable_comment(comment: str) -> str:
    """A curation comment as written, the words the workflow adds in the reader's language."""
    if comment.startswith(ADMIN_OVERRIDE):
        return gettext(ADMIN_OVERRIDE) + comment[len(ADMIN_OVERRIDE) :]
    return comment
