"""The report as people read it: the page in French and in English, self-contained (nothing fetched, no
script), the e-mail with table bars and a text part, the PDF; and untrusted text (brand names, mention titles,
terms) always escaped."""

from __future__ import annotations

import copy
import re
import zlib
from datetime import timedelta
from email import message_from_bytes, policy

import pytest

from app.db import reading, writing
from app.reports import PdfUnavailable, build_report, create_report, pdf, render_report_html, report_pdf
from app.reports.render import render_report_email, report_email_message
from tests.reports.world import EVIL_TITLE, WEEK_END, WEEK_START

NOW = WEEK_END + timedelta(hours=8)
NNBSP = "\u202f"
EVIL = '<script>alert("x")</script>'


def _report(engine, world, language: str | None = None, **period) -> dict:
    with reading(engine) as conn:
        data, html = build_report(conn, workspace_id=world["workspace_id"], now=NOW, language=language, **period)
    return {"data": data, "html": html}


def _self_contained(html: str) -> None:
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//(?!news\.example)""", html)  # only mentions' own links
    assert "@import" not in html and "url(" not in html


def test_the_page_reads_in_french(world, engine) -> None:
    html = _report(engine, world)["html"]
    _self_contained(html)
    assert '<html lang="fr">' in html
    for text in (
        "Rapport hebdomadaire · default",
        "16–22 novembre 2026",
        "comparée à 9–15 novembre 2026",
        "Part de voix",
        "Sentiment par marque",
        "Délai médian de prise en charge",
        f"30{NNBSP}min",  # the median time to acknowledge
        f"+105{NNBSP}%",  # 82 mentions against 40
        f"avant{NNBSP}: 40",
        "Critique",
        "lun. 16",
        "concurrent",
    ):
        assert text in html, text
    assert re.search(rf"\d+,\d{NNBSP}%", html)  # shares with a decimal comma and a no-break space
    assert html.count("<svg") == 4  # volume, share of voice, sentiment, and the SNCF card


def test_the_page_reads_in_english(world, engine) -> None:
    html = _report(engine, world, language="en")["html"]
    _self_contained(html)
    for text in ("Weekly report · default", "16–22 November 2026", "Share of voice", "30m", "+105%", "Mon 16"):
        assert text in html, text
    assert "Rapport" not in html and NNBSP not in html.split("<body>")[1]


def test_untrusted_brand_names_mention_titles_and_terms_are_escaped(world, engine, client) -> None:
    client.post("/api/v1/brands", json={"name": f"Évil {EVIL}", "query": "sncf", "competitor": True})
    evil_mention_day = WEEK_START + timedelta(days=3)
    report = _report(engine, world, since=evil_mention_day, until=evil_mention_day + timedelta(days=1))
    data = copy.deepcopy(report["data"])
    assert any(m["title"] == EVIL_TITLE for m in data["brands"][0]["top_mentions"])
    data["brands"][0]["top_terms"].insert(0, {"term": EVIL, "mentions": 99})
    subject, mail_html, text = render_report_email(data, report_url="https://vigie.example/api/v1/reports/1.html")
    for html in (render_report_html(data), mail_html):
        assert "<script" not in html
        assert "&lt;script&gt;" in html
    assert "&lt;script&gt;alert(&#34;report&#34;)&lt;/script&gt; Remboursez-nous" in render_report_html(data)
    assert EVIL in text  # the text part is plain text: nothing to escape, nothing to run


def test_the_email_has_table_bars_a_text_part_and_a_link_to_the_page(world, engine) -> None:
    data = _report(engine, world)["data"]
    url = "https://vigie.example/api/v1/reports/7.html?disposition=inline"
    msg = report_email_message(
        data,
        report_id=7,
        sender="vigie@example.com",
        recipients=["cm@example.com"],
        domain="vigie.test",
        report_url=url,
    )
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == "[Vigie] Rapport hebdomadaire 16–22 novembre 2026 — 82 mentions, 3 incidents"
    assert parsed["Message-ID"] == "<report-7@vigie.test>" and parsed["Auto-Submitted"] == "auto-generated"
    html = parsed.get_body(("html",)).get_content()
    text = parsed.get_body(("plain",)).get_content()
    assert "<svg" not in html and 'role="presentation"' in html and "background:#e5484d" in html
    assert f'href="{url.replace("&", "&amp;")}"' in html and url in text
    assert "Ouvrir le rapport complet" in html
    assert "- SNCF : 82 (+105 %)".replace(" :", f"{NNBSP}:").replace(" %", f"{NNBSP}%") in text
    assert "Incidents ouverts" in text and "10\u202fmin" in text


def _pages(pdf_bytes: bytes) -> int:
    """Pages of a PDF, read from its (compressed) object streams."""
    count = len(re.findall(rb"/Type\s*/Page\b", pdf_bytes))
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf_bytes, re.S):
        try:
            count += len(re.findall(rb"/Type\s*/Page\b", zlib.decompress(stream.group(1))))
        except zlib.error:
            continue
    return count


def test_the_pdf_is_the_page_on_a4(world, engine) -> None:
    pdf_bytes = report_pdf(_report(engine, world)["html"])
    assert pdf_bytes.startswith(b"%PDF-") and pdf_bytes.rstrip().endswith(b"%%EOF")
    assert 1 <= _pages(pdf_bytes) <= 6


def test_without_weasyprint_s_libraries_the_pdf_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pango() -> None:  # what cffi raises where Pango is missing
        raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")

    monkeypatch.setattr(pdf, "_import_weasyprint", no_pango)
    with pytest.raises(PdfUnavailable, match="apt-get install libpango-1.0-0"):
        report_pdf("<p>x</p>")
    assert not pdf.pdf_available()


def test_a_stored_report_renders_again_as_it_was_made(world, engine) -> None:
    with writing(engine) as conn:
        row = create_report(conn, workspace_id=world["workspace_id"], now=NOW)
    assert render_report_html(row["data"]) == row["html"]
