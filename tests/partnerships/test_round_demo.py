"""The demo round that ``load_demo`` makes: Clean Cities Asia's round with real donors and
recipients, the demo agency user acting for JICA; loading twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from partnerships.models import Programme, Round
from partnerships.services import rounds

pytestmark = pytest.mark.django_db


def load(settings) -> str:
    settings.DEBUG = True
    out = io.StringIO()
    call_command("load_demo", "--cities", "0", "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_load_demo_makes_a_round_the_agency_can_solve(settings):
    out = load(settings)
    round_ = Round.objects.select_related("programme__organization").get()
    assert "Programme round “Waste and air 2027” of Clean Cities Asia" in out
    assert round_.programme.organization.slug == "jica"
    donors = set(round_.capacities.values_list("donor__name", flat=True))
    assert donors == {"Kitakyushu", "Osaka", "Yokohama", "Fukuoka"}
    applicants = set(round_.applications.values_list("recipient__name", flat=True))
    assert {"Ho Chi Minh City", "Da Nang", "Cebu City", "Dhaka"} <= applicants
    agency = round_.programme.organization.members.get(username="agency")
    assert rounds.can_manage(agency, round_.programme)
    rounds.solve(user=agency, round_=round_)
    round_.refresh_from_db()
    assert round_.solution["optimal"]["pairs"] == 6  # the donors' six places
    assert round_.solution["left_out"]  # more applicants than places
    load(settings)
    assert Programme.objects.count() == 1 and Round.objects.count() == 1
    assert round_.capacities.count() == 4
