"""Cooperation pages: interest, partnerships, projects and programmes (``partnerships.cooperation``
holds their rules)."""

from .interest import interest_accept, interest_decline, interest_inbox, interest_send
from .partnerships import (
    partnership_detail,
    partnership_edit,
    partnership_ledger,
    partnership_list,
    partnership_organization,
    partnership_organization_remove,
    partnership_review,
    partnership_start,
    partnership_status,
)
from .programmes import programme_apply, programme_detail, programme_list
from .projects import (
    milestone_toggle,
    project_detail,
    project_edit,
    project_figure,
    project_milestone,
    project_propose,
)

__all__ = [
    "interest_accept",
    "interest_decline",
    "interest_inbox",
    "interest_send",
    "milestone_toggle",
    "partnership_detail",
    "partnership_edit",
    "partnership_ledger",
    "partnership_list",
    "partnership_organization",
    "partnership_organization_remove",
    "partnership_review",
    "partnership_start",
    "partnership_status",
    "programme_apply",
    "programme_detail",
    "programme_list",
    "project_detail",
    "project_edit",
    "project_figure",
    "project_milestone",
    "project_propose",
]
