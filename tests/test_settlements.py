"""The national platform's settlement extract (simulation.settlements, issue 27): a synthetic extract
of a scenario, read back, reconciles with that scenario to the cent at every level; a reform's
back-test gaps are `compare`'s differences; the apportionment is exact where it says it is; every
kind of bad input is a clear error or a counted warning; GBK, Excel and Parquet round trips; the
in-year monitor, the command line, the report section and the page."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario, simulate
from simulation.cli import main
from simulation.compare import compare
from simulation.settlements import (
    DIMENSIONS,
    EXACT_LEVELS,
    TIERS,
    Backtest,
    SettlementError,
    backtest,
    claim_payments,
    extract_bytes,
    load_settlements,
    monitor,
    synthetic_extract,
    write_extract,
)
from simulation.settlements.codes import MONEY_FIELDS, booked, tier

PRESETS = ("linan_2024", "shanghai_2023", "bijie_2019", "shuozhou_2021", "jiaxing_2025")
N = 1500


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    """Per preset: the synthetic extract (with reversals), written in GBK and read back."""
    out = {}
    for name in PRESETS:
        scn = load_scenario(name)
        ex = synthetic_extract(scn, persons=N, seed=5, reversals=0.01)
        f = write_extract(ex, tmp_path_factory.mktemp(name))
        out[name] = (scn, ex, f, load_settlements(f.settlements, f.persons, mapping=f.mapping))
    return out


# ---------------------------------------------------------------------------- reconciliation


@pytest.mark.parametrize("name", PRESETS)
def test_same_scenario_reconciles_to_the_cent_at_every_level(extracts, name):
    scn, ex, _, obs = extracts[name]
    bt = backtest(obs, scn)
    assert obs.report.counts().get("resettled", 0) > 0  # the reversals were netted back
    full = bt.table(DIMENSIONS)  # hospital level x setting x category x month
    assert (full["gap"].abs() < 0.005).all(), full[full["gap"].abs() >= 0.005]
    tot = bt.totals()
    assert (tot["gap"] == 0).all(), tot
    assert tot.loc["basic_paid", "observed"] > 0 and tot.loc["total_cost", "observed"] > 0
    assert bt.largest_gaps(5).empty
    # the import is the population that was simulated: same claims, same person columns
    assert len(obs.population.claims) == len(ex.population.claims)
    a = simulate(ex.population, scn).summary
    b = bt.result.summary
    for k in ("total_cost", "basic_paid", "critical_paid", "assistance_paid", "cap_paid", "oop"):
        assert a[k] == pytest.approx(b[k], abs=1e-6), k


@pytest.mark.parametrize("name", ("linan_2024", "bijie_2019"))
def test_reform_gaps_equal_compare(extracts, name):
    scn, _, _, obs = extracts[name]
    reform = scn.with_changes(
        {
            "medical_assistance.inpatient_ratio.dibao": 0.99,
            "basic_insurance.resident.inpatient.ratio.2": 0.5,
        }
    )
    bt = backtest(obs, reform)
    cmp = compare(simulate(obs.population, scn), simulate(obs.population, reform))
    change = cmp.tiers.xs(cmp.tiers.index.get_level_values(0)[0], level=0)["change"]
    n = len(obs.population.claims)
    moved = 0
    for t in TIERS:
        expected = sum(change.get(c, 0.0) for c in t.model)  # (policy cost: an input, unchanged)
        gap = bt.totals().loc[t.key, "gap"]
        # both sides are rounded to the cent per settlement: at most a cent a settlement apart
        assert gap == pytest.approx(expected, abs=0.01 * n), (t.key, gap, expected)
        moved += abs(expected) > 1.0
    assert moved >= 3  # basic, assistance and the person's part moved
    assert bt.totals().loc["basic_paid", "gap"] < -100  # a lower ratio pays less


@pytest.mark.parametrize("name", ("linan_2024", "bijie_2019", "jiaxing_2025"))
def test_apportionment_is_exact_where_it_says(extracts, name):
    """Per person, every apportioned payer sums to simulate's column (half a cent a settlement);
    rule A's payers sum per person x setting to the engine's (persons, 3) arrays."""
    scn, _, _, obs = extracts[name]
    res = simulate(obs.population, scn)
    pay = claim_payments(res)
    pp = res.persons
    person = pd.Index(pp.index).get_indexer(obs.population.claims["person_id"].to_numpy())
    k = np.bincount(person, minlength=len(pp))
    payers = [c for c in EXACT_LEVELS if c.endswith("_paid")]
    for col in EXACT_LEVELS:
        got = np.bincount(person, weights=pay[col], minlength=len(pp)) / 100
        # each payer rounded once a settlement; the person's part takes every payer's rounding
        per_claim = 0.005 * (len(payers) if col == "oop" else 1)
        assert np.all(np.abs(got - pp[col].to_numpy()) <= per_claim * k + 1e-6), col
    arrays = res.claim_arrays()
    setting = obs.population.claims["setting"].cat.codes.to_numpy()
    for col, k3 in (("critical_paid", "critical3"), ("assistance_paid", "assistance3")):
        got = np.zeros((len(pp), 3))
        np.add.at(got, (person, setting), pay[col] / 100)
        cnt = np.zeros((len(pp), 3))
        np.add.at(cnt, (person, setting), 1)
        assert np.all(np.abs(got - arrays[k3]) <= 0.005 * cnt + 1e-6), col
    # a settlement adds up exactly, in cents
    paid = sum(pay[c] for c in EXACT_LEVELS if c.endswith("_paid"))
    assert np.array_equal(paid + pay["oop"], pay["total_cost"])


def test_exact_levels_follow_the_model_columns():
    assert Backtest.exact("basic_paid", DIMENSIONS)
    assert Backtest.exact("critical_paid", ("setting", "category"))
    assert not Backtest.exact("critical_paid", ("month",))
    assert Backtest.exact("person_paid", ("category",))
    assert not Backtest.exact("person_paid", ("setting",))
    # the person's part: the OOP and the payers the registry books there (the cap, paid after the year)
    assert tier("person_paid").model[:2] == ("oop", "cap_paid")
    assert tier("person_paid").model == ("oop", *booked("person_paid"))


# ---------------------------------------------------------------------------- file formats


def test_gbk_round_trip_keeps_chinese_and_codes(extracts):
    scn, ex, f, obs = extracts["linan_2024"]
    raw = f.settlements.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # truly GBK on disk
    assert obs.report.encoding == "gbk"
    text = f.persons.read_bytes().decode("gbk")
    assert "救助类别" in text and "低保对象" in text
    cats = obs.population.persons["category"].astype(str)
    assert set(cats) == set(ex.population.persons["category"].astype(str))
    assert obs.observed["setl_id"].str.startswith("S").all()
    # the same files in UTF-8 give the same population and paid fields
    s8 = raw.decode("gbk").encode("utf-8-sig")
    p8 = f.persons.read_bytes().decode("gbk").encode("utf-8")
    obs8 = load_settlements(s8, p8)
    assert obs8.report.encoding == "utf-8"
    pd.testing.assert_frame_equal(obs8.observed, obs.observed)


def test_excel_and_parquet_read_as_csv(extracts):
    _, ex, _, obs = extracts["shanghai_2023"]
    s = ex.settlements.head(300)
    persons = ex.persons
    xb = io.BytesIO()
    s.astype(str).replace("nan", "").to_excel(xb, index=False)
    pb = io.BytesIO()
    s.to_parquet(pb, index=False)
    csv_p = persons.to_csv(index=False).encode("utf-8")
    a = load_settlements(xb.getvalue(), csv_p)
    b = load_settlements(pb.getvalue(), csv_p)
    assert a.report.encoding == "xlsx" and b.report.encoding == "parquet"
    pd.testing.assert_frame_equal(a.observed, b.observed)
    assert len(a.observed) > 0


# ---------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def small(extracts):
    """A small clean extract (settlements, persons) as DataFrames to break one way at a time."""
    _, ex, _, _ = extracts["linan_2024"]
    s = ex.settlements
    s = s[~s["setl_id"].str.endswith(("R", "A"))].head(400).reset_index(drop=True)
    return s, ex.persons


def _csv(df: pd.DataFrame, encoding: str = "gbk") -> bytes:
    return df.to_csv(index=False, float_format="%.2f").encode(encoding)


def _load(s: pd.DataFrame, p: pd.DataFrame, **kw):
    return load_settlements(_csv(s), _csv(p), **kw)


def test_clean_extract_has_no_warning(small):
    obs = _load(*small)
    assert obs.report.warnings == [] and obs.report.unmapped == []
    assert obs.report.settlements == len(small[0])


def test_wrong_encoding_is_an_error(small):
    s, p = small
    with pytest.raises(SettlementError, match="UTF-16"):
        load_settlements(s.to_csv(index=False).encode("utf-16"), _csv(p))
    with pytest.raises(SettlementError) as e:
        load_settlements(b"\x80\xff\xfe\x00garbage" * 10, _csv(p))
    assert "UTF-8" in e.value.en and "编码" in e.value.zh
    with pytest.raises(SettlementError, match="cannot be decoded as utf-8"):
        load_settlements(_csv(s), _csv(p), mapping={"encoding": "utf-8"})  # a GBK file declared UTF-8


def test_unknown_code_is_an_error_unless_mapped(small):
    s, p = small
    bad = s.copy()
    bad.loc[3, "med_type"] = "9903"
    with pytest.raises(SettlementError) as e:
        _load(bad, p)
    assert "9903" in e.value.en and "codes: med_type" in e.value.en and "行" in e.value.zh
    obs = _load(bad, p, mapping="codes:\n  med_type: {'9903': outpatient}\n")
    assert obs.report.settlements == len(s)
    bad = s.copy()
    bad.loc[0, "insutype"] = "999"
    with pytest.raises(SettlementError, match="insutype '999'"):
        _load(bad, p)
    bad = s.copy()
    bad.loc[0, "hosp_lv"] = "77"
    with pytest.raises(SettlementError, match="hosp_lv '77'"):
        _load(bad, p)


def test_outside_the_model_is_counted_and_excluded(small):
    s, p = small
    bad = s.copy()
    bad.loc[[1, 2], "med_type"] = "52"  # 生育住院
    obs = _load(bad, p)
    assert obs.report.counts()["outside_med_type_52"] == 2
    assert obs.report.settlements == len(s) - 2


def test_duplicated_settlement_id_is_an_error(small):
    s, p = small
    bad = pd.concat([s, s.iloc[[5]]], ignore_index=True)
    with pytest.raises(SettlementError) as e:
        _load(bad, p)
    assert s.loc[5, "setl_id"] in e.value.en and "重复" in e.value.zh


def test_amounts_that_do_not_add_up_are_counted(small):
    s, p = small
    bad = s.copy()
    bad.loc[[0, 7, 9], "psn_part_amt"] += 10.0
    bad.loc[11, "hifp_pay"] += 1.0  # the funds no longer add up to fund_pay_sumamt
    obs = _load(bad, p)
    c = obs.report.counts()
    assert c["sum_mismatch"] == 3 and c["funds_mismatch"] == 1
    assert obs.report.settlements == len(s)  # kept as they are
    w = next(w for w in obs.report.warnings if w.kind == "sum_mismatch")
    assert w.rows[:3] == (0, 7, 9)


def test_reversals_net_and_orphans_are_counted(small):
    s, p = small
    money = [c for c in MONEY_FIELDS if c in s.columns]
    rev = s.iloc[[4]].copy()  # reversed, not settled again: the visit nets to zero
    rev[money] = -rev[money]
    rev["setl_id"] = "REV-4"
    orphan = s.iloc[[6]].copy()  # a reversal of a visit not in the extract
    orphan[money] = -orphan[money]
    orphan["setl_id"], orphan["mdtrt_id"] = "REV-X", "M-LAST-YEAR"
    obs = _load(pd.concat([s, rev, orphan], ignore_index=True), p)
    c = obs.report.counts()
    assert c["reversed"] == 1 and c["reversal_without_original"] == 1
    assert obs.report.settlements == len(s) - 1
    assert s.loc[4, "setl_id"] not in set(obs.observed["setl_id"])


def test_missing_field_and_unmapped_column(small):
    s, p = small
    with pytest.raises(SettlementError) as e:
        _load(s.drop(columns=["hifp_pay"]), p)
    assert "hifp_pay" in e.value.en and "基本医疗保险统筹基金支出" in e.value.zh
    # Chinese headers (the platform's field names in Chinese) and an extra column
    zh = s.rename(columns={"medfee_sumamt": "医疗费总额", "med_type": "医疗类别", "psn_no": "人员编号"})
    zh["备注"] = "x"
    obs = _load(zh, p)
    assert obs.report.fields["medfee_sumamt"] == "医疗费总额"
    assert obs.report.unmapped == ["备注"]
    # a non-standard header through the column mapping
    odd = s.rename(columns={"setl_id": "结算流水号"})
    with pytest.raises(SettlementError, match="setl_id"):
        _load(odd, p)
    assert _load(odd, p, mapping={"columns": {"结算流水号": "setl_id"}}).report.settlements == len(s)


def test_bad_values_and_persons(small):
    s, p = small
    bad = s.astype({"medfee_sumamt": object})
    bad.loc[2, "medfee_sumamt"] = "12,3x"
    with pytest.raises(SettlementError, match="row 3, field medfee_sumamt"):
        _load(bad, p)
    bad = s.copy()
    bad.loc[2, "setl_time"] = "yesterday"
    with pytest.raises(SettlementError, match="setl_time"):
        _load(bad, p)
    with pytest.raises(SettlementError, match="not in the persons file"):
        _load(s, p.iloc[1:])
    with pytest.raises(SettlementError, match="appears more than once"):
        _load(s, pd.concat([p, p.iloc[[0]]]))
    bad = s.copy()
    bad.loc[1, "inscp_scp_amt"] = bad.loc[1, "medfee_sumamt"] + 5
    with pytest.raises(SettlementError, match="inscp_scp_amt"):
        _load(bad, p)
    with pytest.raises(SettlementError, match="unknown key 'colums'"):
        _load(s, p, mapping={"colums": {}})


def test_persons_without_income_or_household_are_counted(small):
    s, p = small
    obs = _load(s, p.drop(columns=["年收入", "家庭编号"]))
    c = obs.report.counts()
    assert c["no_income"] == len(p) and c["no_household"] == len(p)


# ---------------------------------------------------------------------------- monitoring


def test_monitor_projects_the_year(extracts):
    scn, _, _, last = extracts["linan_2024"]
    ex = synthetic_extract(scn, persons=N, seed=6, months=6, reversals=0)
    now = load_settlements(*extract_bytes(ex)[:2])
    assert now.months == 6
    mon = monitor(now, scn, last_year=last)
    f = mon.funds.set_index("fund")
    assert set(f["status"]) <= {"ok", "risk", "over"}
    for fund, r in f.iterrows():
        if r["paid_to_date"] > 0:
            assert r["payments"] == pytest.approx(r["paid_to_date"] / r["share_to_date"])
            assert r["payments_low"] <= r["payments"] <= r["payments_high"]
            assert 0 < r["share_to_date"] < 1
            assert r["band"] > 0, fund  # chance alone widens it, even when the model was exact
    # a whole year to date is the year itself, with no band from the model's error
    full = monitor(last, scn, last_year=last).funds.set_index("fund")
    assert full.loc["employee_pool", "share_to_date"] == pytest.approx(1.0)
    assert full.loc["employee_pool", "error_last_year"] == pytest.approx(0.0)
    paths = mon.path
    assert paths["paid"].notna().sum() == 6 * 4


# ---------------------------------------------------------------------------- command line, report, page


def test_cli_backtest_and_sample(tmp_path, capsys):
    assert main(["sample-extract", "linan_2024", "--persons", "400", "--out", str(tmp_path)]) == 0
    s, p = tmp_path / "settlements.csv", tmp_path / "persons.csv"
    out = tmp_path / "bt.xlsx"
    code = main(
        [
            "backtest",
            "linan_2024",
            "--settlements",
            str(s),
            "--persons",
            str(p),
            "--out",
            str(out),
            "--lang",
            "en",
        ]
    )
    text = capsys.readouterr().out
    assert code == 0 and "basic pooled fund" in text and out.is_file()
    from openpyxl import load_workbook

    sheets = load_workbook(out, read_only=True).sheetnames
    assert {"Backtest tiers", "Backtest groups", "Backtest months", "Backtest import"} <= set(sheets)
    assert main(["backtest", "linan_2024", "--settlements", str(p), "--persons", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "缺少必需字段" in err and len(err.strip().splitlines()) == 1


def test_backtest_page_renders_in_both_languages():
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    from app_pages._text import TEXT
    from tests.test_app import APP

    for lang in ("zh", "en"):
        at = AppTest.from_file(APP, default_timeout=300)
        at.query_params["n"] = "1500"
        at.query_params["lang"] = lang
        at.run()
        at.switch_page("app_pages/backtest.py").run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
        assert at.header[0].value == TEXT[lang]["bt_title"]
        totals = at.dataframe[1].value
        assert (totals[TEXT[lang]["bt_rel"]].isin(["+0.00%", "—"])).all()  # the sample reconciles
