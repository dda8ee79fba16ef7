"""Command line: `python -m simulation run|generate|calibrate|project|explain|price|backtest|... ...`.

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
from .best_buy import frontier, frontier_table, marginal_effects, marginal_table
from .calibration import DEFAULT_PERSONS, calibrate, format_checks
from .contract import PREMIUM, format_pricing, price_critical_illness
from .distributed import simulate_partitioned
from .errors import WorkbenchError
from .explain import explain, load_family, typical_families
from .parameters import SETTING_LABELS
from .population import generate_population, load_population
from .population.parquet import generate_partitioned, open_partitioned
from .projection import format_funds, project
from .registry import category_label, code_label, format_value, metric_kind, metric_label
from .report import check_report_path, write_report
from .report.family import check_family_path, family_text, write_family
from .scenario import available_presets, load_scenario
from .sensitivity import FIGURES as TORNADO_FIGURES
from .sensitivity import tornado, tornado_table
from .settlements import backtest, load_settlements, synthetic_extract, tier_label, write_extract
from .settlements.extract import SettlementError
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


def _price_args(p: argparse.ArgumentParser) -> None:
    _add_population_args(p)
    p.add_argument(
        "--year", type=int, default=None, help="contract year priced (default: the year after the scenario's)"
    )
    p.add_argument("--draws", type=int, default=50, help="Monte Carlo draws (default 50)")
    p.add_argument(
        "--target", type=float, default=None, help="target margin rate in %% (default: the corridor's middle)"
    )
    p.add_argument(
        "--solve",
        default=PREMIUM,
        help=f"parameter solved: {PREMIUM} (default), critical_illness.terms.threshold "
        "or critical_illness.terms.bands.N.ratio",
    )
    p.add_argument(
        "--populations",
        type=int,
        default=1,
        help="populations drawn (default 1: every draw on the population given)",
    )


def _price(args) -> int:
    scn = load_scenario(args.scenario)
    if args.draws < 1:
        raise WorkbenchError(f"--draws: expected at least 1, got {args.draws}")
    if args.populations < 1:
        raise WorkbenchError(f"--populations: expected at least 1, got {args.populations}")
    pop = population_from_args(args, scn)
    target = None if args.target is None else args.target / 100.0
    pr = price_critical_illness(
        pop,
        scn,
        args.year,
        args.draws,
        target=target,
        solve=args.solve,
        populations=args.populations,
        seed=args.seed,
    )
    print(f"{scn.params.title} — {pop}")
    print(format_pricing(pr, args.lang))
    return 0


def _best_buy_args(p: argparse.ArgumentParser) -> None:
    _add_population_args(p)
    p.add_argument("--top", type=int, default=15, help="levers shown (default 15)")
    p.add_argument(
        "--frontier",
        default=None,
        metavar="PATH,PATH,PATH",
        help="up to three lever paths: the Pareto frontier of public cost against coverage over "
        "their combinations",
    )
    p.add_argument(
        "--budget",
        type=float,
        default=5000.0,
        help="frontier: the largest added public cost, 万元 (default 5000)",
    )
    p.add_argument(
        "--steps", type=int, default=5, help="frontier: values a lever takes beyond its own (default 5)"
    )


def _best_buy(args) -> int:
    scn = load_scenario(args.scenario)
    if args.top < 1:
        raise WorkbenchError(f"--top: expected at least 1, got {args.top}")
    if args.budget <= 0:
        raise WorkbenchError(f"--budget: expected a positive amount in 万元, got {args.budget:g}")
    paths = [x.strip() for x in args.frontier.split(",") if x.strip()] if args.frontier else []
    if len(paths) > 3:
        raise WorkbenchError(f"--frontier: at most three levers, got {len(paths)}")
    for path in paths:
        scn.lever(path)  # a bad path fails before the population is built
    pop = population_from_args(args, scn)
    print(f"{scn.params.title} — {pop}")
    me = marginal_effects(pop, scn)
    print(marginal_table(me.head(args.top), scn, args.lang).to_string(index=False))
    if paths:
        fr = frontier(pop, scn, paths, (0.0, args.budget * 1e4), steps=args.steps)
        print()
        print(frontier_table(fr, scn, args.lang).to_string(index=False))
    return 0


def _tornado_args(p: argparse.ArgumentParser) -> None:
    _add_population_args(p)
    p.add_argument("--top", type=int, default=15, help="bars shown (default 15)")
    p.add_argument("--by", choices=TORNADO_FIGURES, default="balance", help="figure the bars are ordered by")
    p.add_argument("--fund", default=None, help="the fund whose balance is read (default: every fund summed)")


def _tornado(args) -> int:
    scn = load_scenario(args.scenario)
    if args.top < 1:
        raise WorkbenchError(f"--top: expected at least 1, got {args.top}")
    pop = population_from_args(args, scn)
    tn = tornado(pop, scn, fund=args.fund, by=args.by)
    print(f"{scn.params.title} — {pop} — {tn.year}")
    print(tornado_table(tn, args.lang, args.top).to_string(index=False))
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


def _explain_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="preset name (e.g. linan_2024) or path to a scenario YAML")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--family", metavar="FILE", help="a family YAML: persons: and claims: (docs/CONTRACT-explain.md)"
    )
    who.add_argument(
        "--typical",
        metavar="ID",
        help="one of the preset's typical families (scenarios/families/PRESET.yaml)",
    )
    p.add_argument(
        "--baseline", default=None, metavar="PRESET", help="explain under this scenario too, and compare"
    )
    p.add_argument("--out", default=None, help="write the 测算单: .pdf, .html, .csv (the steps) or .txt")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")


def _explain(args) -> int:
    if args.out:  # a bad name fails before the run
        check_family_path(args.out)
    scn = load_scenario(args.scenario)
    if args.typical is not None:
        fams = {f.id: f for f in typical_families(scn)}
        if args.typical not in fams:
            known = ", ".join(fams) or "none"
            raise WorkbenchError(
                f"--typical {args.typical}: no such typical family of {scn.id} (families: {known})"
            )
        fam = fams[args.typical]
    else:
        fam = load_family(args.family)
    ex = explain(scn, fam.persons, fam.claims, baseline=args.baseline)
    description = fam.description_in(args.lang)
    print(family_text(ex, args.lang, description), end="")
    if args.out:
        print(f"file: {write_family(ex, args.out, args.lang, description)}")
    return 0


def _backtest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="the scenario in force: a preset name or a scenario YAML")
    p.add_argument(
        "--settlements",
        required=True,
        help="the platform's settlement extract (CSV UTF-8/GBK, xlsx, Parquet)",
    )
    p.add_argument(
        "--persons",
        required=True,
        help="the persons file (人员编号, 家庭编号, 出生日期/年龄, 救助类别, 收入 …)",
    )
    p.add_argument("--mapping", default=None, help="a column mapping (YAML) for a non-standard extract")
    p.add_argument(
        "--out", default=None, help="report file (.xlsx, .html or .pdf) with the back-test section"
    )
    p.add_argument(
        "--by",
        default="setting,category",
        help="dimensions of the table (hospital_level, setting, category, month)",
    )
    p.add_argument("--top", type=int, default=10, help="settlements of the largest gaps to print")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")


def format_backtest(bt, lang: str = "zh", by=("setting", "category"), top: int = 10) -> str:
    """The back-test as text: the import's warnings, the totals per tier, a table by `by`, the
    settlements of the largest gaps (money in yuan, relative gaps in %)."""
    r = bt.observed.report
    zh = lang == "zh"
    lines = [
        (f"导入：{r.rows:,} 行 → {r.settlements:,} 条结算，{r.persons:,} 人，{r.year} 年，编码 {r.encoding}")
        if zh
        else f"import: {r.rows:,} rows -> {r.settlements:,} settlements, {r.persons:,} persons, "
        f"{r.year}, {r.encoding}"
    ]
    if r.unmapped:
        lines.append(("未映射的列：" if zh else "unmapped columns: ") + ", ".join(r.unmapped))
    lines += [("警告：" if zh else "warning: ") + w.message(lang) for w in r.warnings]
    head = (
        ("层级", "实际支付", "模型测算", "差额", "相对差")
        if zh
        else ("tier", "observed", "simulated", "gap", "relative")
    )

    shown = {
        "setting": lambda v: code_label(SETTING_LABELS, v, lang),
        "category": lambda v: category_label(v, lang),
    }

    def rows(frame, label_cols):
        out = []
        for _, x in frame.iterrows():
            rel = "—" if x["relative_gap"] != x["relative_gap"] else f"{x['relative_gap'] * 100:+.2f}%"
            out.append(
                "\t".join(
                    [*(shown.get(c, str)(str(x[c])) for c in label_cols), tier_label(str(x["tier"]), lang)]
                    + [f"{x[k]:,.2f}" for k in ("observed", "simulated", "gap")]
                    + [rel]
                )
            )
        return out

    lines += ["", "\t".join(head)] + rows(bt.totals().reset_index(), [])
    if by:
        lines += ["", "\t".join([*by, *head])] + rows(bt.table(by), list(by))
    gaps = bt.largest_gaps(top)
    if len(gaps):
        lines += ["", "最大差额的结算（元）：" if zh else "settlements of the largest gaps (yuan):"]
        for _, g in gaps.iterrows():
            lines.append(
                f"{g['setl_id']}\t{g['psn_no']}\t{g['setting']}\t{g['hospital_level']}\t{g['abs_gap']:,.2f}"
            )
    return "\n".join(lines)


def _backtest(args) -> int:
    scn = load_scenario(args.scenario)
    by = tuple(x for x in args.by.split(",") if x.strip()) if args.by else ()
    if args.out:
        check_report_path(args.out)
    try:
        obs = load_settlements(args.settlements, args.persons, mapping=args.mapping)
    except SettlementError as e:
        raise WorkbenchError(e.message(args.lang)) from None
    try:
        bt = backtest(obs, scn)
        text = format_backtest(bt, args.lang, by, args.top)
    except ValueError as e:
        raise WorkbenchError(str(e)) from None
    print(f"{scn.params.title} — {obs.population}")
    print(text)
    if args.out:
        print(f"report: {write_report(bt.result, args.out, lang=args.lang, backtest=bt)}")
    return 0


def _sample_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="preset name or scenario YAML whose rules compute the paid fields")
    p.add_argument("--persons", type=int, default=20_000, help="size of the generated population")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--months", type=int, default=12, help="settlements of months 1..N (an in-year extract)")
    p.add_argument("--encoding", default="gbk", choices=("gbk", "utf-8"))
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder for settlements.csv, persons.csv (mapping.yaml)"
    )


def _sample(args) -> int:
    if args.persons <= 0:
        raise WorkbenchError(f"--persons: expected a positive number of persons, got {args.persons}")
    if not 1 <= args.months <= 12:
        raise WorkbenchError(f"--months: expected 1-12, got {args.months}")
    scn = load_scenario(args.scenario)
    ex = synthetic_extract(scn, persons=args.persons, seed=args.seed, months=args.months)
    f = write_extract(ex, args.out, encoding=args.encoding)
    print(f"{len(ex.settlements):,} settlement rows, {len(ex.persons):,} persons ({args.encoding}):")
    for path in (f.settlements, f.persons, f.mapping):
        if path is not None:
            print(f"  {path}")
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
    "price": (
        "price the critical-illness contract: the premium putting the insurer's expected margin "
        "in its corridor",
        _price_args,
        _price,
    ),
    "best-buy": (
        "what one more 1,000万元 buys through each lever; the frontier of up to three levers",
        _best_buy_args,
        _best_buy,
    ),
    "tornado": (
        "swing each lever and assumption over its range: the final year's balance, coverage and public cost",
        _tornado_args,
        _tornado,
    ),
    "warmup": (
        "compile every kernel variant (serial and parallel, every preset) into the on-disk cache",
        _warmup_args,
        _warmup,
    ),
    "explain": (
        "explain one family step by step: every rule, payer and clause (a 测算单)",
        _explain_args,
        _explain,
    ),
    "backtest": (
        "run a scenario on the platform's settlement extract and reconcile it with what was paid",
        _backtest_args,
        _backtest,
    ),
    "sample-extract": (
        "write a synthetic settlement extract in the platform's format (paid by the scenario's rules)",
        _sample_args,
        _sample,
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
