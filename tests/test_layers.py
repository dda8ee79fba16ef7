"""The package's imports are strictly layered: a module imports only from its own layer or lower
ones, the import graph has no cycle, and no function imports a module of the package (issue 21, item 7).

The graph is read from the source (the AST of every module under simulation/), not from a running
interpreter, so an import hidden in a function counts as much as one at the top of a file. A
failure names the module, the line and the imported module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "simulation"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE

# The layers, bottom to top. A module belongs to the layer naming its first component below the
# package (`population.spec` -> `population`); "__init__" is the package's own __init__.py, which
# re-exports the public API and so sits on top. Within a layer imports go either way, but the
# graph must stay acyclic. app.py and app_pages/ (outside the package) are the layer above all.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # errors; jit (how rules are compiled); io_safe (atomic writes, checked paths);
    # memory_reuse (malloc tuning) and limits (the memory guard the population loaders call);
    # version (the package version, quoted in the reports' provenance)
    ("base", ("errors", "jit", "io_safe", "memory_reuse", "limits", "version")),
    # the scenario schema and files, the schema of the `projection:` section, the population
    # (its model, generator, loaders, the `population:` section's spec and derived populations)
    # registry (every output figure and lever: labels, units, kinds) and labels (its reader) sit on
    # the parameter schema; assumption_text: the presets' English citations in Chinese (registry's
    # citations read it)
    # settlements.codes and settlements.extract: the national platform's settlement fields, code
    # tables and the reading of its extract into a Population (simulation.settlements)
    (
        "schema and population",
        (
            "parameters",
            "registry",
            "labels",
            "assumption_text",
            "assumptions",
            "scenario",
            "population",
            "settlements.codes",
            "settlements.extract",
        ),
    ),
    ("rules", ("rules",)),
    # records: the loops' inputs as named records (engine builds them, kernels reads their fields)
    ("engine", ("engine", "kernels", "records")),
    # protection: the households' financial protection (SDG 3.8.2), summed into the summary's parts
    ("result", ("result", "funds", "protection")),
    # `api.simulate` is the façade: one year, a Result whose funds are projected on demand
    (
        "analysis",
        (
            "api",
            # explain: one family step by step (the engine's loops traced); api and projection give
            # it to the Results they build (Result.explain)
            "explain",
            "targets",
            "projection",
            "compare",
            "goal_seek",
            "uncertainty",
            "calibration",
            "distributed",
            "warmup",
            # decisions: the 大病 contract's price, the best buy per public yuan, the tornado
            "contract",
            "best_buy",
            "sensitivity",
            # the rest of simulation.settlements: apportioning a run to the settlements, the
            # back-test, in-year monitoring and the synthetic extract (all run simulate)
            "settlements",
            # the district view (临安 三(二) 医保立体防贫地图) and the figures' split-sample precision
            "districts",
            "precision",
        ),
    ),
    ("presentation", ("cli", "__main__", "report")),
    ("package", ("__init__",)),
)

# (importer, imported): the only edges allowed to break the rules above, each with its reason.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}

# third-party libraries that may be imported inside a function: optional and heavy, loaded when
# the feature that needs them is used (reports, charts, Dask, Parquet)
LAZY_LIBRARIES = frozenset(
    {
        "dask",
        "jinja2",
        "kaleido",
        "markupsafe",
        "matplotlib",
        "openpyxl",
        "plotly",
        "pyarrow",
        "weasyprint",
        "xlsxwriter",
    }
)


@dataclass(frozen=True)
class Import:
    importer: str  # module name, e.g. simulation.rules.enrolment
    imported: str  # a module (or package) of the package
    line: int
    local: bool  # inside a function
    path: str = ""

    def where(self) -> str:
        return f"{self.path or self.importer}:{self.line}: {self.importer} imports {self.imported}"


def module_names(package_dir: Path, package: str) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by the name of its __init__.py)."""
    out = {}
    for f in sorted(package_dir.rglob("*.py")):
        parts = [package, *f.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = f
    return out


def _enclosing_functions(tree: ast.AST) -> dict[ast.AST, bool]:
    """For each import node: whether it is inside a function (or lambda)."""
    local: dict[ast.AST, bool] = {}

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                local[child] = in_function
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, inner)

    visit(tree, False)
    return local


def parse_imports(
    source: str, module: str, is_package: bool, modules: set[str], package: str, path: str = ""
) -> tuple[list[Import], list[tuple[str, int, bool]]]:
    """(imports of the package, other imports as (top-level name, line, local)) of one module.

    `from . import x` is an import of the module `x` when there is one, else of the package; an
    import of `a.b.c` imports the packages `a.b` (and `a`) first, except the importer's own
    packages and the root (every module is inside it)."""
    tree = ast.parse(source, filename=path or module)
    own = module if is_package else module.rpartition(".")[0]
    ours: list[Import] = []
    other: list[tuple[str, int, bool]] = []
    for node, local in _enclosing_functions(tree).items():
        targets: list[str] = []
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package or alias.name.startswith(package + "."):
                    targets.append(alias.name)
                else:
                    other.append((alias.name.split(".")[0], node.lineno, local))
        else:
            if node.level:
                base = own.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name != package and not name.startswith(package + "."):
                other.append((name.split(".")[0], node.lineno, local))
                continue
            for alias in node.names:
                sub = f"{name}.{alias.name}"
                targets.append(sub if sub in modules else name)
        for t in targets:
            parts = t.split(".")
            chain = [".".join(parts[:i]) for i in range(2, len(parts))] + [t]
            for imported in dict.fromkeys(chain):
                # an implicit parent that is the importer's own package is being imported already
                if imported == t or (imported != module and not module.startswith(imported + ".")):
                    ours.append(Import(module, imported, node.lineno, local, path))
    ours.sort(key=lambda i: (i.line, i.imported))
    return ours, sorted(other, key=lambda o: o[1])


def package_imports(package_dir: Path = PACKAGE_DIR, package: str = PACKAGE):
    modules = module_names(package_dir, package)
    ours, other = [], []
    for name, f in modules.items():
        rel = str(f.relative_to(package_dir.parent))
        o, x = parse_imports(f.read_text(), name, f.name == "__init__.py", set(modules), package, rel)
        ours += o
        other += [(rel, name, *item) for item in x]
    return modules, ours, other


def layer_of(module: str, package: str = PACKAGE, layers=LAYERS) -> int | None:
    parts = module.split(".")[1:] or ["__init__"]
    for key in (".".join(parts[:2]), parts[0]):  # a layer naming the first two components wins
        for rank, (_, names) in enumerate(layers):
            if key in names:
                return rank
    return None


def cycles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components with more than one module (or a module importing itself)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.importer, set()).add(e.imported)
        graph.setdefault(e.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def strongconnect(v: str) -> None:  # Tarjan, iterative over the successors
        nonlocal counter
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1 or node in graph[node]:
                        out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return out


def violations(edges: list[Import], modules, package: str = PACKAGE, layers=LAYERS, known=None) -> list[str]:
    """Every breach of the rules, one line each: unplaced modules, function-local imports of the
    package, imports from a higher layer, cycles (with the lines of the edges inside the cycle)."""
    known = KNOWN_EXCEPTIONS if known is None else known
    out = []
    for m in modules:
        if layer_of(m, package, layers) is None:
            out.append(f"{m}: in no layer of the table (add it to LAYERS)")
    checked = [e for e in edges if (e.importer, e.imported) not in known]
    for e in checked:
        if e.local:
            out.append(f"{e.where()} inside a function (import it at the top of the module)")
    for e in checked:
        lo, hi = layer_of(e.importer, package, layers), layer_of(e.imported, package, layers)
        if lo is not None and hi is not None and hi > lo:
            out.append(
                f"{e.where()}: layer {layers[lo][0]!r} imports from the higher layer {layers[hi][0]!r}"
            )
    for comp in cycles(edges):
        inside = set(comp)
        lines = [e.where() for e in edges if e.importer in inside and e.imported in inside]
        out.append(f"import cycle of {len(comp)} modules: {', '.join(comp)}\n    " + "\n    ".join(lines))
    return out


# ---------------------------------------------------------------------------- the package


def test_every_module_is_placed_and_imports_only_downward():
    modules, edges, _ = package_imports()
    assert len(modules) > 40 and len(edges) > 100  # the walk found the package
    bad = violations(edges, modules)
    print("\n".join(bad))
    assert not bad, f"{len(bad)} import rule(s) broken:\n" + "\n".join(bad)


def test_known_exceptions_still_exist():
    """An exception that no longer happens is removed from the table (so it cannot come back)."""
    _, edges, _ = package_imports()
    pairs = {(e.importer, e.imported) for e in edges}
    stale = [k for k in KNOWN_EXCEPTIONS if k not in pairs]
    assert not stale, f"remove from KNOWN_EXCEPTIONS: {stale}"


def test_only_optional_heavy_libraries_are_imported_inside_functions():
    _, _, other = package_imports()
    bad = [
        f"{rel}:{line}: {name}" for rel, _, name, line, local in other if local and name not in LAZY_LIBRARIES
    ]
    assert not bad, "import these at the top of the module:\n" + "\n".join(bad)


def test_the_package_imports_nothing_above_it():
    """The app, its pages, streamlit, benchmarks and tests sit above the package: never imported by it."""
    _, _, other = package_imports()
    above = {"app", "app_pages", "streamlit", "benchmarks", "tests", "notebooks"}
    bad = [f"{rel}:{line}: {name}" for rel, _, name, line, _ in other if name in above]
    assert not bad, "\n".join(bad)


def test_no_dynamic_imports():
    """`__import__(name)` / `importlib.import_module(name)` hide an edge from this test."""
    bad = []
    for name, f in module_names(PACKAGE_DIR, PACKAGE).items():
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Call):
                fn = node.func
                called = (
                    fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
                )
                if called in ("__import__", "import_module"):
                    bad.append(f"{f.relative_to(PACKAGE_DIR.parent)}:{node.lineno}: {name} calls {called}")
    assert not bad, "\n".join(bad)


def test_importing_simulation_does_not_import_streamlit():
    code = (
        "import sys, simulation, simulation.cli, simulation.report, simulation.api\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'app_pages'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=PACKAGE_DIR.parent, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


# ---------------------------------------------------------------------------- the checker itself


SYNTHETIC = {
    # pkg.low (layer 0) imports pkg.high (layer 1): upward; pkg.high imports pkg.low: a cycle
    "pkg.low": "import os\nfrom . import high\n",
    "pkg.high": "from .low import x\n\ndef f():\n    from .sub import mod\n    import json\n",
    "pkg.sub": "",
    "pkg.sub.mod": "from ..low import y\nfrom . import other\n",
    "pkg.sub.other": "",
}
SYNTHETIC_LAYERS = (("bottom", ("low", "sub")), ("top", ("high", "__init__")))


def _synthetic():
    modules = set(SYNTHETIC) | {"pkg"}
    edges, other = [], []
    for name, src in SYNTHETIC.items():
        o, x = parse_imports(src, name, name == "pkg.sub", modules, "pkg")
        edges += o
        other += x
    return modules, edges, other


def test_checker_resolves_relative_and_function_local_imports():
    _, edges, other = _synthetic()
    got = {(e.importer, e.imported, e.line, e.local) for e in edges}
    assert got == {
        ("pkg.low", "pkg.high", 2, False),
        ("pkg.high", "pkg.low", 1, False),
        ("pkg.high", "pkg.sub", 4, True),  # the package is imported before its module
        ("pkg.high", "pkg.sub.mod", 4, True),
        ("pkg.sub.mod", "pkg.low", 1, False),
        ("pkg.sub.mod", "pkg.sub.other", 2, False),
    }
    assert sorted(other) == [("json", 5, True), ("os", 1, False)]


def test_checker_finds_a_cycle_an_upward_import_and_a_local_import():
    modules, edges, _ = _synthetic()
    bad = violations(edges, modules, "pkg", SYNTHETIC_LAYERS, known={})
    text = "\n".join(bad)
    assert "pkg.high:4: pkg.high imports pkg.sub.mod inside a function" in text
    assert "pkg.low:2: pkg.low imports pkg.high: layer 'bottom' imports from the higher layer 'top'" in text
    # pkg.low -> pkg.high -> (in a function) pkg.sub.mod -> pkg.low
    assert "import cycle of 3 modules: pkg.high, pkg.low, pkg.sub.mod" in text
    assert len(bad) == 4  # two local imports (pkg.sub and pkg.sub.mod), one upward, one cycle
    # an exception silences exactly its edge
    bad = violations(edges, modules, "pkg", SYNTHETIC_LAYERS, known={("pkg.low", "pkg.high"): "test"})
    assert not any("higher layer" in b for b in bad)


def test_checker_places_unknown_modules_nowhere():
    modules, edges, _ = _synthetic()
    bad = violations(edges, modules | {"pkg.stray"}, "pkg", SYNTHETIC_LAYERS, known={})
    assert "pkg.stray: in no layer of the table (add it to LAYERS)" in bad
    assert cycles([Import("a", "a", 1, False)]) == [["a"]]
    assert cycles([Import("a", "b", 1, False), Import("b", "c", 1, False)]) == []


def test_a_layer_may_name_a_module_of_a_subpackage():
    """settlements.codes and settlements.extract sit with the population; the rest of the subpackage
    (and the subpackage itself) with the analyses."""
    names = [name for name, _ in LAYERS]
    assert names[layer_of("simulation.settlements.codes")] == "schema and population"
    assert names[layer_of("simulation.settlements.extract")] == "schema and population"
    assert names[layer_of("simulation.settlements.backtest")] == "analysis"
    assert names[layer_of("simulation.settlements")] == "analysis"
    assert names[layer_of("simulation.population.model")] == "schema and population"
