import pytest

from cities.models import PolicyArea, Sector, SectorRelevance

pytestmark = pytest.mark.django_db


def test_migrate_creates_every_policy_area_with_sdg_targets():
    codes = set(PolicyArea.objects.values_list("code", flat=True))
    assert {
        "waste",
        "air",
        "water",
        "sanitation",
        "energy",
        "low-carbon",
        "adaptation",
        "transport",
        "planning",
        "green-space",
        "industry",
        "economy",
        "finance",
        "governance",
        "health",
        "education",
        "research",
        "digital",
    } <= codes
    for area in PolicyArea.objects.all():
        assert area.sdg_targets, area.code
        assert area.description


def test_migrate_creates_isic_sections_a_to_u():
    assert list(Sector.objects.values_list("code", flat=True)) == [
        chr(c) for c in range(ord("A"), ord("V"))
    ]


def test_relevance_table_links_utilities_to_waste_water_and_sanitation():
    areas = set(
        SectorRelevance.objects.filter(sector__code="E").values_list("policy_area__code", flat=True)
    )
    assert areas == {"waste", "water", "sanitation"}
