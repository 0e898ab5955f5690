"""One history event of every kind, as the services store them, for the page and message tests."""

from __future__ import annotations

from partnerships.models import Partnership, PartnershipEvent
from partnerships.services.history import MESSAGE_KINDS

PROJECT = "Composting at the wet market"
MILESTONE = "Buy the bins"
INDICATOR = "Waste composted"
ORGANIZATION = "Green Cities Fund"
REVIEW_NOTE = "The council renewed the agreement."
DECLINE_REASON = "Our budget closes in March."
STEP_NOTE = "Ready for three more markets."
STATUS_REASON = "Elections: the council pauses every agreement."
UNIT = "engineer-days"
# The person's own words and the names as given: what may stay in English on every page.
USER_DATA = [
    PROJECT,
    MILESTONE,
    INDICATOR,
    ORGANIZATION,
    REVIEW_NOTE,
    DECLINE_REASON,
    STEP_NOTE,
    STATUS_REASON,
    UNIT,
]


def history(donor: str, recipient: str, username: str) -> list[dict]:
    """``PartnershipEvent`` fields of one event per message kind (and one without message)."""
    by = {"user": username, "city": donor}
    answer = {"user": username, "city": recipient}
    project = {"project": PROJECT}
    milestone = {"project": PROJECT, "milestone": MILESTONE}
    Action = PartnershipEvent.Action
    events = [
        {"action": Action.EDITED, "message": {"kind": "edited", "fields": ["policy_areas"]}},
        {
            "action": Action.ORGANIZATION,
            "message": {
                "kind": "organization_joined",
                "organization": ORGANIZATION,
                "role": "funding",
            },
        },
        {
            "action": Action.ORGANIZATION,
            "message": {"kind": "organization_left", "organization": ORGANIZATION},
        },
        {
            "action": Action.REVIEWED,
            "note": REVIEW_NOTE,
            "message": {"kind": "reviewed", "next_review_on": "2027-03-03"},
        },
        {
            "action": Action.LEDGER,
            "message": {
                "kind": "ledger",
                "city": donor,
                "direction": "contributes",
                "entry_kind": "staff_days",
                "amount": "1200.50",
                "unit": UNIT,
            },
        },
        {
            "action": Action.LEDGER,
            "message": {
                "kind": "ledger",
                "city": recipient,
                "direction": "gains",
                "entry_kind": "know_how",
                "amount": None,
                "unit": "",
            },
        },
        {
            "action": Action.PROJECT,
            "message": {"kind": "project_added", "area": "Waste", **project},
        },
        {
            "action": Action.PROJECT,
            "message": {"kind": "project_status", "status": "running", **project},
        },
        {"action": Action.PROJECT, "message": {"kind": "project_edited", **project}},
        {
            "action": Action.PROJECT,
            "message": {"kind": "milestone_added", "due_on": "2027-03-03", **milestone},
        },
        {"action": Action.PROJECT, "message": {"kind": "milestone_done", **milestone}},
        {"action": Action.PROJECT, "message": {"kind": "milestone_reopened", **milestone}},
        {
            "action": Action.PROJECT,
            "message": {"kind": "outcome_recorded", "indicator": INDICATOR, **project},
        },
        {"action": Action.PROJECT, "message": {"kind": "project_proposed", **project}},
        {
            "action": Action.STEP,
            "from_status": "pilot",
            "to_status": "scaling",
            "note": STEP_NOTE,
            "message": {"kind": "step_proposed", "by": by, "waiting": recipient},
        },
        {
            "action": Action.STATUS,
            "from_status": "expanded",
            "to_status": "concluded",
            "message": {
                "kind": "step_confirmed",
                "by": by,
                "confirmed_by": answer,
                "override": False,
                "outcome": "good",
            },
        },
        {
            "action": Action.STATUS,
            "from_status": "proposed",
            "to_status": "agreed",
            "message": {
                "kind": "step_confirmed",
                "by": by,
                "confirmed_by": answer,
                "override": True,
                "outcome": "",
            },
        },
        {
            "action": Action.DECLINED,
            "from_status": "pilot",
            "to_status": "scaling",
            "note": DECLINE_REASON,
            "message": {"kind": "step_declined", "by": answer},
        },
        {
            "action": Action.WITHDRAWN,
            "from_status": "pilot",
            "to_status": "scaling",
            "message": {"kind": "step_withdrawn"},
        },
        {
            "action": Action.STATUS,
            "from_status": "agreed",
            "to_status": "pilot",
            "message": {"kind": "moved", "override": True},
        },
        {
            "action": Action.STATUS,
            "from_status": "pilot",
            "to_status": "paused",
            "note": STATUS_REASON,
        },
    ]
    kinds = {event["message"]["kind"] for event in events if "message" in event}
    assert kinds == set(MESSAGE_KINDS)
    return events


def add_history(partnership: Partnership, user, donor: str, recipient: str) -> list:
    return [
        PartnershipEvent.objects.create(partnership=partnership, user=user, **fields)
        for fields in history(donor, recipient, user.get_username())
    ]
