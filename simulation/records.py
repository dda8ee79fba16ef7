"""The loops' inputs as named records: what `engine` builds, by name, from the validated scenario
and the population's arrays, and `kernels.year_pass` hands to the compiled loops of
`simulation.kernels`.

A record is composed of its parts in the order its loop takes them: names the engine gives (the
persons' arrays, what depends on the population) and the tables of each tier the loop runs, from
the builders each tier's module declares beside its rules (`parameters.terms`: the names, and a
function of the scenario returning them) and each loop lists beside itself (`kernels.CAP_TERMS`
etc.). A new tier in an existing loop adds its builder to that list; nothing here changes.

Each record's fields are named as the parameters of the loop that reads them and stand in their
order (tests/test_drivers.py holds every record's names equal to its loop's parameters), so a
table cannot reach the wrong parameter. The compiled code receives the fields as a plain tuple:
numba's own named tuples were tried and cost a third more compile time on first use.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from . import kernels
from .parameters import ScenarioModel


def _record(name: str, doc: str, *parts) -> type:
    """A NamedTuple of the parts' names in order: a part is a tuple of names the engine gives, or a
    tier's builder (`parameters.terms`) whose names it fills from the scenario (`fill`)."""
    fields = [f for part in parts for f in (part if isinstance(part, tuple) else part.fields)]
    cls = NamedTuple(name, [(f, Any) for f in fields])
    cls.__doc__ = doc
    cls.builders = tuple(part for part in parts if not isinstance(part, tuple))
    return cls


def fill(record: type, p: ScenarioModel, **given):
    """`record` filled by name: `given` by the engine, the rest from its builders' tables of `p`."""
    for build in record.builders:
        given.update(build(p))
    return record(**given)


ClaimInputs = _record(
    "ClaimInputs",
    "Tier 1 per claim (`kernels._claims_range`, after lo, hi, row0): the claims sorted by person and "
    "month (`chain` and `referred` as generated: the loop keeps 市内 chains only, 毕节 二(四)1, and pays "
    "a level needing no referral as referred, 二(七)), the persons' attributes, the basic-insurance "
    "terms and the two switches (`any_unreferred`: some claim at a level needing a referral has none).",
    ("offsets", "setting", "level", "chain", "referred", "policy", "total", "hospital", "out_of_city",
     "ooc_lowest", "ma_from_base", "employee", "age", "cat_mask", "insured"),
    *kernels.CLAIM_TERMS,
    ("any_unreferred", "any_hospital"),
)  # fmt: skip

TierInputs = _record(
    "TierInputs",
    "Tiers 2-4 under each held category (`kernels._tiers_range`, after the bases): who each tier "
    "reaches, then one table row per category (parameters.table_rows) of each tier's terms, and the "
    "cap's out-of-catalogue share.",
    ("enrolled", "employee", "take_up", "members"),
    *kernels.TIER_TERMS,
)

CapInputs = _record(
    "CapInputs",
    "Departments' subsidies and the household cap (`kernels._cap_chunk`, after counted, cat_mask, "
    "household): the persons' attributes and the two tiers' terms.",
    ("disabled", "veteran", "union_member"),
    *kernels.CAP_TERMS,
    ("enrolled",),
)

FoundInputs = _record(
    "FoundInputs", "政策找人's type-1/2 tests (`kernels._found_range`).", *kernels.FOUND_TERMS
)

WarningInputs = _record(
    "WarningInputs",
    "The early-warning rules (`kernels._warnings_range`).",
    ("employee",),
    *kernels.WARNING_TERMS,
)

PremiumInputs = _record(
    "PremiumInputs",
    "The premium-subsidy rules (`kernels._premium_range`).",
    ("age", "employee", "enrolled"),
    *kernels.PREMIUM_TERMS,
)

AidInputs = _record(
    "AidInputs", "The mutual-aid contribution subsidy (`kernels._contribution_range`).", ("members",),
    *kernels.AID_TERMS,
)  # fmt: skip

SumInputs = _record(
    "SumInputs",
    "What the summary's sums read beyond the year's arrays (`kernels._person_sums`).",
    ("weight", "employee", "enrolled", "age", "disabled"),
    *kernels.SUM_TERMS,
)

HouseholdInputs = _record(
    "HouseholdInputs", "The households' weighted counts (`kernels._household_counts`, after the sums).",
    *kernels.HOUSEHOLD_TERMS,
)  # fmt: skip


# record -> (the loop reading it, the parameter its first field is, or None when its fields are
# passed among others): tests/test_drivers.py checks the names against the loops
READERS: dict[type, tuple[str, str | None]] = {
    ClaimInputs: ("_claims_range", "offsets"),
    TierInputs: ("_tiers_range", "enrolled"),
    CapInputs: ("_cap_chunk", "disabled"),
    FoundInputs: ("_found_range", "income_limit"),
    WarningInputs: ("_warnings_range", None),
    PremiumInputs: ("_premium_range", "age"),
    AidInputs: ("_contribution_range", None),
    SumInputs: ("_person_sums", None),
    HouseholdInputs: ("_household_counts", "catastrophic"),
}
