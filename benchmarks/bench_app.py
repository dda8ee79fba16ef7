"""Slider-to-redraw time of the Results page with AppTest: `python benchmarks/bench_app.py [persons]`.

The population (default 1e6) is generated once and cached; each timed run moves the 低保 inpatient
assistance slider and reruns the whole Results page (simulate + KPIs + aggregates + charts)."""

import statistics
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
KEY = "q:medical_assistance.inpatient_ratio.dibao"


def main(persons: int = 1_000_000, moves: int = 5) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.query_params["n"] = str(persons)
    t0 = time.perf_counter()
    at.run()
    print(f"first load (generate {persons:,} persons + simulate): {time.perf_counter() - t0:.2f} s")
    assert not at.exception, at.exception
    times = []
    for i in range(moves):
        value = 91.0 + i
        t0 = time.perf_counter()
        at.slider(key=KEY).set_value(value).run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    cov = next(m.value for m in at.metric if m.label == "困难群众综合保障率")
    print(
        f"slider move -> Results page redrawn, {persons:,} persons: median {statistics.median(times):.3f} s, "
        f"max {max(times):.3f} s over {moves} moves (coverage of the poor now {cov})"
    )


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000)
