"""PDF (WeasyPrint) of the HTML template with the charts as PNG images, font 'Noto Sans CJK SC'."""

from __future__ import annotations

from ..errors import WorkbenchError
from .charts import chart_pngs, chart_specs
from .data import ReportData
from .html import render_html


def render_pdf(d: ReportData, charts: str = "auto") -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as e:  # OSError: pango/cairo system libraries missing
        raise WorkbenchError(
            f"PDF reports need WeasyPrint and its system libraries (libpango-1.0-0 libpangoft2-1.0-0): {e}"
        ) from None
    pngs, engine = chart_pngs(chart_specs(d), charts)
    d.extra["chart_engine"] = engine
    html = render_html(d, static=True, pngs=pngs)
    return HTML(string=html, base_url=None, url_fetcher=_no_fetch()).write_pdf()


def _no_fetch():
    """Everything is inline (data: URIs); allow no other protocol, so a PDF never touches the network."""
    try:
        from weasyprint.urls import URLFetcher

        return URLFetcher(allowed_protocols={"data"})
    except ImportError:  # WeasyPrint < 70: a plain function

        def fetch(url: str, *args, **kwargs):
            if not url.startswith("data:"):
                raise ValueError(f"report PDF: refusing to fetch {url}")
            from weasyprint import default_url_fetcher

            return default_url_fetcher(url, *args, **kwargs)

        return fetch
