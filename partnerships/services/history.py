"""The history of a partnership: one dated line per change, and who made it.

An event stores what happened as a message: its kind and parameters (names as they were at the
time, status and role codes, field names, ISO dates, amounts as strings). ``describe`` writes
the sentence at read time in the reader's language, from the stored parameters only (no query).
The person's own words (a reason, a review note) stay in ``note``, unchanged. Events written
before messages existed have an empty message and their English sentence in ``note``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext

from cities.taxonomy import term

from ..models import (
    LedgerEntry,
    Partnership,
    PartnershipEvent,
    PartnershipOrganization,
    Project,
    StepProposal,
)


def record(
    partnership: Partnership,
    user,
    action: str,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    message: dict[str, Any] | None = None,
) -> PartnershipEvent:
    return PartnershipEvent.objects.create(
        partnership=partnership,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        message=message or {},
        user=user if user is not None and user.is_authenticated else None,
    )


def record_event(
    partnership: Partnership,
    user,
    action: str,
    *,
    message: dict[str, Any],
    note: str = "",
) -> PartnershipEvent:
    """A change made outside the partnership row (a project, a ledger entry): one line in its
    history, and the partnership counts as updated."""
    Partnership.objects.filter(pk=partnership.pk).update(updated_at=timezone.now())
    return record(partnership, user, action, note=note, message=message)


def who(user, city_name: str) -> dict[str, str]:
    """The person acting for a city, as message parameters."""
    return {"user": user.get_username() if user is not None else "", "city": city_name}


# --- Reading ------------------------------------------------------------------------------------

# Partnership fields an edit can change, by the name stored in ``message["fields"]``.
EDITABLE_FIELDS = ("policy_areas", "reasons", "review_on", "programme")


def describe(event: PartnershipEvent) -> str:
    """The event's sentence in the active language; "" when it has no (known) message."""
    message = event.message or {}
    render = _RENDERERS.get(message.get("kind", ""))
    if render is None:
        return ""
    return render(event, message)


def step_reason(proposal: StepProposal) -> str:
    """Why a step was declined or withdrawn, in the active language: the system's sentence
    for a step it withdrew, else the reason as the person wrote it."""
    message = proposal.reason_message or {}
    if message.get("kind") == "superseded":
        return gettext("The partnership moved to %(status)s first.") % {
            "status": _status(message["status"])
        }
    return proposal.reason


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _status(value: str) -> str:
    return _label(Partnership.Status, value).lower()


def _date(value: str) -> str:
    try:
        day = datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return formats.date_format(day, "DATE_FORMAT")


def _amount(value: str) -> str:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError):
        return str(value)
    places = 0 if amount == amount.to_integral_value() else 2
    return formats.number_format(amount, places, use_l10n=True, force_grouping=True)


def _names(items: Iterable[str]) -> str:
    return gettext(", ").join(items)


def _who(params: dict[str, str]) -> str:
    if not params.get("user"):
        return params.get("city", "")
    return pgettext("history: a person acting for a city", "%(user)s (%(city)s)") % {
        "user": params["user"],
        "city": params.get("city", ""),
    }


def _field(name: str) -> str:
    if name not in EDITABLE_FIELDS:
        return name
    return str(getattr(Partnership._meta.get_field(name), "verbose_name", name))


def _edited(event: PartnershipEvent, m: dict) -> str:
    return gettext("Changed %(fields)s.") % {"fields": _names(_field(f) for f in m["fields"])}


def _joined(event: PartnershipEvent, m: dict) -> str:
    return gettext("%(organization)s joined (%(role)s).") % {
        "organization": m["organization"],
        "role": _label(PartnershipOrganization.Role, m["role"]).lower(),
    }


def _left(event: PartnershipEvent, m: dict) -> str:
    return gettext("%(organization)s left.") % {"organization": m["organization"]}


def _reviewed(event: PartnershipEvent, m: dict) -> str:
    return gettext("Next review %(date)s.") % {"date": _date(m["next_review_on"])}


def _ledger(event: PartnershipEvent, m: dict) -> str:
    params = {"city": m["city"], "kind": _label(LedgerEntry.Kind, m["entry_kind"])}
    gains = m["direction"] == LedgerEntry.Direction.GAINS
    if m.get("amount") is None:
        text = (
            gettext("%(city)s gains: %(kind)s.")
            if gains
            else gettext("%(city)s contributes: %(kind)s.")
        )
        return text % params
    params.update(amount=_amount(m["amount"]), unit=m.get("unit", ""))
    text = (
        gettext("%(city)s gains: %(kind)s, %(amount)s %(unit)s.")
        if gains
        else gettext("%(city)s contributes: %(kind)s, %(amount)s %(unit)s.")
    )
    return text % params


def _project_added(event: PartnershipEvent, m: dict) -> str:
    return gettext("Project “%(project)s” added (%(area)s).") % {
        "project": m["project"],
        "area": term(m["area"]),
    }


def _project_status(event: PartnershipEvent, m: dict) -> str:
    return gettext("Project “%(project)s”: %(status)s.") % {
        "project": m["project"],
        "status": _label(Project.Status, m["status"]).lower(),
    }


def _project_edited(event: PartnershipEvent, m: dict) -> str:
    return gettext("Project “%(project)s” edited.") % {"project": m["project"]}


def _milestone_added(event: PartnershipEvent, m: dict) -> str:
    return gettext("Project “%(project)s”: milestone “%(milestone)s” due %(date)s.") % {
        "project": m["project"],
        "milestone": m["milestone"],
        "date": _date(m["due_on"]),
    }


def _milestone_done(event: PartnershipEvent, m: dict) -> str:
    return gettext("Project “%(project)s”: milestone “%(milestone)s” done.") % {
        "project": m["project"],
        "milestone": m["milestone"],
    }


def _milestone_reopened(event: PartnershipEvent, m: dict) -> str:
    return gettext("Project “%(project)s”: milestone “%(milestone)s” reopened.") % {
        "project": m["project"],
        "milestone": m["milestone"],
    }


def _outcome_recorded(event: PartnershipEvent, m: dict) -> str:
    return gettext("Project “%(project)s”: outcome “%(indicator)s” recorded.") % {
        "project": m["project"],
        "indicator": m["indicator"],
    }


def _project_proposed(event: PartnershipEvent, m: dict) -> str:
    return gettext("Project “%(project)s” proposed to the catalogue as a draft.") % {
        "project": m["project"]
    }


def _outcome(code: str) -> str:
    return gettext("Outcome: %(outcome)s.") % {"outcome": _label(Partnership.Outcome, code).lower()}


def _step_proposed(event: PartnershipEvent, m: dict) -> str:
    return gettext("Proposed by %(proposer)s; waiting for %(city)s.") % {
        "proposer": _who(m["by"]),
        "city": m["waiting"],
    }


def _step_confirmed(event: PartnershipEvent, m: dict) -> str:
    confirmer = m["confirmed_by"]
    if m.get("override"):
        confirmed = gettext("%(user)s (admin override for %(city)s)") % confirmer
    else:
        confirmed = _who(confirmer)
    text = gettext("Proposed by %(proposer)s, confirmed by %(confirmer)s.") % {
        "proposer": _who(m["by"]),
        "confirmer": confirmed,
    }
    if m.get("outcome"):
        text += " " + _outcome(m["outcome"])
    return text


def _step_declined(event: PartnershipEvent, m: dict) -> str:
    return gettext("%(who)s declined moving to %(status)s.") % {
        "who": _who(m["by"]),
        "status": _status(event.to_status),
    }


def _step_withdrawn(event: PartnershipEvent, m: dict) -> str:
    return gettext("Moving to %(status)s withdrawn.") % {"status": _status(event.to_status)}


def _moved(event: PartnershipEvent, m: dict) -> str:
    parts = []
    if m.get("override"):
        parts.append(gettext("Admin override: moved without the cities' confirmation."))
    if m.get("outcome"):
        parts.append(_outcome(m["outcome"]))
    return " ".join(parts)


_RENDERERS: dict[str, Callable[[PartnershipEvent, dict], str]] = {
    "edited": _edited,
    "organization_joined": _joined,
    "organization_left": _left,
    "reviewed": _reviewed,
    "ledger": _ledger,
    "project_added": _project_added,
    "project_status": _project_status,
    "project_edited": _project_edited,
    "milestone_added": _milestone_added,
    "milestone_done": _milestone_done,
    "milestone_reopened": _milestone_reopened,
    "outcome_recorded": _outcome_recorded,
    "project_proposed": _project_proposed,
    "step_proposed": _step_proposed,
    "step_confirmed": _step_confirmed,
    "step_declined": _step_declined,
    "step_withdrawn": _step_withdrawn,
    "moved": _moved,
}
# Every kind a message may have, for tests and the admin.
MESSAGE_KINDS = tuple(_RENDERERS)
