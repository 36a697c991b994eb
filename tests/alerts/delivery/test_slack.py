"""A Slack page about a French complaint storm: readable in both languages, inert whatever the public writes,
and within every Block Kit limit even when the input is absurd."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from alerts.delivery.message import IncidentMessage, MentionView
from alerts.delivery.slack import render_slack

OPENED = datetime(2025, 3, 4, 13, 0, tzinfo=UTC)
COMPLAINT = (
    "Remboursement refusé, service client injoignable depuis 3 semaines @channel <!here> "
    "<http://evil.example|cliquez> <@U123> <!channel> <!subteam^S1> @Everyone &amp; c'est une honte"
)
# A link `<https://…|label>` that Vigie itself built: an http(s) URL with no `<`, `>`, `|` or space in it.
OUR_LINK = re.compile(r"<https?://[^\s<>|]+\|[^<>|\n]*>")
PING = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def mention(text: str = COMPLAINT, **overrides) -> MentionView:
    values = {
        "title": "",
        "text": text,
        "url": "https://x.com/julie_m/status/1897312",
        "author": "Julie M.",
        "author_reach": 12_400,
        "sentiment": "negative",
        "risk": 88,
        "published_at": datetime(2025, 3, 4, 12, 58, tzinfo=UTC),
        "source_name": "X",
    }
    return MentionView(**(values | overrides))


def storm(language: str = "fr", **overrides) -> IncidentMessage:
    explanation = {
        "fr": "Hôtel du Lac — bad buzz en formation (critique). Score 87 — 48 mentions/h sur les 15 dernières "
        "minutes contre 3 attendues un mardi à 14:00 ; 71 % négatives contre 18 % d'habitude.",
        "en": "Hôtel du Lac — storm (critical). Score 87 — 48 mentions/h over the last 15 min vs 3 expected on a "
        "Tuesday 14:00; 71 % negative vs 18 % usual.",
    }[language]
    values = {
        "message_id": "msg_7",
        "event": "incident.opened",
        "reason": "first",
        "language": language,
        "workspace_name": "Groupe Lac",
        "brand_name": "Hôtel du Lac",
        "incident_id": 42,
        "kind": "storm",
        "severity": "critical",
        "status": "open",
        "score": 87,
        "peak_score": 91,
        "mention_count": 342,
        "peak_rate": 48.0,
        "explanation": explanation,
        "opened_at": OPENED,
        "updated_at": OPENED,
        "incident_url": "https://vigie.example/incidents/42",
        "ack_url": "https://vigie.example/ack/42?token=abc&sig=def",
        "top_mentions": (mention(),),
        "top_terms": (("remboursement", 9), ("arnaque", 4)),
        "sentiment_split": {"negative": 243, "neutral": 80, "positive": 19},
    }
    return IncidentMessage(**(values | overrides))


def texts(payload: dict) -> Iterator[tuple[str, str]]:
    """Every string a Slack client may show, with its object type ("mrkdwn", "plain_text" or "fallback")."""
    yield "fallback", payload["text"]

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                yield node["type"], node["text"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(payload["blocks"])


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def assert_within_slack_limits(payload: dict) -> None:
    json.dumps(payload)  # the webhook body must serialise as it is
    assert utf16(payload["text"]) <= 3000
    blocks = payload["blocks"]
    assert 0 < len(blocks) <= 50
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and utf16(block["text"]["text"]) <= 150
        elif block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert utf16(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(utf16(f["text"]) <= 2000 for f in block.get("fields", []))
        elif block["type"] == "context":
            assert len(block["elements"]) <= 10 and all(utf16(e["text"]) <= 3000 for e in block["elements"])
        elif block["type"] == "actions":
            assert len(block["elements"]) <= 25
            for button in block["elements"]:
                assert utf16(button["text"]["text"]) <= 75 and len(button["url"]) <= 3000
                assert button["url"].startswith(("https://", "http://"))
        else:
            pytest.fail(f"unexpected block type {block['type']}")


def assert_inert(payload: dict) -> None:
    """No ping, no mention, no link but the ones Vigie built from http(s) URLs."""
    for kind, text in texts(payload):
        assert not PING.search(text), text
        if kind == "plain_text":
            continue  # Slack shows plain_text verbatim: no link, no ping is ever parsed there
        rest = OUR_LINK.sub("", text)
        assert "<" not in rest, text
        assert all(">" not in line[1:] for line in rest.splitlines()), text  # ">" only opens a quote
        assert not re.search(r"&(?!amp;|lt;|gt;)", rest), text  # every "&" is an entity


def buttons(payload: dict) -> dict[str, str]:
    actions = [b for b in payload["blocks"] if b["type"] == "actions"]
    return {e["text"]["text"]: e["url"] for a in actions for e in a["elements"]}


def test_a_french_storm_pages_with_its_subject_explanation_figures_and_the_complaint() -> None:
    payload = render_slack(storm("fr"))
    subject = "[CRITIQUE] Hôtel du Lac — tempête de mentions négatives (score 87)"
    assert payload["text"] == subject
    assert payload["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": subject, "emoji": True}}
    body = "\n".join(text for _, text in texts(payload))
    for expected in ("Nouvel incident.", "48 mentions/h sur les 15 dernières", "*Gravité*\nCRITIQUE",
                     "87 (pic 91)", "*Mentions*\n342", "*Julie M.* · 12\u202f400 abonnés · X",
                     ">Remboursement refusé, service client injoignable", "remboursement (9), arnaque (4)",
                     "négatif 243", "<https://x.com/julie_m/status/1897312|x.com>"):  # fmt: skip
        assert expected in body
    assert buttons(payload) == {
        "Prendre en charge": "https://vigie.example/ack/42?token=abc&sig=def",
        "Ouvrir l'incident": "https://vigie.example/incidents/42",
    }
    assert_within_slack_limits(payload)
    assert_inert(payload)


def test_an_english_workspace_reads_english() -> None:
    payload = render_slack(storm("en"))
    body = "\n".join(text for _, text in texts(payload))
    assert payload["text"] == "[CRITICAL] Hôtel du Lac — storm of negative mentions (score 87)"
    assert "New incident." in body and "*Severity*\nCRITICAL" in body and "12,400 followers" in body
    assert "Crisis terms" in body and "negative 243" in body
    assert "Gravité" not in body and "abonnés" not in body
    assert list(buttons(payload)) == ["Acknowledge", "Open incident"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_once_acknowledged_there_is_no_acknowledge_button(language: str) -> None:
    payload = render_slack(storm(language, reason="acknowledged", status="acknowledged", ack_url=None,
                                 acknowledged_by="Camille <!channel>"))  # fmt: skip
    assert list(buttons(payload)) == [{"fr": "Ouvrir l'incident", "en": "Open incident"}[language]]
    assert "Camille &lt;!channel&gt;." in payload["blocks"][1]["text"]["text"]
    assert_inert(payload)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_each_reason_reads_differently_and_a_resolution_never_looks_like_a_new_page(language: str) -> None:
    reasons = ["first", "update", "severity", "reminder", "escalation", "acknowledged", "resolved", "test"]
    pages = {r: render_slack(storm(language, reason=r, escalation_step=2, resolution="false_positive",
                                   acknowledged_by="Camille")) for r in reasons}  # fmt: skip
    headers = {r: p["blocks"][0]["text"]["text"] for r, p in pages.items()}
    summaries = {r: p["blocks"][1]["text"]["text"].split("\n")[0] for r, p in pages.items()}
    assert len(set(summaries.values())) == len(reasons)
    fr = language == "fr"
    assert headers["resolved"].startswith("[RÉSOLU]" if fr else "[RESOLVED]")
    assert headers["acknowledged"].startswith("[PRIS EN CHARGE]" if fr else "[ACKNOWLEDGED]")
    assert headers["reminder"].startswith("[RAPPEL]" if fr else "[REMINDER]")
    assert headers["escalation"].startswith("[ESCALADE]" if fr else "[ESCALATION]")
    assert headers["test"].startswith("[TEST]")
    assert ("faux positif" if fr else "false positive") in summaries["resolved"]
    assert ("niveau 2" if fr else "step 2") in summaries["escalation"]
    assert ("aucun incident réel" if fr else "no real incident") in summaries["test"]


def test_the_public_cannot_ping_the_channel_mention_people_or_inject_links() -> None:
    hostile = mention(author="<!channel> Bob @here <@U999>", source_name="<!everyone> & co",
                      title="<http://evil.example/t|Titre> @channel", url="http://x/a|b>c")  # fmt: skip
    payload = render_slack(storm("fr", top_mentions=(hostile,), top_terms=(("<!here>", 3),),
                                 explanation="Explication <@U1> @here"))  # fmt: skip
    assert_inert(payload)
    everything = json.dumps(payload, ensure_ascii=False)
    for forbidden in ("<!channel>", "<!here>", "<!everyone>", "<!subteam", "<@", "<http://evil"):
        assert forbidden not in everything
    body = "\n".join(text for _, text in texts(payload))
    # The words stay readable, and the weird URL is still a link, percent-encoded so that it cannot end early.
    assert "&lt;!here&gt;" in body and "@\u200dchannel" in body and "&amp;amp; c'est une honte" in body
    assert "<http://x/a%7Cb%3Ec|x>" in body


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://x.example/f", "//x.example",
                                 "http://", "http://[::1", "https://x.example/\nnext", "mailto:a@b.c"])  # fmt: skip
def test_only_http_links_are_linked_or_made_buttons(url: str) -> None:
    payload = render_slack(storm("en", ack_url=url, top_mentions=(mention(url=url),)))
    everything = json.dumps(payload)
    assert "javascript:" not in everything and "data:" not in everything and "ftp:" not in everything
    assert list(buttons(payload)) == ["Open incident"]
    assert_inert(payload)


def test_every_limit_holds_under_absurd_input() -> None:
    flood = ("&<>" * 2000 + "🔥 Remboursement refusé @channel " * 600)[:20_000]
    huge = mention(
        text=flood,
        title="T" * 5000,
        author="A&" * 200,
        author_reach=10**12,
        source_name="<S>" * 100,
        url="https://x.example/" + "a|" * 10_000,
    )
    payload = render_slack(storm(
        "fr",
        brand_name="Marque & Cie " * 16,  # 208 characters
        workspace_name="W&" * 3000,
        explanation="É&<" * 7000,
        # Escaping `&` makes this URL four times longer inside mrkdwn; only the first few mentions keep it.
        top_mentions=tuple(dataclasses.replace(huge, url="https://x.example/?" + "a=&" * (60 * i)) for i in range(50)),
        top_terms=tuple((f"terme&{i}" * 10, i) for i in range(500)),
        sentiment_split={"negative": 10**9, "neutral": 1, "positive": 0, "<weird>": 3},
        ack_url="https://vigie.example/ack?" + "t" * 5000,  # longer than a button URL may be: dropped
        peak_rate=123456.78,
    ))  # fmt: skip
    assert_within_slack_limits(payload)
    assert_inert(payload)
    assert payload["blocks"][0]["text"]["text"].endswith("…")
    assert sum(b["type"] == "section" and "text" in b and ">" in b["text"]["text"] for b in payload["blocks"]) == 5
    assert "+45 autres mentions" in json.dumps(payload, ensure_ascii=False)
    assert list(buttons(payload)) == ["Ouvrir l'incident"]


def test_a_cut_never_splits_an_entity() -> None:
    payload = render_slack(storm("en", explanation="&" * 5000))
    summary = payload["blocks"][1]["text"]["text"]
    assert summary.endswith("&amp;…") and utf16(summary) <= 3000
