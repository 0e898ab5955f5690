"""Programmes: networks led by an organization that link many cities, not only pairs.

A city sees which programmes it is eligible for and, for the others, each rule it fails. It
applies stating its adopted plan; an admin admits it. A programme suggests pairs among its
members from the active run, best first, in its policy areas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cities.countries import COUNTRY_NAMES
from cities.models import City, CityAreaLevel
from cities.taxonomy import term
from matching.models import Match

from ..models import Partnership, Programme, ProgrammeMembership
from ..permissions import can_act_for, require

Membership = ProgrammeMembership
# A city "works in" an area when it needs it or offers it at this level or more (medium/proven).
AREA_MIN_LEVEL = 2
SUGGESTED_PAIRS = 20


@dataclass(frozen=True)
class Rule:
    """One eligibility rule of a programme and how the city fares against it."""

    key: str  # population, countries, policy_areas, cofunding, plan
    label: str
    passed: bool
    detail: str

    def __str__(self) -> str:
        return f"{self.label}: {self.detail}"


@dataclass(frozen=True)
class Eligibility:
    programme: Programme
    city: City
    rules: tuple[Rule, ...]
    membership: ProgrammeMembership | None

    @property
    def eligible(self) -> bool:
        return all(rule.passed for rule in self.rules)

    @property
    def failures(self) -> list[Rule]:
        return [rule for rule in self.rules if not rule.passed]

    @property
    def status(self) -> str:
        """member, applied, eligible or not eligible: what the city page shows, in the reader's
        language."""
        if not self.may_apply:
            return self.membership.get_status_display().lower()  # type: ignore[union-attr]
        if self.eligible:
            return pgettext("programme standing", "eligible")
        return pgettext("programme standing", "not eligible")

    @property
    def may_apply(self) -> bool:
        """Neither a member nor an applicant (or it left): the application form is offered."""
        return not (self.membership and self.membership.status != Membership.Status.LEFT)


def _number(value: int) -> str:
    return number_format(value, 0, force_grouping=True)


def _usd(amount: int) -> str:
    return _("USD %(amount)s") % {"amount": _number(amount)}


def check_eligibility(
    programme: Programme,
    city: City,
    *,
    levels: Iterable[CityAreaLevel],
    membership: ProgrammeMembership | None,
    has_adopted_plan: bool | None = None,
) -> Eligibility:
    """Every rule the programme sets, passed or failed with the reason; no queries if the
    programme's ``policy_areas`` are prefetched.

    ``has_adopted_plan`` overrides what the membership record says (an application being made).
    """
    rules: list[Rule] = []
    if programme.min_population:
        passed = city.population >= programme.min_population
        rules.append(
            Rule(
                "population",
                _("Minimum population"),
                passed,
                _("%(population)s inhabitants; the programme asks for at least %(least)s.")
                % {
                    "population": _number(city.population),
                    "least": _number(programme.min_population),
                },
            )
        )
    if programme.countries:
        names = _(", ").join(COUNTRY_NAMES.get(code, code) for code in programme.countries)
        country = COUNTRY_NAMES.get(city.country, city.country)
        passed = city.country in programme.countries
        detail = (
            _("%(country)s is covered.") % {"country": country}
            if passed
            else _("%(country)s is not among the countries it covers (%(countries)s).")
            % {"country": country, "countries": names}
        )
        rules.append(Rule("countries", _("Countries"), passed, detail))
    areas = list(programme.policy_areas.all())
    if areas:
        codes = {area.pk: term(area.name) for area in areas}
        works_in = [
            codes[row.policy_area_id]
            for row in levels
            if row.policy_area_id in codes and max(row.need, row.expertise) >= AREA_MIN_LEVEL
        ]
        passed = bool(works_in)
        detail = (
            _("Works in %(areas)s.") % {"areas": _(", ").join(works_in)}
            if passed
            else _("States no need or expertise of medium level or more in its areas (%(areas)s).")
            % {"areas": _(", ").join(codes.values())}
        )
        rules.append(Rule("policy_areas", _("Policy areas"), passed, detail))
    if programme.min_cofunding_usd:
        passed = city.cofunding_usd >= programme.min_cofunding_usd
        rules.append(
            Rule(
                "cofunding",
                _("Co-funding"),
                passed,
                _("Brings %(brings)s; the programme asks for %(asks)s.")
                % {
                    "brings": _usd(city.cofunding_usd),
                    "asks": _usd(programme.min_cofunding_usd),
                },
            )
        )
    if programme.requires_adopted_plan:
        plan = has_adopted_plan
        if plan is None:
            plan = bool(membership and membership.has_adopted_plan)
        title = membership.plan_title if membership and membership.plan_title else ""
        detail = (
            (
                _("“%(title)s” adopted.") % {"title": title}
                if title
                else _("An adopted plan is recorded.")
            )
            if plan
            else _("No adopted plan recorded: apply stating the plan the city adopted.")
        )
        rules.append(Rule("plan", _("Adopted plan"), plan, detail))
    return Eligibility(programme=programme, city=city, rules=tuple(rules), membership=membership)


def programmes_for_city(city: City) -> list[Eligibility]:
    """Every programme with the city's standing in it, eligible ones first.

    Three queries (programmes, their areas, the city's memberships) plus the city's levels
    unless prefetched (``City.objects.with_profile()``).
    """
    programmes = Programme.objects.select_related("organization").prefetch_related("policy_areas")
    memberships = {m.programme_id: m for m in Membership.objects.filter(city=city)}
    levels = list(city.area_levels.all())
    results = [
        check_eligibility(p, city, levels=levels, membership=memberships.get(p.pk))
        for p in programmes
    ]
    results.sort(key=lambda e: (not e.eligible, e.programme.name))
    return results


def eligibility_table(
    cities: list[City], programmes: list[Programme]
) -> dict[int, list[Eligibility]]:
    """City id → its standing in each programme, for several cities at once: one query (the
    memberships) when the cities' ``area_levels`` and the programmes' areas are prefetched."""
    memberships = {
        (m.city_id, m.programme_id): m
        for m in Membership.objects.filter(
            city__in=[c.pk for c in cities], programme__in=[p.pk for p in programmes]
        )
    }
    return {
        city.pk: [
            check_eligibility(
                programme,
                city,
                levels=city.area_levels.all(),
                membership=memberships.get((city.pk, programme.pk)),
            )
            for programme in programmes
        ]
        for city in cities
    }


@transaction.atomic
def apply_to_programme(
    *,
    user,
    programme: Programme,
    city: City,
    has_adopted_plan: bool,
    plan_title: str = "",
) -> ProgrammeMembership:
    """An editor applies for the city; refused, with every failed rule named, if not eligible."""
    require(
        can_act_for(user, city.pk),
        _("Only editors of %(city)s may apply for it.") % {"city": city.name},
    )
    plan_title = plan_title.strip()
    if has_adopted_plan and not plan_title and programme.requires_adopted_plan:
        raise ValidationError({"plan_title": _("Name the adopted plan.")})
    membership = (
        Membership.objects.select_for_update().filter(programme=programme, city=city).first()
    )
    if membership and membership.status != Membership.Status.LEFT:
        raise ValidationError(
            {
                "city": _("%(city)s is already %(status)s.")
                % {"city": city.name, "status": membership.get_status_display().lower()}
            }
        )
    result = check_eligibility(
        programme,
        city,
        levels=list(city.area_levels.all()),
        membership=membership,
        has_adopted_plan=has_adopted_plan,
    )
    if not result.eligible:
        raise ValidationError({"city": [str(rule) for rule in result.failures]})
    membership = membership or Membership(programme=programme, city=city)
    membership.status = Membership.Status.APPLIED
    membership.has_adopted_plan = has_adopted_plan
    membership.plan_title = plan_title
    membership.applied_by = user
    membership.save()
    return membership


@transaction.atomic
def admit(*, user, membership: ProgrammeMembership) -> ProgrammeMembership:
    """An admin (for the leading organization) accepts an application."""
    require(user.is_staff, _("Only admins may admit cities to a programme."))
    if membership.status == Membership.Status.MEMBER:
        return membership
    membership.status = Membership.Status.MEMBER
    membership.save(update_fields=["status", "updated_at"])
    return membership


def member_ids(programme: Programme) -> list[int]:
    return list(
        programme.memberships.filter(status=Membership.Status.MEMBER).values_list(
            "city_id", flat=True
        )
    )


def suggested_pairs(programme: Programme, *, limit: int = SUGGESTED_PAIRS) -> list[Match]:
    """Matches of the active run between two members, in the programme's areas, best first.

    Pairs already cooperating stay in the list (flagged), so the programme sees them too. Two
    queries: the members, then the matches.
    """
    members = member_ids(programme)
    if len(members) < 2:
        return []
    codes = [area.code for area in programme.policy_areas.all()]
    matches = Match.objects.for_list().filter(
        run__is_active=True, donor_id__in=members, recipient_id__in=members
    )
    if codes:
        matches = matches.filter(
            reduce(or_, (Q(top_area_codes__contains=f" {code} ") for code in codes))
        )
    return list(matches.order_by("-score", "recipient_id", "donor_id")[:limit])


def partnerships_of(programme: Programme) -> list[Partnership]:
    return list(
        programme.partnerships.select_related("donor", "recipient")
        .prefetch_related("policy_areas")
        .order_by("status", "donor__name")
    )
