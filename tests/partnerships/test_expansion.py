"""Expansion: next policy areas for an active partnership, ranked, education and research
included, covered areas left out."""

from __future__ import annotations

from django.urls import reverse

from partnerships.models import Partnership
from partnerships.services.expansion import suggest_areas
from tests.factories import PartnershipFactory, ProjectFactory


def codes(suggestions) -> list[str]:
    return [s.area.code for s in suggestions]


def test_areas_where_one_needs_and_the_other_offers_ranked(donor, recipient, areas):
    # donor offers waste 3, air 3, education 2 and needs economy 2, research 2;
    # recipient needs waste 3, air 2, education 3 and offers economy 2, research 3.
    partnership = PartnershipFactory(donor=donor, recipient=recipient, status="pilot")
    partnership.policy_areas.set([areas["waste"]])
    suggestions = suggest_areas(partnership)
    # waste is covered. research: 2x3=6, air: 2x3=6, education: 3x2=6, economy: 2x2=4;
    # ties follow the taxonomy's order.
    assert codes(suggestions) == ["air", "education", "research", "economy"]
    research = next(s for s in suggestions if s.area.code == "research")
    assert str(research.flows[0]) == ("Kitakyushu needs it (medium), Surabaya offers it (leading)")
    assert not research.both_ways


def test_both_way_areas_first(donor, recipient, areas):
    from tests.factories.cities import _set_levels

    _set_levels(donor, {"digital": 2}, "need")
    _set_levels(donor, {"digital": 3}, "expertise")
    _set_levels(recipient, {"digital": 2}, "need")
    _set_levels(recipient, {"digital": 2}, "expertise")
    partnership = PartnershipFactory(donor=donor, recipient=recipient, status="scaling")
    suggestions = suggest_areas(partnership)
    assert codes(suggestions)[0] == "digital" and suggestions[0].both_ways


def test_areas_of_projects_count_as_covered_and_low_levels_do_not_qualify(donor, recipient, areas):
    partnership = PartnershipFactory(donor=donor, recipient=recipient, status="expanded")
    ProjectFactory(partnership=partnership, policy_area=areas["education"])
    from tests.factories.cities import _set_levels

    _set_levels(recipient, {"health": 1}, "need")
    _set_levels(donor, {"health": 3}, "expertise")
    suggested = codes(suggest_areas(partnership))
    assert "education" not in suggested and "health" not in suggested


def test_only_active_partnerships_get_suggestions(donor, recipient):
    for status in ("proposed", "paused", "concluded", "ended"):
        partnership = PartnershipFactory(donor=donor, recipient=recipient, status=status)
        assert suggest_areas(partnership) == []
        Partnership.objects.filter(pk=partnership.pk).delete()


def test_the_partnership_page_lists_them(client, donor, recipient, donor_editor):
    partnership = PartnershipFactory(donor=donor, recipient=recipient, status="agreed")
    client.force_login(donor_editor)
    page = client.get(reverse("partnership-detail", args=[partnership.pk])).content.decode()
    assert "Where to grow next" in page
    assert "Education and training" in page and "Research and innovation" in page
