"""Fuzzing of population input (issue 8): random and mutated CSV bytes (and Parquet) for
`load_population`. Every input ends in a Population (which then simulates) or a PopulationError
naming the file; never another exception."""

from __future__ import annotations

import io
from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulation import Population, load_population, load_scenario, simulate
from simulation.errors import PopulationError, WorkbenchError

from .test_fuzz_common import flush, outcome, record

SCN = load_scenario("linan_2024")
SLOW = settings(deadline=timedelta(seconds=20))
NAMES = ("persons", "claims")


@pytest.fixture(scope="module", autouse=True)
def _stats():
    yield
    flush()


NASTY = st.sampled_from(
    [
        "",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "1e15",
        "1e308",
        "-1",
        "-5",
        "1.5",
        "abc",
        "低保",
        "特困|低保",
        "dibao|",
        "|",
        "职工",
        "住院",
        "是",
        "否",
        "99",
        "provincial",
        "0x10",
        '"',
        "1,000",
        "\u3000",
        "None",
        "9" * 30,
    ]
)


@st.composite
def tables(draw):
    n = draw(st.integers(1, 6))
    persons = pd.DataFrame(
        {
            "person_id": range(1, n + 1),
            "household_id": [draw(st.integers(1, 3)) for _ in range(n)],
            "age": [draw(st.integers(0, 100)) for _ in range(n)],
            "scheme": [draw(st.sampled_from(["employee", "resident", "居民"])) for _ in range(n)],
            "category": [
                draw(st.sampled_from(["none", "dibao", "tekun|dibao", "低保", "dibian"])) for _ in range(n)
            ],
            "income": [draw(st.floats(0, 1e5)) for _ in range(n)],
            "weight": 1.0,
        }
    )
    m = draw(st.integers(0, 6))
    claims = pd.DataFrame(
        {
            "person_id": [draw(st.integers(1, n)) for _ in range(m)],
            "setting": [
                draw(st.sampled_from(["inpatient", "outpatient", "chronic", "住院"])) for _ in range(m)
            ],
            "hospital_level": [draw(st.sampled_from(["1", "2", "3"])) for _ in range(m)],
            "total_cost": [1000.0 * (i + 1) for i in range(m)],
            "policy_cost": [800.0 * (i + 1) for i in range(m)],
            "referred": [draw(st.booleans()) for _ in range(m)],
        },
        columns=["person_id", "setting", "hospital_level", "total_cost", "policy_cost", "referred"],
    )
    return persons, claims


@st.composite
def mutated(draw, df: pd.DataFrame) -> pd.DataFrame:
    df = df.astype(object).copy()
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["cell", "cell", "drop_col", "dup_row", "rename", "extra_col"]))
        if op == "cell" and len(df):
            df.iat[draw(st.integers(0, len(df) - 1)), draw(st.integers(0, df.shape[1] - 1))] = draw(NASTY)
        elif op == "drop_col" and df.shape[1]:
            df = df.drop(columns=df.columns[draw(st.integers(0, df.shape[1] - 1))])
        elif op == "dup_row" and len(df):
            df = pd.concat([df, df.iloc[[draw(st.integers(0, len(df) - 1))]]], ignore_index=True)
        elif op == "rename" and df.shape[1]:
            c = df.columns[draw(st.integers(0, df.shape[1] - 1))]
            df = df.rename(
                columns={c: draw(st.sampled_from(["人员编号", "年龄", "x", "", "age", c.upper()]))}
            )
        elif op == "extra_col":
            df[draw(st.sampled_from(["district", "enrolled", "month", "disease", "care_need", "备注"]))] = (
                draw(NASTY)
            )
    return df


def encode(draw, df: pd.DataFrame) -> bytes:
    text = df.to_csv(index=False)
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk-as-utf8", "utf8-as-gbk", "latin1"]))
    if enc == "gbk-as-utf8":
        return text.encode("utf-8").decode("utf-8").encode("gb18030", errors="replace")
    if enc == "utf8-as-gbk":
        return text.encode("utf-8").decode("gb18030", errors="replace").encode("utf-8")
    if enc == "latin1":
        return text.encode("utf-8", errors="replace").decode("latin1").encode("latin1")
    data = text.encode(enc)
    if draw(st.booleans()):  # byte-level damage
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        data = data[:i] + draw(st.binary(max_size=4)) + data[i + draw(st.integers(0, 3)) :]
    return data


def _check(pb: bytes, cb: bytes):
    r = outcome("load_population", load_population, pb, cb, where=NAMES)
    if isinstance(r, Population):
        try:
            res = simulate(r, SCN)
            assert res.persons["oop"].ge(0).all()
            record("simulate(loaded)", "ok")
        except WorkbenchError as e:
            record("simulate(loaded)", type(e).__name__)
            assert "claims" in str(e) or "persons" in str(e) or "population" in str(e), str(e)
    return r


@SLOW
@given(data=st.data(), t=tables())
def test_mutated_csv(data, t):
    persons, claims = t
    pb = encode(data.draw, data.draw(mutated(persons)))
    cb = encode(data.draw, data.draw(mutated(claims)))
    _check(pb, cb)


@SLOW
@given(pb=st.binary(max_size=300), cb=st.binary(max_size=300))
@example(pb=b"", cb=b"")
@example(pb=b"\xef\xbb\xbf", cb=b"\n\n")
@example(pb=b"person_id,household_id,age,scheme,category,income,weight\n", cb=b"person_id\n")
@example(pb=b"PAR1garbage", cb=b"PAR1")
@example(pb=b'"unterminated\n1,2', cb=b"a,b\n1,2,3,4\n")
def test_random_bytes(pb, cb):
    _check(pb, cb)


HEAD = "person_id,household_id,age,scheme,category,income,weight\n"
CHEAD = "person_id,setting,hospital_level,total_cost,policy_cost\n"


@pytest.mark.parametrize(
    "persons, claims",
    [
        (HEAD, CHEAD),
        (HEAD + "1,1,-3,resident,none,0,1\n", CHEAD),
        (HEAD + "1,1,30,resident,none,nan,1\n", CHEAD),
        (HEAD + "1,1,30,resident,none,inf,1\n", CHEAD),
        (HEAD + "1,1,30,resident,低保,0,1\n", CHEAD + "1,住院,3,1e15,1e15\n"),
        (HEAD + "1,1,30,resident,none,0,1\n1,1,30,resident,none,0,1\n", CHEAD),
        (HEAD + "1,1,30,resident,none,0,1\n", CHEAD + "7,inpatient,3,100,100\n"),
        (HEAD + "1,1,30,resident,none,0,1\n", CHEAD + "1,inpatient,moon,100,100\n"),
        (HEAD + "1,1,30,resident,none,0,1\n", CHEAD + "1,inpatient,3,100,200\n"),
        (HEAD + "1,1,30,resident,none,0,nan\n", CHEAD),
        (HEAD + "1,1,30,resident,none,0,1\n", CHEAD + "1,inpatient,3,nan,nan\n"),
    ],
)
def test_explicit_csv(persons, claims):
    for enc in ("utf-8", "utf-8-sig", "gb18030"):
        _check(persons.encode(enc), claims.encode(enc))


@SLOW
@given(data=st.data(), t=tables())
def test_parquet_files(tmp_path_factory, data, t):
    persons, claims = t
    d = tmp_path_factory.mktemp("pq")
    pp, cp = d / "persons.parquet", d / "claims.parquet"
    mp = data.draw(mutated(persons))
    try:
        mp.astype(str).to_parquet(pp) if data.draw(st.booleans()) else persons.to_parquet(pp)
        claims.to_parquet(cp)
    except Exception:  # pyarrow cannot write every mixed column; nothing to test then
        return
    if data.draw(st.booleans()):
        raw = pp.read_bytes()
        pp.write_bytes(raw[: data.draw(st.integers(0, len(raw)))])
    r = outcome("load_population(parquet)", load_population, pp, cp, where=(str(pp), str(cp)))
    assert isinstance(r, (Population, PopulationError))


def test_missing_files(tmp_path):
    r = outcome(
        "load_population", load_population, tmp_path / "p.csv", tmp_path / "c.csv", where=str(tmp_path)
    )
    assert isinstance(r, PopulationError)
    buf = io.BytesIO()
    assert buf.getvalue() == b""
