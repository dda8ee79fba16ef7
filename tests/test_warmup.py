"""The warm-up command: its arguments, the population order it adds, the scenarios it runs, and
that it leaves the serial/parallel threshold as it found it. (Its speed is measured in
benchmarks/bench_warmup.py, not here.)"""

from __future__ import annotations

import numpy as np

from simulation import generate_population, kernels, load_scenario, simulate
from simulation import warmup as warmup_module
from simulation.cli import main
from simulation.warmup import cache_dir, shuffled, variants, warmup


def test_unknown_preset_is_one_line_exit_2(capsys):
    assert main(["warmup", "atlantis_2030"]) == 2
    err = capsys.readouterr().err
    assert "atlantis_2030" in err and len(err.strip().splitlines()) == 1


def test_bad_persons_exit_2(capsys):
    assert main(["warmup", "linan_2024", "--persons", "0"]) == 2


def test_shuffled_population_is_the_other_path_with_the_same_totals():
    scn = load_scenario("linan_2024")
    pop = generate_population(scn, persons=400, seed=3)
    other = shuffled(pop)
    assert pop.arrays.household_starts is not None and other.arrays.household_starts is None
    a, b = simulate(pop, scn).summary, simulate(other, scn).summary
    assert np.isclose(a["total_cost"], b["total_cost"]) and np.isclose(a["oop"], b["oop"])


def test_variants_flip_each_switch_once():
    scn = load_scenario("jiaxing_2025")
    switches = [lv for lv in scn.levers() if lv.kind == "switch"]
    seen = list(variants(scn))
    assert seen[0] == ("", scn)
    assert {path for path, _ in seen[1:]} <= {lv.path for lv in switches}
    for path, changed in seen[1:]:
        assert bool(changed.get(path)) != bool(scn.get(path))


def test_warmup_runs_every_mode_and_restores_the_threshold(monkeypatch):
    """Each preset's variants run four ways (serial and parallel threshold, households contiguous
    and not); the runs themselves are replaced by a recorder (compiling is the benchmark's job)."""
    seen = []

    def record(pop, scn, years):
        seen.append((kernels.PARALLEL_MIN, pop.arrays.household_starts is not None, scn.digest()))

    monkeypatch.setattr(warmup_module, "_exercise", record)
    saved = kernels.PARALLEL_MIN
    lines = []
    report = warmup(["shuozhou_2021"], persons=300, years=1, progress=lines.append)
    assert saved == kernels.PARALLEL_MIN
    n_variants = len(list(variants(load_scenario("shuozhou_2021"))))
    assert report.runs == len(seen) == 4 * n_variants
    assert {(threshold <= 1, contiguous) for threshold, contiguous, _ in seen} == {
        (False, True),
        (False, False),
        (True, True),
        (True, False),
    }
    assert len({digest for *_, digest in seen}) == n_variants
    assert len(lines) == 1 and lines[0].startswith("shuozhou_2021")
    assert str(cache_dir()) in "\n".join(report.lines())
