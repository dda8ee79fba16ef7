"""Real-data import (CSV in UTF-8 / BOM / GBK, Parquet, Chinese headers) and Parquet save/load."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation import (
    PopulationError,
    generate_population,
    load_parquet,
    load_population,
    load_scenario,
    save_population,
    simulate,
)

ZH_PERSONS = (
    "人员编号,家庭编号,年龄,险种,救助类别,年收入\n"
    "1,10,70,居民,低保,9000\n2,10,45,职工,低保,30000\n3,11,8,居民,,20000\n"
)
ZH_CLAIMS = (
    "人员编号,住院/门诊,医院等级,总费用,政策范围内费用,是否转诊\n"
    "1,住院,3,20000,18000,是\n2,门诊,1,800,700,否\n3,门诊慢特病,2,5000,4500,是\n"
)
EN_PERSONS = (
    "person_id,household_id,age,scheme,category,income\n"
    "1,1,40,employee,none,50000\n2,1,38,resident,none,40000\n"
)
EN_CLAIMS = "person_id,setting,hospital_level,total_cost,policy_cost\n1,inpatient,2,9000,8000\n"


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_chinese_headers_in_every_encoding(tmp_path, encoding):
    pop = load_population(
        write(tmp_path, "p.csv", ZH_PERSONS, encoding), write(tmp_path, "c.csv", ZH_CLAIMS, encoding)
    )
    p, c = pop.persons, pop.claims
    assert list(p["scheme"].astype(str)) == ["resident", "employee", "resident"]
    assert list(p["category"]) == ["dibao", "dibao", "none"]
    assert list(c["setting"].astype(str)) == ["inpatient", "outpatient", "chronic"]
    assert list(c["referred"]) == [True, False, True]
    assert list(c["hospital_level"]) == ["3", "1", "2"]
    res = simulate(pop, load_scenario("shanghai_2023"))
    assert res.summary["total_cost"] == pytest.approx(25800)


def test_parquet_input(tmp_path):
    pd.read_csv(pd.io.common.StringIO(EN_PERSONS)).to_parquet(tmp_path / "p.parquet")
    pd.read_csv(pd.io.common.StringIO(EN_CLAIMS)).to_parquet(tmp_path / "c.parquet")
    pop = load_population(tmp_path / "p.parquet", tmp_path / "c.parquet")
    assert len(pop.persons) == 2 and pop.claims["total_cost"].iloc[0] == 9000


@pytest.mark.parametrize(
    "persons, claims, pattern",
    [
        (
            EN_PERSONS.replace(",income", "").replace(",50000", "").replace(",40000", ""),
            EN_CLAIMS,
            r"p\.csv: missing column 'income'",
        ),
        (
            EN_PERSONS.replace("38,resident,none", "38,resident,vip"),
            EN_CLAIMS,
            r"p\.csv: row 3, column 'category': expected category codes .* \(got 'vip'\)",
        ),
        (
            EN_PERSONS,
            EN_CLAIMS.replace("9000,8000", "9000,9500"),
            r"c\.csv: row 2, column 'policy_cost': expected policy_cost ≤ total_cost \(9000\)",
        ),
        (
            EN_PERSONS,
            EN_CLAIMS + "7,outpatient,1,100,90\n",
            r"c\.csv: row 3, column 'person_id': expected the id of a person in the persons table \(got 7\)",
        ),
        (
            EN_PERSONS + "1,2,60,resident,none,1000\n",
            EN_CLAIMS,
            r"p\.csv: row 4, column 'person_id': expected a unique person id \(got 1\)",
        ),
        (
            EN_PERSONS,
            EN_CLAIMS.replace("inpatient", "hospital"),
            r"c\.csv: row 2, column 'setting': expected inpatient, outpatient or chronic",
        ),
        (
            EN_PERSONS.replace("40,employee", "abc,employee"),
            EN_CLAIMS,
            r"p\.csv: row 2, column 'age': expected an age in years \(got 'abc'\)",
        ),
    ],
    ids=[
        "missing_column",
        "unknown_category",
        "policy_gt_total",
        "unknown_person",
        "duplicate_id",
        "setting",
        "age",
    ],
)
def test_bad_input_names_file_row_and_column(tmp_path, persons, claims, pattern):
    with pytest.raises(PopulationError, match=pattern):
        load_population(write(tmp_path, "p.csv", persons), write(tmp_path, "c.csv", claims))


def test_gbk_bad_row_reported(tmp_path):
    bad = ZH_PERSONS.replace("3,11,8,居民,,20000", "3,11,8,居民,富裕,20000")
    with pytest.raises(PopulationError, match=r"p\.csv: row 4, column 'category'.*富裕"):
        load_population(write(tmp_path, "p.csv", bad, "gbk"), write(tmp_path, "c.csv", ZH_CLAIMS, "gbk"))


def test_every_bad_row_counted(tmp_path):
    rows = "".join(f"{i},1,30,resident,none,-5\n" for i in range(3, 12))
    with pytest.raises(PopulationError, match=r"row 4, 5, 6, 7, 8 and 4 more rows, column 'income'"):
        load_population(write(tmp_path, "p.csv", EN_PERSONS + rows), write(tmp_path, "c.csv", EN_CLAIMS))


def test_save_and_load_parquet_round_trip(tmp_path):
    scn = load_scenario("linan_2024")
    pop = generate_population(scn, persons=5_000, seed=3)
    save_population(pop, tmp_path / "pop")
    back = load_parquet(tmp_path / "pop")
    pd.testing.assert_frame_equal(back.persons, pop.persons)
    pd.testing.assert_frame_equal(back.claims, pop.claims)
    assert simulate(back, scn).summary == pytest.approx(simulate(pop, scn).summary)
    # the saved files are also ordinary Parquet input for load_population (validated)
    again = load_population(tmp_path / "pop" / "persons.parquet", tmp_path / "pop" / "claims.parquet")
    assert len(again.claims) == len(pop.claims)


def test_load_parquet_refuses_foreign_directory(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(PopulationError, match="not a saved population"):
        load_parquet(tmp_path / "x")
