"""Scenario files: YAML with cited parameters, validated into `ScenarioModel`, changed by diffs.

A parameter leaf is written either as a bare value or as a mapping with `value` and its citation:

    ratio: {value: 0.9, source: "沪府办规〔2022〕19号 二(二)4"}
    cap:   {value: 400000, assumption: "the text gives no cap; national common practice"}

A value may also vary by calendar year (a reform phased in): `{2025: 0.80, 2026: 0.85}`; a mapping
whose keys are all years (1900-2200) is such a series, and a year takes the latest entry at or
before it. Reforms are diffs of dotted paths: `scn.with_changes({"a.b.c": 0.95})`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .assumptions import projection_config
from .errors import ScenarioError
from .io_safe import atomic_write_text
from .parameters import ScenarioModel
from .population.spec import population_spec
from .registry import Lever, levers

META_KEYS = frozenset({"source", "assumption", "unit", "note", "label", "label_en"})
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
MAX_SCENARIO_BYTES = 2_000_000


def _is_meta_leaf(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and set(node) - {"value"} <= META_KEYS


def _is_series(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and len(node) > 0
        and all(isinstance(k, int) and not isinstance(k, bool) and 1900 <= k <= 2200 for k in node)
    )


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs: an alias may be used a bounded number of times."""

    MAX_ALIASES = 200

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.MAX_ALIASES:
                raise yaml.YAMLError(f"more than {self.MAX_ALIASES} aliases (a YAML alias bomb?)")
        return super().compose_node(parent, index)


def _parse_yaml(text: str, where: str) -> dict:
    try:
        data = yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        loc = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ScenarioError(
            f"{where}:{loc}: not valid YAML ({problem})",
            [{"path": "", "type": "yaml_syntax", "ctx": {"line": mark.line + 1 if mark else None}}],
        ) from None
    except RecursionError:
        raise ScenarioError(f"{where}: nesting too deep to be a scenario") from None
    _count_nodes(data, where)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{where}: expected a mapping of scenario sections at the top level, got {type(data).__name__}"
        )
    return data


MAX_NODES = 200_000  # a scenario has a few hundred values; more is an alias bomb or not a scenario


def _count_nodes(node: Any, where: str) -> None:
    """Refuse trees that expand past MAX_NODES (aliases share objects; walking them multiplies)."""
    stack, seen = [node], 0
    while stack:
        n = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise ScenarioError(f"{where}: more than {MAX_NODES:,} values once aliases are expanded")
        if isinstance(n, dict):
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)


def _normalize_keys(node: Any, path: str, where: str, depth: int = 0) -> Any:
    """Map keys to str (YAML gives ints for hospital levels), except year keys of a series."""
    if depth > 40:
        raise ScenarioError(f"{where}: {path}: nested more than 40 levels deep")
    if isinstance(node, dict):
        if _is_series(node):
            return {k: _normalize_keys(v, f"{path}.{k}", where, depth + 1) for k, v in node.items()}
        out = {}
        for k, v in node.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise ScenarioError(f"{where}: {path}: key {k!r} must be a name or a number")
            out[str(k)] = _normalize_keys(v, f"{path}.{k}" if path else str(k), where, depth + 1)
        return out
    if isinstance(node, list):
        return [_normalize_keys(v, f"{path}.{i}", where, depth + 1) for i, v in enumerate(node)]
    if isinstance(node, float) and not math.isfinite(node):  # sections typed Any would let it pass
        raise ScenarioError(f"{where}: {path}: expected a finite number, got {node!r}")
    return node


def _split(node: Any, path: str, meta: dict, series: dict, year: int | None) -> Any:
    """Strip citations into `meta` and series into `series`; return the plain value tree."""
    if _is_meta_leaf(node):
        info = {k: v for k, v in node.items() if k != "value"}
        if info:
            meta[path] = info
        return _split(node["value"], path, meta, series, year)
    if _is_series(node):
        series[path] = {y: _split(v, path, {}, {}, None) for y, v in node.items()}
        return _resolve_series(series[path], year, path)
    if isinstance(node, dict):
        return {k: _split(v, f"{path}.{k}" if path else k, meta, series, year) for k, v in node.items()}
    if isinstance(node, list):
        return [_split(v, f"{path}.{i}", meta, series, year) for i, v in enumerate(node)]
    return node


def _resolve_series(s: Mapping[int, Any], year: int | None, path: str) -> Any:
    years = sorted(s)
    if year is None:
        return s[years[0]]
    earlier = [y for y in years if y <= year]
    return s[earlier[-1]] if earlier else s[years[0]]


def _format_validation(e: ValidationError, where: str) -> str:
    lines = []
    for err in e.errors()[:8]:
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the scenario schema; check the spelling)"
        got = err.get("input")
        got_s = "" if err["type"] in ("missing", "extra_forbidden") else f" (got {got!r:.60})"
        lines.append(f"{loc}: {msg}{got_s}" if loc else f"{msg}")
    more = f" (+{len(e.errors()) - 8} more)" if len(e.errors()) > 8 else ""
    return f"{where}: " + "; ".join(lines) + more


def _problems(e: ValidationError) -> list[dict]:
    """The validation errors as ScenarioError.problems (path, type, bounds, input)."""
    out = []
    for err in e.errors():
        ctx = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, (int, float, str))}
        path = ".".join(str(p) for p in err["loc"])
        out.append({"path": path, "type": err["type"], "ctx": ctx, "input": err.get("input")})
    return out


def _is_index(p: str) -> bool:
    return p.isascii() and p.isdigit()  # str.isdigit() also accepts '²' and other non-ASCII digits


def _get(tree: Any, parts: list[str]) -> Any:
    node = tree
    for p in parts:
        if _is_meta_leaf(node):
            node = node["value"]
        if isinstance(node, dict) and p in node:
            node = node[p]
        elif isinstance(node, dict) and _is_index(p) and int(p) in node:
            node = node[int(p)]
        elif isinstance(node, list) and _is_index(p) and int(p) < len(node):
            node = node[int(p)]
        else:
            raise KeyError(p)
    return node


def _set(tree: Any, parts: list[str], value: Any, allow_new: bool) -> None:
    node = tree
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        if _is_meta_leaf(node):
            node = node["value"]
        if isinstance(node, list):
            if not (_is_index(p) and int(p) < len(node)):
                raise KeyError(p)
            if last:
                _assign(node, int(p), value)
            else:
                node = node[int(p)]
            continue
        if not isinstance(node, dict):
            raise KeyError(p)
        key: Any = p
        if p not in node and _is_index(p) and int(p) in node:
            key = int(p)
        if key not in node:
            if not (last and allow_new):
                raise KeyError(p)
            node[key] = value
            return
        if last:
            _assign(node, key, value)
        else:
            node = node[key]


def _assign(container: Any, key: Any, value: Any) -> None:
    old = container[key]
    if _is_meta_leaf(old) and not _is_meta_leaf(value):
        old["value"] = value  # keep the citation, replace the number
    else:
        container[key] = value


class Scenario:
    """A validated policy system. Immutable: `with_changes` returns a new scenario."""

    def __init__(
        self,
        raw: dict,
        path: str | None = None,
        *,
        changes: Mapping[str, Any] | None = None,
        preset: str | None = None,
    ):
        self._where = path or "<scenario>"
        self.path = path
        self.raw = _normalize_keys(raw, "", self._where)
        self.meta: dict[str, dict] = {}
        self.series: dict[str, dict[int, Any]] = {}
        self.changes: dict[str, Any] = dict(changes or {})
        year = raw.get("year") if isinstance(raw.get("year"), int) else None
        plain = _split(self.raw, "", self.meta, self.series, year)
        self.params: ScenarioModel = self._validate(plain)
        # validate every year a series names, so a phased reform cannot hide a bad value
        for y in sorted({y for s in self.series.values() for y in s}):
            self._validate(_split(self.raw, "", {}, {}, y), year=y)
        self.preset = preset or self.params.id
        self._levers: dict[str, Lever] | None = None
        self._validate_sections()

    def _validate_sections(self) -> None:
        """The generator's and the projection's sections are checked on load too, not on first use."""
        if self.params.population is not None:
            population_spec(self)
        if self.params.projection is not None:
            projection_config(self, f"{self._where}: projection")

    # ------------------------------------------------------------------ validation
    def _validate(self, plain: dict, year: int | None = None) -> ScenarioModel:
        where = self._where if year is None else f"{self._where} (values for {year})"
        try:
            model = ScenarioModel.model_validate(plain)
        except ValidationError as e:
            raise ScenarioError(_format_validation(e, where), _problems(e)) from None
        for cpath, bounds in model.constraints.items():
            if len(bounds) != 2 or bounds[0] > bounds[1]:
                raise ScenarioError(f"{where}: constraints.{cpath}: expected [min, max]")
            try:
                v = _get(plain, cpath.split("."))
            except KeyError:
                raise ScenarioError(
                    f"{where}: constraints.{cpath}: no such parameter in this scenario"
                ) from None
            if not isinstance(v, (int, float)) or not bounds[0] <= v <= bounds[1]:
                src = self.meta.get(f"constraints.{cpath}", {}).get("source", "the policy text")
                raise ScenarioError(
                    f"{where}: {cpath}: expected a value in [{bounds[0]}, {bounds[1]}] as "
                    f"{src} sets, got {v!r}",
                    [
                        {
                            "path": cpath,
                            "type": "out_of_constraint",
                            "ctx": {"lo": bounds[0], "hi": bounds[1], "source": src},
                            "input": v,
                        }
                    ],
                )
        return model

    # ------------------------------------------------------------------ API
    @property
    def id(self) -> str:
        return self.params.id

    @property
    def year(self) -> int:
        return self.params.year

    def name_in(self, lang: str = "zh") -> str:
        """The scenario's short name in a language (临安 2024 / Lin'an 2024): the file's `name` /
        `name_en`, else its title, else its region and year (never the file's id)."""
        p = self.params
        if lang == "zh":
            return p.name or p.title or f"{p.region} {p.year}"
        return p.name_en or p.title_en or p.name or p.title

    def __repr__(self) -> str:
        n = f", {len(self.changes)} changes" if self.changes else ""
        return f"Scenario({self.params.id!r}, year={self.params.year}{n})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self.canonical_json() == other.canonical_json()

    def __hash__(self) -> int:
        return hash(self.canonical_json())

    def get(self, path: str) -> Any:
        """The plain value at a dotted path (for the scenario's own year)."""
        try:
            return _get(self.params.model_dump(mode="python"), path.split("."))
        except KeyError:
            raise ScenarioError(f"{self._where}: {path}: no such parameter") from None

    def source(self, path: str) -> dict:
        """The citation of a parameter: {'source': ...} or {'assumption': ...}, searched upwards."""
        parts = path.split(".")
        if parts[-1] == "upto":  # a band row is cited once, on its ratio
            parts[-1] = "ratio"
        while parts:
            info = self.meta.get(".".join(parts))
            if info and ("source" in info or "assumption" in info):
                return info
            parts.pop()
        return {}

    def levers(self) -> list[Lever]:
        """Every parameter of the policy tiers a planner can move, in schema order: dotted path, zh
        and en label, unit, kind (rate, money, number, switch), bounds (the schema's, narrowed by
        `constraints`), current value and the source or assumption of the value (`registry.levers`).
        The sections `year`, `targets`, `constraints`, `population` and `projection` are not levers."""
        return list(self._lever_map().values())

    def lever(self, path: str) -> Lever:
        """The lever at a dotted path (`levers()`); ScenarioError if the path is not one."""
        try:
            return self._lever_map()[path]
        except KeyError:
            raise ScenarioError(f"{self._where}: {path}: not a lever of this scenario") from None

    def _lever_map(self) -> dict[str, Lever]:
        if self._levers is None:
            self._levers = {lv.path: lv for lv in levers(self.params, self.meta, self.source)}
        return self._levers

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A validated copy with dotted-path changes; an unknown path or bad value changes nothing."""
        if not isinstance(changes, Mapping):
            raise ScenarioError(f"{self._where}: changes must be a mapping of dotted path -> value")
        raw = copy.deepcopy(self.raw)
        for path, value in changes.items():
            if not isinstance(path, str) or not path or len(path) > 300:
                raise ScenarioError(f"{self._where}: {path!r}: a change needs a dotted path")
            parts = path.split(".")
            if any(p == "" for p in parts):
                raise ScenarioError(f"{self._where}: {path}: empty part in dotted path")
            if isinstance(value, dict):
                value = _normalize_keys(value, path, self._where)
            try:
                _set(raw, parts, copy.deepcopy(value), allow_new=_allows_new_key(parts))
            except KeyError as e:
                raise ScenarioError(
                    f"{self._where}: {path}: no such parameter (unknown key {e.args[0]!r})",
                    [{"path": path, "type": "unknown_path", "ctx": {}, "input": value}],
                ) from None
        merged = {**self.changes, **dict(changes)}
        return Scenario(raw, self.path, changes=merged, preset=self.preset)

    def for_year(self, year: int) -> ScenarioModel:
        """The parameters in force in `year` (series resolved)."""
        if not self.series:
            return self.params
        return self._validate(_split(self.raw, "", {}, {}, year), year=year)

    def leaves(self) -> Iterator[tuple[str, Any]]:
        """(dotted path, value) of every numeric or boolean parameter, in file order."""
        yield from _leaves(self.params.model_dump(mode="python"), "")

    def diff(self, other: Scenario) -> list[dict]:
        """Parameters whose values differ: [{path, base, value, source}] (self is the base)."""
        a = dict(self.leaves())
        b = dict(other.leaves())
        out = []
        for p in sorted(set(a) | set(b)):
            if a.get(p) != b.get(p):
                out.append({"path": p, "base": a.get(p), "value": b.get(p), **other.source(p)})
        return out

    def to_dict(self) -> dict:
        return copy.deepcopy(self.raw)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.raw, allow_unicode=True, sort_keys=False, width=100)

    def canonical_json(self) -> str:
        return json.dumps(self.raw, sort_keys=True, ensure_ascii=False, default=str)

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def save(self, path: str | Path) -> Path:
        """Write the scenario YAML atomically (a temp file moved into place)."""
        return atomic_write_text(path, self.to_yaml())


def _allows_new_key(parts: list[str]) -> bool:
    # category maps may gain a category (validation then checks it is defined)
    return len(parts) >= 2 and parts[-2] in {
        "inpatient_ratio",
        "outpatient_ratio",
        "chronic_ratio",
        "deductible",
        "annual_limit",
        "outpatient_annual_limit",
        "cap",
    }


def _leaves(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, f"{path}.{i}")
    elif isinstance(node, (bool, int, float)) and not isinstance(node, str):
        yield path, node


def available_presets() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def load_scenario(source: str | Path) -> Scenario:
    """Load a scenario: a preset name (`linan_2024`) or a YAML file path. Raises ScenarioError."""
    p = Path(source)
    if not p.suffix and not p.exists() and (SCENARIO_DIR / f"{source}.yaml").exists():
        p = SCENARIO_DIR / f"{source}.yaml"
    where = str(source)
    if not p.is_file():
        presets = ", ".join(available_presets())
        raise ScenarioError(f"{where}: no such scenario file (presets: {presets})")
    size = p.stat().st_size
    if size > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{where}: {size} bytes is too large for a scenario file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{where}: not UTF-8 text (byte {e.start}); save the file as UTF-8") from None
    return scenario_from_yaml(text, where)


def scenario_from_yaml(text: str, where: str = "<scenario>") -> Scenario:
    """Parse and validate scenario YAML text (e.g. an upload in the app)."""
    return Scenario(_parse_yaml(text, where), where)
