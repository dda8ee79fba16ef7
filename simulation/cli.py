"""Command line: `python -m simulation run|generate|calibrate|project|warmup ...`.

Bad arguments and bad files end in one line on stderr and exit code 2, never a traceback. The
commands are the table `COMMANDS` at the end of this module: the CLI lists them, the modules it
calls do not register themselves.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable

from .api import simulate
from .calibration import DEFAULT_PERSONS, calibrate, format_checks
from .distributed import simulate_partitioned
from .errors import WorkbenchError
from .population import generate_population, load_population
from .population.parquet import generate_partitioned, open_partitioned
from .projection import format_funds, project
from .registry import format_value, metric_kind, metric_label
from .report import check_report_path, write_report
from .scenario import available_presets, load_scenario
from .targets import format_targets
from .warmup import DEFAULT_PERSONS as WARMUP_PERSONS
from .warmup import warmup

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's own convention too)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def format_summary(summary, lang: str = "zh") -> str:
    """One line a figure: its label and its value (money in 万元, or yuan in English; rates to 0.01%)."""
    scale = "wan" if lang == "zh" else "yuan"
    lines = []
    for k, v in summary.items():
        digits = 2 if metric_kind(k) == "rate" else None
        name = metric_label(k, lang)
        name = name if lang == "zh" else name[:1].upper() + name[1:]
        lines.append(f"{name:<28}\t{format_value(k, v, lang, scale=scale, digits=digits)}")
    return "\n".join(lines)


def _add_population_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="preset name (e.g. linan_2024) or path to a scenario YAML")
    p.add_argument("--persons", type=int, default=None, help="size of the generated population")
    p.add_argument("--seed", type=int, default=7, help="seed of the generated population")
    p.add_argument("--persons-csv", default=None, help="real persons file (CSV or Parquet)")
    p.add_argument("--claims-csv", default=None, help="real claims file (CSV or Parquet)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")


def population_from_args(args, scn):
    if (args.persons_csv is None) != (args.claims_csv is None):
        raise WorkbenchError("--persons-csv and --claims-csv go together: give both files")
    if args.persons_csv is not None:
        if args.persons is not None:
            raise WorkbenchError("give either --persons N (generate) or --persons-csv/--claims-csv, not both")
        return load_population(args.persons_csv, args.claims_csv)
    n = 100_000 if args.persons is None else args.persons
    if n <= 0:
        raise WorkbenchError(f"--persons: expected a positive number of persons, got {n}")
    return generate_population(scn, persons=n, seed=args.seed)


def _run_args(p: argparse.ArgumentParser) -> None:
    _add_population_args(p)
    p.add_argument(
        "--out",
        default=None,
        help="report file (.xlsx, .html or .pdf); with --population, a directory for the per-person tables",
    )
    p.add_argument(
        "--population",
        default=None,
        metavar="DIR",
        help="a partitioned population directory (generate --population DIR), simulated out of core on Dask",
    )
    p.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS|local",
        help="with --population: a Dask scheduler address, or 'local' for a LocalCluster on this machine",
    )


def _run_partitioned(args, scn) -> int:
    if args.persons is not None or args.persons_csv is not None or args.claims_csv is not None:
        raise WorkbenchError(
            "--population DIR is the whole population: drop --persons/--persons-csv/--claims-csv"
        )
    if args.dask is None:
        raise WorkbenchError("--population DIR runs on Dask: add --dask local or --dask ADDRESS")
    pp = open_partitioned(args.population)
    res = simulate_partitioned(pp, scn, args.dask, out=args.out)
    print(f"{scn.params.title} — {pp}")
    print(format_summary(res.summary, args.lang))
    persons = res.summary["persons"]
    rows = pp.manifest["persons"]
    print(f"simulated {rows:,} rows ({persons:,.0f} persons) in {res.seconds:,.1f} s on Dask")
    if res.out is not None:
        print(f"per-person results: {res.out}")
    return 0


def _run(args) -> int:
    if args.dask is not None and args.population is None:
        raise WorkbenchError("--dask needs --population DIR (a partitioned population)")
    scn = load_scenario(args.scenario)
    if args.population is not None:
        return _run_partitioned(args, scn)
    if args.out:  # a bad report name fails before the run
        check_report_path(args.out)
    pop = population_from_args(args, scn)
    res = simulate(pop, scn)
    print(f"{_title(scn, args.lang)} — {_persons(pop, args.lang)}")
    print(format_summary(res.summary, args.lang))
    if args.out:
        path = write_report(res, args.out, lang=args.lang)
        print(f"report: {path}")
    return 0


def _generate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="preset name (e.g. linan_2024) or path to a scenario YAML")
    p.add_argument("--persons", type=int, required=True, help="size of the generated population")
    p.add_argument("--seed", type=int, default=7, help="seed of the generated population")
    p.add_argument("--population", required=True, metavar="DIR", help="directory to write the partitions to")
    p.add_argument(
        "--partition-persons", type=int, default=1_000_000, help="persons per partition (default 1,000,000)"
    )


def _generate(args) -> int:
    scn = load_scenario(args.scenario)
    if args.partition_persons <= 0:
        raise WorkbenchError(f"--partition-persons: expected a positive number, got {args.partition_persons}")
    d = generate_partitioned(
        scn, args.persons, args.population, seed=args.seed, persons_per_partition=args.partition_persons
    )
    print(open_partitioned(d))
    return 0


def _calibrate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="preset name (e.g. linan_2024) or path to a scenario YAML")
    p.add_argument("--persons", type=int, default=DEFAULT_PERSONS, help="size of the generated population")
    p.add_argument("--seed", type=int, default=7, help="seed of the generated population")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")


def _title(scn, lang: str) -> str:
    return scn.params.title if lang == "zh" else (scn.params.title_en or scn.params.title)


def _persons(pop, lang: str) -> str:
    """The population as a line of output: its size (the source, a file or a generator, in its repr)."""
    n = len(pop.persons)
    return f"样本 {n:,} 人" if lang == "zh" else f"{n:,} sample persons"


def _calibrate(args) -> int:
    if args.persons <= 0:
        raise WorkbenchError(f"--persons: expected a positive number of persons, got {args.persons}")
    scn = load_scenario(args.scenario)
    checks = calibrate(scn, persons=args.persons, seed=args.seed)
    seed = (
        f"样本 {args.persons:,} 人，随机种子 {args.seed}"
        if args.lang == "zh"
        else (f"{args.persons:,} persons, seed {args.seed}")
    )
    print(f"{_title(scn, args.lang)} — {seed}")
    print(format_checks(checks, args.lang, scn))
    return 0 if all(ch.ok or ch.known_gap for ch in checks) else 1


def _project_args(p: argparse.ArgumentParser) -> None:
    _add_population_args(p)
    p.add_argument("--years", type=int, default=None, help="projection years (default: the scenario's)")


def _project(args) -> int:
    scn = load_scenario(args.scenario)
    if args.years is not None and not 1 <= args.years <= 50:
        raise WorkbenchError(f"--years: expected 1-50, got {args.years}")
    pop = population_from_args(args, scn)
    proj = project(pop, scn, years=args.years, seed=args.seed)
    print(f"{_title(scn, args.lang)} — {_persons(pop, args.lang)} — {proj.years[0]}-{proj.years[-1]}")
    print(format_funds(proj.funds, args.lang))
    print()
    print(format_targets(proj.targets, args.lang))
    return 0


def _warmup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "presets", nargs="*", help="preset names (default: every preset in scenarios/)", metavar="PRESET"
    )
    p.add_argument(
        "--persons", type=int, default=WARMUP_PERSONS, help="persons of each small generated population"
    )


def _warmup(args) -> int:
    known = available_presets()
    unknown = [name for name in args.presets if name not in known]
    if unknown:
        raise WorkbenchError(f"unknown preset {unknown[0]!r}; presets: {', '.join(known)}")
    if args.persons <= 0:
        raise WorkbenchError(f"--persons: expected a positive number of persons, got {args.persons}")
    report = warmup(args.presets or None, persons=args.persons, progress=print)
    print("\n".join(report.lines()[len(report.steps) :]))
    return 0


# name -> (help, add_args(parser) declaring the arguments, run(args) returning the exit code)
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[..., int]]] = {
    "run": ("simulate one year and print the summary", _run_args, _run),
    "generate": (
        "generate a population to Parquet partitions (for run --population)",
        _generate_args,
        _generate,
    ),
    "calibrate": (
        "generate a population and compare it with the scenario's calibration targets",
        _calibrate_args,
        _calibrate,
    ),
    "project": ("project the funds over years and check the policy targets", _project_args, _project),
    "warmup": (
        "compile every kernel variant (serial and parallel, every preset) into the on-disk cache",
        _warmup_args,
        _warmup,
    ),
}


def _check_names(args) -> None:
    """No file or folder name on the command line holds a NUL byte or another control character."""
    for name, value in vars(args).items():
        if isinstance(value, str) and re.search(r"[\x00-\x1f\x7f]", value):
            shown = re.sub(r"[\x00-\x1f\x7f]", "?", value)
            raise WorkbenchError(f"--{name.replace('_', '-')} {shown}: NUL or control characters in a name")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(
        prog="python -m simulation", description="医保政策仿真工作台 medical-security policy workbench"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (help_, add_args, _fn) in COMMANDS.items():
        add_args(sub.add_parser(name, help=help_))
    args = parser.parse_args(argv)
    try:
        _check_names(args)
        return COMMANDS[args.command][2](args)
    except WorkbenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print("error: not enough memory for this population; use fewer --persons", file=sys.stderr)
        return EXIT_BAD_INPUT
