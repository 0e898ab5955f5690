"""Pages of partnerships, and the pages that show matches with the cooperation around them
(ARCHITECTURE.md: a page showing data of a higher app is served by that app, whatever its URL):
My city, the city page, the match browser, the match page and its citizen brief."""

from .cities import city_detail
from .home import my_city
from .interest import interest_accept, interest_decline, interest_inbox, interest_send
from .matches import match_brief, match_detail, match_list, match_moved
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
    step_confirm,
    step_decline,
    step_withdraw,
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
from .rounds import (
    round_apply,
    round_capacity,
    round_decide,
    round_detail,
    round_export,
    round_propose,
    round_solve,
)

__all__ = [
    "step_confirm",
    "step_decline",
    "step_withdraw",
    "city_detail",
    "interest_accept",
    "interest_decline",
    "interest_inbox",
    "interest_send",
    "match_brief",
    "match_detail",
    "match_list",
    "match_moved",
    "milestone_toggle",
    "my_city",
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
    "round_apply",
    "round_capacity",
    "round_decide",
    "round_detail",
    "round_export",
    "round_propose",
    "round_solve",
    "project_detail",
    "project_edit",
    "project_figure",
    "project_milestone",
    "project_propose",
]
