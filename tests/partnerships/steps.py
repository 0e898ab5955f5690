"""Moving a partnership the way two cities do: one proposes the step, the other confirms."""

from __future__ import annotations

from partnerships.models import Partnership
from partnerships.services import pipeline, steps


def move_both(partnership: Partnership, proposer, confirmer, to: str, **kwargs) -> Partnership:
    """Pausing and ending at once; every other step proposed by ``proposer`` and confirmed by
    ``confirmer`` (an editor of the other city)."""
    if not pipeline.needs_confirmation(to):
        return pipeline.change_status(
            user=proposer, partnership=partnership, to_status=to, **kwargs
        )
    note = kwargs.pop("reason", "")
    proposal = steps.propose_step(
        user=proposer, partnership=partnership, to_status=to, note=note, **kwargs
    )
    return steps.confirm_step(user=confirmer, proposal=proposal)
