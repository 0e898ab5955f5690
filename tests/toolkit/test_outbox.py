"""The task outbox: a message commits with its change and is sent once, now or by the relay."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from citymatch.celery import app as celery_app
from toolkit.outbox import services as outbox
from toolkit.outbox.models import Message

pytestmark = pytest.mark.django_db

TASK = "matching.tasks.rescore_cities"


@pytest.fixture
def broker(monkeypatch):
    """A broker that records what it is sent, and can be switched off."""
    state = {"up": True, "sent": []}

    def publish(message):
        if not state["up"]:
            raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")
        state["sent"].append((message.task, message.kwargs))

    monkeypatch.setattr(outbox, "_publish", publish)
    celery_app.conf.task_always_eager = False  # the autouse fixture sets it back
    return state


def test_a_message_is_sent_once_its_transaction_commits(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue(task=TASK, kwargs={"city_ids": [1]})
        assert broker["sent"] == []  # not before the commit
    assert broker["sent"] == [(TASK, {"city_ids": [1]})]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert outbox.relay() == 0  # and never again


def test_a_rolled_back_change_leaves_no_message(broker, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.enqueue(task=TASK, kwargs={"city_ids": [1]})
        raise RuntimeError("the change failed")
    assert broker["sent"] == [] and not Message.objects.exists()


def test_the_relay_sends_what_waited_in_order_once_the_broker_is_back(
    broker, django_capture_on_commit_callbacks
):
    broker["up"] = False
    with django_capture_on_commit_callbacks(execute=True):
        for city_id in (1, 2, 3):
            outbox.enqueue(task=TASK, kwargs={"city_ids": [city_id]})
    assert outbox.relay() == 0
    first = Message.objects.first()
    assert first.sent_at is None and first.attempts == 2 and "Error 111" in first.last_error

    with pytest.raises(CommandError, match=r"Sent 0 task\(s\); 3 still pending: .*Error 111"):
        call_command("relay_outbox")

    broker["up"] = True
    call_command("relay_outbox")
    assert broker["sent"] == [(TASK, {"city_ids": [n]}) for n in (1, 2, 3)]
    assert not Message.objects.filter(sent_at__isnull=True).exists()


def test_without_a_broker_the_task_runs_in_process_once(django_capture_on_commit_callbacks):
    from cities.models import City
    from tests.factories import population
    from tests.matching.helpers import run_now

    population(10, seed=3)
    run = run_now(django_capture_on_commit_callbacks)
    assert run.status == "succeeded"
    message = Message.objects.get()
    assert message.task == "matching.tasks.run_scoring" and message.sent_at is not None
    assert outbox.relay() == 0
    assert City.objects.count() == 10


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_never_send_a_message_twice(postgres, broker):
    """Each relay locks what it sends and skips what the other holds (PostgreSQL row locks)."""
    import threading
    import time

    from django.db import connection

    broker["up"] = False
    for city_id in range(40):
        outbox.enqueue(task=TASK, kwargs={"city_ids": [city_id]})  # autocommit: tried at once
    broker["up"] = True
    real_publish = outbox._publish

    def slow_publish(message):
        time.sleep(0.005)  # long enough for the relays to overlap
        real_publish(message)

    outbox._publish = slow_publish
    counts: list[int] = []

    def relay():
        try:
            counts.append(outbox.relay())
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        outbox._publish = real_publish
    sent = [kwargs["city_ids"][0] for _, kwargs in broker["sent"]]
    assert sorted(sent) == list(range(40)) and sum(counts) == 40
    assert not Message.objects.filter(sent_at__isnull=True).exists()


def test_the_relay_forgets_messages_sent_long_ago(broker, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.OUTBOX_KEEP_DAYS = 7
    now = timezone.now()
    old = Message.objects.create(task=TASK, sent_at=now - timedelta(days=8))
    recent = Message.objects.create(task=TASK, sent_at=now - timedelta(days=6))
    pending = Message.objects.create(task=TASK, created_at=now - timedelta(days=30))
    outbox.relay()
    assert set(Message.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not Message.objects.filter(pk=old.pk).exists()
