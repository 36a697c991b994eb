"""The daily digest of Groupe Lac: a hotel in a complaint storm at three times its usual volume, a calm
brasserie, a spa with no history yet, an info incident that paged nobody, a failed delivery. It reads right
in French and English on Slack, by e-mail and as a signed webhook, and stays inert and within Slack's limits
whatever the brand names say."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from html import unescape

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from alerts.delivery.digest import (
    BrandDay,
    Digest,
    DigestIncident,
    build_digest_request,
    digest_from_dict,
    digest_payload,
    digest_subject,
    digest_to_dict,
    render_digest_email,
    render_digest_slack,
)
from alerts.delivery.webhook import generate_secret

N = "\u202f"  # French narrow no-break space
START = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # 07:00 in Paris
HOTEL = BrandDay("Hôtel du Lac", 312, 104.0, negative=180, positive=30, neutral=90, usual_negative_share=0.18)
BRASSERIE = BrandDay("Brasserie Fleur", 916, 930.4, negative=46, positive=412, neutral=458, usual_negative_share=0.05)
SPA = BrandDay("Spa Léman", 12, None, negative=1, positive=7, neutral=4, usual_negative_share=None)
EXPLANATIONS = {
    "fr": (
        "Hôtel du Lac — bad buzz en formation (critique). Score 87 — 48 mentions/h sur les 15 dernières minutes "
        f"contre 3 attendues un dimanche à 14:00{N}; 71{N}% négatives contre 18{N}% d'habitude.",
        f"Brasserie Fleur — mention à haut risque (alerte). Score 64 — @LeParisienFood (250{N}k abonnés) à 19:12"
        f"{N}: «{N}intoxication{N}»{N}; risque 82.",
        f"Spa Léman — silence (info). Score 22 — la marque{N}: 0 mention depuis 02:00 (4{N}h) contre 3 attendues.",
    ),
    "en": (
        "Hôtel du Lac — storm (critical). Score 87 — 48 mentions/h over the last 15 min vs 3 expected on a Sunday "
        "14:00; 71 % negative vs 18 % usual.",
        "Brasserie Fleur — high-risk mention (warning). Score 64 — @LeParisienFood (250k followers) at 19:12: "
        "'intoxication'; risk 82.",
        "Spa Léman — silence (info). Score 22 — the brand: 0 mentions since 02:00 (4 h) vs 3 expected.",
    ),
}
OUR_LINK = re.compile(r"<https?://[^\s<>|]+\|[^<>|\n]*>")
PING = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
HOSTILE = "<!channel> @here <http://evil.example|x> <@U123> & <script>alert(1)</script>"


def incidents(language: str = "fr") -> tuple[DigestIncident, ...]:
    storm, risk, silence = EXPLANATIONS[language]
    url = "https://vigie.example/incidents/{}"
    return (
        DigestIncident(44, "Spa Léman", "silence", "info", 22, "resolved", silence, url.format(44)),
        DigestIncident(42, "Hôtel du Lac", "storm", "critical", 87, "open", storm, url.format(42)),
        DigestIncident(43, "Brasserie Fleur", "high_risk_mention", "warning", 64, "acknowledged", risk, url.format(43)),
    )


def digest(language: str = "fr", **overrides) -> Digest:
    values = {
        "message_id": "dig_7_2026-11-22",
        "language": language,
        "workspace_name": "Groupe Lac",
        "day": date(2026, 11, 22),
        "period_start": START,
        "period_end": START + timedelta(days=1),
        "timezone": "Europe/Paris",
        "brands": (SPA, BRASSERIE, HOTEL),
        "opened": incidents(language),
        "resolved": 2,
        "failed_deliveries": 1,
        "feed_url": "https://vigie.example/feed?view=all&since=2026-11-22",
    }
    return Digest(**(values | overrides))


# --- Slack helpers, the same checks as test_slack.py ---------------------------------------------------------


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


def shown(payload: dict) -> str:
    return "\n".join(text for _, text in texts(payload))


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def assert_within_slack_limits(payload: dict) -> None:
    json.dumps(payload)
    assert utf16(payload["text"]) <= 3000
    assert 0 < len(payload["blocks"]) <= 50
    for block in payload["blocks"]:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and utf16(block["text"]["text"]) <= 150
        elif block["type"] == "section":
            assert utf16(block["text"]["text"]) <= 3000
        elif block["type"] == "context":
            assert len(block["elements"]) <= 10 and all(utf16(e["text"]) <= 3000 for e in block["elements"])
        elif block["type"] == "actions":
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
            continue
        rest = OUR_LINK.sub("", text)
        assert "<" not in rest, text
        assert all(">" not in line[1:] for line in rest.splitlines()), text
        assert not re.search(r"&(?!amp;|lt;|gt;)", rest), text


def buttons(payload: dict) -> dict[str, str]:
    actions = [b for b in payload["blocks"] if b["type"] == "actions"]
    return {e["text"]["text"]: e["url"] for a in actions for e in a["elements"]}


# --- subject -------------------------------------------------------------------------------------------------


def test_the_subject_counts_incidents_and_mentions_with_each_languages_typography() -> None:
    assert digest_subject(digest("fr")) == f"[Vigie] Résumé du 22/11/2026 — 3 incidents, 1{N}240 mentions"
    assert digest_subject(digest("en")) == "[Vigie] Daily digest, 2026-11-22 — 3 incidents, 1,240 mentions"


def test_a_quiet_day_is_singular_in_french_and_plural_in_english() -> None:
    quiet = {"brands": (), "opened": (), "resolved": 0, "failed_deliveries": 0}
    assert digest_subject(digest("fr", **quiet)) == "[Vigie] Résumé du 22/11/2026 — 0 incident, 0 mention"
    assert digest_subject(digest("en", **quiet)) == "[Vigie] Daily digest, 2026-11-22 — 0 incidents, 0 mentions"


# --- Slack ---------------------------------------------------------------------------------------------------


def test_a_french_slack_digest_puts_the_hotel_storm_first_and_flags_the_failed_delivery() -> None:
    payload = render_digest_slack(digest("fr"))
    body = shown(payload)
    subject = f"[Vigie] Résumé du 22/11/2026 — 3 incidents, 1{N}240 mentions"
    assert payload["text"] == subject
    assert payload["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": subject, "emoji": True}}
    assert f"Période{N}: 22/11/2026 07:00 → 23/11/2026 07:00 (Europe/Paris)" in body
    assert f"1{N}240 mentions · 3 incidents ouverts · 2 résolus" in body
    hotel = f"*Hôtel du Lac* — 312 mentions ↑ ×3,0 vs habituel (≈ 104) · 60{N}% négatives ↑ (habituel 18{N}%)"
    calm = f"*Brasserie Fleur* — 916 mentions → ×1,0 vs habituel (≈ 930) · 5{N}% négatives (habituel 5{N}%)"
    new = "*Spa Léman* — 12 mentions · habituel inconnu (pas encore d'historique)"
    for line in (hotel, calm, new):
        assert line in body
    assert body.index("*Hôtel du Lac*") < body.index("*Brasserie Fleur*") < body.index("*Spa Léman*")
    # Worst first; the info incident that paged nobody is listed too, with its link.
    critical = body.index("*CRITIQUE* · Hôtel du Lac — tempête de mentions négatives (score 87) · ouvert")
    warning = body.index("*ALERTE* · Brasserie Fleur — mention à haut risque (score 64) · pris en charge")
    info = body.index("*INFO* · Spa Léman — les mentions n'arrivent plus (score 22) · résolu")
    assert critical < warning < info
    assert "<https://vigie.example/incidents/44|#44>" in body and ">Spa Léman — silence (info)." in body
    assert f":warning: *1 envoi en échec{N}: vérifiez le journal d'envoi des canaux.*" in body
    assert f"*Incidents résolus*{N}: 2" in body
    assert buttons(payload) == {"Ouvrir le fil d'alertes": "https://vigie.example/feed?view=all&since=2026-11-22"}
    assert_within_slack_limits(payload)
    assert_inert(payload)


def test_an_english_slack_digest_reads_english() -> None:
    payload = render_digest_slack(digest("en", failed_deliveries=3))
    body = shown(payload)
    for expected in (
        "Period: 2026-11-22 07:00 → 2026-11-23 07:00 (Europe/Paris)",
        "1,240 mentions · 3 incidents opened · 2 resolved",
        "*Hôtel du Lac* — 312 mentions ↑ 3.0× usual (≈ 104) · 60% negative ↑ (usual 18%), 10% positive",
        "*Brasserie Fleur* — 916 mentions → 1.0× usual (≈ 930)",
        "*Spa Léman* — 12 mentions · usual unknown (no history yet)",
        "*INFO* · Spa Léman — mentions stopped arriving (score 22) · resolved",
        "*CRITICAL* · Hôtel du Lac — storm of negative mentions (score 87) · open",
        ":warning: *3 failed deliveries: check the channels' delivery logs.*",
    ):
        assert expected in body, expected
    assert "habituel" not in body and "Période" not in body
    assert list(buttons(payload)) == ["Open the alert feed"]


@pytest.mark.parametrize(("language", "calm"), [("fr", "Aucun envoi en échec."), ("en", "No failed deliveries.")])
def test_without_failed_deliveries_there_is_no_warning(language: str, calm: str) -> None:
    body = shown(render_digest_slack(digest(language, failed_deliveries=0)))
    assert calm in body and ":warning:" not in body


def test_a_brand_whose_negative_share_jumps_comes_before_a_bigger_calm_one() -> None:
    sour = BrandDay("Café Rive", 40, 41.0, negative=20, positive=5, neutral=15, usual_negative_share=0.1)
    body = shown(render_digest_slack(digest("en", brands=(BRASSERIE, sour))))
    assert body.index("*Café Rive*") < body.index("*Brasserie Fleur*")
    assert "*Café Rive* — 40 mentions → 1.0× usual (≈ 41) · 50% negative ↑ (usual 10%)" in body


def test_a_brand_with_nothing_usually_and_a_quiet_brand_read_plainly() -> None:
    woken = BrandDay("Gîte", 5, 0.0, negative=0, positive=0, neutral=0, usual_negative_share=None)
    quiet = BrandDay("Ferme", 2, 10.0, negative=0, positive=1, neutral=1, usual_negative_share=0.2)
    body = shown(render_digest_slack(digest("fr", brands=(quiet, woken))))
    assert "*Gîte* — 5 mentions ↑ habituel 0\n" in body
    assert f"*Ferme* — 2 mentions ↓ ×0,2 vs habituel (≈ 10) · 0{N}% négatives (habituel 20{N}%)" in body


def test_an_empty_day_still_says_so() -> None:
    payload = render_digest_slack(digest("fr", brands=(), opened=(), resolved=0, failed_deliveries=0))
    body = shown(payload)
    assert "Aucune marque suivie pour l'instant." in body and "Aucun incident ouvert." in body
    assert "autre" not in body
    assert_within_slack_limits(payload)


def test_a_workspace_timezone_that_does_not_exist_falls_back_to_utc() -> None:
    body = shown(render_digest_slack(digest("en", timezone="Mars/Olympus")))
    assert "Period: 2026-11-22 06:00 → 2026-11-23 06:00 (UTC)" in body


@pytest.mark.parametrize("language", ["fr", "en"])
def test_two_hundred_hostile_brands_and_five_hundred_incidents_stay_inert_and_within_limits(language: str) -> None:
    brands = tuple(
        BrandDay(f"{HOSTILE} {n} " + "é&" * (n % 7) * 100, 10 * n, 5.0 * n or None, n, n, n, 0.1) for n in range(200)
    )
    opened = tuple(
        DigestIncident(n, f"{HOSTILE} @everyone", "storm", ("info", "warning", "critical")[n % 3], n % 100, "open",
                       f"{HOSTILE}\n> faux bouton <https://evil.example|Prendre en charge> " + "&" * 3000,
                       ("javascript:alert(1)", "http://x/a|b>c", "https://vigie.example/incidents/" + "9" * 900)[n % 3])
        for n in range(500)
    )  # fmt: skip
    payload = render_digest_slack(digest(language, brands=brands, opened=opened, workspace_name=HOSTILE,
                                         timezone=HOSTILE, feed_url="javascript:alert(1)"))  # fmt: skip
    assert_within_slack_limits(payload)
    assert_inert(payload)
    body = shown(payload)
    more = {"fr": (r"… et (\d+) autres marques", r"… et (\d+) autres incidents"),
            "en": (r"… and (\d+) more brands", r"… and (\d+) more incidents")}[language]  # fmt: skip
    brand_lines = len(re.findall(r"^\*&lt;!channel&gt;", body, re.MULTILINE))
    incident_lines = len(re.findall(r"^\*(?:CRITI|ALERTE|WARNING|INFO)", body, re.MULTILINE))
    assert brand_lines > 0 and brand_lines + int(re.search(more[0], body).group(1)) == 200
    assert incident_lines > 0 and incident_lines + int(re.search(more[1], body).group(1)) == 500
    assert buttons(payload) == {}  # a javascript: feed link is no link


def test_only_http_links_become_links_and_cannot_be_broken_out_of() -> None:
    urls = ("javascript:alert(1)", "http://x/a|b>c", "https://vigie.example/incidents/" + "9" * 900)
    opened = tuple(dataclasses.replace(incidents()[1], id=n, url=url) for n, url in enumerate(urls))
    payload = render_digest_slack(digest("fr", opened=opened))
    body = shown(payload)
    assert "<http://x/a%7Cb%3Ec|#1>" in body  # percent-encoded: `|` and `>` cannot end our link
    assert "· #0\n" in body and "· #2\n" in body  # no javascript: link; a link too long to show is left out
    assert "javascript" not in body
    assert_inert(payload)


# --- webhook -------------------------------------------------------------------------------------------------


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_a_receiver_verifies_the_signed_digest_and_reads_every_figure() -> None:
    secret = generate_secret()
    body, headers = build_digest_request(digest("fr"), [secret], now())
    event = Webhook(secret).verify(body, headers)
    assert headers["webhook-id"] == "dig_7_2026-11-22" and headers["user-agent"] == "Vigie-Webhooks/1"
    assert headers["content-type"] == "application/json"
    assert event["type"] == "vigie.digest" and event["schema_version"] == 1
    assert event["timestamp"] == "2026-11-23T06:00:00Z"
    data = event["data"]
    assert data["workspace"] == {"name": "Groupe Lac"} and data["notification"] == {"language": "fr"}
    d = data["digest"]
    assert (d["day"], d["period_start"], d["timezone"]) == ("2026-11-22", "2026-11-22T06:00:00Z", "Europe/Paris")
    assert (d["mentions"], d["incidents_resolved"], d["failed_deliveries"]) == (1240, 2, 1)
    hotel = next(b for b in d["brands"] if b["name"] == "Hôtel du Lac")
    assert hotel == {"name": "Hôtel du Lac", "mentions": 312, "usual": 104.0, "ratio": 3.0, "negative": 180,
                     "positive": 30, "neutral": 90, "negative_share": 0.6, "usual_negative_share": 0.18}  # fmt: skip
    spa = next(b for b in d["brands"] if b["name"] == "Spa Léman")
    assert spa["usual"] is None and spa["ratio"] is None and spa["usual_negative_share"] is None
    assert [i["id"] for i in d["incidents_opened"]] == [44, 42, 43]  # everything, in the app's order
    assert d["incidents_opened"][0] | {"explanation": ""} == {
        "id": 44, "brand": "Spa Léman", "kind": "silence", "severity": "info", "score": 22, "status": "resolved",
        "explanation": "", "url": "https://vigie.example/incidents/44",
    }  # fmt: skip
    assert d["feed_url"] == "https://vigie.example/feed?view=all&since=2026-11-22"


def test_during_rotation_either_secret_verifies_and_a_tampered_digest_does_not() -> None:
    old, new = generate_secret(), generate_secret()
    body, headers = build_digest_request(digest("en"), [old, new], now())
    assert Webhook(old).verify(body, headers)["data"]["digest"]["mentions"] == 1240
    assert Webhook(new).verify(body, headers)["data"]["digest"]["mentions"] == 1240
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body.replace(b'"failed_deliveries":1', b'"failed_deliveries":0'), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)


def test_retries_keep_the_webhook_id_and_sign_a_fresh_timestamp() -> None:
    secret, first = generate_secret(), now()
    _, one = build_digest_request(digest(), [secret], first)
    body, two = build_digest_request(digest(), [secret], first + timedelta(minutes=3))
    assert one["webhook-id"] == two["webhook-id"] == "dig_7_2026-11-22"
    assert int(two["webhook-timestamp"]) - int(one["webhook-timestamp"]) == 180
    assert one["webhook-signature"] != two["webhook-signature"]
    with pytest.raises(ValueError, match="timezone-aware"):
        build_digest_request(digest(), [secret], datetime(2026, 11, 23, 6, 0))


def test_non_finite_figures_become_null_so_the_body_stays_json() -> None:
    odd = BrandDay("Hôtel du Lac", 3, float("nan"), 1, 1, 1, float("inf"))
    secret = generate_secret()
    body, headers = build_digest_request(digest(brands=(odd,)), [secret], now())
    brand = Webhook(secret).verify(body, headers)["data"]["digest"]["brands"][0]
    assert brand["usual"] is None and brand["ratio"] is None and brand["usual_negative_share"] is None
    assert digest_payload(digest(brands=(odd,)))["data"]["digest"]["brands"][0]["negative_share"] == 0.333


# --- outbox storage ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_digest_survives_the_outbox_as_json(language: str) -> None:
    original = digest(language)
    stored = json.loads(json.dumps(digest_to_dict(original), allow_nan=False))
    assert stored["day"] == "2026-11-22" and stored["period_end"] == "2026-11-23T06:00:00Z"
    restored = digest_from_dict(stored)
    assert restored == original
    assert restored.period_start.tzinfo is not None and isinstance(restored.brands, tuple)


def test_stored_times_are_utc_whatever_zone_they_came_in_and_nan_is_stored_as_null() -> None:
    paris = timezone(timedelta(hours=1))
    original = digest(period_start=datetime(2026, 11, 22, 7, 0, tzinfo=paris),
                      brands=(dataclasses.replace(SPA, usual=float("nan")),))  # fmt: skip
    stored = json.loads(json.dumps(digest_to_dict(original), allow_nan=False))
    assert stored["period_start"] == "2026-11-22T06:00:00Z" and stored["brands"][0]["usual"] is None
    assert digest_from_dict(stored).period_start == START


def test_a_row_missing_a_field_is_refused_and_an_unknown_field_is_ignored() -> None:
    stored = digest_to_dict(digest())
    assert digest_from_dict(stored | {"added_later": 1}) == digest()
    with pytest.raises(ValueError, match="feed_url"):
        digest_from_dict({k: v for k, v in stored.items() if k != "feed_url"})


# --- e-mail --------------------------------------------------------------------------------------------------


def mailed(d: Digest) -> EmailMessage:
    """Render, then read back from bytes as a mail client would."""
    msg = render_digest_email(d, sender="Vigie <resume@vigie.example>", recipients=["camille@hotel-du-lac.fr"],
                              domain="vigie.example")  # fmt: skip
    return BytesParser(policy=default).parsebytes(msg.as_bytes())


def bodies(msg: EmailMessage) -> tuple[str, str]:
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def test_a_french_digest_mail_has_the_exact_subject_both_parts_and_no_thread() -> None:
    msg = mailed(digest("fr"))
    assert msg["Subject"] == f"[Vigie] Résumé du 22/11/2026 — 3 incidents, 1{N}240 mentions"
    assert msg["Message-ID"] == "<dig_7_2026-11-22@vigie.example>"
    assert msg["Auto-Submitted"] == "auto-generated" and msg["X-Vigie-Digest"] == "2026-11-22"
    assert msg["In-Reply-To"] is None and msg["References"] is None
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    text, html = bodies(msg)
    for body in (text, unescape(html)):
        for expected in (f"1{N}240 mentions · 3 incidents ouverts · 2 résolus",
                         "312 mentions ↑ ×3,0 vs habituel (≈ 104)", f"60{N}% négatives ↑ (habituel 18{N}%)",
                         "916 mentions → ×1,0 vs habituel", "12 mentions · habituel inconnu",
                         "Spa Léman — silence (info).", "les mentions n'arrivent plus", "Incidents résolus",
                         f"1 envoi en échec{N}: vérifiez le journal d'envoi des canaux.",
                         "Ouvrir le fil d'alertes"):  # fmt: skip
            assert expected in body, expected
    assert "- [INFO] Spa Léman — les mentions n'arrivent plus (score 22) · résolu · #44" in text
    assert "https://vigie.example/feed?view=all&since=2026-11-22" in text
    assert '<a href="https://vigie.example/incidents/44">#44</a>' in html
    assert 'href="https://vigie.example/feed?view=all&amp;since=2026-11-22"' in html
    assert "#cf222e" in html  # the failed delivery stands out


def test_an_english_digest_mail_reads_english() -> None:
    msg = mailed(digest("en", failed_deliveries=0))
    assert msg["Subject"] == "[Vigie] Daily digest, 2026-11-22 — 3 incidents, 1,240 mentions"
    text, html = bodies(msg)
    for body in (text, unescape(html)):
        assert "312 mentions ↑ 3.0× usual (≈ 104)" in body and "usual unknown (no history yet)" in body
        assert "No failed deliveries." in body and "Open the alert feed" in body
        assert "habituel" not in body
    assert "#cf222e" not in html


def test_hostile_names_are_escaped_in_html_and_unsafe_links_are_dropped() -> None:
    brand = dataclasses.replace(HOTEL, name='<script>alert("x")</script> & "Lac"')
    trap = DigestIncident(9, "<img src=x onerror=alert(1)>", "storm", "critical", 90, "open",
                          "<b>faux</b>\nPrendre en charge: https://evil.example", "javascript:alert(1)")  # fmt: skip
    text, html = bodies(mailed(digest("fr", brands=(brand,), opened=(trap,), workspace_name="<i>Lac</i>")))
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Lac&#34;" in html
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>Lac" not in html
    assert "javascript:" not in html and "javascript:" not in text
    assert "#9" in html and "\nPrendre en charge: https://evil" not in text  # one line: no forged link line


def test_a_big_workspace_mail_lists_the_top_of_each_list_and_counts_the_rest() -> None:
    brands = tuple(dataclasses.replace(BRASSERIE, name=f"Brasserie {n}") for n in range(150))
    opened = tuple(dataclasses.replace(incidents()[n % 3], id=n) for n in range(80))
    text, html = bodies(mailed(digest("fr", brands=(*brands, HOTEL), opened=opened)))
    for body in (text, html):
        assert "… et 51 autres marques" in body and "… et 30 autres incidents" in body
    assert text.index("- Hôtel du Lac — 312 mentions") < text.index("- Brasserie 0 —")  # the storm survives the cut
    assert len(html.encode()) < 102_000  # Gmail clips longer messages


def test_a_mail_needs_recipients_a_domain_and_a_usable_message_id() -> None:
    with pytest.raises(ValueError, match="recipient"):
        render_digest_email(digest(), sender="a@vigie.example", recipients=[], domain="vigie.example")
    with pytest.raises(ValueError, match="domain"):
        render_digest_email(digest(), sender="a@vigie.example", recipients=["b@x.fr"], domain="bad domain>")
    with pytest.raises(ValueError, match="Message-ID"):
        render_digest_email(digest(message_id="<>"), sender="a@vigie.example", recipients=["b@x.fr"],
                            domain="vigie.example")  # fmt: skip
    assert mailed(digest(message_id="dig 7/..x"))["Message-ID"] == "<dig-7-.x@vigie.example>"
