"""Projects inside a partnership: start with one or two, measure them, share what was learnt.

A project's outcomes and lessons become a draft for the catalogue in one step
(``propose_to_catalogue``): the catalogue's own services write it, as the user, so the draft
follows the catalogue's rules and curation workflow like any other submission.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from bestpractices.models import BestPractice, PracticePartner
from bestpractices.services import PracticeContent, create_practice
from cities.models import City, PolicyArea

from ..models import (
    Milestone,
    Partnership,
    PartnershipEvent,
    PartnershipOrganization,
    Project,
    ProjectFigure,
)
from ..permissions import require, require_partnership_editor
from .history import record_event

Event = PartnershipEvent.Action
# The fields a project's editors write through ``save_project``.
PROJECT_FIELDS = (
    "title",
    "policy_area",
    "practice",
    "summary",
    "budget_usd",
    "funding_source",
    "status",
    "outcomes",
    "lessons",
)
# How a partnership's supporting organizations appear among a practice's partners.
PARTNER_ROLES: dict[str, PracticePartner.Role] = {
    PartnershipOrganization.Role.FUNDING: PracticePartner.Role.FUNDER,
    PartnershipOrganization.Role.TECHNICAL: PracticePartner.Role.TECHNICAL,
    PartnershipOrganization.Role.PRIVATE: PracticePartner.Role.PRIVATE,
    PartnershipOrganization.Role.NETWORK: PracticePartner.Role.NETWORK,
}
SUMMARY_MAX = 1000


def _validate(project: Project) -> None:
    errors: dict[str, list[str]] = {}
    try:
        project.full_clean(exclude=["partnership", "practice_draft"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if project.practice is not None and project.practice.status != BestPractice.Status.PUBLISHED:
        errors.setdefault("practice", []).append(_("Link a published best practice."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_project(
    *,
    user,
    partnership: Partnership,
    fields: dict[str, Any],
    project: Project | None = None,
) -> Project:
    """Create a project in the partnership (``project=None``) or change one of its projects."""
    require_partnership_editor(user, partnership)
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise ValueError(f"Not fields of a project: {', '.join(sorted(unknown))}")
    creating = project is None
    if project is None:
        if partnership.is_closed:
            raise ValidationError(
                {"partnership": _("A concluded or ended partnership takes no new projects.")}
            )
        project = Project(partnership=partnership)
    elif project.partnership_id != partnership.pk:
        raise ValidationError({"project": _("This project belongs to another partnership.")})
    # A ModelForm may already have written the new values on the instance: compare with the row.
    old_status = (
        Project.objects.filter(pk=project.pk).values_list("status", flat=True).first()
        if project.pk
        else None
    )
    for name, value in fields.items():
        setattr(project, name, value.strip() if isinstance(value, str) else value)
    _validate(project)
    project.save()
    message: dict[str, Any] = {"project": project.title}
    if creating:
        message.update(kind="project_added", area=project.policy_area.name)
    elif project.status != old_status:
        message.update(kind="project_status", status=project.status)
    else:
        message.update(kind="project_edited")
    record_event(partnership, user, Event.PROJECT, message=message)
    return project


@transaction.atomic
def add_milestone(*, user, project: Project, title: str, due_on: datetime.date) -> Milestone:
    require_partnership_editor(user, project.partnership)
    milestone = Milestone(project=project, title=title.strip(), due_on=due_on)
    milestone.full_clean()
    milestone.save()
    record_event(
        project.partnership,
        user,
        Event.PROJECT,
        message={
            "kind": "milestone_added",
            "project": project.title,
            "milestone": milestone.title,
            "due_on": due_on.isoformat(),
        },
    )
    return milestone


@transaction.atomic
def set_milestone_done(*, user, milestone: Milestone, done: bool) -> Milestone:
    project = milestone.project
    require_partnership_editor(user, project.partnership)
    if milestone.done == done:
        return milestone
    milestone.done = done
    milestone.done_on = timezone.localdate() if done else None
    milestone.save(update_fields=["done", "done_on"])
    record_event(
        project.partnership,
        user,
        Event.PROJECT,
        message={
            "kind": "milestone_done" if done else "milestone_reopened",
            "project": project.title,
            "milestone": milestone.title,
        },
    )
    return milestone


@transaction.atomic
def add_figure(
    *,
    user,
    project: Project,
    indicator: str,
    baseline: float | None = None,
    result: float | None = None,
    unit: str = "",
    year: int | None = None,
) -> ProjectFigure:
    """A measured outcome: indicator, baseline and result in a unit, and the year measured."""
    require_partnership_editor(user, project.partnership)
    figure = ProjectFigure(
        project=project,
        indicator=indicator.strip(),
        baseline=baseline,
        result=result,
        unit=unit.strip(),
        year=year,
    )
    figure.full_clean()
    if baseline is None and result is None:
        raise ValidationError({"result": _("Give the result (and the baseline, if known).")})
    figure.save()
    record_event(
        project.partnership,
        user,
        Event.PROJECT,
        message={
            "kind": "outcome_recorded",
            "project": project.title,
            "indicator": figure.indicator,
        },
    )
    return figure


# --- From project to catalogue ----------------------------------------------------------------


@transaction.atomic
def propose_to_catalogue(*, user, project: Project, city: City | None = None) -> BestPractice:
    """A DRAFT best practice from the project, written by the catalogue's services as the user.

    Prefilled: title, summary, the story (partners, budget, outcomes), the policy area, the
    measured outcomes, the lessons (one per paragraph) and the supporting organizations. The
    implementing city is the recipient unless another of the two is given. Once per project.
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    partnership = project.partnership
    require_partnership_editor(user, partnership)
    if project.practice_draft_id:
        raise ValidationError({"project": _("This project was already proposed to the catalogue.")})
    city = city or partnership.recipient
    require(city.pk in partnership.city_ids, _("The practice belongs to one of the two cities."))
    figures = list(project.figures.all())
    if not project.outcomes.strip() and not figures:
        raise ValidationError(
            {
                "outcomes": _(
                    "Record the project's outcomes first: they are what the catalogue shares."
                )
            }
        )
    content = PracticeContent(
        fields={
            "title": project.title,
            "summary": _summary(project),
            "body": _story(project, partnership),
            "city": city,
            "scale": BestPractice.Scale.PILOT,
            "start_year": project.created_at.year,
            "cost_usd": project.budget_usd,
            "funding_sources": project.funding_source,
        },
        policy_areas=[project.policy_area],
        partners=[
            (link.organization, PARTNER_ROLES[link.role])
            for link in partnership.organization_links.select_related("organization")
        ],
        outcomes=[
            {
                "indicator": figure.indicator,
                "baseline": figure.baseline,
                "result": figure.result,
                "unit": figure.unit,
                "year": figure.year,
            }
            for figure in figures
        ],
        lessons=[{"what_went_wrong": text, "do_differently": ""} for text in _paragraphs(project)],
    )
    practice = create_practice(user=user, content=content)
    project.practice_draft = practice
    project.save(update_fields=["practice_draft", "updated_at"])
    record_event(
        partnership,
        user,
        Event.PROJECT,
        message={"kind": "project_proposed", "project": project.title},
    )
    return practice


def _summary(project: Project) -> str:
    text = project.summary.strip() or project.outcomes.strip()
    if len(text) <= SUMMARY_MAX:
        return text
    return text[: SUMMARY_MAX - 1].rsplit(" ", 1)[0] + "…"


def _story(project: Project, partnership: Partnership) -> str:
    """The practice's body in Markdown: who did it with whom, how it was paid, what it gave."""
    lines = [
        _(
            "%(recipient)s carried out this project with %(donor)s in their city-to-city partnership."
        )
        % {"recipient": partnership.recipient.name, "donor": partnership.donor.name},
    ]
    if project.practice is not None:
        lines.append(_("It followed the practice “%(title)s”.") % {"title": project.practice.title})
    if project.budget_usd is not None:
        budget = number_format(project.budget_usd, force_grouping=True)
        if project.funding_source:
            lines.append(
                _("Budget: USD %(budget)s, funded by %(source)s.")
                % {"budget": budget, "source": project.funding_source}
            )
        else:
            lines.append(_("Budget: USD %(budget)s.") % {"budget": budget})
    parts = [" ".join(lines)]
    if project.summary.strip():
        parts.append(project.summary.strip())
    if project.outcomes.strip():
        parts.append("## " + _("Outcomes") + "\n\n" + project.outcomes.strip())
    return "\n\n".join(parts)


def _paragraphs(project: Project) -> list[str]:
    return [part.strip() for part in re.split(r"\n\s*\n", project.lessons) if part.strip()]


def area_choices_for(partnership: Partnership) -> list[PolicyArea]:
    """The partnership's areas first, then the others (a project may open a new area)."""
    chosen = list(partnership.policy_areas.all())
    chosen_ids = {area.pk for area in chosen}
    return chosen + [area for area in PolicyArea.objects.all() if area.pk not in chosen_ids]
