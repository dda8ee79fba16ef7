"""The national medical-insurance information platform's settlement records (国家医疗保障信息平台,
结算信息 `setlinfo`): their fields, the code tables the import decodes and which of the model's
payers each paid field is compared with.

Source of the field names and code tables: 国家医疗保障局《医疗保障信息平台 定点医药机构接口规范》
(交易 2207 门诊结算 / 2304 住院结算, 输出 结算信息 setlinfo; 附录 代码表 险种类型 insutype, 医疗类别
med_type, 医院等级 hosp_lv). The specification itself is distributed to designated institutions and
was not at hand; the field list and the codes below were read from public implementations of it (the
field list of setlinfo as in newtouch-cloud/openhis `WinServiceAPI/YiBaoInterface/Models/Output/
Output_2207.cs`; the code lists as several hospital information systems carry them). Each code says
whether it was confirmed that way (`cited`) or is an assumption to check against the specification in
force in the region (`cited=False`, with the reason). A region's own extension codes (4- and 6-digit
med_type such as 140104) are mapped with a column mapping (`extract.Mapping.codes`).

Nothing here imports the package above the schema: the population layer decodes with these tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..registry import OUTPUTS, PAID_COLUMNS

SPEC = "国家医疗保障局《医疗保障信息平台 定点医药机构接口规范》 2207/2304 setlinfo 及附录代码表"


@dataclass(frozen=True)
class Code:
    """One code of a national code table: its label, what the model makes of it (a scheme, a
    setting, a hospital level; None: outside the model, excluded with a counted warning) and whether
    it was confirmed (`cited`) or is an assumption (`note` says why)."""

    label: str
    maps_to: str | None
    cited: bool = True
    note: str = ""


# 险种类型 insutype -> scheme (employee 职工医保 / resident 城乡居民医保)
INSUTYPE: dict[str, Code] = {
    "310": Code("职工基本医疗保险", "employee"),
    "390": Code("城乡居民基本医疗保险", "resident"),
    "391": Code("城镇居民基本医疗保险", "resident"),
    "399": Code("其他特殊人员医疗保障", None, note="outside the two schemes the model simulates"),
    "320": Code(
        "公务员医疗补助", "employee", cited=False, note="employees' supplementary cover (assumed code)"
    ),
    "330": Code(
        "职工大额医疗费用补助", "employee", cited=False, note="the employees' 大额 tier (assumed code)"
    ),
    "340": Code(
        "离休人员医疗保障", None, cited=False, note="离休 cover, outside the two schemes (assumed code)"
    ),
    "392": Code(
        "城乡居民大病医疗保险", "resident", cited=False, note="the residents' 大病 tier (assumed code)"
    ),
    "410": Code("长期照护保险", None, note="long-term care: its own fund, not medical settlements"),
    "510": Code("生育保险", None, cited=False, note="maternity insurance: not simulated (assumed code)"),
}

# 医疗类别 med_type -> setting (inpatient 住院 / outpatient 门诊 / chronic 门诊慢特病)
MED_TYPE: dict[str, Code] = {
    "11": Code("普通门诊", "outpatient"),
    "12": Code("门诊挂号", "outpatient"),
    "13": Code("急诊", "outpatient"),
    "14": Code("门诊慢特病", "chronic"),
    "21": Code("普通住院", "inpatient"),
    "22": Code("外伤住院", "inpatient"),
    "23": Code("转外诊治住院", "inpatient"),
    "24": Code("急诊转住院", "inpatient"),
    "41": Code("定点药店购药", "outpatient", note="pharmacy purchases settled as outpatient pooling"),
    "51": Code("生育门诊", None, note="maternity: not simulated"),
    "52": Code("生育住院", None, note="maternity: not simulated"),
}

# 医院等级 hosp_lv (of the 定点医药机构 record) -> the scenario's level codes 1/2/3
HOSP_LV: dict[str, Code] = {
    "01": Code("三级特等", "3"),
    "02": Code("三级甲等", "3"),
    "03": Code("三级乙等", "3"),
    "04": Code("三级丙等", "3"),
    "05": Code("二级甲等", "2"),
    "06": Code("二级乙等", "2"),
    "07": Code("二级丙等", "2"),
    "08": Code("一级甲等", "1"),
    "09": Code("一级乙等", "1"),
    "10": Code("一级丙等", "1"),
    "11": Code(
        "无等级",
        "1",
        cited=True,
        note="ungraded institutions (clinics, 卫生室) taken as level 1: an assumption",
    ),
}

# 人员类别 psn_type: the platform's codes differ by province beyond the first digits; the model takes
# the scheme from insutype and the category from the persons file, so psn_type is only decoded for
# the mapping report (an unknown code is counted, never an error)
PSN_TYPE: dict[str, Code] = {
    "11": Code("在职", "employee", cited=False, note="first two digits as commonly coded (assumed)"),
    "12": Code("退休", "employee", cited=False, note="first two digits as commonly coded (assumed)"),
    "13": Code("离休", "employee", cited=False, note="first two digits as commonly coded (assumed)"),
    "14": Code("城乡居民", "resident", cited=False, note="first two digits as commonly coded (assumed)"),
    "15": Code("城乡居民（学生、儿童）", "resident", cited=False, note="as commonly coded (assumed)"),
}

CODE_TABLES: dict[str, dict[str, Code]] = {
    "insutype": INSUTYPE,
    "med_type": MED_TYPE,
    "hosp_lv": HOSP_LV,
    "psn_type": PSN_TYPE,
}


@dataclass(frozen=True)
class Field:
    """A field of the settlement record: its Chinese name (also accepted as a header), English label,
    kind (id, code, time, money) and whether the import needs it."""

    zh: str
    en: str
    kind: str
    required: bool = False


# setlinfo fields the import reads, in the platform's order; then the fields of other platform
# records the model needs (the hospital's level from 定点医药机构, 病种 from the settlement's input)
FIELDS: dict[str, Field] = {
    "setl_id": Field("结算ID", "settlement id", "id", True),
    "mdtrt_id": Field("就诊ID", "visit id", "id"),
    "psn_no": Field("人员编号", "person id", "id", True),
    "insutype": Field("险种类型", "insurance type", "code", True),
    "psn_type": Field("人员类别", "person type", "code"),
    "setl_time": Field("结算时间", "settlement time", "time", True),
    "med_type": Field("医疗类别", "medical type", "code", True),
    "medfee_sumamt": Field("医疗费总额", "total medical cost", "money", True),
    "fulamt_ownpay_amt": Field("全自费金额", "fully self-paid", "money"),
    "overlmt_selfpay": Field("超限价自费费用", "self-paid above price limits", "money"),
    "preselfpay_amt": Field("先行自付金额", "self-paid first", "money"),
    "inscp_scp_amt": Field("符合政策范围金额", "policy-range cost", "money", True),
    "act_pay_dedc": Field("实际支付起付线", "deductible actually paid", "money"),
    "hifp_pay": Field("基本医疗保险统筹基金支出", "basic pooled fund paid", "money", True),
    "cvlserv_pay": Field("公务员医疗补助资金支出", "civil-servant subsidy paid", "money"),
    "hifes_pay": Field("企业补充医疗保险基金支出", "enterprise supplementary paid", "money"),
    "hifmi_pay": Field("居民大病保险资金支出", "residents' critical-illness paid", "money"),
    "hifob_pay": Field("职工大额医疗费用补助基金支出", "employees' large-expense fund paid", "money"),
    "maf_pay": Field("医疗救助基金支出", "medical assistance paid", "money"),
    "oth_pay": Field("其他支出", "other payers", "money"),
    "fund_pay_sumamt": Field("基金支付总额", "all funds paid", "money", True),
    "psn_part_amt": Field("个人负担总金额", "borne by the person", "money", True),
    "acct_pay": Field("个人账户支出", "personal account paid", "money"),
    "psn_cash_pay": Field("个人现金支出", "paid in cash", "money"),
    "hosp_part_amt": Field("医院负担金额", "borne by the hospital", "money"),
    "fixmedins_code": Field("定点医药机构编号", "institution code", "id"),
    "hosp_lv": Field("医院等级", "hospital grade", "code"),
    "dise_codg": Field("病种编码", "disease code", "code"),
    # not setlinfo fields: joined by the bureau from its referral and 异地备案 records when the
    # scenario's rules need them (contract column names, simulation CONTRACT.md)
    "referred": Field("是否转诊", "referred", "flag"),
    "referral_chain": Field("转诊链", "referral chain", "id"),
    "out_of_city": Field("异地就医", "out of city", "code"),
}
MONEY_FIELDS: tuple[str, ...] = tuple(k for k, f in FIELDS.items() if f.kind == "money")
# the funds' fields that make up fund_pay_sumamt
FUND_FIELDS: tuple[str, ...] = (
    "hifp_pay",
    "cvlserv_pay",
    "hifes_pay",
    "hifmi_pay",
    "hifob_pay",
    "maf_pay",
    "oth_pay",
)
# headers accepted for each field: its own name and its Chinese name
FIELD_ALIASES: dict[str, str] = {**{k: k for k in FIELDS}, **{f.zh: k for k, f in FIELDS.items()}}
FIELD_ALIASES.update(
    {"险种": "insutype", "就医类型": "med_type", "就诊类型": "med_type", "机构编码": "fixmedins_code"}
)


@dataclass(frozen=True)
class Tier:
    """A payer as the back-test compares it: the observed fields summed, the model's columns summed
    (`simulate`'s per-person columns, apportioned to the claims by `apportion`), its labels."""

    key: str
    zh: str
    en: str
    observed: tuple[str, ...]
    model: tuple[str, ...]


def booked(key: str) -> tuple[str, ...]:
    """The model's payers the registry books to the settlement fields `key` (`Output.settlement`),
    in settlement order."""
    return tuple(k for k in PAID_COLUMNS if OUTPUTS[k].settlement == key)


# the reconciliation in settlement order; each tier's model columns are the payers the registry books
# to it (`Output.settlement`). The household cap (封顶制, 暖心基金) is paid after the year
# (临安 封顶制方案 二(三) 对其上一年度承担的合理医疗费用), outside the platform's settlement: what the
# person bore at settlement is the model's OOP plus the cap it later refunds (an assumption for a
# scenario that pays its cap at once). The model's mutual aid, supplementary insurance and
# departments' subsidies are the platform's 其他支出 (with 公务员补助 and 企业补充, which no scenario
# models: a region paying them shows them as a gap).
TIERS: tuple[Tier, ...] = (
    Tier("total_cost", "医疗费总额", "total medical cost", ("medfee_sumamt",), ("total_cost",)),
    Tier("policy_cost", "符合政策范围金额", "policy-range cost", ("inscp_scp_amt",), ("policy_cost",)),
    Tier("basic_paid", "基本医保统筹基金支出", "basic pooled fund", ("hifp_pay",), booked("basic_paid")),
    Tier(
        "critical_paid",
        "大病保险（居民大病、职工大额）支出",
        "critical illness (residents' 大病, employees' 大额)",
        ("hifmi_pay", "hifob_pay"),
        booked("critical_paid"),
    ),
    Tier(
        "assistance_paid", "医疗救助基金支出", "medical assistance", ("maf_pay",), booked("assistance_paid")
    ),
    Tier(
        "other_payers",
        "其他支出（互助、计生资金、商业补充、部门减负等）",
        "other payers (mutual aid, family-planning fund, supplementary, departments)",
        ("oth_pay", "cvlserv_pay", "hifes_pay"),
        booked("other_payers"),
    ),
    Tier(
        "hospital_paid", "医院负担金额", "borne by the hospital", ("hosp_part_amt",), booked("hospital_paid")
    ),
    Tier(
        "person_paid",
        "个人负担总金额（含年后封顶制返还）",
        "borne by the person (before the cap's later refund)",
        ("psn_part_amt",),
        ("oop", *booked("person_paid")),
    ),
)
TIER_KEYS: tuple[str, ...] = tuple(t.key for t in TIERS)
PAID_TIERS: tuple[str, ...] = TIER_KEYS[2:]  # the payers (cost and policy cost are inputs)


def tier(key: str) -> Tier:
    for t in TIERS:
        if t.key == key:
            return t
    raise KeyError(key)


def tier_label(key: str, lang: str = "zh") -> str:
    t = tier(key)
    return t.zh if lang == "zh" else t.en


def decode(table: str, value: str) -> Code | None:
    """The code of `value` in a national table (psn_type by its first two digits), None if unknown."""
    codes = CODE_TABLES[table]
    v = str(value).strip()
    if table == "psn_type":
        v = v[:2]
    elif table == "hosp_lv" and len(v) == 1 and v.isdigit():
        v = "0" + v  # 2 written as a number loses its leading zero in a spreadsheet
    return codes.get(v)
