"""Fuzzing of user-named output files (issue 8): saved scenarios (`Scenario.save`), reports
(`write_report`, CLI `--out`) and the app's download names. A name with `..`, an absolute path
outside the base folder, a NUL byte or a control character is refused with the project's error
(or neutralised, for download names); nothing is ever written outside the base folder and no
other exception escapes.

Without a base folder a path means what it means in a shell (`../x.yaml` is the parent folder);
with `base_dir` or SIMULATION_OUTPUT_DIR (a server where every saved file stays in one folder) it
must resolve inside it."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import WorkbenchError, load_scenario
from simulation import report as rep
from simulation.io_safe import OUTPUT_DIR_ENV, safe_output_path

from .test_fuzz_common import outcome, record

FAST = settings(
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PARTS = ["..", ".", "a", "b", "x.yaml", "r.xlsx", "r.html", "", " ", "..\\..", "~", "报告.xlsx",
         "nul\x00.yaml", "tab\t.yaml", "new\nline.html", "...", "..x", "x" * 300, "\x7f", "C:"]  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _stats():
    yield
    from .test_fuzz_common import flush

    flush()


@pytest.fixture
def scn(monkeypatch):
    """A preset whose YAML dump is stubbed (0.2 s each): the fuzzing is about the path."""
    s = load_scenario("linan_2024")
    monkeypatch.setattr(type(s), "to_yaml", lambda self: "id: linan_2024\n")
    return s


def test_real_save_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv(OUTPUT_DIR_ENV, str(tmp_path))
    s = load_scenario("linan_2024")
    out = s.save("edited.yaml")
    assert out == tmp_path / "edited.yaml" and load_scenario(str(out)).digest() == s.digest()
    with pytest.raises(WorkbenchError, match="'..'"):
        s.save("../edited.yaml")


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """cwd 4 levels below the sandbox, so up to 3 `..` parts stay inside it; a base folder."""
    cwd = tmp_path / "l1" / "l2" / "l3" / "cwd"
    cwd.mkdir(parents=True)
    base = cwd / "base"
    base.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv(OUTPUT_DIR_ENV, raising=False)
    return tmp_path, base


def names(max_parts: int = 3):
    part = st.one_of(st.sampled_from(PARTS), st.text(max_size=6))
    return st.lists(part, min_size=1, max_size=max_parts).map(lambda ps: "/".join(ps).lstrip("/") or ".")


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _written_inside(sandbox_root: Path, base: Path, before: set[Path]) -> None:
    new = files_under(sandbox_root) - before
    assert all(base in p.parents for p in new), new
    assert not [p for p in new if p.name.endswith(".part")], new  # no temp file left


@given(data=st.data())
@FAST
def test_scenario_save_inside_base(scn, sandbox, monkeypatch, data):
    root, base = sandbox
    monkeypatch.setenv(OUTPUT_DIR_ENV, str(base))
    name = data.draw(
        st.one_of(
            names(),
            st.sampled_from(
                [str(base / "ok.yaml"), str(root / "out.yaml"), "/etc/x.yaml", str(base / ".." / "x")]
            ),
        )
    )
    before = files_under(root)
    out = outcome(
        "Scenario.save(base)", scn.save, name, where=("name", "NUL", "..", "outside", "folder", "file")
    )
    if not isinstance(out, WorkbenchError):
        assert base in Path(out).resolve().parents
        assert "\x00" not in name and ".." not in Path(name).parts
    _written_inside(root, base, before)


@given(name=names())
@FAST
def test_scenario_save_without_base(scn, sandbox, name):
    root, base = sandbox
    before = files_under(root)
    out = outcome("Scenario.save", scn.save, name)
    if isinstance(out, WorkbenchError):
        assert str(out).strip()
    else:
        assert root in Path(out).resolve().parents and Path(out).is_file()
        assert not any(c in name for c in "\x00\t\n\x7f")
    new = files_under(root) - before
    assert not [p for p in new if p.name.endswith(".part")]


@given(data=st.data())
@FAST
def test_write_report_paths(sandbox, monkeypatch, data):
    root, base = sandbox
    monkeypatch.setattr(rep, "_BUILDERS", {k: (lambda *a, **k: b"report") for k in rep._BUILDERS})
    suffix = st.sampled_from([".xlsx", ".html", ".pdf", ".XLSX", ""])
    name = data.draw(
        st.one_of(
            names(),
            st.tuples(st.sampled_from(PARTS) | st.text(max_size=8), suffix).map("".join),
            st.sampled_from(["/etc/r.xlsx", str(root / "r.html"), str(base / "r.pdf"), "../r.pdf"]),
        )
    )
    before = files_under(root)
    out = outcome("write_report(base_dir)", rep.write_report, None, name, base_dir=base)
    if not isinstance(out, WorkbenchError):
        assert base in out.resolve().parents and out.read_bytes() == b"report"
    _written_inside(root, base, before)


@pytest.mark.parametrize(
    "name, match",
    [
        ("a\x00b.yaml", "NUL"),
        ("../escape.yaml", r"'\.\.'"),
        ("ok/../../escape.yaml", r"'\.\.'"),
        ("/etc/passwd", "outside"),
        ("", "empty"),
        (".", "folder"),
        ("missing/x.yaml", "does not exist"),
    ],
)
def test_safe_output_path_refusals(sandbox, name, match):
    root, base = sandbox
    with pytest.raises(WorkbenchError, match=match):
        safe_output_path(name, base)
    record("safe_output_path(base)", "WorkbenchError")


@pytest.mark.parametrize("bad", [b"x.yaml", 3, None, ["x"]])
def test_safe_output_path_types(bad):
    with pytest.raises(WorkbenchError, match="expected a file name"):
        safe_output_path(bad)


def test_absolute_inside_base_is_fine(sandbox):
    root, base = sandbox
    assert safe_output_path(str(base / "x.yaml"), base) == base / "x.yaml"
    assert safe_output_path("sub_missing.yaml", base) == base / "sub_missing.yaml"


@pytest.mark.parametrize(
    "out, match",
    [
        ("r\x00.xlsx", "NUL"),
        ("r.xlsx\n", "NUL|unknown report format"),
        ("nodir/r.xlsx", "does not exist"),
        (".", "unknown report format"),
    ],
)
def test_cli_out_refused_before_the_run(sandbox, capsys, monkeypatch, out, match):
    import re

    from simulation import cli

    def no_population(*a, **k):
        raise AssertionError("the population was built before the --out check")

    monkeypatch.setattr(cli, "population_from_args", no_population)
    rc = cli.main(["run", "linan_2024", "--persons", "3", "--out", out])
    record("cli.main(--out)", f"return {rc}")
    err = capsys.readouterr().err
    assert rc == 2 and re.search(match, err), err
    assert "\x00" not in err and len([ln for ln in err.split("\n") if ln.strip()]) == 1


def test_cli_out_in_output_dir(sandbox, capsys, monkeypatch):
    root, base = sandbox
    from simulation import cli

    monkeypatch.setenv(OUTPUT_DIR_ENV, str(base))
    rc = cli.main(["run", "linan_2024", "--persons", "3", "--out", "../r.xlsx"])
    assert rc == 2 and "'..'" in capsys.readouterr().err
    monkeypatch.setattr(rep, "_BUILDERS", {k: (lambda *a, **k: b"report") for k in rep._BUILDERS})
    rc = cli.main(["run", "linan_2024", "--persons", "3", "--out", "r.xlsx"])
    assert rc == 0 and (base / "r.xlsx").read_bytes() == b"report"
    assert not (Path(os.getcwd()) / "r.xlsx").exists()


@given(name=st.one_of(names(), st.text()))
@FAST
def test_app_download_names_neutralised(name):
    from app_pages._limits import safe_file_name

    out = outcome("app safe_file_name", safe_file_name, name, "d")
    assert out and "/" not in out and "\\" not in out and ".." not in out
    assert not any(ord(c) < 32 or c == "\x7f" for c in out) and not out.startswith(".")
    assert len(out) <= 120
