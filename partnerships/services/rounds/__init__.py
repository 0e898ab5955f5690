"""Programme rounds: an agency pairs many cities at once, within capacities and the budget.

A programme's agency (the members of its leading organization, and admins) opens a round;
member donors state how many new partnerships they can take (``default_capacity`` from their
profile until they do), member recipients apply. ``solve`` builds a ``RoundProblem`` from the
database (scores of the active run, pairs it does not store scored now in one batch), solves it
optimally and stably with the ``partnerships.rounds`` package, explains every left-out
recipient with remedies, and keeps the result (``RoundPair`` rows and ``Round.solution``) so
pages and the API read it without solving again. ``propose`` turns the chosen pairs into
proposed partnerships (each city then agrees through the two-sided steps) and tells both
cities' editors; proposing twice creates nothing new.

``managing`` holds the choices, ``solving`` the solution and the proposals, ``reading`` what
pages, the API and the CSV show.
"""

from .managing import (
    DECISIONS,
    MAX_CAPACITY,
    add_member_donors,
    apply_to_round,
    can_manage,
    decide,
    default_capacity,
    member_ids,
    open_round,
    require_manager,
    require_not_closed,
    set_capacity,
    update_round,
)
from .reading import (
    CSV_HEADER,
    city_names,
    csv_rows,
    explained_left_out,
    infeasible_messages,
    infeasible_sentence,
    left_out_for,
    left_out_sentence,
    pairs_for,
    remedy_sentence,
    visible_city_ids,
)
from .solving import (
    Proposed,
    RoundInputs,
    Solved,
    build_inputs,
    propose,
    solve,
    solve_inputs,
)

__all__ = [
    "CSV_HEADER",
    "DECISIONS",
    "MAX_CAPACITY",
    "Proposed",
    "RoundInputs",
    "Solved",
    "add_member_donors",
    "apply_to_round",
    "build_inputs",
    "can_manage",
    "city_names",
    "csv_rows",
    "decide",
    "default_capacity",
    "explained_left_out",
    "infeasible_messages",
    "infeasible_sentence",
    "left_out_for",
    "left_out_sentence",
    "member_ids",
    "open_round",
    "pairs_for",
    "propose",
    "remedy_sentence",
    "require_manager",
    "require_not_closed",
    "set_capacity",
    "solve",
    "solve_inputs",
    "update_round",
    "visible_city_ids",
]
