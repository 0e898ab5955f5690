"""What a round shows to whom: its pairs, the left-out recipients and why, in sentences, and its
CSV."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cities.models import City

from ... import rounds as solver
from ...models import (
    Round,
    RoundPair,
)
from ...permissions import edited_city_ids
from .managing import can_manage

# --- Reading a round --------------------------------------------------------------------------


def visible_city_ids(user, round_: Round) -> set[int] | None:
    """None: the agency sees every pair; else the cities whose pairs the user may see."""
    if can_manage(user, round_.programme):
        return None
    return edited_city_ids(user)


def pairs_for(user, round_: Round, method: str = RoundPair.Method.OPTIMAL):
    """The kept pairs of one method the user may see, with both cities and the partnership:
    one query."""
    rows = (
        RoundPair.objects.filter(round=round_, method=method)
        .select_related("donor", "recipient", "partnership")
        .order_by("-score", "donor__name", "recipient__name")
    )
    mine = visible_city_ids(user, round_)
    if mine is not None:
        rows = rows.filter(Q(donor_id__in=mine) | Q(recipient_id__in=mine))
    return rows


def left_out_for(user, round_: Round) -> list[dict]:
    entries = round_.solution.get("left_out", [])
    mine = visible_city_ids(user, round_)
    if mine is None:
        return list(entries)
    return [entry for entry in entries if entry["recipient"] in mine]


# --- Words --------------------------------------------------------------------------------------


def _listing(names: list[str]) -> str:
    return _(", ").join(names)


def left_out_sentence(entry: dict, names: dict[int, str], *, budget_left: int | None) -> str:
    """Why a recipient is out, in the reader's language."""
    city = names.get(entry["recipient"], str(entry["recipient"]))
    donors = _listing([names.get(d, str(d)) for d in entry.get("donors", [])])
    parts = []
    for reason in entry.get("reasons", []):
        if reason == solver.LeftOutReason.DONORS_FULL:
            parts.append(
                _(
                    "its better donors' capacity is used by pairs with higher total value (%(donors)s)"
                )
                % {"donors": donors}
            )
        elif reason == solver.LeftOutReason.NO_CAPACITY:
            parts.append(
                _("its donors can take no new partnerships (%(donors)s)") % {"donors": donors}
            )
        elif reason == solver.LeftOutReason.BUDGET_SPENT:
            parts.append(
                _(
                    "the budget is spent: USD %(left)s is left and its cheapest pair costs USD %(cost)s"
                )
                % {"left": f"{budget_left or 0:,}", "cost": f"{entry.get('cheapest_usd') or 0:,}"}
            )
        elif reason == solver.LeftOutReason.BUDGET_REFUSED:
            parts.append(_("the budget could not take its pairs"))
        elif reason == solver.LeftOutReason.RULED_OUT:
            parts.append(_("the agency ruled out its pairs"))
        elif reason == solver.LeftOutReason.OUTSIDE_AREAS:
            parts.append(_("none of its matches is in the round's areas"))
        elif reason == solver.LeftOutReason.TOO_EXPENSIVE:
            parts.append(_("each of its matches costs more than the whole budget"))
        elif reason == solver.LeftOutReason.ZERO_SCORE:
            parts.append(_("its matches score 0"))
        elif reason == solver.LeftOutReason.NO_SCORED_PAIR:
            parts.append(_("no donor of the round fits its needs"))
        elif reason == solver.LeftOutReason.NO_PLACES:
            parts.append(_("the round allows it no partner"))
        else:
            parts.append(_("the assignment chose none of its pairs"))
    return _("%(city)s is left out: %(reasons)s.") % {"city": city, "reasons": _("; ").join(parts)}


def remedy_sentence(remedy: dict, recipient: str, names: dict[int, str]) -> str:
    if remedy["kind"] == solver.RemedyKind.CAPACITY:
        return _("Raise %(donor)s's capacity to %(capacity)s to include %(recipient)s.") % {
            "donor": names.get(remedy["donor"], str(remedy["donor"])),
            "capacity": remedy["capacity"],
            "recipient": recipient,
        }
    return _("A budget of USD %(budget)s would include %(recipient)s.") % {
        "budget": f"{remedy['budget_usd']:,}",
        "recipient": recipient,
    }


def infeasible_sentence(reason: dict, names: dict[int, str]) -> str:
    pairs = _listing(
        [f"{names.get(d, str(d))} → {names.get(r, str(r))}" for d, r in reason.get("pairs", [])]
    )
    city = names.get(reason.get("city") or 0, "")
    constraint = reason["constraint"]
    if constraint == solver.Constraint.DONOR_CAPACITY:
        return ngettext(
            "%(city)s can take %(limit)s new partnership, but %(required)s are locked: %(pairs)s.",
            "%(city)s can take %(limit)s new partnerships, but %(required)s are locked: %(pairs)s.",
            reason["limit"],
        ) % {"city": city, "limit": reason["limit"], "required": reason["required"], "pairs": pairs}
    if constraint == solver.Constraint.RECIPIENT_MAX:
        return ngettext(
            "%(city)s may have %(limit)s partner, but %(required)s are locked: %(pairs)s.",
            "%(city)s may have %(limit)s partners, but %(required)s are locked: %(pairs)s.",
            reason["limit"],
        ) % {"city": city, "limit": reason["limit"], "required": reason["required"], "pairs": pairs}
    if constraint == solver.Constraint.BUDGET:
        return _(
            "The locked pairs cost USD %(required)s together, more than the budget of "
            "USD %(limit)s: %(pairs)s."
        ) % {"required": f"{reason['required']:,}", "limit": f"{reason['limit']:,}", "pairs": pairs}
    if constraint == solver.Constraint.AREAS:
        return _("%(pairs)s is locked, but it serves none of the round's areas.") % {"pairs": pairs}
    if constraint == solver.Constraint.EXCLUDED:
        return _("%(pairs)s is both locked and ruled out.") % {"pairs": pairs}
    return _("%(pairs)s is locked, but the pair has no match score.") % {"pairs": pairs}


def city_names(round_: Round) -> dict[int, str]:
    """Names of every city the round's solution mentions: one query."""
    solution = round_.solution or {}
    ids: set[int] = set()
    for entry in solution.get("left_out", []):
        ids.add(entry["recipient"])
        ids.update(entry.get("donors", []))
        ids.update(r["donor"] for r in entry.get("remedies", []) if r.get("donor"))
    for reason in solution.get("infeasible", []):
        ids.update(city for pair in reason.get("pairs", []) for city in pair)
        if reason.get("city"):
            ids.add(reason["city"])
    for key in ("only_optimal", "only_stable"):
        ids.update(city for pair in solution.get(key, []) for city in pair)
    if not ids:
        return {}
    return dict(City.objects.filter(pk__in=ids).values_list("id", "name"))


def explained_left_out(user, round_: Round, names: dict[int, str]) -> list[dict]:
    """The left-out recipients the user may see, each with its sentence and remedies."""
    budget_left = (round_.solution or {}).get("budget_left_usd")
    result = []
    for entry in left_out_for(user, round_):
        name = names.get(entry["recipient"], str(entry["recipient"]))
        result.append(
            {
                **entry,
                "name": name,
                "message": left_out_sentence(entry, names, budget_left=budget_left),
                "remedy_messages": [remedy_sentence(r, name, names) for r in entry["remedies"]],
            }
        )
    return result


def infeasible_messages(round_: Round, names: dict[int, str]) -> list[str]:
    return [
        infeasible_sentence(reason, names)
        for reason in (round_.solution or {}).get("infeasible", [])
    ]


# --- Export -------------------------------------------------------------------------------------

CSV_HEADER = [
    "status",
    "method",
    "donor",
    "donor_country",
    "recipient",
    "recipient_country",
    "score",
    "cost_usd",
    "locked",
    "areas",
    "partnership",
    "reason",
    "remedies",
]


def csv_rows(user, round_: Round) -> list[dict]:
    """The round as rows: every chosen pair of both methods, then every left-out recipient."""
    rows: list[dict] = []
    for method in RoundPair.Method.values:
        for pair in pairs_for(user, round_, method):
            rows.append(
                {
                    "status": "chosen",
                    "method": method,
                    "donor": pair.donor.name,
                    "donor_country": pair.donor.country,
                    "recipient": pair.recipient.name,
                    "recipient_country": pair.recipient.country,
                    "score": pair.score,
                    "cost_usd": pair.cost_usd,
                    "locked": "yes" if pair.locked else "no",
                    "areas": " ".join(pair.areas),
                    "partnership": pair.partnership.status if pair.partnership else "",
                }
            )
    names = city_names(round_)
    for entry in explained_left_out(user, round_, names):
        rows.append(
            {
                "status": "left_out",
                "method": RoundPair.Method.OPTIMAL,
                "recipient": entry["name"],
                "reason": entry["message"],
                "remedies": " ".join(entry["remedy_messages"]),
            }
        )
    return rows
