"""Helpers of the matching tests: run a whole run in-process, compare with the engine."""

from __future__ import annotations

from matching import services
from matching.models import COMPONENTS, Match, MatchRun
from matching.scoring import score_all
from matching.services import load_inputs, params_from_snapshot


def run_now(capture, *, trigger: str = "command", **kwargs) -> MatchRun:
    """Start a run and let its on-commit work happen (Celery is eager in unit tests)."""
    with capture(execute=True):
        run = services.start_run(trigger=trigger, **kwargs)
    run.refresh_from_db()
    return run


def stored(run: MatchRun) -> dict[tuple[int, int], dict]:
    """The run's matches as {(donor id, recipient id): fields}."""
    return {
        (m.donor_id, m.recipient_id): {
            "score": m.score,
            "components": m.components,
            "donor_rank": m.donor_rank,
            "recipient_rank": m.recipient_rank,
            "top_areas": m.top_areas,
            "top_area_codes": m.top_area_codes,
            "gives_back": m.gives_back,
            "size_ratio": m.size_ratio,
            "practices": m.practices,
            "existing_partnership": m.existing_partnership,
        }
        for m in Match.objects.filter(run=run)
    }


def expected(run: MatchRun) -> dict[tuple[int, int], dict]:
    """What ``score_all`` computes on the current profiles with the run's parameters."""
    inputs = load_inputs()
    arrays, codes = inputs.arrays, inputs.area_codes
    matches = score_all(arrays, params_from_snapshot(run.weights), workers=1)
    result = {}
    for i in range(len(matches)):
        donor, recipient = int(matches.donor[i]), int(matches.recipient[i])
        areas = [int(a) for a in matches.top_areas[i] if a >= 0]
        result[(int(arrays.ids[donor]), int(arrays.ids[recipient]))] = {
            "score": float(matches.score[i]),
            "components": dict(zip(COMPONENTS, matches.components[i].tolist(), strict=True)),
            "donor_rank": int(matches.donor_rank[i]) or None,
            "recipient_rank": int(matches.recipient_rank[i]) or None,
            "top_areas": [
                {
                    "area": codes[a],
                    "need": int(arrays.needs[recipient, a]),
                    "expertise": int(arrays.expertise[donor, a]),
                }
                for a in areas
            ],
            "top_area_codes": " " + " ".join(codes[a] for a in areas) + " " if areas else "",
            "gives_back": [codes[a] for a, flag in enumerate(matches.gives_back[i]) if flag],
        }
    return result


def assert_same_matches(actual: dict, wanted: dict) -> None:
    assert actual.keys() == wanted.keys()
    for pair, want in wanted.items():
        got = actual[pair]
        assert got["score"] == want["score"], pair
        for name in COMPONENTS:
            assert abs(got["components"][name] - want["components"][name]) <= 1e-6, (pair, name)
        for name in ("donor_rank", "recipient_rank", "top_areas", "top_area_codes", "gives_back"):
            assert got[name] == want[name], (pair, name)
