"""Memory limits (issue 8): a population that would not fit is refused up front with an estimate,
never an out-of-memory kill. Available memory is monkeypatched so the refusal can be provoked."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import PopulationError, generate_population, limits, load_population, load_scenario
from simulation.errors import PopulationTooLargeError
from simulation.population import save_population

from .test_fuzz_common import outcome

GiB = 2**30


@pytest.fixture(scope="module")
def scn():
    return load_scenario("linan_2024")


@pytest.fixture
def little_memory(monkeypatch):
    """Pretend 1 GiB is available (and the check is on, whatever the environment says)."""
    monkeypatch.delenv(limits.CHECK_ENV, raising=False)
    monkeypatch.delenv(limits.AVAILABLE_ENV, raising=False)
    monkeypatch.setattr(limits, "available_memory", lambda: (1 * GiB, "test"))


def test_estimate_is_calibrated():
    # measured peak up to 921 bytes a person at 1e6 (see simulation/limits.py); estimate above it
    per = limits.bytes_per_person()
    assert 921 * 1.2 <= per <= 2_000
    assert limits.estimate_bytes(2_000_000) == pytest.approx(2 * limits.estimate_bytes(1_000_000), rel=1e-6)
    assert limits.estimate_bytes(100, claims=0) < limits.estimate_bytes(100)


def test_generate_refused_with_estimate(scn, little_memory):
    with pytest.raises(PopulationTooLargeError) as ei:
        generate_population(scn, persons=5_000_000, seed=1)
    msg = str(ei.value)
    assert isinstance(ei.value, PopulationError)  # callers catching PopulationError still do
    assert "5,000,000 persons" in msg
    assert "GiB" in msg and "1.0 GiB is available" in msg
    assert "--dask local" in msg and limits.CHECK_ENV in msg
    est = limits.estimate_bytes(5_000_000) / GiB
    assert f"{est:,.1f} GiB" in msg


def test_generate_small_passes(scn, little_memory):
    pop = generate_population(scn, persons=200, seed=1)
    assert len(pop.persons) == 200


def test_bad_sizes_left_to_the_generator(scn, little_memory):
    for bad in (-5, 0, 2.5, "x", True):
        with pytest.raises(PopulationError) as ei:
            generate_population(scn, persons=bad, seed=1)
        assert not isinstance(ei.value, PopulationTooLargeError)


def test_override_env(scn, monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: (1 * GiB, "test"))
    monkeypatch.setenv(limits.CHECK_ENV, "off")
    limits.check_persons(5_000_000)  # no error: the planner chose to try
    monkeypatch.delenv(limits.CHECK_ENV)
    with pytest.raises(PopulationTooLargeError):
        limits.check_persons(5_000_000)


def test_available_env(monkeypatch):
    monkeypatch.setenv(limits.AVAILABLE_ENV, "2G")
    assert limits.available_memory() == (2 * GiB, f"{limits.AVAILABLE_ENV}=2G")
    with pytest.raises(PopulationTooLargeError, match="2.0 GiB is available"):
        limits.check_persons(3_000_000)
    monkeypatch.setenv(limits.AVAILABLE_ENV, "64g")
    limits.check_persons(3_000_000)


def test_available_memory_reads_the_system(monkeypatch):
    monkeypatch.delenv(limits.AVAILABLE_ENV, raising=False)
    n, source = limits.available_memory()
    assert source in ("MemAvailable", "cgroup memory.max", "cgroup memory.limit_in_bytes", "unknown")
    assert n is None or n > 0


def test_cgroup_limit_wins_when_lower(monkeypatch, tmp_path):
    monkeypatch.delenv(limits.AVAILABLE_ENV, raising=False)
    monkeypatch.setattr(limits, "reusable_bytes", lambda: 0)
    files = {
        "/proc/meminfo": "MemTotal: 999 kB\nMemAvailable:   8388608 kB\n",  # 8 GiB
        "/sys/fs/cgroup/memory.max": "3221225472\n",  # 3 GiB
        "/sys/fs/cgroup/memory.current": "1073741824\n",  # 1 GiB used
    }
    real_open = open

    def fake_open(path, *a, **k):
        if str(path) in files:
            import io

            return io.StringIO(files[str(path)])
        return real_open(path, *a, **k)

    monkeypatch.setattr("builtins.open", fake_open)
    monkeypatch.setattr(limits, "_read_int", lambda p: int(files[p]) if p in files else None)
    assert limits.available_memory() == (2 * GiB, "cgroup memory.max")
    files["/sys/fs/cgroup/memory.max"] = "max\n"
    monkeypatch.setattr(
        limits, "_read_int", lambda p: int(files[p]) if p in files and files[p].strip().isdigit() else None
    )
    assert limits.available_memory() == (8 * GiB, "MemAvailable")


def _big_csv(tmp_path, rows: int):
    p, c = tmp_path / "p.csv", tmp_path / "c.csv"
    with open(p, "w") as f:
        f.write("person_id,household_id,age,scheme,category,income,weight\n")
        f.writelines(f"{i},{i},40,resident,none,30000,1\n" for i in range(1, rows + 1))
    with open(c, "w") as f:
        f.write("person_id,setting,hospital_level,total_cost,policy_cost\n")
        f.writelines(f"{i},inpatient,3,1000,800\n" for i in range(1, rows + 1))
    return p, c


def test_load_csv_refused_before_reading(tmp_path, monkeypatch):
    p, c = _big_csv(tmp_path, 50_000)
    rows, size, is_csv = limits.table_rows(p)
    assert is_csv and abs(rows - 50_000) <= 1_000 and size == p.stat().st_size
    need, pr, cr = limits.estimate_load_bytes(p, c)
    monkeypatch.setattr(limits, "MIN_BYTES", 0)
    monkeypatch.setattr(limits, "available_memory", lambda: (need // 2, "test"))
    monkeypatch.delenv(limits.CHECK_ENV, raising=False)
    monkeypatch.setattr("simulation.population.io.read_table", _must_not_read)
    for args in ((p, c), (p.read_bytes(), c.read_bytes())):
        with pytest.raises(PopulationTooLargeError) as ei:
            load_population(*args)
        msg = str(ei.value)
        assert (
            "load_population" in msg
            and "persons" in msg
            and "claims" in msg
            and "GiB" in msg
            and "--dask local" in msg
        )


def _must_not_read(*a, **k):
    raise AssertionError("read before the size check")


def test_load_csv_fits(tmp_path, monkeypatch):
    p, c = _big_csv(tmp_path, 300)
    monkeypatch.setattr(limits, "available_memory", lambda: (1 * GiB, "test"))
    pop = load_population(p, c)
    assert len(pop.persons) == 300


def test_parquet_rows_from_metadata(tmp_path, scn, monkeypatch):
    pop = generate_population(scn, persons=500, seed=3)
    d = save_population(pop, tmp_path / "pq")
    files = sorted(d.rglob("*.parquet"))
    assert files
    persons_file = next(f for f in files if "person" in f.name)
    rows, size, is_csv = limits.table_rows(persons_file)
    assert (rows, is_csv) == (500, False) and size > 0
    assert limits.table_rows(persons_file.read_bytes())[0] == 500
    monkeypatch.setattr(limits, "MIN_BYTES", 0)
    monkeypatch.setattr(limits, "available_memory", lambda: (1000, "test"))
    claims_file = next(f for f in files if "claim" in f.name)
    with pytest.raises(PopulationTooLargeError, match="500 persons"):
        load_population(persons_file, claims_file)


def test_unreadable_files_left_to_the_loader(tmp_path, little_memory):
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"PAR1garbage")
    assert limits.table_rows(bad) == (0, bad.stat().st_size, False)
    assert limits.table_rows(tmp_path / "missing.csv") == (0, 0, False)
    with pytest.raises(PopulationError) as ei:
        load_population(bad, tmp_path / "missing.csv")
    assert not isinstance(ei.value, PopulationTooLargeError)


def test_cli_refuses_with_one_line(capsys, little_memory):
    from simulation.cli import main

    rc = main(["run", "linan_2024", "--persons", "9000000"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1
    assert "9,000,000 persons" in err and "GiB" in err


# ---------------------------------------------------------------------------- fuzzing (issue 8 stats)
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", autouse=True)
def _stats():
    yield
    from .test_fuzz_common import flush

    flush()


@FUZZ
@given(
    n=st.one_of(st.integers(-10, 10**12), st.floats(), st.text(max_size=3), st.none(), st.booleans()),
    avail=st.integers(0, 2**42),
)
def test_fuzz_check_persons(monkeypatch, n, avail):
    monkeypatch.setattr(limits, "available_memory", lambda: (avail, "test"))
    monkeypatch.delenv(limits.CHECK_ENV, raising=False)
    out = outcome("limits.check_persons", limits.check_persons, n, where=("persons", "GiB"))
    if isinstance(out, PopulationTooLargeError):
        assert isinstance(n, int) and n > 0 and limits.estimate_bytes(n) > max(avail, limits.MIN_BYTES)
    elif isinstance(n, int) and not isinstance(n, bool) and n > 0:
        assert limits.estimate_bytes(n) <= max(avail, limits.MIN_BYTES)


@FUZZ
@given(pb=st.binary(max_size=400), cb=st.binary(max_size=400), avail=st.integers(0, 2**20))
def test_fuzz_check_files(monkeypatch, pb, cb, avail):
    monkeypatch.setattr(limits, "available_memory", lambda: (avail, "test"))
    monkeypatch.setattr(limits, "MIN_BYTES", 0)
    monkeypatch.delenv(limits.CHECK_ENV, raising=False)
    outcome("limits.check_files", limits.check_files, pb, cb, where=("load_population", "GiB"))


def test_memory_the_process_keeps_for_reuse_counts_as_available(monkeypatch):
    """Freed memory the process keeps (simulation.memory_reuse) is room for the next run."""
    monkeypatch.delenv(limits.AVAILABLE_ENV, raising=False)
    monkeypatch.setattr(limits, "reusable_bytes", lambda: 0)
    base, source = limits.available_memory()
    monkeypatch.setattr(limits, "reusable_bytes", lambda: GiB)
    more, source2 = limits.available_memory()
    assert source == source2 and 0.9 * GiB < more - base < 1.1 * GiB  # MemAvailable moves a little


def test_keep_freed_memory_reuses_pages():
    """With the setting applied (on import of simulation), a freed large array stays with the
    process: glibc reports it as free heap, and the process's size does not drop."""
    from simulation import memory_reuse

    if not memory_reuse.keep_freed_memory():
        pytest.skip("not glibc, or SIMULATION_KEEP_MEMORY=off")
    blocks = [np.ones(16 * 2**20 // 8) for _ in range(4)]  # 16 MiB each
    before = memory_reuse.reusable_bytes()
    del blocks
    assert memory_reuse.reusable_bytes() >= before + 60 * 2**20


def test_prefault_leaves_a_thread_mapped_pages_for_its_next_arrays():
    """On a new thread (its own heap, as the app's compute thread), arrays allocated after
    `prefault` reuse the pages it touched: fewer than a tenth of their pages are faulted in (on
    a fresh heap every page is). The page counts are the kernel's: the test holds on a slow
    machine."""
    import resource
    import threading

    from simulation import memory_reuse

    if not memory_reuse.keep_freed_memory():
        pytest.skip("not glibc, or SIMULATION_KEEP_MEMORY=off")
    if not hasattr(resource, "RUSAGE_THREAD"):
        pytest.skip("no per-thread page-fault count on this system")
    size = 96 * 2**20

    def faults(before) -> int:
        out = []

        def work():
            touched = before()
            start = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
            arrays = [np.ones(6 * 2**20 // 8) for _ in range(size // (6 * 2**20))]  # a run's columns
            out.append((resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - start, touched))
            del arrays

        th = threading.Thread(target=work)
        th.start()
        th.join()
        return out[0]

    warm, touched = faults(lambda: memory_reuse.prefault(size + 32 * 2**20))
    assert touched >= size
    assert warm < size / resource.getpagesize() / 10, warm


def test_prefault_does_nothing_without_the_setting(monkeypatch):
    from simulation import memory_reuse

    monkeypatch.setattr(memory_reuse, "_applied", False)
    assert memory_reuse.prefault(64 * 2**20) == 0
