"""The daily digest: one message per workspace per day, sent at the workspace's chosen local hour.

How the last 24 h went: each brand's volume against its usual (the same period's average over the previous
7 days) and its share of negative mentions; the incidents opened, every severity (info incidents are never
paged: they reach only the feed and this digest); how many were resolved; how many deliveries failed for good.
The app stores a `Digest` in the outbox as JSON (`digest_to_dict` / `digest_from_dict`); the worker renders it
here with each channel's own escaping, limits and signing (`slack`, `email`, `webhook`). People read first the
brands that moved (volume ×1.5 or ÷1.5, or 15 more points of negative mentions than usual), then the busiest;
incidents by severity, then score; long lists end with "… and N more". The webhook (`type` "vigie.digest",
`schema_version` 1, signed like incident webhooks) carries everything in the app's order: see `digest_payload`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The channels' own escaping, limits and signing, reused as they are (private names included, on purpose).
from alerts.delivery import email as mail
from alerts.delivery import slack, webhook
from alerts.delivery.message import KIND_LABELS, NNBSP, SEVERITY_LABELS, cut, one_line
from alerts.delivery.message import format_number as _number
from alerts.delivery.slack import _LIMITS
from alerts.delivery.webhook import _finite, _iso

DIGEST_EVENT = "vigie.digest"
_MOVE = 1.5  # volume ×1.5 or ÷1.5 against the usual: a brand worth reading first
_NEGATIVE_JUMP = 0.15  # 15 more points of negative mentions than usual: the same
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
_SLACK_BRANDS, _SLACK_INCIDENTS, _SLACK_SECTIONS = 40, 30, 3  # per list: Slack is read on phones
_MAIL_BRANDS, _MAIL_INCIDENTS = 100, 50  # real-world HTML stays under Gmail's 102 kB clipping
_MORE_RESERVE = 100  # room kept in a section for the "… and N more" line

_WORDS = {
    "en": {
        "subject": "[Vigie] Daily digest, {day} — {incidents}, {mentions}", "incident": ("incident", "incidents"),
        "mention": ("mention", "mentions"), "period": "Period", "brands": "Volume by brand",
        "opened": "Incidents opened", "resolved": "Incidents resolved", "usual": "{ratio}× usual (≈ {usual})",
        "usual_zero": "usual 0", "unknown": "usual unknown (no history yet)", "negative": "{share} negative",
        "usual_share": "usual {share}", "positive": "{share} positive", "score": "score",
        "failed": ("failed delivery", "failed deliveries"), "failed_note": "check the channels' delivery logs.",
        "no_failed": "No failed deliveries.", "no_brands": "No brand monitored yet.",
        "no_incidents": "No incident opened.", "more_brands": ("… and {n} more brand", "… and {n} more brands"),
        "more_incidents": ("… and {n} more incident", "… and {n} more incidents"), "feed": "Open the alert feed",
        "footer": "daily digest", "colon": ":", "date": "%Y-%m-%d", "time": "%Y-%m-%d %H:%M",
        "opened_n": ("incident opened", "incidents opened"), "resolved_n": ("resolved", "resolved"),
    },
    "fr": {
        "subject": "[Vigie] Résumé du {day} — {incidents}, {mentions}", "incident": ("incident", "incidents"),
        "mention": ("mention", "mentions"), "period": "Période", "brands": "Volume par marque",
        "opened": "Incidents ouverts", "resolved": "Incidents résolus", "usual": "×{ratio} vs habituel (≈ {usual})",
        "usual_zero": "habituel 0", "unknown": "habituel inconnu (pas encore d'historique)",
        "negative": "{share} négatives", "usual_share": "habituel {share}", "positive": "{share} positives",
        "score": "score", "failed": ("envoi en échec", "envois en échec"),
        "failed_note": "vérifiez le journal d'envoi des canaux.", "no_failed": "Aucun envoi en échec.",
        "no_brands": "Aucune marque suivie pour l'instant.", "no_incidents": "Aucun incident ouvert.",
        "more_brands": ("… et {n} autre marque", "… et {n} autres marques"),
        "more_incidents": ("… et {n} autre incident", "… et {n} autres incidents"),
        "feed": "Ouvrir le fil d'alertes", "footer": "résumé quotidien", "colon": f"{NNBSP}:",
        "date": "%d/%m/%Y", "time": "%d/%m/%Y %H:%M",
        "opened_n": ("incident ouvert", "incidents ouverts"), "resolved_n": ("résolu", "résolus"),
    },
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class BrandDay:
    """One brand over the digest's period, against the same period of the previous 7 days."""

    name: str
    mentions: int  # mentions in the period
    usual: float | None  # average of the same period over the previous 7 days (None: no history yet)
    negative: int
    positive: int
    neutral: int
    usual_negative_share: float | None  # 0-1


@dataclass(frozen=True, slots=True)
class DigestIncident:
    """An incident opened in the period, whatever its severity (untrusted brand and explanation)."""

    id: int
    brand: str | None
    kind: str  # storm | high_risk_mention | silence
    severity: str  # info | warning | critical
    score: int
    status: str  # open | acknowledged | resolved
    explanation: str
    url: str


@dataclass(frozen=True, slots=True)
class Digest:
    """One workspace's day, in its language."""

    message_id: str  # stable across retries (webhook-id)
    language: str  # "fr" | "en"
    workspace_name: str
    day: date  # the local date the digest is about (the 24 h before the digest hour)
    period_start: datetime  # UTC-aware
    period_end: datetime
    timezone: str
    brands: tuple[BrandDay, ...]
    opened: tuple[DigestIncident, ...]  # opened in the period, every severity incl. info
    resolved: int  # incidents resolved in the period
    failed_deliveries: int  # deliveries dead-lettered in the period
    feed_url: str  # link to the alert feed


def digest_to_dict(d: Digest) -> dict[str, Any]:
    """Plain JSON for the outbox: dates and datetimes (UTC) as ISO strings, NaN and infinity as null."""
    data = asdict(d)
    brands = [b | {"usual": _finite(b["usual"]), "usual_negative_share": _finite(b["usual_negative_share"])}
              for b in data["brands"]]  # fmt: skip
    times = {"day": d.day.isoformat(), "period_start": _iso(d.period_start), "period_end": _iso(d.period_end)}
    return data | times | {"brands": brands, "opened": list(data["opened"])}


def digest_from_dict(data: dict[str, Any]) -> Digest:
    """The `Digest` that `digest_to_dict` stored; unknown keys are ignored, a missing one is a ValueError."""
    try:
        values = _pick(Digest, data)
        values["brands"] = tuple(BrandDay(**_pick(BrandDay, b)) for b in data["brands"])
        values["opened"] = tuple(DigestIncident(**_pick(DigestIncident, i)) for i in data["opened"])
    except KeyError as exc:
        raise ValueError(f"not a stored digest: {exc.args[0]!r} is missing") from exc
    values["day"] = date.fromisoformat(data["day"])
    for name in ("period_start", "period_end"):
        values[name] = _as_utc(datetime.fromisoformat(data[name]))
    return Digest(**values)


def _pick(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    return {f.name: data[f.name] for f in fields(cls)}  # a KeyError names the missing field


def _as_utc(moment: datetime) -> datetime:  # naive is UTC, as everywhere in Vigie (SQLite stores no zone)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def digest_subject(d: Digest) -> str:
    """`[Vigie] Résumé du 22/11/2026 — 3 incidents, 1 240 mentions` / `[Vigie] Daily digest, 2026-11-22 — …`."""
    lang, words = _language(d)
    incidents = _count(len(d.opened), words["incident"], lang)
    mentions = _count(sum(b.mentions for b in d.brands), words["mention"], lang)
    return words["subject"].format(day=d.day.strftime(words["date"]), incidents=incidents, mentions=mentions)


def _language(d: Digest) -> tuple[str, dict]:
    lang = "fr" if d.language.lower().startswith("fr") else "en"
    return lang, _WORDS[lang]


def _count(n: int, pair: tuple[str, str], lang: str, template: str = "{n} {word}") -> str:
    """`0 incident` / `0 incidents`: French is singular under two, English only at one."""
    word = pair[1] if (n >= 2 if lang == "fr" else n != 1) else pair[0]
    return template.format(n=_number(n, lang), word=word)


def _more(n: int, pair: tuple[str, str], lang: str) -> str:
    """`… et 3 autres marques` / `… and 3 more brands`; empty for nothing hidden."""
    return _count(n, pair, lang, "{word}").format(n=_number(n, lang)) if n > 0 else ""


def _ratio(b: BrandDay) -> float | None:
    usual = b.usual
    return b.mentions / usual if usual is not None and math.isfinite(usual) and usual > 0 else None


def _share(part: int, b: BrandDay) -> float | None:
    total = b.negative + b.positive + b.neutral
    return part / total if total > 0 else None


def _moved(b: BrandDay) -> bool:
    ratio, share, usual = _ratio(b), _share(b.negative, b), b.usual_negative_share
    if ratio is not None and (ratio >= _MOVE or ratio <= 1 / _MOVE):
        return True
    if b.usual == 0 and b.mentions > 0:  # nothing at all usually: any mention is news
        return True
    return share is not None and usual is not None and share - usual >= _NEGATIVE_JUMP


def _percent(share: float, lang: str) -> str:
    return f"{round(share * 100)}{NNBSP}%" if lang == "fr" else f"{round(share * 100)}%"


def _volume(b: BrandDay, words: dict, lang: str) -> str:
    """`312 mentions ↑ ×3,1 vs habituel (≈ 100)` / `312 mentions ↑ 3.1× usual (≈ 100)`."""
    count = _count(b.mentions, words["mention"], lang)
    if b.usual is None or not math.isfinite(b.usual):
        return f"{count} · {words['unknown']}"
    if (ratio := _ratio(b)) is None:
        return f"{count} {'↑' if b.mentions else '→'} {words['usual_zero']}"
    arrow = "↑" if ratio >= _MOVE else "↓" if ratio <= 1 / _MOVE else "→"
    text = f"{ratio:.1f}" if ratio < 10 else f"{ratio:,.0f}"
    text = text.replace(",", NNBSP).replace(".", ",") if lang == "fr" else text
    return f"{count} {arrow} {words['usual'].format(ratio=text, usual=_number(b.usual, lang))}"


def _sentiment(b: BrandDay, words: dict, lang: str) -> str:
    """`60 % négatives ↑ (habituel 18 %), 10 % positives`; empty when no mention was classified."""
    negative, positive = _share(b.negative, b), _share(b.positive, b)
    if negative is None or positive is None:
        return ""
    text = words["negative"].format(share=_percent(negative, lang))
    usual = b.usual_negative_share
    if usual is not None and math.isfinite(usual):
        arrow = " ↑" if negative - usual >= _NEGATIVE_JUMP else ""
        text += f"{arrow} ({words['usual_share'].format(share=_percent(usual, lang))})"
    return f"{text}, {words['positive'].format(share=_percent(positive, lang))}"


def _period(d: Digest, words: dict) -> str:
    """`Période : 21/11/2026 07:00 → 22/11/2026 07:00 (Europe/Paris)`, on the workspace's clock."""
    try:
        zone, name = ZoneInfo(d.timezone), d.timezone
    except (ZoneInfoNotFoundError, ValueError):  # a bad setting must not cost the day's digest
        zone, name = UTC, "UTC"
    start, end = (_as_utc(t).astimezone(zone).strftime(words["time"]) for t in (d.period_start, d.period_end))
    return f"{words['period']}{words['colon']} {start} → {end} ({one_line(name)[:64]})"


def _view(d: Digest) -> dict[str, Any]:
    """What people read, as plain unescaped text: the brands that moved first, the worst incidents first."""
    lang, words = _language(d)
    brands = sorted(d.brands, key=lambda b: (not _moved(b), -b.mentions, b.name.casefold()))
    incidents = sorted(d.opened, key=lambda i: (_SEVERITY_ORDER.get(i.severity, 3), -i.score, i.id))
    failed = _count(d.failed_deliveries, words["failed"], lang)
    return {
        "lang": lang, "t": words, "subject": one_line(digest_subject(d)), "period": _period(d, words),
        "brands": [_brand_view(b, words, lang) for b in brands],
        "incidents": [_incident_view(i, words, lang) for i in incidents],
        "totals": " · ".join((_count(sum(b.mentions for b in brands), words["mention"], lang),
                              _count(len(incidents), words["opened_n"], lang),
                              _count(d.resolved, words["resolved_n"], lang))), "resolved": _number(d.resolved, lang),
        "failed": d.failed_deliveries, "failed_text": f"{failed}{words['colon']} {words['failed_note']}",
        "feed_url": mail._http_url(d.feed_url), "workspace": cut(one_line(d.workspace_name), 200),
    }  # fmt: skip


def _brand_view(b: BrandDay, words: dict, lang: str) -> dict[str, str]:
    volume, sentiment = _volume(b, words, lang), _sentiment(b, words, lang)
    figures = f"{volume} · {sentiment}" if sentiment else volume
    return {"name": cut(one_line(b.name), 200), "volume": volume, "sentiment": sentiment, "figures": figures}


def _incident_view(i: DigestIncident, words: dict, lang: str) -> dict[str, Any]:
    return {
        "id": i.id, "score": f"{words['score']} {i.score}", "url": mail._http_url(i.url),
        "severity": SEVERITY_LABELS[lang].get(i.severity, i.severity.upper()),
        "kind": KIND_LABELS[lang].get(i.kind, i.kind),
        "status": slack._WORDS[lang]["statuses"].get(i.status, i.status),
        "brand": cut(one_line(i.brand or ""), 200), "explanation": cut(one_line(i.explanation), 500),
    }  # fmt: skip


def digest_payload(d: Digest) -> dict[str, Any]:
    """The versioned event JSON, in the style of `webhook.build_payload`; `timestamp` is the end of the period.

    `data.digest.brands` carries each `BrandDay` field plus `ratio` and `negative_share` (`null` when unknown);
    `incidents_opened` each `DigestIncident` field; datetimes are UTC, ISO 8601, ending in `Z`.
    """
    digest = {
        "day": d.day.isoformat(), "period_start": _iso(d.period_start), "period_end": _iso(d.period_end),
        "timezone": d.timezone, "mentions": sum(b.mentions for b in d.brands),
        "brands": [_brand_payload(b) for b in d.brands], "incidents_opened": [asdict(i) for i in d.opened],
        "incidents_resolved": d.resolved, "failed_deliveries": d.failed_deliveries, "feed_url": d.feed_url,
    }  # fmt: skip
    return {
        "type": DIGEST_EVENT,
        "timestamp": _iso(d.period_end),
        "schema_version": webhook.SCHEMA_VERSION,
        "data": {"digest": digest, "notification": {"language": d.language}, "workspace": {"name": d.workspace_name}},
    }


def _brand_payload(b: BrandDay) -> dict[str, Any]:
    ratio, share = _ratio(b), _share(b.negative, b)
    return asdict(b) | {"usual": _finite(b.usual), "ratio": None if ratio is None else round(ratio, 2),
                        "negative_share": None if share is None else round(share, 3),
                        "usual_negative_share": _finite(b.usual_negative_share)}  # fmt: skip


def build_digest_request(d: Digest, secrets: Sequence[str], now: datetime) -> tuple[bytes, dict[str, str]]:
    """Body and Standard Webhooks headers of one attempt, signed exactly as `webhook.build_request` signs."""
    text = json.dumps(digest_payload(d), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    body = text.encode("utf-8", errors="replace")  # a lone surrogate is replaced: sign exactly what is sent
    moment = webhook._require_utc(now)
    headers = {
        "content-type": "application/json",
        "user-agent": webhook.USER_AGENT,
        "webhook-id": d.message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": webhook.sign(secrets, d.message_id, moment, body.decode("utf-8")),
    }
    return body, headers


def render_digest_slack(d: Digest) -> dict:
    """A Slack incoming-webhook body: Block Kit blocks (≤ 50, each within its limit) and the subject as `text`."""
    view = _view(d)
    t, lang = view["t"], view["lang"]
    summary = f"{slack._escape(view['period'], 400)}\n{view['totals']}"
    brands = [f"*{slack._escape(b['name'], 200)}* — {b['figures']}" for b in view["brands"][:_SLACK_BRANDS]]
    incidents = [_slack_incident(i) for i in view["incidents"][:_SLACK_INCIDENTS]]
    failed = f":warning: *{view['failed_text']}*" if view["failed"] else t["no_failed"]
    blocks = [
        # Not slack._plain: it would turn the subject's no-break spaces into plain ones. Nothing untrusted here.
        {"type": "header", "text": {"type": "plain_text", "text": cut(view["subject"], 150), "emoji": True}},
        slack._section(summary),
        *_packed(f"*{t['brands']}*", brands or [t["no_brands"]], len(d.brands), t["more_brands"], lang),
        *_packed(f"*{t['opened']}*", incidents or [t["no_incidents"]], len(d.opened), t["more_incidents"], lang),
        slack._section(f"*{t['resolved']}*{t['colon']} {view['resolved']}\n{failed}"),
    ]
    if feed := slack._http_url(view["feed_url"]):
        blocks.append({"type": "actions", "elements": [slack._button(t["feed"], feed, "vigie_feed")]})
    footer = f"Vigie · {slack._escape(view['workspace'], 300)} · {t['footer']}"
    blocks.append({"type": "context", "elements": [slack._mrkdwn(footer)]})
    return {"text": slack._escape(view["subject"], _LIMITS["fallback_text"]), "blocks": blocks[: _LIMITS["blocks"]]}


def _slack_incident(i: dict[str, Any]) -> str:
    """`*CRITIQUE* · Marque — tempête … (score 87) · ouvert · <url|#42>`, then the explanation quoted: ≤ 2,700."""
    brand = f" · {slack._escape(i['brand'], 200)}" if i["brand"] else ""
    url = slack._http_url(i["url"])
    link = url.replace("&", "&amp;") if url else ""
    ref = f"<{link}|#{i['id']}>" if link and slack._size(link) <= slack._MAX_LINK_URL else f"#{i['id']}"
    line = (f"*{slack._escape(i['severity'], 30)}*{brand} — {slack._escape(i['kind'], 100)} ({i['score']}) · "
            f"{slack._escape(i['status'], 40)} · {ref}")  # fmt: skip
    if i["explanation"]:
        line += "\n>" + slack._escape(cut(i["explanation"], 300), 1500)
    return line


def _packed(title: str, lines: Sequence[str], total: int, more: tuple[str, str], lang: str) -> list[dict]:
    """Lines packed into at most 3 sections of ≤ 3,000 characters; what does not fit ends as "… and N more"."""
    chunks: list[str] = []
    current, shown = title, 0
    budget = _LIMITS["section_text"] - _MORE_RESERVE  # every line is built shorter than this
    for line in lines:
        if slack._size(current) + 1 + slack._size(line) <= budget:
            current += "\n" + line
        elif len(chunks) + 1 < _SLACK_SECTIONS:
            chunks.append(current)
            current = line
        else:
            break
        shown += 1
    if hidden := _more(total - min(shown, total), more, lang):
        current += f"\n_{hidden}_"
    return [slack._section(chunk) for chunk in [*chunks, current]]


def render_digest_email(d: Digest, *, sender: str, recipients: Sequence[str], domain: str) -> EmailMessage:
    """The digest as multipart/alternative (text and HTML); a mail of its own, never threaded with incidents."""
    if not recipients:
        raise ValueError("an e-mail needs at least one recipient")
    if not mail._DOMAIN.fullmatch(domain):
        raise ValueError(f"not a domain for Message-IDs: {domain!r}")
    own = re.sub(r"\.{2,}", ".", mail._ID_UNSAFE.sub("-", d.message_id).strip(".-"))  # as email.py: a dot-atom
    if not own:
        raise ValueError(f"message_id {d.message_id!r} gives no usable Message-ID")
    view = _view(d)
    lang, t = view["lang"], view["t"]
    view["more_brands"] = _more(len(view["brands"]) - _MAIL_BRANDS, t["more_brands"], lang)
    view["more_incidents"] = _more(len(view["incidents"]) - _MAIL_INCIDENTS, t["more_incidents"], lang)
    view["brands"], view["incidents"] = view["brands"][:_MAIL_BRANDS], view["incidents"][:_MAIL_INCIDENTS]
    msg = EmailMessage()
    msg["Subject"] = view["subject"]
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = f"<{own}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, no loops
    msg["X-Auto-Response-Suppress"] = "All"  # the same for Exchange / Outlook
    msg["X-Vigie-Digest"] = d.day.isoformat()  # quoted-printable below, as for incidents: short 7-bit lines
    msg.set_content(mail._ENV.get_template("digest.txt.j2").render(view), cte="quoted-printable")
    msg.add_alternative(mail._ENV.get_template("digest.html.j2").render(view), subtype="html", cte="quoted-printable")
    return msg
