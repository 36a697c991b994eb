"""Weekly reports: per workspace and period, each brand's volume and sentiment, share of voice, incidents and
response times, against the previous period; as a self-contained HTML page, a PDF and an HTML e-mail.

What callers use (the API, the CLI, the alert role's ReportWorker, the web page):

- `create_report(conn, *, workspace_id, now, since=None, until=None, trigger="demand", language=None,
  email=None) -> dict`: make and store one (default period: the last full local week); the stored row.
- `build_report(conn, *, workspace_id, now, since=None, until=None, ...) -> (data, html)`: the same, not stored.
- `render_report_html(data) -> str`: the page again from stored figures.
- `report_pdf(html) -> bytes`: the page as a PDF; raises `PdfUnavailable` (saying what to install) where
  WeasyPrint cannot load its system libraries.
- `report_filename(row, ext) -> str`: a download's file name, e.g. `vigie-report-acme-2026-11-16.pdf`.
"""

from app.reports.files import report_filename
from app.reports.make import build_report, create_report
from app.reports.pdf import PdfUnavailable, pdf_available, report_pdf
from app.reports.period import PeriodError
from app.reports.render import render_report_html

__all__ = [
    "PdfUnavailable",
    "PeriodError",
    "build_report",
    "create_report",
    "pdf_available",
    "render_report_html",
    "report_filename",
    "report_pdf",
]
