"""Chinese and English labels of the result figures (one catalogue, used by the CLI, app, reports)."""

from __future__ import annotations

METRICS: dict[str, tuple[str, str]] = {
    "persons": ("参保人数", "insured persons"),
    "households": ("家庭户数", "households"),
    "total_cost": ("医疗总费用", "total medical cost"),
    "policy_cost": ("政策范围内费用", "policy-range cost"),
    "basic_paid": ("基本医保支付", "basic insurance paid"),
    "critical_paid": ("大病保险支付", "critical-illness insurance paid"),
    "assistance_paid": ("医疗救助支付", "medical assistance paid"),
    "supplement_paid": ("商业补充保险支付", "supplementary insurance paid"),
    "other_paid": ("部门梯次减负（残联、退役军人、工会等）", "other departments' subsidies"),
    "warning_cleared_rate": (
        "高额医疗费用动态清零化解率",
        "share of warned households brought below the line",
    ),
    "mutual_aid_paid": ("医疗互助（职工互助、少儿住院互助基金）", "mutual aid paid"),
    "mutual_aid_subsidy": ("互助基金个人缴费资助", "mutual-aid contributions subsidised"),
    "premium_subsidy_province": ("资助参保：省级承担", "premium subsidies: province"),
    "premium_subsidy_city": ("资助参保：市级承担", "premium subsidies: city"),
    "premium_subsidy_county": ("资助参保：县级承担", "premium subsidies: county"),
    "hospital_paid": ("医疗机构承担（超定额、超目录外比例）", "borne by hospitals"),
    "cap_paid": ("封顶制兜底（暖心基金）", "household cap paid (charity fund)"),
    "oop": ("个人负担", "out-of-pocket"),
    "premium_subsidy": ("资助参保", "premium subsidies"),
    "coverage_rate_poor": ("困难群众综合保障率", "comprehensive coverage rate of the poor"),
    "personal_burden_rate": ("个人负担率", "personal burden rate"),
    "policy_reimbursement_rate_employee": (
        "职工政策范围内住院报销比例",
        "employee policy-range inpatient reimbursement",
    ),
    "policy_reimbursement_rate_resident": (
        "居民政策范围内住院报销比例",
        "resident policy-range inpatient reimbursement",
    ),
    "insurer_premium": ("大病保险筹资（保费）", "critical-illness premium"),
    "insurer_claims": ("大病保险赔付", "critical-illness claims"),
    "insurer_margin": ("承办机构盈利", "insurer margin"),
    "insurer_margin_rate": ("承办机构盈利率", "insurer margin rate"),
    "insurer_surplus_returned": ("结余返还基金", "surplus returned to the fund"),
    "insurer_loss_compensation": ("政策性亏损分担", "policy-loss compensation"),
    "quality_deposit": ("质量保证金", "quality deposit"),
    "catastrophic_rate": ("灾难性卫生支出发生率", "catastrophic health expenditure rate"),
    "catastrophic_rate_25": ("灾难性卫生支出发生率（25%）", "catastrophic health expenditure rate (25%)"),
    "warnings": ("因病致贫预警户数", "households flagged by early warning"),
    "expenditure_poor_households": ("支出型贫困家庭户数", "expenditure-poor households"),
    "newly_identified_households": ("政策找人新识别户数", "households newly found (政策找人)"),
    "poor_persons": ("困难群众人数", "persons in an assistance category"),
    "unreferred_extra": ("未转诊增加的个人负担", "extra cost of unreferred care"),
    "enrolled_rate": ("参保率", "insured rate"),
    # 嘉兴 长期护理保险 (an independent fund; zeros where the scenario has none)
    "ltc_insured": ("长期护理保险参保人数", "long-term care: insured persons"),
    "ltc_beneficiaries": ("长期护理保险待遇享受人数", "long-term care: beneficiaries"),
    "ltc_cost": ("长期护理服务费用", "long-term care: cost of care"),
    "ltc_benefit": ("长期护理保险基金支付", "long-term care: benefits paid"),
    "ltc_oop": ("长期护理个人负担", "long-term care: out-of-pocket"),
    "ltc_individual": ("长期护理保险个人缴费", "long-term care: individual contributions"),
    "ltc_contribution_subsidy": ("长期护理保险个人缴费资助", "long-term care: contributions subsidised"),
    "ltc_pool_transfer": ("医保统筹基金划转", "long-term care: transfer from the medical pool"),
    "ltc_pool_transfer_employee": (
        "医保统筹基金划转（职工）",
        "long-term care: transfer from the employee pool",
    ),
    "ltc_fiscal": ("长期护理保险财政补助", "long-term care: government subsidy"),
    "ltc_income": ("长期护理保险基金收入", "long-term care: fund income"),
    "ltc_benefit_rate": ("长期护理保险基金支付比例", "long-term care: share of the cost paid"),
    # 临安 大病无忧: persons enrolled by the government and the premiums it pays for them
    "supplement_fiscal_enrollees": ("财政代缴商业补充保险人数", "supplement: persons enrolled by the state"),
    "supplement_fiscal_premium": ("财政代缴商业补充保险保费", "supplement: premiums paid by the state"),
}

# Figures that count persons or households (everything else is yuan or a rate): one list, read by the
# CLI, the app and the reports, so a new count is never printed as 万元
COUNTS = frozenset(
    {
        "persons",
        "households",
        "warnings",
        "poor_persons",
        "enrolled_persons",
        "ltc_insured",
        "ltc_beneficiaries",
        "supplement_fiscal_enrollees",
    }
)
RATE_SUFFIXES = ("_rate", "_rate_25", "_share", "_ratio", "_growth")
RATE_PREFIXES = ("coverage_rate", "policy_reimbursement", "personal_burden")


def metric_kind(key: str) -> str:
    """'rate' (a fraction), 'count' (persons or households) or 'money' (yuan) for a figure's key."""
    if key.endswith(RATE_SUFFIXES) or key.startswith(RATE_PREFIXES):
        return "rate"
    if key in COUNTS or key.endswith("_households"):
        return "count"
    return "money"


def metric_label(key: str, lang: str = "zh") -> str:
    zh, en = METRICS.get(key, (key, key))
    return zh if lang == "zh" else en
