"""The scenario's parameter schema (pydantic v2): every tier's levers with their types and ranges.

Values arrive here already stripped of their citations (see `scenario.py`), so the schema only
says what a valid policy is. Money is yuan, ratios are fractions in [0, 1].

Every field a planner can move carries its labels and unit in the schema itself, through one helper,
`labelled(default, zh, en, unit, keys=...)`, which stores them as the field's `json_schema_extra`
(so `ScenarioModel.model_json_schema()` shows them next to the bounds). A field holding a section
(a scheme, a setting) carries the label its leaves are prefixed with; `keys` names what the keys of
a mapping (or the positions of a list) are, so a leaf under them is qualified by that key's label:
`medical_assistance.inpatient_ratio.dibao` reads 住院救助比例（低保对象）. `registry.levers` walks
the schema and composes these labels; no label is ever made from the words of a path.

The code lists (categories, settings, schemes, care levels) are defined here once, each with its
Chinese and English labels; the `Literal` types the schema validates with are built from them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# ---------------------------------------------------------------- code lists (one each, with labels)

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
CATEGORY_CODES: tuple[str, ...] = tuple(CATEGORY_LABELS)
CAT_BIT_OF: dict[str, int] = {code: 1 << i for i, code in enumerate(CATEGORY_CODES)}
SETTING_LABELS: dict[str, tuple[str, str]] = {
    "inpatient": ("住院", "inpatient"),
    "outpatient": ("门诊", "outpatient"),
    "chronic": ("门诊慢特病", "chronic outpatient"),
}
SETTINGS: tuple[str, ...] = tuple(SETTING_LABELS)
SCHEME_LABELS: dict[str, tuple[str, str]] = {
    "employee": ("职工医保", "employee insurance"),
    "resident": ("城乡居民医保", "resident insurance"),
}
SCHEMES: tuple[str, ...] = tuple(SCHEME_LABELS)
# care_need 1 mild, 2 moderate, 3 severe (重度失能); care settings 居家护理, 机构护理
CARE_LEVEL_LABELS: dict[str, tuple[str, str]] = {
    "1": ("轻度失能", "mild disability"),
    "2": ("中度失能", "moderate disability"),
    "3": ("重度失能", "severe disability"),
}
CARE_LEVELS: tuple[str, ...] = tuple(CARE_LEVEL_LABELS)
CARE_SETTING_LABELS: dict[str, tuple[str, str]] = {
    "home": ("居家护理", "home care"),
    "institution": ("机构护理", "institutional care"),
}
CARE_SETTINGS: tuple[str, ...] = tuple(CARE_SETTING_LABELS)
# the three governments sharing a premium subsidy (premium_sharing.shares: [province, city, county])
GOVERNMENT_LABELS: dict[str, tuple[str, str]] = {
    "province": ("省级", "province"),
    "city": ("市级", "city"),
    "county": ("县级", "county"),
}

Category = Literal[CATEGORY_CODES]  # type: ignore[valid-type]
Setting = Literal[SETTINGS]  # type: ignore[valid-type]
Scheme = Literal[SCHEMES]  # type: ignore[valid-type]
CareLevel = Literal[CARE_LEVELS]  # type: ignore[valid-type]
CareSetting = Literal[CARE_SETTINGS]  # type: ignore[valid-type]

Ratio = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Money = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
MoneyByLevel = Money | dict[str, Money]
RatioByLevel = Ratio | dict[str, Ratio]

# ---------------------------------------------------------------- lever metadata

# unit of a lever -> (English unit, kind); kind is rate (a fraction shown in %), money, number or
# switch (a boolean, no unit)
LEVER_UNITS: dict[str, tuple[str, str]] = {
    "%": ("%", "rate"),
    "元": ("yuan", "money"),
    "元/月": ("yuan a month", "money"),
    "元/人·年": ("yuan a person a year", "money"),
    "岁": ("years of age", "number"),
    "月": ("months", "number"),
    "级": ("level", "number"),
    "": ("", "switch"),
}
# what the keys of a mapping (or the positions of a list) under a field are: see registry.levers
KEY_DOMAINS = frozenset(
    {
        "category",
        "level",
        "scheme",
        "care_level",
        "care_setting",
        "fund",
        "band",
        "item",
        "government",
        "class",
    }
)


def labelled(
    default: Any = ...,
    label: str = "",
    label_en: str = "",
    unit: str = "",
    *,
    keys: tuple[str, ...] = (),
    **field: Any,
) -> Any:
    """A pydantic Field carrying a lever's labels (zh, en), unit (a key of LEVER_UNITS) and the
    domains of the keys below it, as `json_schema_extra`. Bounds stay the type's (ge/le)."""
    if unit not in LEVER_UNITS:
        raise ValueError(f"labelled: unknown unit {unit!r} (units: {', '.join(LEVER_UNITS)})")
    if not set(keys) <= KEY_DOMAINS:
        raise ValueError(f"labelled: unknown key domain in {keys!r}")
    extra: dict[str, Any] = {"label": label, "label_en": label_en, "unit": unit}
    if keys:
        extra["keys"] = list(keys)
    return Field(default, json_schema_extra=extra, **field)


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
    # False: a facility the insurance never pays (Bijie: non-designated private)
    pays: bool = labelled(True, "纳入医保支付", "paid by the insurance")
    # False: outside the city (provincial, out-of-province): a referral chain's one deductible holds
    # between the city's designated hospitals only (毕节 二(四)1 在市内定点医疗机构间双向转诊)
    in_city: bool = labelled(True, "市内定点医疗机构", "designated hospital inside the city")
    # False: admissions here need no referral, so the unreferred terms never apply (毕节 二(七)
    # 县级以上定点医疗机构住院…实行电子转诊; 表1 不需转诊起付线同经转诊)
    referral_required: bool = labelled(True, "住院需经转诊", "admission needs a referral")


# ---------------------------------------------------------------- basic insurance (基本医保)


class Terms(_Model):
    """Deductible and ratio of one setting, each a single value or one per hospital level."""

    deductible: MoneyByLevel = labelled(0.0, "起付线", "deductible", "元", keys=("level",))
    deductible_per: Literal["admission", "year"] = "admission"
    ratio: RatioByLevel = labelled(..., "报销比例", "reimbursement ratio", "%", keys=("level",))


class SettingTerms(Terms):
    # terms of care without the required referral
    unreferred: Terms | None = labelled(None, "未转诊", "unreferred")
    # fund cap of this setting alone (e.g. outpatient pooling)
    annual_cap: Money | None = labelled(None, "年度最高支付限额", "annual fund cap", "元")


class SchemeTerms(_Model):
    inpatient: SettingTerms = labelled(..., *SETTING_LABELS["inpatient"])
    outpatient: SettingTerms = labelled(..., *SETTING_LABELS["outpatient"])
    chronic: SettingTerms = labelled(..., *SETTING_LABELS["chronic"])
    # fund cap per person-year over inpatient + chronic
    annual_cap: Money | None = labelled(
        None, "年度最高支付限额（住院和门诊慢特病）", "annual fund cap (inpatient and chronic)", "元"
    )
    # employees past retirement_age get this many more points
    retiree_ratio_bonus: Ratio = labelled(0.0, "退休人员报销比例提高", "retiree ratio bonus", "%")
    retirement_age: int = labelled(60, "退休年龄", "retirement age", "岁", ge=0, le=120)


class SpecialTerms(_Model):
    """Terms replacing the scheme's for named categories (Bijie's poor residents)."""

    label: str = ""
    label_en: str = ""
    categories: list[Category]
    schemes: list[Scheme] = ["resident"]
    inpatient: SettingTerms | None = labelled(None, *SETTING_LABELS["inpatient"])
    outpatient: SettingTerms | None = labelled(None, *SETTING_LABELS["outpatient"])
    chronic: SettingTerms | None = labelled(None, *SETTING_LABELS["chronic"])
    uncapped: bool = labelled(False, "不设封顶线", "no annual fund cap")


class BasicInsurance(_Model):
    employee: SchemeTerms = labelled(..., *SCHEME_LABELS["employee"])
    resident: SchemeTerms = labelled(..., *SCHEME_LABELS["resident"])
    special_terms: list[SpecialTerms] = labelled([], keys=("item",))


# ---------------------------------------------------------------- critical illness (大病保险)


class Band(_Model):
    # upper end of the band in cumulative base (None: no upper end)
    upto: Money | None = labelled(..., "分段上限", "upper end of the band", "元")
    ratio: Ratio = labelled(..., "分段报销比例", "band reimbursement ratio", "%")


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
    threshold: Money = labelled(..., "大病保险起付线", "critical-illness threshold", "元")
    bands: list[Band] = labelled(..., keys=("band",), min_length=1)
    cap: Money | None = labelled(None, "大病保险年度最高支付限额", "critical-illness annual cap", "元")

    @model_validator(mode="after")
    def _ascending(self) -> CriticalTerms:
        _check_bands(self.threshold, self.bands)
        return self


class CriticalTilt(_Model):
    """Favourable terms for named categories (倾斜支付)."""

    label: str = ""
    label_en: str = ""
    categories: list[Category]
    # None: the general threshold
    threshold: Money | None = labelled(None, "大病保险起付线", "critical-illness threshold", "元")
    # e.g. 0.5: threshold halved (医保发〔2018〕18号)
    threshold_factor: Ratio = labelled(1.0, "起付线系数", "threshold factor", "%")
    # points added to every band ratio (capped at 1)
    ratio_bonus: Ratio = labelled(0.0, "分段报销比例提高", "band ratio bonus", "%")
    # own band table replacing the general one
    bands: list[Band] | None = labelled(None, keys=("band",))
    uncapped: bool = labelled(False, "不设封顶线", "no annual cap")


class CriticalIllness(_Model):
    enabled: bool = labelled(True, "实施大病保险", "critical-illness insurance in force")
    schemes: list[Scheme] = ["resident"]
    settings: list[Setting] = ["inpatient", "chronic"]
    base_includes_below_deductible: bool = labelled(
        True, "基本医保起付线以下费用计入大病保险", "base includes cost below the basic deductible"
    )
    terms: CriticalTerms = labelled(...)
    tilts: list[CriticalTilt] = labelled([], keys=("item",))
    # financing per enrolled person of the covered schemes, yuan/year
    premium_per_capita: Money = labelled(..., "大病保险人均筹资", "premium per insured person", "元/人·年")
    margin_floor: Ratio = labelled(0.03, "承办机构盈利率下限", "insurer margin floor", "%")
    margin_ceiling: Ratio = labelled(0.05, "承办机构盈利率上限", "insurer margin ceiling", "%")
    # share of a shortfall below the floor the fund makes good
    policy_loss_fund_share: Ratio = labelled(
        0.5, "政策性亏损基金分担比例", "fund's share of a policy-change loss", "%"
    )
    quality_deposit_rate: Ratio = labelled(0.10, "质量保证金比例", "quality deposit rate", "%")
    # annual assessment passed
    deposit_released: bool = labelled(True, "质量保证金考核返还", "quality deposit released")

    @model_validator(mode="after")
    def _corridor(self) -> CriticalIllness:
        if self.margin_floor > self.margin_ceiling:
            raise ValueError(
                f"margin_floor ({self.margin_floor}) must not exceed margin_ceiling ({self.margin_ceiling})"
            )
        return self


# ---------------------------------------------------------------- medical assistance (医疗救助)


class MedicalAssistance(_Model):
    inpatient_ratio: dict[Category, Ratio] = labelled(
        ..., "住院救助比例", "inpatient assistance ratio", "%", keys=("category",)
    )
    outpatient_ratio: dict[Category, Ratio] = labelled(
        ..., "门诊救助比例", "outpatient assistance ratio", "%", keys=("category",)
    )
    # missing category: its outpatient ratio
    chronic_ratio: dict[Category, Ratio] = labelled(
        {}, "门诊慢特病救助比例", "chronic outpatient assistance ratio", "%", keys=("category",)
    )
    # annual assistance deductible; missing: none
    deductible: dict[Category, Money] = labelled(
        {}, "救助起付线", "assistance deductible", "元", keys=("category",)
    )
    # annual assistance limit; missing: no limit
    annual_limit: dict[Category, Money] = labelled(
        {}, "年度救助限额", "annual assistance limit", "元", keys=("category",)
    )
    # limit of outpatient + chronic alone
    outpatient_annual_limit: dict[Category, Money] = labelled(
        {}, "门诊年度救助限额", "annual outpatient assistance limit", "元", keys=("category",)
    )
    base_includes_below_deductible: bool = labelled(
        True, "基本医保起付线以下费用纳入救助", "base includes cost below the basic deductible"
    )
    requires_enrolment: bool = labelled(True, "参保方可救助", "assistance requires enrolment")
    # out-of-city care (异地就医) in the base: all of it, only registered (办理就医关系转移或异地就医
    # 实时结算, 沪府办规〔2022〕19号 二(二)3), or none (local care only)
    out_of_city: Literal["all", "registered", "local"] = "all"
    # categories whose assistance another fund pays: 毕节 二(四)3 计生两户 from 计划生育利益导向资金,
    # booked to `family_planning_paid`, not to the medical-assistance fund
    family_planning_fund: list[Category] = labelled(
        [], "由计划生育利益导向资金救助的类别", "categories aided by the family-planning fund"
    )


class PremiumSubsidyRule(_Model):
    label: str = ""
    label_en: str = ""
    categories: list[Category]
    amount: Money | Literal["full"] = labelled(..., "资助金额", "subsidy per person", "元/人·年")
    min_age: int = labelled(0, "最低年龄", "minimum age", "岁", ge=0, le=150)
    max_age: int | None = labelled(None, "最高年龄", "maximum age", "岁", ge=0, le=150)
    schemes: list[Scheme] = ["resident"]


# ---------------------------------------------------------------- supplementary insurance (惠民保)


class Supplement(_Model):
    enabled: bool = labelled(False, "实施商业补充保险", "supplementary insurance in force")
    name: str = "惠民保"
    order: Literal["before_assistance", "after_assistance"] = "after_assistance"
    deductible: Money = labelled(0.0, "补充保险免赔额", "supplement deductible", "元")
    ratio_policy: Ratio = labelled(
        0.0, "补充保险赔付比例（政策范围内）", "supplement ratio (policy-range cost)", "%"
    )
    ratio_out_of_catalogue: Ratio = labelled(
        0.0, "补充保险赔付比例（目录外）", "supplement ratio (out-of-catalogue cost)", "%"
    )
    cap: Money | None = labelled(None, "补充保险年度赔付限额", "supplement annual cap", "元")
    # the part of out-of-catalogue cost on the product's list (嘉兴 二(二)7 部分…高价材料和高价药品)
    listed_share: Ratio = labelled(
        1.0, "目录外费用中列入保障清单的比例", "listed share of out-of-catalogue cost", "%"
    )
    uptake: Ratio = labelled(0.0, "补充保险参保率", "supplement uptake", "%")
    fiscal_enrolment_categories: list[Category] = []  # enrolled by the government: uptake 1
    # optional fiscal enrolment of further groups (嘉兴 共富方案 二(二)7 积极争取将60岁以上老人、
    # 持证残疾人等纳入政府资助范围): None / False leaves them at the general uptake
    fiscal_enrolment_min_age: int | None = labelled(
        None, "财政代缴起始年龄", "state enrolment from age", "岁", ge=0, le=150
    )
    fiscal_enrolment_disabled: bool = labelled(False, "财政代缴持证残疾人", "state enrols disabled persons")
    # yuan per enrollee per year
    premium: Money = labelled(0.0, "补充保险保费", "supplement premium", "元/人·年")


# ---------------------------------------------------------------- household cap (封顶制)


class FamilyCap(_Model):
    enabled: bool = labelled(False, "实施封顶制", "household cap in force")
    cap: dict[Category, Money] = labelled(
        {}, "家庭年度个人负担封顶线", "household annual out-of-pocket cap", "元", keys=("category",)
    )
    share: Ratio = labelled(1.0, "封顶线以上兜底比例", "share paid above the cap", "%")
    # share of out-of-catalogue OOP deemed reasonable
    out_of_catalogue_reasonable_share: Ratio = labelled(
        0.0, "目录外费用计入合理费用比例", "reasonable share of out-of-catalogue cost", "%"
    )
    # share of the counted cost on the 负面清单 (unreasonable), excluded
    negative_list_share: Ratio = labelled(
        0.0, "负面清单费用比例", "negative-list share of the counted cost", "%"
    )
    # categories whose line is the person's own, not the family's (临安 二(三) 特困人员5000元)
    personal: list[Category] = []
    # only members insured in basic insurance are covered (临安 二(一) …的我区基本医疗保险参保人员)
    requires_enrolment: bool = labelled(False, "参保方可享受封顶保障", "cap covers insured persons only")
    # the cap pays on the year before's cost (临安 二(三) 上一年度): the fund pays year t's cap in t+1
    paid_next_year: bool = labelled(False, "次年兑付（上一年度费用）", "paid the year after the cost")


class MutualAidPlan(_Model):
    """A mutual-aid plan paying after basic insurance (上海 职工医疗互助保障计划, 少儿住院互助基金)."""

    label: str
    label_en: str = ""
    members: Literal["employee", "resident", "all"] = "all"
    min_age: int = labelled(0, "最低年龄", "minimum age", "岁", ge=0, le=150)
    max_age: int | None = labelled(None, "最高年龄", "maximum age", "岁", ge=0, le=150)
    settings: list[Setting] = ["inpatient"]
    # annual, on the policy-range cost left after basic and 大病
    deductible: Money = labelled(0.0, "互助起付线", "mutual-aid deductible", "元")
    ratio: Ratio = labelled(..., "互助支付比例", "mutual-aid ratio", "%")
    annual_limit: Money | None = labelled(None, "互助年度支付限额", "mutual-aid annual limit", "元")
    # yuan per member per year
    contribution: Money = labelled(0.0, "互助个人缴费", "member contribution", "元/人·年")
    subsidised_categories: list[Category] = []  # contribution paid in full for these (全额资助)


class PremiumSharing(_Model):
    """Who pays a fixed premium subsidy, by county class (毕节 医保扶贫方案 二(三))."""

    categories: list[Category]
    # class -> [province, city, county]; a class is labelled in the scenario file (label, label_en)
    shares: dict[str, list[Annotated[float, Field(ge=0, le=1)]]] = labelled(
        ..., "资助参保资金分担比例", "share of the premium subsidy", "%", keys=("class", "government")
    )
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
    label_en: str = ""
    # fixed price per case (按病种定(限)额付费)
    quota: Money = labelled(..., "病种定额", "quota per case", "元")


class HospitalLiability(_Model):
    """Cost the hospital must bear (毕节 医保扶贫方案 二(四)4 and 二(六))."""

    # cost of a listed disease above its quota
    disease_quota: dict[str, DiseaseQuota] = labelled({}, keys=("item",))
    # whose cases the quota binds (empty: everyone's): 毕节 二(四)4 is the poverty plan's
    disease_quota_categories: list[Category] = []
    # the poor's out-of-catalogue share of a claim
    out_of_catalogue_share_max: Ratio | None = labelled(
        None, "目录外费用占比上限", "maximum out-of-catalogue share of a claim", "%"
    )
    out_of_catalogue_categories: list[Category] = []


class OtherSubsidy(_Model):
    """A department's medical subsidy paid before the household cap (临安 梯次减负, in order)."""

    label: str
    label_en: str = ""
    department: str = ""
    eligible: Literal["disabled", "veteran", "union_member", "poor", "all"]
    categories: list[Category] = []  # if given, only persons also holding one of these
    ratio: Ratio = labelled(..., "补助比例", "subsidy ratio", "%")
    annual_limit: Money | None = labelled(None, "年度补助限额", "annual subsidy limit", "元")


# ---------------------------------------------------------------- long-term care insurance (长期护理保险)


class LtcFinancing(_Model):
    """Per-capita financing of one scheme's insured, yuan/year (多渠道筹资)."""

    individual: Money = labelled(0.0, "个人缴费", "individual contribution", "元/人·年")
    # carved out of the medical pool's contributions
    pool_transfer: Money = labelled(0.0, "医保统筹基金划转", "transfer from the medical pool", "元/人·年")
    fiscal: Money = labelled(0.0, "财政补助", "government subsidy", "元/人·年")


class LtcSettingTerms(_Model):
    """Benefit of one care setting: the fund pays `ratio` of the monthly cost of the basic care
    package (基础服务项目) at the person's care level, at most `monthly_limit`."""

    # monthly cost of the basic package by care level
    care_cost: dict[CareLevel, Money] = labelled(
        ..., "基础服务包月费用", "monthly cost of the basic care package", "元/月", keys=("care_level",)
    )
    ratio: Ratio = labelled(..., "基金支付比例", "share paid by the fund", "%")
    # missing level: no limit
    monthly_limit: dict[CareLevel, Money] = labelled(
        {}, "月支付限额", "monthly limit", "元/月", keys=("care_level",)
    )


class LongTermCare(_Model):
    """An independent insurance fund (独立险种) for the care of disabled persons (嘉兴 二(二)6)."""

    enabled: bool = labelled(False, "实施长期护理保险", "long-term care insurance in force")
    schemes: list[Scheme] = ["employee", "resident"]  # 覆盖全民、城乡一体
    financing: dict[Scheme, LtcFinancing] = labelled({}, "长期护理保险", "long-term care", keys=("scheme",))
    subsidised_categories: list[Category] = []  # individual contribution paid by the government
    # lowest care_need that qualifies (3: 重度失能 only)
    min_level: int = labelled(3, "享受待遇的最低失能等级", "lowest qualifying care level", "级", ge=1, le=3)
    # months of care a year
    months: float = labelled(
        12.0, "年度护理月数", "months of care a year", "月", ge=0.0, le=12.0, allow_inf_nan=False
    )
    settings: dict[CareSetting, LtcSettingTerms] = labelled(
        {}, "长期护理", "long-term care", keys=("care_setting",)
    )

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

    # None: no such rule
    new_poor_deadline_month: int | None = labelled(
        None,
        "新认定困难人员当年参保截止月份",
        "last month of same-year enrolment of the newly poor",
        "月",
        ge=1,
        le=12,
    )
    new_poor_categories: list[Category] = []  # categories whose new holders it covers (empty: any)


# ---------------------------------------------------------------- flags


class WarningRule(_Model):
    label: str = ""
    label_en: str = ""
    scheme: Scheme | None = None
    # only persons in an assistance category
    assistance_objects: bool = labelled(False, "仅限救助对象", "assistance objects only")
    threshold: Money = labelled(..., "预警线（个人负担）", "warning line (out-of-pocket)", "元")
    # whether OOP equal to the line fires (超过…及以上: at or above) or only above it (超过)
    inclusive: bool = labelled(False, "达到预警线即预警（及以上）", "warned at the line itself (at or above)")


class Flags(_Model):
    expenditure_poor_share: Ratio = labelled(
        0.4, "支出型贫困认定：自付占收入比例", "expenditure-poor test: out-of-pocket share of income", "%"
    )
    expenditure_poor_income_limit_per_capita: Money | None = labelled(
        None, "支出型贫困认定：人均收入上限", "expenditure-poor test: income limit per head", "元"
    )
    dibao_monthly: Money = labelled(..., "低保标准", "dibao standard", "元/月")
    catastrophic_threshold: Ratio = labelled(
        0.10, "灾难性卫生支出阈值（占收入）", "catastrophic spending threshold (share of income)", "%"
    )
    policy_finds_people: bool = labelled(False, "政策找人（主动发现）", "policy finds people")
    warning: list[WarningRule] = labelled([], keys=("item",))


# ---------------------------------------------------------------- fund financing


class Financing(_Model):
    employee_per_capita: Money = labelled(
        ..., "职工医保人均统筹基金收入", "employee pooled income per insured", "元/人·年"
    )
    resident_individual: Money = labelled(
        ..., "居民医保个人缴费", "resident individual contribution", "元/人·年"
    )
    resident_subsidy: Money = labelled(..., "居民医保财政补助", "resident fiscal subsidy", "元/人·年")
    # assistance fund income per insured person
    assistance_fiscal_per_capita: Money = labelled(
        ..., "医疗救助人均财政投入", "assistance funding per insured", "元/人·年"
    )
    charity_donations_per_capita: Money = labelled(
        0.0, "暖心基金人均社会捐赠", "charity donations per insured", "元/人·年"
    )
    charity_fiscal_per_capita: Money = labelled(
        0.0, "暖心基金人均财政补助", "charity fiscal funding per insured", "元/人·年"
    )
    charity_fiscal_share_max: Ratio = labelled(
        1.0, "暖心基金财政补助占比上限", "maximum fiscal share of the charity fund", "%"
    )
    opening_reserve_months: dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False)]] = labelled(
        {}, "期初累计结存可支付月数", "opening reserve (months of spending)", "月", keys=("fund",)
    )


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
    # the short name a planner picks the scenario by (临安 2024); the title is the policy's own
    name: str = ""
    name_en: str = ""
    region: str
    year: int = Field(ge=1990, le=2100)
    documents: dict[str, Document] = {}
    categories: list[Category]
    # the policy tiers: each labelled, so the app groups its levers under these headings
    hospital_levels: dict[str, HospitalLevel] = labelled(..., "医院等级", "Hospital levels", keys=("item",))
    basic_insurance: BasicInsurance = labelled(..., "基本医保", "Basic insurance")
    critical_illness: CriticalIllness = labelled(..., "大病保险", "Critical-illness insurance")
    medical_assistance: MedicalAssistance = labelled(..., "医疗救助", "Medical assistance")
    premium_subsidy: list[PremiumSubsidyRule] = labelled([], "资助参保", "Premium subsidies", keys=("item",))
    supplement: Supplement = labelled(Supplement(), "商业补充保险（惠民保）", "Supplementary insurance")
    family_cap: FamilyCap = labelled(FamilyCap(), "封顶制（暖心基金）", "Household cap (charity fund)")
    other_subsidies: list[OtherSubsidy] = labelled(
        [], "部门梯次减负", "Other departments' subsidies", keys=("item",)
    )
    mutual_aid: list[MutualAidPlan] = labelled([], "医疗互助", "Mutual aid", keys=("item",))
    premium_sharing: PremiumSharing | None = labelled(None, "资助参保资金分担", "Premium subsidy sharing")
    hospital_liability: HospitalLiability = labelled(
        HospitalLiability(), "医疗机构承担", "Borne by hospitals"
    )
    long_term_care: LongTermCare = labelled(LongTermCare(), "长期护理保险", "Long-term care insurance")
    enrolment: Enrolment = labelled(Enrolment(), "参保认定", "Enrolment")
    flags: Flags = labelled(..., "预警与认定", "Warnings and identification")
    financing: Financing = labelled(..., "筹资", "Financing")
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
        cat_keys("family_cap.personal", self.family_cap.personal)
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


# ---------------------------------------------------------------- the loops' tables ("terms")
# Each tier's module declares, beside its rules, the tables its loop reads from a scenario: a
# builder of the scenario returning them by name, marked with `terms(...)` and the names in the
# order the loop takes them (`simulation.records` composes each loop's record from these).


def terms(*fields: str):
    """Marks `build(p: ScenarioModel) -> dict` as a builder of the tables `fields` (its dict's keys)."""

    def mark(build):
        build.fields = fields
        return build

    return mark


def or_inf(x) -> float:
    """A limit as a float: None (no limit) is infinity."""
    return float("inf") if x is None else float(x)


def category_bits(categories) -> int:
    """The bit mask of `categories` (CAT_BIT_OF): 0 for none."""
    bits = 0
    for c in categories:
        bits |= CAT_BIT_OF[c]
    return bits


def table_rows(p: ScenarioModel) -> list[str]:
    """The categories the tiers' tables have a row for: `none` (row 0), then the scenario's
    categories in CATEGORY_CODES order."""
    return ["none"] + [c for c in CATEGORY_CODES if c != "none" and c in p.categories]


@terms("cat_bit", "code")
def row_terms(p: ScenarioModel) -> dict:
    """Per table row, its category's bit and its CATEGORY_CODES index (`code`)."""
    rows = table_rows(p)
    return dict(
        cat_bit=np.array([CAT_BIT_OF[c] for c in rows], dtype=np.int64),
        code=np.array([CATEGORY_CODES.index(c) for c in rows], dtype=np.int8),
    )
