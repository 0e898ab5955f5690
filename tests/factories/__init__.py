"""One set of factory-boy factories for every app's tests, a module per app."""

from .bestpractices import BestPracticeFactory
from .cities import CityFactory, OrganizationFactory, UserFactory
from .matching import MatchFactory, MatchRunFactory, ScoringProfileFactory, population
from .partnerships import (
    InterestFactory,
    LedgerEntryFactory,
    MembershipFactory,
    PartnershipFactory,
    ProgrammeFactory,
    ProjectFactory,
)

__all__ = [
    "BestPracticeFactory",
    "CityFactory",
    "InterestFactory",
    "LedgerEntryFactory",
    "MatchFactory",
    "MatchRunFactory",
    "MembershipFactory",
    "OrganizationFactory",
    "PartnershipFactory",
    "ProgrammeFactory",
    "ProjectFactory",
    "ScoringProfileFactory",
    "UserFactory",
    "population",
]
