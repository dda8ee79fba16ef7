"""The scenario's parameter schema (pydantic v2): every tier's levers with their types and ranges.

Values arrive here already stripped of their citations (see `scenario.py`), so the schema only
says what a valid policy is. Money is yuan, ratios are fractions in [0, 1].
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CATEGORY_CODES: tuple[str, ...] = (
    "none",
    "tekun",
    "dibao",
    "dibian",
    "expenditure_poor",
    "orphan",
    "special_relief",
    "poverty_registered",
    "family_planning",
)
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "none": ("普通参保人", "ordinary insured"),
    "tekun": ("特困人员", "destitute (tekun)"),
    "dibao": ("低保对象", "minimum-living-standard (dibao)"),
    "dibian": ("低保边缘/低收入", "near-dibao / low income"),
    "expenditure_poor": ("支出型贫困", "expenditure-poor"),
    "orphan": ("孤儿/困境儿童", "orphan / child in hardship"),
    "special_relief": ("特殊救济对象", "special relief"),
    "poverty_registered": ("建档立卡贫困人口", "registered poor"),
    "family_planning": ("计生两户", "family-planning households"),
}
CAT_BIT_OF: dict[str, int] = {code: 1 << i for i, code in enumerate(CATEGORY_CODES)}
SETTINGS: tuple[str, ...] = ("inpatient", "outpatient", "chronic")
SCHEMES: tuple[str, ...] = ("employee", "resident")

Category = Literal[
    "none",
    "tekun",
    "dibao",
    "dibian",
    "expenditure_poor",
    "orphan",
    "special_relief",
    "poverty_registered",
    "family_planning",
]
Setting = Literal["inpatient", "outpatient", "chronic"]
Scheme = Literal["employee", "resident"]

Ratio = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Money = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
MoneyByLevel = Money | dict[str, Money]
RatioByLevel = Ratio | dict[str, Ratio]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(_Model):
    title: str
    file: str | None = None
    number: str | None = None
    date: str | None = None


class HospitalLevel(_Model):
    label: str
    label_en: str = ""
    pays: bool = True  # False: a facility the insurance never pays (Bijie: non-designated private)


# ---------------------------------------------------------------- basic insurance (基本医保)


class Terms(_Model):
    """Deductible and ratio of one setting, each a single value or one per hospital level."""

    deductible: MoneyByLevel = 0.0
    deductible_per: Literal["admission", "year"] = "admission"
    ratio: RatioByLevel


class SettingTerms(Terms):
    unreferred: Terms | None = None  # terms of care without the required referral
    annual_cap: Money | None = None  # fund cap of this setting alone (e.g. outpatient pooling)


class SchemeTerms(_Model):
    inpatient: SettingTerms
    outpatient: SettingTerms
    chronic: SettingTerms
    annual_cap: Money | None = None  # fund cap per person-year over inpatient + chronic
    retiree_ratio_bonus: Ratio = 0.0  # employees past retirement_age get this many more points
    retirement_age: int = Field(60, ge=0, le=120)


class SpecialTerms(_Model):
    """Terms replacing the scheme's for named categories (Bijie's poor residents)."""

    label: str = ""
    categories: list[Category]
    schemes: list[Scheme] = ["resident"]
    inpatient: SettingTerms | None = None
    outpatient: SettingTerms | None = None
    chronic: SettingTerms | None = None
    uncapped: bool = False  # 不设封顶线


class BasicInsurance(_Model):
    employee: SchemeTerms
    resident: SchemeTerms
    special_terms: list[SpecialTerms] = []


# ---------------------------------------------------------------- critical illness (大病保险)


class Band(_Model):
    upto: Money | None  # upper end of the band in cumulative base (None: no upper end)
    ratio: Ratio


def _check_bands(threshold: float, bands: list[Band]) -> list[Band]:
    low = threshold
    for i, b in enumerate(bands):
        if b.upto is None:
            if i != len(bands) - 1:
                raise ValueError(f"bands.{i}.upto: only the last band may be open-ended (null)")
            continue
        if b.upto <= low:
            raise ValueError(
                f"bands.{i}.upto: bands must be ascending above the threshold; got {b.upto} after {low}"
            )
        low = b.upto
    return bands


class CriticalTerms(_Model):
    threshold: Money
    bands: list[Band] = Field(min_length=1)
    cap: Money | None = None

    @model_validator(mode="after")
    def _ascending(self) -> CriticalTerms:
        _check_bands(self.threshold, self.bands)
        return self


class CriticalTilt(_Model):
    """Favourable terms for named categories (倾斜支付)."""

    label: str = ""
    categories: list[Category]
    threshold: Money | None = None  # None: the general threshold
    threshold_factor: Ratio = 1.0  # e.g. 0.5: threshold halved (医保发〔2018〕18号)
    ratio_bonus: Ratio = 0.0  # points added to every band ratio (capped at 1)
    bands: list[Band] | None = None  # own band table replacing the general one
    uncapped: bool = False


class CriticalIllness(_Model):
    enabled: bool = True
    schemes: list[Scheme] = ["resident"]
    settings: list[Setting] = ["inpatient", "chronic"]
    base_includes_below_deductible: bool = True
    terms: CriticalTerms
    tilts: list[CriticalTilt] = []
    premium_per_capita: Money  # financing per enrolled person of the covered schemes, yuan/year
    margin_floor: Ratio = 0.03
    margin_ceiling: Ratio = 0.05
    policy_loss_fund_share: Ratio = 0.5  # share of a shortfall below the floor the fund makes good
    quality_deposit_rate: Ratio = 0.10
    deposit_released: bool = True  # annual assessment passed

    @model_validator(mode="after")
    def _corridor(self) -> CriticalIllness:
        if self.margin_floor > self.margin_ceiling:
            raise ValueError(
                f"margin_floor ({self.margin_floor}) must not exceed margin_ceiling ({self.margin_ceiling})"
            )
        return self


# ---------------------------------------------------------------- medical assistance (医疗救助)


class MedicalAssistance(_Model):
    inpatient_ratio: dict[Category, Ratio]
    outpatient_ratio: dict[Category, Ratio]
    chronic_ratio: dict[Category, Ratio] = {}  # missing category: its outpatient ratio
    deductible: dict[Category, Money] = {}  # annual assistance deductible; missing: none
    annual_limit: dict[Category, Money] = {}  # annual assistance limit; missing: no limit
    outpatient_annual_limit: dict[Category, Money] = {}  # limit of outpatient + chronic alone
    base_includes_below_deductible: bool = True
    requires_enrolment: bool = True
    # out-of-city care (异地就医) in the base: all of it, only registered (办理就医关系转移或异地就医
    # 实时结算, 沪府办规〔2022〕19号 二(二)3), or none (local care only)
    out_of_city: Literal["all", "registered", "local"] = "all"


class PremiumSubsidyRule(_Model):
    label: str = ""
    categories: list[Category]
    amount: Money | Literal["full"]
    min_age: int = Field(0, ge=0, le=150)
    max_age: int | None = Field(None, ge=0, le=150)
    schemes: list[Scheme] = ["resident"]


# ---------------------------------------------------------------- supplementary insurance (惠民保)


class Supplement(_Model):
    enabled: bool = False
    name: str = "惠民保"
    order: Literal["before_assistance", "after_assistance"] = "after_assistance"
    deductible: Money = 0.0
    ratio_policy: Ratio = 0.0
    ratio_out_of_catalogue: Ratio = 0.0
    cap: Money | None = None
    uptake: Ratio = 0.0
    fiscal_enrolment_categories: list[Category] = []  # enrolled by the government: uptake 1
    # optional fiscal enrolment of further groups (嘉兴 共富方案 二(二)7 积极争取将60岁以上老人、
    # 持证残疾人等纳入政府资助范围): None / False leaves them at the general uptake
    fiscal_enrolment_min_age: int | None = Field(None, ge=0, le=150)
    fiscal_enrolment_disabled: bool = False
    premium: Money = 0.0  # yuan per enrollee per year


# ---------------------------------------------------------------- household cap (封顶制)


class FamilyCap(_Model):
    enabled: bool = False
    cap: dict[Category, Money] = {}
    share: Ratio = 1.0
    out_of_catalogue_reasonable_share: Ratio = 0.0  # share of out-of-catalogue OOP deemed reasonable
    negative_list_share: Ratio = 0.0  # share of the counted cost on the 负面清单 (unreasonable), excluded


class MutualAidPlan(_Model):
    """A mutual-aid plan paying after basic insurance (上海 职工医疗互助保障计划, 少儿住院互助基金)."""

    label: str
    members: Literal["employee", "resident", "all"] = "all"
    min_age: int = Field(0, ge=0, le=150)
    max_age: int | None = Field(None, ge=0, le=150)
    settings: list[Setting] = ["inpatient"]
    deductible: Money = 0.0  # annual, on the policy-range cost left after basic and 大病
    ratio: Ratio
    annual_limit: Money | None = None
    contribution: Money = 0.0  # yuan per member per year
    subsidised_categories: list[Category] = []  # contribution paid in full for these (全额资助)


class PremiumSharing(_Model):
    """Who pays a fixed premium subsidy, by county class (毕节 医保扶贫方案 二(三))."""

    categories: list[Category]
    shares: dict[str, list[Annotated[float, Field(ge=0, le=1)]]]  # class -> [province, city, county]
    districts: dict[str, str] = {}  # district -> class
    default_class: str

    @model_validator(mode="after")
    def _check(self) -> PremiumSharing:
        for k, v in self.shares.items():
            if len(v) != 3 or abs(sum(v) - 1.0) > 1e-9:
                raise ValueError(f"shares.{k}: expected [province, city, county] summing to 1, got {v}")
        for d, k in {**self.districts, "<default>": self.default_class}.items():
            if k not in self.shares:
                raise ValueError(f"districts.{d}: class '{k}' has no shares")
        return self


class DiseaseQuota(_Model):
    label: str
    quota: Money  # fixed price per case (按病种定(限)额付费)


class HospitalLiability(_Model):
    """Cost the hospital must bear (毕节 医保扶贫方案 二(四)4 and 二(六))."""

    disease_quota: dict[str, DiseaseQuota] = {}  # cost of a listed disease above its quota
    out_of_catalogue_share_max: Ratio | None = None  # the poor's out-of-catalogue share of a claim
    out_of_catalogue_categories: list[Category] = []


class OtherSubsidy(_Model):
    """A department's medical subsidy paid before the household cap (临安 梯次减负, in order)."""

    label: str
    department: str = ""
    eligible: Literal["disabled", "veteran", "union_member", "poor", "all"]
    categories: list[Category] = []  # if given, only persons also holding one of these
    ratio: Ratio
    annual_limit: Money | None = None


# ---------------------------------------------------------------- long-term care insurance (长期护理保险)

CARE_LEVELS: tuple[str, ...] = ("1", "2", "3")  # care_need 1 mild, 2 moderate, 3 severe (重度失能)
CARE_SETTINGS: tuple[str, ...] = ("home", "institution")  # 居家护理, 机构护理
CareLevel = Literal["1", "2", "3"]


class LtcFinancing(_Model):
    """Per-capita financing of one scheme's insured, yuan/year (多渠道筹资)."""

    individual: Money = 0.0  # 个人缴费
    pool_transfer: Money = 0.0  # 医保统筹基金划转 (carved out of the medical pool's contributions)
    fiscal: Money = 0.0  # 财政补助


class LtcSettingTerms(_Model):
    """Benefit of one care setting: the fund pays `ratio` of the monthly cost of the basic care
    package (基础服务项目) at the person's care level, at most `monthly_limit`."""

    care_cost: dict[CareLevel, Money]  # monthly cost of the basic package by care level
    ratio: Ratio
    monthly_limit: dict[CareLevel, Money] = {}  # missing level: no limit


class LongTermCare(_Model):
    """An independent insurance fund (独立险种) for the care of disabled persons (嘉兴 二(二)6)."""

    enabled: bool = False
    schemes: list[Scheme] = ["employee", "resident"]  # 覆盖全民、城乡一体
    financing: dict[Scheme, LtcFinancing] = {}
    subsidised_categories: list[Category] = []  # individual contribution paid by the government
    min_level: int = Field(3, ge=1, le=3)  # lowest care_need that qualifies (3: 重度失能 only)
    months: float = Field(12.0, ge=0.0, le=12.0, allow_inf_nan=False)  # months of care a year
    settings: dict[Literal["home", "institution"], LtcSettingTerms] = {}

    @model_validator(mode="after")
    def _complete(self) -> LongTermCare:
        if not self.enabled:
            return self
        for s in self.schemes:
            if s not in self.financing:
                raise ValueError(f"financing: missing scheme '{s}' (every covered scheme is financed)")
        for st in CARE_SETTINGS:
            if st not in self.settings:
                raise ValueError(f"settings: missing care setting '{st}' (home and institution)")
            for lv in CARE_LEVELS[self.min_level - 1 :]:
                if lv not in self.settings[st].care_cost:
                    raise ValueError(f"settings.{st}.care_cost: missing a value for care level {lv}")
        return self


class Enrolment(_Model):
    """Enrolment of persons newly identified as poor during the year (毕节 医保扶贫方案 二(二):
    每年8月底前新认定的纳入当年度基本医保; 9月至12月新认定且未参保的纳入下一年度)."""

    new_poor_deadline_month: int | None = Field(None, ge=1, le=12)  # None: no such rule
    new_poor_categories: list[Category] = []  # categories whose new holders it covers (empty: any)


# ---------------------------------------------------------------- flags


class WarningRule(_Model):
    label: str = ""
    scheme: Scheme | None = None
    assistance_objects: bool = False  # only persons in an assistance category
    threshold: Money


class Flags(_Model):
    expenditure_poor_share: Ratio = 0.4
    expenditure_poor_income_limit_per_capita: Money | None = None
    dibao_monthly: Money
    catastrophic_threshold: Ratio = 0.10
    policy_finds_people: bool = False
    warning: list[WarningRule] = []


# ---------------------------------------------------------------- fund financing


class Financing(_Model):
    employee_per_capita: Money  # pooled fund income per employee insured, yuan/year
    resident_individual: Money  # resident individual contribution, yuan/year
    resident_subsidy: Money  # fiscal subsidy per resident, yuan/year
    assistance_fiscal_per_capita: Money  # assistance fund income per insured person, yuan/year
    charity_donations_per_capita: Money = 0.0
    charity_fiscal_per_capita: Money = 0.0
    charity_fiscal_share_max: Ratio = 1.0
    opening_reserve_months: dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False)]] = {}


class Target(_Model):
    label: str
    label_en: str = ""
    min: float | None = None
    max: float | None = None


# ---------------------------------------------------------------- the whole scenario


class ScenarioModel(_Model):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    title_en: str = ""
    region: str
    year: int = Field(ge=1990, le=2100)
    documents: dict[str, Document] = {}
    categories: list[Category]
    hospital_levels: dict[str, HospitalLevel]
    basic_insurance: BasicInsurance
    critical_illness: CriticalIllness
    medical_assistance: MedicalAssistance
    premium_subsidy: list[PremiumSubsidyRule] = []
    supplement: Supplement = Supplement()
    family_cap: FamilyCap = FamilyCap()
    other_subsidies: list[OtherSubsidy] = []
    mutual_aid: list[MutualAidPlan] = []
    premium_sharing: PremiumSharing | None = None
    hospital_liability: HospitalLiability = HospitalLiability()
    long_term_care: LongTermCare = LongTermCare()
    enrolment: Enrolment = Enrolment()
    flags: Flags
    financing: Financing
    targets: dict[str, Target] = {}
    constraints: dict[str, list[float]] = {}  # dotted path -> [min, max] the text allows
    population: dict[str, Any] | None = None  # generator section, validated by population.spec
    projection: dict[str, Any] | None = None  # horizon and assumptions, validated by projection

    @field_validator("categories")
    @classmethod
    def _has_none(cls, v: list[str]) -> list[str]:
        if "none" not in v:
            raise ValueError("must include 'none' (普通参保人)")
        return v

    @model_validator(mode="after")
    def _cross_references(self) -> ScenarioModel:
        errors: list[str] = []
        cats = set(self.categories)
        levels = set(self.hospital_levels)

        def cat_keys(path: str, keys) -> None:
            for k in keys:
                if k not in cats:
                    errors.append(
                        f"{path}.{k}: category '{k}' is used but not defined in 'categories' "
                        f"(defined: {', '.join(self.categories)})"
                    )

        def level_map(path: str, v) -> None:
            if isinstance(v, dict):
                for k in v:
                    if k not in levels:
                        errors.append(
                            f"{path}.{k}: hospital level '{k}' is not defined in 'hospital_levels' "
                            f"(defined: {', '.join(levels)})"
                        )
                for k in levels - set(v):
                    errors.append(f"{path}: missing a value for hospital level '{k}'")

        def terms(path: str, t: SettingTerms | Terms | None) -> None:
            if t is None:
                return
            level_map(f"{path}.deductible", t.deductible)
            level_map(f"{path}.ratio", t.ratio)
            if isinstance(t, SettingTerms):
                terms(f"{path}.unreferred", t.unreferred)

        bi = self.basic_insurance
        for scheme in SCHEMES:
            st = getattr(bi, scheme)
            for s in SETTINGS:
                terms(f"basic_insurance.{scheme}.{s}", getattr(st, s))
        for i, sp in enumerate(bi.special_terms):
            cat_keys(f"basic_insurance.special_terms.{i}.categories", sp.categories)
            for s in SETTINGS:
                terms(f"basic_insurance.special_terms.{i}.{s}", getattr(sp, s))
        for i, tl in enumerate(self.critical_illness.tilts):
            cat_keys(f"critical_illness.tilts.{i}.categories", tl.categories)
            if tl.bands is not None:
                try:
                    _check_bands(
                        tl.threshold
                        if tl.threshold is not None
                        else self.critical_illness.terms.threshold * tl.threshold_factor,
                        tl.bands,
                    )
                except ValueError as e:
                    errors.append(f"critical_illness.tilts.{i}.{e}")
        ma = self.medical_assistance
        for name in (
            "inpatient_ratio",
            "outpatient_ratio",
            "chronic_ratio",
            "deductible",
            "annual_limit",
            "outpatient_annual_limit",
        ):
            cat_keys(f"medical_assistance.{name}", getattr(ma, name))
        for i, r in enumerate(self.premium_subsidy):
            cat_keys(f"premium_subsidy.{i}.categories", r.categories)
        cat_keys("supplement.fiscal_enrolment_categories", self.supplement.fiscal_enrolment_categories)
        cat_keys("family_cap.cap", self.family_cap.cap)
        cat_keys(
            "hospital_liability.out_of_catalogue_categories",
            self.hospital_liability.out_of_catalogue_categories,
        )
        for i, m in enumerate(self.mutual_aid):
            cat_keys(f"mutual_aid.{i}.subsidised_categories", m.subsidised_categories)
        if self.premium_sharing is not None:
            cat_keys("premium_sharing.categories", self.premium_sharing.categories)
        for i, o in enumerate(self.other_subsidies):
            cat_keys(f"other_subsidies.{i}.categories", o.categories)
        cat_keys("long_term_care.subsidised_categories", self.long_term_care.subsidised_categories)
        cat_keys("enrolment.new_poor_categories", self.enrolment.new_poor_categories)
        if errors:
            raise ValueError("; ".join(errors))
        return self
