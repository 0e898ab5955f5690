"""Profile edits rescore one city in the active run; agencies score one city on the fly."""

from __future__ import annotations

import pytest
from django.db.models import Q

from bestpractices.signals import practices_changed
from cities import services as city_services
from cities.models import City
from matching import services
from matching.models import Match, MatchRun
from matching.scoring import score_city
from matching.services import load_inputs, params_for
from tests.factories import BestPracticeFactory, CityFactory, ScoringProfileFactory, population

from .helpers import expected, run_now, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(django_capture_on_commit_callbacks):
    cities = population(30, seed=5)
    run = run_now(django_capture_on_commit_callbacks)
    return cities, run


def own_rows(pairs: dict, city_id: int) -> dict:
    """The rows of ``city_id``'s own top K: as recipient by recipient_rank, as donor by donor_rank."""
    return {
        pair: (row["score"], row["recipient_rank"] if pair[1] == city_id else row["donor_rank"])
        for pair, row in pairs.items()
        if (pair[1] == city_id and row["recipient_rank"])
        or (pair[0] == city_id and row["donor_rank"])
    }


def test_a_profile_edit_rescores_the_city_in_place(scored, django_capture_on_commit_callbacks):
    cities, run = scored
    city = next(c for c in cities if c.role == City.Role.BOTH)
    untouched_before = {pair: row for pair, row in stored(run).items() if city.pk not in pair}

    with django_capture_on_commit_callbacks(execute=True):
        city_services.update_city_profile(
            city=city,
            fields={"population": 1_000_000, "absorptive_capacity": 5},
            needs={"waste": 3, "air": 3, "water": 2},
            expertise={"energy": 3, "transport": 2},
            trigger="form",
        )

    assert MatchRun.objects.count() == 1 and MatchRun.objects.active() == run
    now = stored(run)
    fresh = expected(run)  # a full run over the edited profiles
    # The city's own lists, on both sides, are exactly what a full run would store.
    assert own_rows(now, city.pk) == own_rows(fresh, city.pk)
    for pair in own_rows(now, city.pk):
        assert now[pair]["components"] == pytest.approx(fresh[pair]["components"], abs=1e-6)
        assert now[pair]["top_areas"] == fresh[pair]["top_areas"]
    # Pairs without the city are left alone.
    assert {pair: row for pair, row in now.items() if city.pk not in pair} == untouched_before
    run.refresh_from_db()
    assert run.status == MatchRun.Status.SUCCEEDED and run.is_active


def test_a_city_entering_another_citys_list_gets_a_rank_there(django_capture_on_commit_callbacks):
    profile = services.default_profile()
    profile.top_k = 2
    profile.save()
    donor = CityFactory(role="donor", expertise={"waste": 3, "air": 3})
    weak = [CityFactory(role="recipient", needs={"waste": 1, "health": 3}) for _ in range(3)]
    newcomer = CityFactory(role="recipient", needs={"health": 3})
    run = run_now(django_capture_on_commit_callbacks)
    assert not Match.objects.filter(run=run, recipient=newcomer).exists()  # no need met

    with django_capture_on_commit_callbacks(execute=True):
        city_services.update_city_profile(
            city=newcomer, needs={"waste": 3, "air": 3}, trigger="form"
        )

    match = Match.objects.get(run=run, recipient=newcomer)
    assert match.donor == donor
    assert (match.recipient_rank, match.donor_rank) == (1, 1)
    # The donor's other rows keep their ranks until the next full run.
    assert set(
        Match.objects.filter(run=run, donor=donor)
        .exclude(recipient=newcomer)
        .values_list("recipient_id", "donor_rank")
    ) <= {(w.pk, rank) for w in weak for rank in (1, 2, None)}


def test_a_rescored_city_keeps_no_old_rows(scored):
    cities, run = scored
    city = next(c for c in cities if Match.objects.filter(run=run, recipient=c).exists())
    City.objects.filter(pk=city.pk).update(role=City.Role.DONOR)  # no longer a recipient
    services.rescore_cities(city_ids=[city.pk])
    assert not Match.objects.filter(run=run, recipient=city).exists()


def test_a_published_practice_rescores_its_city(scored, django_capture_on_commit_callbacks):
    cities, run = scored
    pair = next(
        (m.donor_id, m.recipient_id, m.top_areas[0]["area"])
        for m in Match.objects.filter(run=run, evidence=0, recipient_rank=1).order_by("pk")
    )
    donor = City.objects.get(pk=pair[0])
    BestPracticeFactory(city=donor, areas=[pair[2]])
    with django_capture_on_commit_callbacks(execute=True):
        practices_changed.send(sender=None, city_ids=[donor.pk])
    match = Match.objects.get(run=run, donor_id=pair[0], recipient_id=pair[1])
    assert match.evidence > 0
    assert match.practices and match.practices[0]["title"].startswith("Practice")


def test_rescoring_without_an_active_run_writes_nothing():
    city = CityFactory(needs={"waste": 3})
    assert services.rescore_cities(city_ids=[city.pk]) == 0
    assert not Match.objects.exists()


def test_a_large_import_starts_a_full_run_instead(
    scored, django_capture_on_commit_callbacks, monkeypatch
):
    cities, run = scored
    monkeypatch.setattr(services.rescoring, "RESCORE_MAX_CITIES", 3)
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_rescoring(city_ids=[c.pk for c in cities[:4]])
    new = MatchRun.objects.order_by("-pk").first()
    assert new != run
    assert (new.trigger, new.status, new.is_active) == ("profile_change", "succeeded", True)


def test_a_large_import_during_a_run_queues_nothing_more(scored, monkeypatch):
    cities, run = scored
    monkeypatch.setattr(services.rescoring, "RESCORE_MAX_CITIES", 3)
    running = MatchRun.objects.create(status=MatchRun.Status.RUNNING)
    services.queue_rescoring(city_ids=[c.pk for c in cities[:4]])
    assert set(MatchRun.objects.all()) == {run, running}


def test_a_profile_saved_during_a_run_is_rescored_when_it_activates(
    scored, django_capture_on_commit_callbacks, monkeypatch
):
    cities, first = scored
    city = next(c for c in cities if c.role == City.Role.BOTH)
    real_prepare = services.runs.prepare_run

    def prepare_then_edit(*, run_id):
        shards = real_prepare(run_id=run_id)
        # Saved after the run froze its inputs (and, here, without any signal at all).
        city.population, city.absorptive_capacity = 3_000_000, 5
        city.save()
        return shards

    monkeypatch.setattr(services.runs, "prepare_run", prepare_then_edit)
    monkeypatch.setattr(services, "prepare_run", prepare_then_edit)
    run = run_now(django_capture_on_commit_callbacks)
    assert run.is_active
    assert own_rows(stored(run), city.pk) == own_rows(expected(run), city.pk)


# --- On-the-fly scoring -------------------------------------------------------------------


def test_scoring_on_the_fly_returns_ranked_unsaved_matches(scored, django_assert_num_queries):
    cities, _ = scored
    city = next(c for c in cities if c.role == City.Role.BOTH)
    weights = {"need_fit": 0.6, "size": 0.3}
    matches = services.score_city_against_all(city=city, as_role="recipient", weights=weights)

    inputs = load_inputs()
    row = int(inputs.rows_of([city.pk])[0])
    engine = score_city(inputs.arrays, row, params_for(services.default_profile(), weights))
    assert [m.donor_id for m in matches] == inputs.ids[engine.donor].tolist()
    assert [m.score for m in matches] == engine.score.tolist()
    assert [m.recipient_rank for m in matches] == list(range(1, len(matches) + 1))
    assert all(m.pk is None and m.run_id is None for m in matches)
    assert all(m.recipient == city and m.donor.pk == m.donor_id for m in matches)
    assert matches[0].top_areas and matches[0].top_area_codes.strip()
    # The arrays are cached: a second call reads the profile, partnerships and the cities.
    with django_assert_num_queries(3):
        again = services.score_city_against_all(city=city, as_role="donor")
    assert all(m.donor == city for m in again)
    assert [m.donor_rank for m in again] == list(range(1, len(again) + 1))


@pytest.mark.parametrize("partners", [1, 25])
def test_scoring_on_the_fly_costs_fixed_queries(partners, django_assert_num_queries):
    recipient = CityFactory(role="recipient", needs={"waste": 3})
    for _ in range(partners):
        CityFactory(role="donor", expertise={"waste": 2})
    services.score_city_against_all(city=recipient)  # loads and caches the arrays
    with django_assert_num_queries(3):
        matches = services.score_city_against_all(city=recipient)
    assert len(matches) == partners
    assert {m.donor.name for m in matches}  # attached, no query per row


def test_scoring_on_the_fly_uses_the_default_profile(scored):
    cities, _ = scored
    city = next(c for c in cities if c.role == City.Role.RECIPIENT)
    default = services.default_profile()
    default.top_k = 1  # on-the-fly lists are complete whatever K is
    default.save()
    ScoringProfileFactory(weight_need_fit=0)  # not the default: ignored
    matches = services.score_city_against_all(city=city)
    expected_scores = score_city(
        load_inputs().arrays,
        int(load_inputs().rows_of([city.pk])[0]),
        params_for(default),
    ).score.tolist()
    assert [m.score for m in matches] == expected_scores and len(matches) > 1


def test_scoring_on_the_fly_sees_a_city_created_since_the_arrays_were_cached(scored):
    services.score_city_against_all(city=scored[0][0])
    newcomer = CityFactory(role="recipient", needs={"waste": 3, "air": 2})
    assert services.score_city_against_all(city=newcomer)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"charm": 1}, "Unknown weight 'charm'"),
        ({"size": -1}, "cannot be negative"),
        ({"size": "big"}, "is not a number"),
        (
            dict.fromkeys(
                (
                    "need_fit",
                    "evidence",
                    "reciprocity",
                    "size",
                    "industry",
                    "capacity",
                    "budget",
                    "language",
                ),
                0,
            ),
            "At least one weight",
        ),
    ],
)
def test_scoring_on_the_fly_refuses_bad_weights(weights, message):
    city = CityFactory(needs={"waste": 3})
    with pytest.raises(services.InvalidWeights, match=message):
        services.score_city_against_all(city=city, weights=weights)


def test_scoring_on_the_fly_refuses_an_unknown_role_and_skips_a_missing_one():
    donor = CityFactory(role="donor", expertise={"waste": 3})
    with pytest.raises(ValueError, match="as must be one of"):
        services.score_city_against_all(city=donor, as_role="mentor")
    assert services.score_city_against_all(city=donor, as_role="recipient") == []


def test_a_deleted_city_takes_its_matches_with_it(scored):
    cities, run = scored
    victim = cities[0]
    assert Match.objects.filter(Q(donor=victim) | Q(recipient=victim)).exists()
    city_services.delete_city(city=victim)
    assert not Match.objects.filter(Q(donor_id=victim.pk) | Q(recipient_id=victim.pk)).exists()


def test_the_bars_to_enter_each_list_come_with_the_run(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    from django.core.cache import cache

    from matching.services.bars import run_bars

    population(30, seed=5)
    run = run_now(django_capture_on_commit_callbacks, profile=ScoringProfileFactory(top_k=3))
    profile_k = 3
    with django_assert_num_queries(0):
        cached = {side: run_bars(run, side, profile_k) for side in ("donor", "recipient")}
    cache.clear()
    with django_assert_num_queries(1):
        read = run_bars(run, "donor", profile_k)
    assert len(read[0]) > 5
    for got, want in zip(read, cached["donor"], strict=True):
        assert got.tolist() == want.tolist()
    # The bars are the K-th scores: each donor's row ranked K.
    for donor_id, score, recipient_id in zip(*cached["donor"], strict=True):
        row = Match.objects.get(run=run, donor_id=donor_id, donor_rank=profile_k)
        assert (row.score, row.recipient_id) == (score, recipient_id)


def test_a_broker_outage_delays_the_rescoring_of_a_profile_edit_without_losing_it(
    scored, django_capture_on_commit_callbacks, monkeypatch
):
    from citymatch.celery import app as celery_app
    from toolkit.outbox import services as outbox
    from toolkit.outbox.models import Message

    cities, run = scored

    def no_broker(message):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(outbox, "_publish", no_broker)
    celery_app.conf.task_always_eager = False  # the autouse fixture sets it back
    before = stored(run)
    with django_capture_on_commit_callbacks(execute=True):
        city_services.update_city_profile(
            city=cities[0], fields={"population": 77_777}, trigger="form"
        )
    assert City.objects.get(pk=cities[0].pk).population == 77_777
    assert stored(run) == before
    waiting = Message.objects.get(sent_at__isnull=True)
    assert waiting.task == "matching.tasks.rescore_cities"
    assert waiting.kwargs == {"city_ids": [cities[0].pk]}
    assert "Error 111" in waiting.last_error

    # The broker is back: the relay sends it and the city is rescored.
    monkeypatch.undo()
    celery_app.conf.task_always_eager = True
    assert outbox.relay() == 1
    assert stored(run) != before
    assert not Message.objects.filter(sent_at__isnull=True).exists()


def test_a_second_edit_reads_only_the_changed_profiles(
    scored, django_capture_on_commit_callbacks, monkeypatch
):
    """Rescoring keeps the profiles it read: the next edit re-reads the cities saved since.

    A city edited elsewhere (its rescoring ran in another process) is read again too, so the
    patched profiles give the lists a full run over the edited profiles gives.
    """
    from matching.services import rescoring

    cities, run = scored
    first, second = [c for c in cities if c.role == City.Role.BOTH][:2]
    rescoring.forget_rescoring_inputs()
    services.rescore_cities(city_ids=[first.pk])  # reads every profile once

    full_loads = []
    real_load = rescoring.load_inputs
    monkeypatch.setattr(rescoring, "load_inputs", lambda: full_loads.append(1) or real_load())
    with django_capture_on_commit_callbacks(execute=False):  # rescored "elsewhere"
        city_services.update_city_profile(
            city=second,
            fields={"languages": ["fr"]},
            expertise={"waste": 3, "air": 3, "water": 3, "energy": 3},
            trigger="form",
        )
    with django_capture_on_commit_callbacks(execute=True):
        city_services.update_city_profile(
            city=first, fields={"population": 250_000}, needs={"waste": 3}, trigger="form"
        )

    assert full_loads == []
    now, fresh = stored(run), expected(run)
    assert own_rows(now, first.pk) == own_rows(fresh, first.pk)
    assert any(second.pk in pair for pair in own_rows(now, first.pk))


def test_a_new_city_makes_rescoring_read_every_profile(scored, monkeypatch):
    from matching.services import rescoring

    cities, run = scored
    city = next(c for c in cities if c.role == City.Role.BOTH)
    rescoring.forget_rescoring_inputs()
    services.rescore_cities(city_ids=[city.pk])
    CityFactory()
    full_loads = []
    real_load = rescoring.load_inputs
    monkeypatch.setattr(rescoring, "load_inputs", lambda: full_loads.append(1) or real_load())
    services.rescore_cities(city_ids=[city.pk])
    assert full_loads == [1]


def test_a_worker_reads_the_profiles_when_it_starts(scored, monkeypatch):
    from matching import receivers
    from matching.services import rescoring

    cities, run = scored
    city = next(c for c in cities if c.role == City.Role.BOTH)
    rescoring.forget_rescoring_inputs()
    receivers.warm_up_rescoring()
    full_loads = []
    real_load = rescoring.load_inputs
    monkeypatch.setattr(rescoring, "load_inputs", lambda: full_loads.append(1) or real_load())
    City.objects.filter(pk=city.pk).update(absorptive_capacity=0)
    services.rescore_cities(city_ids=[city.pk])
    assert full_loads == []
    assert own_rows(stored(run), city.pk) == own_rows(expected(run), city.pk)


def test_a_worker_reads_the_runs_bars_when_it_starts(scored):
    from django.core.cache import cache

    from matching import receivers
    from matching.services.bars import BARS_KEY

    _, run = scored
    keys = [BARS_KEY.format(run_id=run.pk, side=side) for side in ("donor", "recipient")]
    # The bars the run's activation kept live in another process's cache (local memory).
    cache.delete_many(keys)
    receivers.warm_up_rescoring()
    assert all(cache.get(key) is not None for key in keys)
