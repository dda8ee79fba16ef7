"""Chinese and English labels of the result figures: a reader of `registry.OUTPUTS`, kept so the
callers of `labels.METRICS`, `metric_label` and `metric_kind` keep working. Add a figure to the
registry, not here."""

from __future__ import annotations

from .registry import OUTPUTS, metric_kind, metric_label

METRICS: dict[str, tuple[str, str]] = {k: (o.label, o.label_en) for k, o in OUTPUTS.items()}
# figures that count households or persons (everything else is yuan or a rate)
COUNTS = frozenset(k for k, o in OUTPUTS.items() if o.kind in ("count", "persons"))

__all__ = ["COUNTS", "METRICS", "metric_kind", "metric_label"]
