"""An incident as a Slack incoming-webhook body: Block Kit blocks plus a `text` fallback, in French or English.

Mention text, author and source names come from the public: they are escaped for mrkdwn (`&`, `<`, `>`) and
the words `@channel`, `@here`, `@everyone` are broken with a zero-width joiner, so a post cannot ping a
channel or smuggle a link. Only http(s) URLs become links, percent-encoded so `|` and `>` cannot end them.
Every Slack size limit holds by construction, whatever the input (see `_LIMITS`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from alerts.delivery.message import WORDS, IncidentMessage, MentionView, cut, http_url, one_line
from alerts.delivery.message import format_number as _number
from alerts.delivery.message import format_time as _time

# Slack's documented limits (api.slack.com/reference/block-kit/blocks, .../composition-objects,
# .../block-elements#button, chat.postMessage `text`). The fallback text could be longer (40,000, cut at
# 4,000) but notifications show only its start, so 3,000 keeps it readable.
_LIMITS = {
    "blocks": 50,
    "header": 150,
    "section_text": 3000,
    "fields": 10,
    "field_text": 2000,
    "context_text": 3000,
    "button_text": 75,
    "button_url": 3000,
    "fallback_text": 3000,
}
MAX_MENTIONS = 5
_MAX_TERMS = 10
_MAX_LINK_URL = 800  # escaped; a longer link would crowd out the mention itself in its 3,000-char section
_ELLIPSIS = "…"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Slack may still turn these bare words into pings in some clients; a zero-width joiner after "@" keeps
# them readable and inert.
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)

_WORDS = {
    "en": {
        **WORDS["en"],
        "lang": "en",
        "open": "Open incident",
        "link": "link",
        "update": "Incident updated.",
        "escalation_prefix": "[ESCALATION] ",
    },
    "fr": {
        **WORDS["fr"],
        "lang": "fr",
        "open": "Ouvrir l'incident",
        "link": "lien",
        "update": "Incident mis à jour.",
        "escalation_prefix": "[ESCALADE] ",
    },
}


def render_slack(message: IncidentMessage) -> dict:
    """The JSON body for a Slack incoming webhook: Block Kit `blocks` and the subject as fallback `text`."""
    words = _WORDS[_lang(message)]
    blocks: list[dict] = [
        {"type": "header", "text": _plain(_header(message, words), _LIMITS["header"])},
        _section(_summary(message, words)),
        {"type": "section", "fields": _fields(message, words)},
    ]
    blocks += [_section(_mention(m, words)) for m in message.top_mentions[:MAX_MENTIONS]]
    if context := _context(message, words):
        blocks.append({"type": "context", "elements": [_mrkdwn(context)]})
    if buttons := _buttons(message, words):
        blocks.append({"type": "actions", "elements": buttons})
    footer = f"Vigie · {_escape(message.workspace_name, 200)} · incident #{message.incident_id}"
    blocks.append({"type": "context", "elements": [_mrkdwn(footer)]})
    return {"text": _escape(message.subject(), _LIMITS["fallback_text"]), "blocks": blocks[: _LIMITS["blocks"]]}


def _escape(text: str, limit: int) -> str:
    """Untrusted text made inert for mrkdwn, then cut to `limit` characters (with "…") without splitting `&amp;`."""
    text = _BROADCAST.sub("@\u200d", text)
    escaped = "".join(_ESCAPES.get(ch, ch) for ch in text)
    if _size(escaped) <= limit:
        return escaped
    out, size = [], _size(_ELLIPSIS)
    for ch in text:
        piece = _ESCAPES.get(ch, ch)
        if size + _size(piece) > limit:
            break
        out.append(piece)
        size += _size(piece)
    return "".join(out).rstrip() + _ELLIPSIS


def _lang(message: IncidentMessage) -> str:
    return "fr" if message.language.lower().startswith("fr") else "en"


def _size(text: str) -> int:
    """Length in UTF-16 code units: never less than Python's length, so a limit checked here holds either way."""
    return len(text.encode("utf-16-le")) // 2


def _http_url(url: str | None, limit: int = _LIMITS["button_url"]) -> str | None:
    """A safe http(s) URL within Slack's URL limit (a button's by default), else None."""
    return http_url(url, limit)


def _plain(text: str, limit: int) -> dict:
    """A plain_text object: Slack shows it verbatim (no links, no pings), so only cutting and @-words matter."""
    text = one_line(_BROADCAST.sub("@\u200d", text))
    if _size(text) > limit:
        text = text[:limit]  # code points never outnumber UTF-16 units: at most a few more to drop below
        while _size(text) > limit - _size(_ELLIPSIS):
            text = text[:-1]
        text = text.rstrip() + _ELLIPSIS
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict:
    return {"type": "section", "text": _mrkdwn(text)}


def _header(message: IncidentMessage, words: dict) -> str:
    # subject() already prefixes resolved / acknowledged / reminder / test; an escalation must read as one too.
    prefix = words["escalation_prefix"] if message.reason == "escalation" else ""
    return prefix + message.subject()


def _reason_line(message: IncidentMessage, words: dict) -> str:
    """What changed, in one sentence: a reminder or a resolution must never read like a new page."""
    reason = message.reason
    if reason == "severity":
        return words["severity_change"].format(label=message.severity_label())
    if reason == "escalation":
        return words["escalation"].format(step=message.escalation_step)
    if reason == "acknowledged":
        if not message.acknowledged_by:
            return words["acknowledged_anon"]
        return words["acknowledged"].format(who=one_line(message.acknowledged_by)[:200])  # _summary escapes
    if reason == "resolved":
        label = words["resolutions"].get(message.resolution or "", "")
        return words["resolved"].format(resolution=label) if label else words["resolved_plain"]
    return words[reason]


def _summary(message: IncidentMessage, words: dict) -> str:
    # 400 + 2 + 2,500 stays under the 3,000-character section limit.
    reason = f"*{_escape(_reason_line(message, words), 400)}*"
    return f"{reason}\n{_escape(message.explanation, 2500)}"


def _fields(message: IncidentMessage, words: dict) -> list[dict]:
    lang = words["lang"]
    pairs = [
        (words["severity"], message.severity_label()),
        (words["score"], f"{message.score} ({words['peak']} {message.peak_score})"),
        (words["mentions"], _number(message.mention_count, lang)),
        (words["status"], words["statuses"].get(message.status, message.status)),
        (words["opened"], _time(message.opened_at)),
    ]
    if message.peak_rate is not None:
        pairs.insert(3, (words["rate"], f"{_number(message.peak_rate, lang)} {words['per_hour']}"))
    fields = [_mrkdwn(f"*{name}*\n{_escape(value, 1000)}") for name, value in pairs]
    return fields[: _LIMITS["fields"]]


def _mention(mention: MentionView, words: dict) -> str:
    """Author, reach and source, then the excerpt as a quote, then the link: budgets 283 + 203 + 1,502 + 884."""
    author = _escape(one_line(mention.author or ""), 150) or words["unknown_author"]
    meta = [f"*{author}*"]
    if mention.author_reach is not None:
        meta.append(f"{_number(mention.author_reach, words['lang'])} {words['followers']}")
    if mention.source_name:
        meta.append(_escape(one_line(mention.source_name), 100))
    lines = [" · ".join(meta)]
    text = one_line(mention.text)
    title = one_line(mention.title)
    if title and not text.startswith(title):
        lines.append(f"*{_escape(title, 200)}*")
    if text:
        # ~300 characters of the post, escaped: at most 1,500 in the rare worst case of all `&`.
        lines.append(">" + _escape(cut(text, 300), 1500))
    url = _http_url(mention.url)
    if url and _size(link := url.replace("&", "&amp;")) <= _MAX_LINK_URL:
        label = _escape(urlsplit(url).hostname or words["link"], 80)
        lines.append(f"<{link}|{label}>")
    return "\n".join(lines)


def _context(message: IncidentMessage, words: dict) -> str:
    lang, colon = words["lang"], words["colon"]
    parts = []
    if message.top_terms:
        terms = ", ".join(f"{one_line(t)} ({n})" for t, n in message.top_terms[:_MAX_TERMS])
        parts.append(f"*{words['terms']}*{colon} {_escape(terms, 1200)}")
    if split := {k: v for k, v in message.sentiment_split.items() if k in words["sentiments"]}:
        counts = " · ".join(f"{words['sentiments'][k]} {_number(v, lang)}" for k, v in split.items())
        parts.append(f"*{words['sentiment']}*{colon} {counts}")
    hidden = len(message.top_mentions) - MAX_MENTIONS
    if hidden > 0:
        parts.append(f"+{hidden} {words['more']}")
    return "\n".join(parts)


def _buttons(message: IncidentMessage, words: dict) -> list[dict]:
    buttons = []
    if ack := _http_url(message.ack_url):
        buttons.append(_button(words["ack"], ack, "vigie_ack", style="primary"))
    if incident := _http_url(message.incident_url):
        buttons.append(_button(words["open"], incident, "vigie_open"))
    return buttons


def _button(label: str, url: str, action_id: str, style: str | None = None) -> dict:
    button = {"type": "button", "text": _plain(label, _LIMITS["button_text"]), "url": url, "action_id": action_id}
    if style:
        button["style"] = style
    return button
