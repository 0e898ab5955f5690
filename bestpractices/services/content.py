"""What an author writes (``PracticeContent``), how it is checked, and how it lands in rows.

Nothing here opens a transaction or checks who is writing: ``editing`` does both and calls these
in order (apply the fields, validate, save, write the rows).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Field, Model
from django.utils.text import slugify
from django.utils.translation import gettext, pgettext, pgettext_lazy

from cities.models import City, Organization, PolicyArea, Sector

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from ..models import (
    ActionStep,
    BestPractice,
    Evidence,
    Lesson,
    Outcome,
    PracticePartner,
)
from ..revisions import (
    EVIDENCE_FIELDS,
    LESSON_FIELDS,
    OUTCOME_FIELDS,
    PRACTICE_FIELDS,
    STEP_FIELDS,
    take_snapshot,
)

# Slugs the catalogue's own URLs use under /practices/.
RESERVED_SLUGS = {"new"}


@dataclass
class PracticeContent:
    """What an author writes. ``None`` for a list means "leave it as it is" when editing.

    ``fields`` holds the practice's own fields (``PRACTICE_FIELDS`` plus ``city``). Step
    dictionaries cite evidence with ``evidence_refs``: numbers (from 1) of items in the
    evidence list, as the practice page numbers them.
    """

    fields: dict[str, Any] = field(default_factory=dict)
    policy_areas: list[PolicyArea] | None = None
    sectors: list[Sector] | None = None
    partners: list[tuple[Organization, str]] | None = None
    steps: list[dict[str, Any]] | None = None
    evidence: list[dict[str, Any]] | None = None
    outcomes: list[dict[str, Any]] | None = None
    lessons: list[dict[str, Any]] | None = None


EDITABLE_FIELDS = frozenset([*PRACTICE_FIELDS, "city", "language"])

# Each list of rows in the content: its model, the fields an author writes, and the word that
# names one row in an error message.
ROW_MODELS: dict[str, tuple[type[Model], list[str], StrOrPromise]] = {
    "steps": (ActionStep, STEP_FIELDS, pgettext_lazy("row of a practice", "step")),
    "evidence": (Evidence, EVIDENCE_FIELDS, pgettext_lazy("row of a practice", "evidence")),
    "outcomes": (Outcome, OUTCOME_FIELDS, pgettext_lazy("row of a practice", "outcome")),
    "lessons": (Lesson, LESSON_FIELDS, pgettext_lazy("row of a practice", "lesson")),
}


def apply_fields(practice: BestPractice, fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not fields a practice's author writes: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(practice, name, value)


def _row_error(label: StrOrPromise, number: int, name: str, text: str) -> str:
    """``step 2, title: This field cannot be blank.`` (the field by its API name)."""
    return gettext("%(row)s %(number)s, %(field)s: %(message)s") % {
        "row": label,
        "number": number,
        "field": name,
        "message": text,
    }


def unique_slug(title: str) -> str:
    base = slugify(title)[:200] or "practice"
    if base in RESERVED_SLUGS:
        base = f"{base}-practice"
    slug, number = base, 2
    while BestPractice.objects.filter(slug=slug).exists():
        slug = f"{base}-{number}"
        number += 1
    return slug


def validate_content(practice: BestPractice, content: PracticeContent) -> None:
    """Every problem at once, each naming its field (and row): nothing is written on error."""
    errors: dict[str, list[str]] = defaultdict(list)
    try:
        practice.full_clean(exclude=["author"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors[name].extend(messages)
    if content.policy_areas is not None and not content.policy_areas:
        errors["policy_areas"].append(gettext("Choose at least one policy area."))
    if content.partners is not None:
        seen: set[int] = set()
        for organization, role in content.partners:
            if organization.pk in seen:
                errors["partners"].append(
                    gettext("%(organization)s is listed twice.")
                    % {"organization": organization.name}
                )
            seen.add(organization.pk)
            if role not in PracticePartner.Role.values:
                errors["partners"].append(
                    gettext("%(organization)s: unknown role %(role)s.")
                    % {"organization": organization.name, "role": repr(role)}
                )
    for key, (model, names, label) in ROW_MODELS.items():
        for number, row in enumerate(getattr(content, key) or [], start=1):
            instance = model(**{name: row.get(name) for name in names if name in row})
            for name in names:
                if name not in row:
                    setattr(instance, name, _column_default(model, name))
            try:
                instance.full_clean(exclude=["practice"])
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors[key].extend(_row_error(label, number, name, text) for text in messages)
            else:
                # clean() normalises (a DOI given as a link becomes the bare DOI).
                row.update({name: getattr(instance, name) for name in names})
    if content.steps is not None:
        evidence_count = (
            len(content.evidence)
            if content.evidence is not None
            else (practice.evidence.count() if practice.pk else 0)
        )
        for number, step in enumerate(content.steps, start=1):
            for ref in step.get("evidence_refs") or []:
                if not isinstance(ref, int) or not 1 <= ref <= evidence_count:
                    errors["steps"].append(
                        _row_error(
                            pgettext("row of a practice", "step"),
                            number,
                            "evidence",
                            gettext(
                                "there is no evidence item %(number)s (the practice has %(count)s)."
                            )
                            % {"number": ref, "count": evidence_count},
                        )
                    )
    if errors:
        raise ValidationError(dict(errors))


def _column_default(model: type[Model], name: str) -> Any:
    column = model._meta.get_field(name)
    # The fields of a row are its own columns, never relations, so there is always a default.
    return column.get_default() if isinstance(column, Field) else None


def write_rows(practice: BestPractice, content: PracticeContent) -> None:
    """The practice's areas, sectors, partners and rows, each list given replacing the stored
    one; a list left as ``None`` is not touched."""
    if content.policy_areas is not None:
        practice.policy_areas.set(content.policy_areas)
    if content.sectors is not None:
        practice.sectors.set(content.sectors)
    if content.partners is not None:
        practice.partner_links.all().delete()
        PracticePartner.objects.bulk_create(
            PracticePartner(practice=practice, organization=organization, role=role)
            for organization, role in content.partners
        )
    for key in ("outcomes", "lessons"):
        rows = getattr(content, key)
        if rows is not None:
            model, names, _ = ROW_MODELS[key]
            getattr(practice, key).all().delete()
            model._default_manager.bulk_create(
                model(practice=practice, position=number, **_pick(row, names))
                for number, row in enumerate(rows, start=1)
            )
    if content.steps is None and content.evidence is None:
        return
    # Steps cite evidence by number, so the two lists are rewritten together.
    if content.steps is None or content.evidence is None:
        current = take_snapshot(practice)
        steps = content.steps if content.steps is not None else current["steps"]
        evidence = content.evidence if content.evidence is not None else current["evidence"]
    else:
        steps, evidence = content.steps, content.evidence
    practice.steps.all().delete()
    practice.evidence.all().delete()
    sources = Evidence.objects.bulk_create(
        Evidence(practice=practice, position=number, **_pick(row, EVIDENCE_FIELDS))
        for number, row in enumerate(evidence, start=1)
    )
    created_steps = ActionStep.objects.bulk_create(
        ActionStep(practice=practice, position=number, **_pick(row, STEP_FIELDS))
        for number, row in enumerate(steps, start=1)
    )
    ActionStep.evidence.through.objects.bulk_create(
        ActionStep.evidence.through(actionstep_id=step.pk, evidence_id=sources[ref - 1].pk)
        for step, row in zip(created_steps, steps, strict=True)
        for ref in sorted(set(row.get("evidence_refs") or []))
        if 1 <= ref <= len(sources)
    )


def _pick(row: dict[str, Any], names: list[str]) -> dict[str, Any]:
    picked = {name: row[name] for name in names if name in row}
    return {
        name: value.strip() if isinstance(value, str) else value for name, value in picked.items()
    }


def content_from_snapshot(snapshot: dict[str, Any]) -> PracticeContent:
    """A revision's snapshot as content to write again. Partners whose organization was
    deleted since are left out; a deleted city cannot be replaced, so it is an error."""
    city_id = (snapshot.get("city") or {}).get("id")
    city = City.objects.filter(pk=city_id).first() if city_id is not None else None
    if city is None:
        raise ValidationError({"city": gettext("The city of that revision no longer exists.")})
    organizations = Organization.objects.in_bulk(
        [partner["organization_id"] for partner in snapshot.get("partners", [])]
    )
    return PracticeContent(
        fields={**{name: snapshot.get(name) for name in PRACTICE_FIELDS}, "city": city},
        policy_areas=list(PolicyArea.objects.filter(code__in=snapshot.get("policy_areas", []))),
        sectors=list(Sector.objects.filter(code__in=snapshot.get("sectors", []))),
        partners=[
            (organizations[partner["organization_id"]], partner["role"])
            for partner in snapshot.get("partners", [])
            if partner["organization_id"] in organizations
        ],
        steps=[dict(step) for step in snapshot.get("steps", [])],
        evidence=[dict(item) for item in snapshot.get("evidence", [])],
        outcomes=[dict(item) for item in snapshot.get("outcomes", [])],
        lessons=[dict(item) for item in snapshot.get("lessons", [])],
    )
