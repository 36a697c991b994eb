"""The report page as a PDF, with WeasyPrint (HTML and CSS to PDF, A4 from the page's @page rule).

WeasyPrint needs Pango from the system. Where it cannot load it, `report_pdf` raises `PdfUnavailable` saying
what to install, and the HTML report keeps working. The page fetches nothing: only `data:` URLs are read.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)
INSTALL_HINT = (
    "PDF reports need WeasyPrint and the Pango library: `pip install weasyprint` and, on Debian or Ubuntu, "
    "`apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core` (macOS: "
    "`brew install pango`). The HTML report works without them."
)


class PdfUnavailable(RuntimeError):
    """WeasyPrint or its system libraries cannot be loaded; the message says what to install."""


def _import_weasyprint() -> ModuleType:
    # The seam tests replace to simulate a machine without Pango (an OSError from cffi's dlopen).
    import weasyprint

    return weasyprint


def pdf_available() -> bool:
    """True when WeasyPrint and its libraries load."""
    try:
        _import_weasyprint()
    except (ImportError, OSError):
        return False
    return True


def _data_only_fetcher(weasyprint: ModuleType) -> Any:
    """A URL fetcher that reads `data:` URLs and nothing else (no request leaves the machine)."""
    urls = weasyprint.urls
    if hasattr(urls, "URLFetcher"):  # WeasyPrint 68 and later: a fetcher object
        return urls.URLFetcher(allowed_protocols={"data"})

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # WeasyPrint 62-67: a function
        if not url.startswith("data:"):
            raise ValueError(f"reports fetch nothing: {url[:60]}")
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


def report_pdf(html: str) -> bytes:
    """The PDF of a report page; raises PdfUnavailable when WeasyPrint cannot run here."""
    try:
        weasyprint = _import_weasyprint()
    except (ImportError, OSError) as exc:
        log.warning("PDF unavailable", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
        raise PdfUnavailable(INSTALL_HINT) from exc
    document = weasyprint.HTML(string=html, url_fetcher=_data_only_fetcher(weasyprint))
    return document.write_pdf()
