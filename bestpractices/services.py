"""Writes and business rules of the catalogue, and the inputs it gives to scoring.

Every change to a practice goes through here (pages, API, admin, demo loader): it is validated,
written in one transaction, kept as a revision, reindexed for search, and, when published
practices change, announced with ``practices_changed`` once the transaction commits.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, TextField, Value
from django.utils import timezone
from django.utils.text import slugify

from cities.models import City, Organization, PolicyArea, Sector
from cities.permissions import is_curator

from .models import (
    ActionStep,
    BestPractice,
    Evidence,
    Lesson,
    Outcome,
    PracticePartner,
    PracticeRevision,
    StatusChange,
)
from .querysets import SEARCH_CONFIG
from .revisions import (
    EVIDENCE_FIELDS,
    LESSON_FIELDS,
    OUTCOME_FIELDS,
    PRACTICE_FIELDS,
    STEP_FIELDS,
    take_snapshot,
)
from .signals import practices_changed

Status = BestPractice.Status
User = AbstractBaseUser | AnonymousUser
# Slugs the catalogue's own URLs use under /practices/.
RESERVED_SLUGS = {"new"}


@dataclass(frozen=True)
class PracticeInputs:
    """What the scoring engine needs from the catalogue, for every city at once.

    ``counts``: city id → policy-area code → number of published practices (cities and areas
    without one are absent). ``median_cost_usd``: city id → median cost of its published
    practices that state a cost (amount, or midpoint of the range).
    """

    counts: dict[int, dict[str, int]] = field(default_factory=dict)
    median_cost_usd: dict[int, float] = field(default_factory=dict)


def scoring_inputs() -> PracticeInputs:
    """Published-practice counts per city and area, and median costs: two queries in all."""
    through = BestPractice.policy_areas.through
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        through.objects.filter(bestpractice__status=BestPractice.Status.PUBLISHED)
        .values_list("bestpractice__city_id", "policyarea__code")
        .order_by()
    )
    for city_id, code in rows:
        counts[city_id][code] = counts[city_id].get(code, 0) + 1

    costs: dict[int, list[float]] = defaultdict(list)
    for practice in (
        BestPractice.objects.published()
        .filter(~_no_cost())
        .only("city_id", "cost_usd", "cost_min_usd", "cost_max_usd")
        .order_by()
    ):
        costs[practice.city_id].append(practice.cost)
    return PracticeInputs(
        counts=dict(counts),
        median_cost_usd={
            city_id: float(statistics.median(values)) for city_id, values in costs.items()
        },
    )


def practices_in_areas(
    pairs: Iterable[tuple[int, str]],
) -> dict[tuple[int, str], list[tuple[int, str]]]:
    """(city id, area code) → [(practice id, title)] of that city's published practices.

    Every requested pair is a key (an empty list when the city has none in that area); lists
    are ordered by title. One query whatever the number of pairs.
    """
    wanted = {(int(city_id), code) for city_id, code in pairs}
    result: dict[tuple[int, str], list[tuple[int, str]]] = {pair: [] for pair in wanted}
    if not wanted:
        return result
    city_ids = {city_id for city_id, _ in wanted}
    codes = {code for _, code in wanted}
    rows = (
        BestPractice.policy_areas.through.objects.filter(
            bestpractice__status=BestPractice.Status.PUBLISHED,
            bestpractice__city_id__in=city_ids,
            policyarea__code__in=codes,
        )
        .values_list(
            "bestpractice__city_id", "policyarea__code", "bestpractice_id", "bestpractice__title"
        )
        .order_by("bestpractice__title", "bestpractice_id")
    )
    for city_id, code, practice_id, title in rows:
        key = (city_id, code)
        if key in result:
            result[key].append((practice_id, title))
    return result


def _no_cost() -> Q:
    return Q(cost_usd__isnull=True) & (Q(cost_min_usd__isnull=True) | Q(cost_max_usd__isnull=True))


# --- Permissions ------------------------------------------------------------------------------


def can_view(user: User, practice: BestPractice) -> bool:
    """Published practices are public; authors see their own; curators see all."""
    if practice.status == Status.PUBLISHED or is_curator(user):
        return True
    return bool(user.is_authenticated and practice.author_id == user.pk)


def can_edit(user: User, practice: BestPractice) -> bool:
    """Its author while it is a draft; curators at any time. Deleting follows the same rule."""
    if is_curator(user):
        return True
    return bool(
        user.is_authenticated and practice.author_id == user.pk and practice.status == Status.DRAFT
    )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- Content: create, edit, delete -------------------------------------------------------------


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


EDITABLE_FIELDS = frozenset([*PRACTICE_FIELDS, "city"])


def create_practice(*, user: User, content: PracticeContent) -> BestPractice:
    """A new practice by a signed-in user; it starts as a draft that only its author sees."""
    _require(user.is_authenticated, "Sign in to submit a practice.")
    practice = BestPractice(author=user, status=Status.DRAFT)
    with transaction.atomic():
        _apply_fields(practice, content.fields)
        practice.slug = _unique_slug(practice.title)
        content.policy_areas = content.policy_areas or []
        for name in ("sectors", "partners", "steps", "evidence", "outcomes", "lessons"):
            if getattr(content, name) is None:
                setattr(content, name, [])
        _validate(practice, content)
        practice.save()
        _write_related(practice, content)
        refresh_search_vector(practice)
        _record_revision(practice, user=user, summary="Created")
    return practice


def update_practice(
    *, practice: BestPractice, user: User, content: PracticeContent, summary: str = "Edited"
) -> BestPractice:
    """Change a practice; a published practice's change reaches scoring after commit."""
    with transaction.atomic():
        practice = _locked(practice)
        _require(can_edit(user, practice), "Only its author (while a draft) and curators may edit.")
        old_city_id = practice.city_id
        _apply_fields(practice, content.fields)
        _validate(practice, content)
        practice.save()
        _write_related(practice, content)
        refresh_search_vector(practice)
        _record_revision(practice, user=user, summary=summary)
        if practice.status == Status.PUBLISHED:
            _announce([old_city_id, practice.city_id])
    return practice


def delete_practice(*, practice: BestPractice, user: User) -> None:
    with transaction.atomic():
        practice = _locked(practice)
        _require(
            can_edit(user, practice), "Only its author (while a draft) and curators may delete."
        )
        if practice.status == Status.PUBLISHED:
            _announce([practice.city_id])
        practice.delete()


def record_admin_save(
    *, practice: BestPractice, user: User, created: bool, old_city_id: int | None = None
) -> None:
    """The admin site saved a practice and its rows with its own forms (each row validated
    there); keep what the services keep for every change: the search vector, a revision and,
    for a published practice, the news for scoring."""
    with transaction.atomic():
        if created and practice.author_id is None:
            practice.author = user
            practice.save(update_fields=["author"])
        refresh_search_vector(practice)
        _record_revision(
            practice,
            user=user,
            summary="Created in the admin" if created else "Edited in the admin",
        )
        if practice.status == Status.PUBLISHED:
            _announce([practice.city_id, old_city_id or practice.city_id])


def _locked(practice: BestPractice) -> BestPractice:
    # One writer at a time per practice: revision numbers and status moves stay in order.
    return BestPractice.objects.select_for_update().get(pk=practice.pk)


def _apply_fields(practice: BestPractice, fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not fields a practice's author writes: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(practice, name, value)


def _unique_slug(title: str) -> str:
    base = slugify(title)[:200] or "practice"
    if base in RESERVED_SLUGS:
        base = f"{base}-practice"
    slug, number = base, 2
    while BestPractice.objects.filter(slug=slug).exists():
        slug = f"{base}-{number}"
        number += 1
    return slug


ROW_MODELS: dict[str, tuple[type, list[str], str]] = {
    "steps": (ActionStep, STEP_FIELDS, "step"),
    "evidence": (Evidence, EVIDENCE_FIELDS, "evidence"),
    "outcomes": (Outcome, OUTCOME_FIELDS, "outcome"),
    "lessons": (Lesson, LESSON_FIELDS, "lesson"),
}


def _validate(practice: BestPractice, content: PracticeContent) -> None:
    """Every problem at once, each naming its field (and row): nothing is written on error."""
    errors: dict[str, list[str]] = defaultdict(list)
    try:
        practice.full_clean(exclude=["author"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors[name].extend(messages)
    if content.policy_areas is not None and not content.policy_areas:
        errors["policy_areas"].append("Choose at least one policy area.")
    if content.partners is not None:
        seen: set[int] = set()
        for organization, role in content.partners:
            if organization.pk in seen:
                errors["partners"].append(f"{organization.name} is listed twice.")
            seen.add(organization.pk)
            if role not in PracticePartner.Role.values:
                errors["partners"].append(f"{organization.name}: unknown role {role!r}.")
    for key, (model, names, label) in ROW_MODELS.items():
        for number, row in enumerate(getattr(content, key) or [], start=1):
            instance = model(**{name: row.get(name) for name in names if name in row})
            for name in names:
                if name not in row:
                    setattr(instance, name, model._meta.get_field(name).get_default())
            try:
                instance.full_clean(exclude=["practice"])
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors[key].extend(f"{label} {number}, {name}: {text}" for text in messages)
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
                        f"step {number}, evidence: there is no evidence item {ref} "
                        f"(the practice has {evidence_count})."
                    )
    if errors:
        raise ValidationError(dict(errors))


def _write_related(practice: BestPractice, content: PracticeContent) -> None:
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
            model.objects.bulk_create(
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


def refresh_search_vector(practice: BestPractice) -> None:
    """Weighted vector: A title, B summary, C body, steps and lessons (PostgreSQL only)."""
    if not settings.USING_POSTGRES:
        return
    from django.contrib.postgres.search import SearchVector

    steps = practice.steps.values_list("title", "detail")
    lessons = practice.lessons.values_list("what_went_wrong", "do_differently")
    rest = "\n".join(
        [practice.body, *(" ".join(pair) for pair in steps), *(" ".join(pair) for pair in lessons)]
    )

    def vector(text: str, weight: str) -> SearchVector:
        return SearchVector(
            Value(text, output_field=TextField()), weight=weight, config=SEARCH_CONFIG
        )

    BestPractice.objects.filter(pk=practice.pk).update(
        search_vector=vector(practice.title, "A")
        + vector(practice.summary, "B")
        + vector(rest, "C")
    )


def _record_revision(practice: BestPractice, *, user: User, summary: str) -> PracticeRevision:
    last = practice.revisions.aggregate(number=Max("number"))["number"] or 0
    return PracticeRevision.objects.create(
        practice=practice,
        number=last + 1,
        snapshot=take_snapshot(practice),
        summary=summary[:300],
        author=user if user.is_authenticated else None,
    )


# While ``announcing_once()`` is active, the cities whose practices changed are gathered here.
_pending_announcement: ContextVar[set[int] | None] = ContextVar(
    "pending_practices_changed", default=None
)


@contextmanager
def announcing_once() -> Iterator[None]:
    """Changes inside the block (a bulk action, the demo loader) are announced once, with
    every city, after commit, instead of once per practice."""
    if _pending_announcement.get() is not None:
        yield
        return
    token = _pending_announcement.set(set())
    try:
        yield
    finally:
        # Also after an error: changes that were committed must still reach scoring (inside a
        # transaction that rolls back, the callback is dropped with it).
        city_ids = _pending_announcement.get() or set()
        _pending_announcement.reset(token)
        if city_ids:
            _announce(city_ids)


def _announce(city_ids: Iterable[int]) -> None:
    ids = sorted(set(city_ids))
    pending = _pending_announcement.get()
    if pending is not None:
        pending.update(ids)
        return
    transaction.on_commit(lambda: practices_changed.send(sender=BestPractice, city_ids=ids))


# --- Curation ---------------------------------------------------------------------------------


class WorkflowError(Exception):
    """A curation step the practice's current status does not allow."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class ChecklistIncomplete(WorkflowError):
    """Publishing was refused; ``missing`` names every item of the checklist still open."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(
            "This practice cannot be published until it has: " + "; ".join(missing) + "."
        )


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool


def checklist(practice: BestPractice) -> list[ChecklistItem]:
    """What a curator checks before publishing (reads prefetched rows when there are some)."""
    outcomes = list(practice.outcomes.all())
    return [
        ChecklistItem(
            "evidence",
            "evidence of local impact (a report, paper or data set)",
            bool(list(practice.evidence.all())),
        ),
        ChecklistItem(
            "outcome",
            "at least one outcome with a measured figure",
            any(outcome.result is not None for outcome in outcomes),
        ),
        ChecklistItem("steps", "action steps", bool(list(practice.steps.all()))),
        ChecklistItem(
            "lessons", "challenges and mistakes stated", bool(list(practice.lessons.all()))
        ),
        ChecklistItem(
            "transferability",
            "transferability stated (population range, capacity, budget or preconditions)",
            practice.has_transferability,
        ),
    ]


def missing_for_publication(practice: BestPractice) -> list[str]:
    return [item.label for item in checklist(practice) if not item.done]


def submit_practice(*, practice: BestPractice, user: User, comment: str = "") -> BestPractice:
    """The author asks the curators to review a draft."""
    with transaction.atomic():
        practice = _locked(practice)
        _require(
            is_curator(user) or (user.is_authenticated and practice.author_id == user.pk),
            "Only its author may submit a practice.",
        )
        _check_from(practice, {Status.DRAFT}, "submitted")
        return _move(practice, user=user, to=Status.SUBMITTED, comment=comment)


def publish_practice(*, practice: BestPractice, user: User, comment: str = "") -> BestPractice:
    """A curator publishes a complete practice: it becomes public and counts in scoring."""
    with transaction.atomic():
        practice = _locked(practice)
        _require(is_curator(user), "Only curators may publish.")
        _check_from(practice, {Status.DRAFT, Status.SUBMITTED, Status.ARCHIVED}, "published")
        missing = missing_for_publication(practice)
        if missing:
            raise ChecklistIncomplete(missing)
        practice.published_at = timezone.now()
        return _move(practice, user=user, to=Status.PUBLISHED, comment=comment)


def send_back_practice(*, practice: BestPractice, user: User, comment: str) -> BestPractice:
    """A curator returns a practice to its author as a draft, saying what to change."""
    if not comment.strip():
        raise ValidationError({"comment": "Say what the author should change."})
    with transaction.atomic():
        practice = _locked(practice)
        _require(is_curator(user), "Only curators may send a practice back.")
        _check_from(practice, {Status.SUBMITTED, Status.PUBLISHED}, "sent back")
        return _move(practice, user=user, to=Status.DRAFT, comment=comment)


def archive_practice(*, practice: BestPractice, user: User, comment: str = "") -> BestPractice:
    """A curator withdraws a practice from the catalogue (and from scoring)."""
    with transaction.atomic():
        practice = _locked(practice)
        _require(is_curator(user), "Only curators may archive.")
        _check_from(practice, {Status.DRAFT, Status.SUBMITTED, Status.PUBLISHED}, "archived")
        return _move(practice, user=user, to=Status.ARCHIVED, comment=comment)


def _check_from(practice: BestPractice, allowed: set[str], verb: str) -> None:
    if practice.status not in allowed:
        raise WorkflowError(
            f"A practice that is {practice.get_status_display().lower()} cannot be {verb}."
        )


SUMMARIES = {
    Status.SUBMITTED: "Submitted for review",
    Status.PUBLISHED: "Published",
    Status.DRAFT: "Sent back",
    Status.ARCHIVED: "Archived",
}


def _move(practice: BestPractice, *, user: User, to: str, comment: str) -> BestPractice:
    was_published = practice.status == Status.PUBLISHED
    StatusChange.objects.create(
        practice=practice,
        from_status=practice.status,
        to_status=to,
        user=user if user.is_authenticated else None,
        comment=comment.strip(),
    )
    practice.status = to
    practice.save(update_fields=["status", "published_at", "updated_at"])
    summary = SUMMARIES[to] + (f": {comment.strip()}" if comment.strip() else "")
    _record_revision(practice, user=user, summary=summary)
    if was_published or to == Status.PUBLISHED:
        _announce([practice.city_id])
    return practice


# --- Revisions --------------------------------------------------------------------------------


def restore_revision(*, revision: PracticeRevision, user: User) -> BestPractice:
    """A curator brings back an earlier content; the restore is itself a new revision.

    The status is not part of what is restored (that is the curation workflow's business); a
    published practice cannot be restored to content that fails the checklist.
    """
    _require(is_curator(user), "Only curators may restore a revision.")
    content = content_from_snapshot(revision.snapshot)
    with transaction.atomic():
        practice = update_practice(
            practice=revision.practice,
            user=user,
            content=content,
            summary=f"Restored revision {revision.number}",
        )
        if practice.status == Status.PUBLISHED:
            missing = missing_for_publication(practice)
            if missing:
                raise ChecklistIncomplete(missing)
    return practice


def content_from_snapshot(snapshot: dict[str, Any]) -> PracticeContent:
    city = City.objects.filter(pk=(snapshot.get("city") or {}).get("id")).first()
    if city is None:
        raise ValidationError({"city": "The city of that revision no longer exists."})
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
