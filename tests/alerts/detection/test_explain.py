"""The sentence a CM reads on a phone at 22:00: score, how far above normal, which words, which accounts,
in French (with French typography) and in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.detection import Baseline, DetectionConfig, detect_high_risk_mentions, detect_silence, explain
from alerts.detection.explain import NNBSP
from alerts.detection.findings import Component, Finding

CONFIG = DetectionConfig()
PARIS = "Europe/Paris"
NOW = datetime(2025, 3, 4, 13, 15, tzinfo=UTC)  # a Tuesday, 14:15 in Paris


def storm(**facts) -> Finding:
    base = {"window_minutes": 15, "volume": 85, "expected": 6.25, "rate_per_hour": 340.0, "expected_per_hour": 25.0,
            "weekday": 1, "hour": 14, "negative": 60, "negative_share": 0.71, "usual_negative_share": 0.18,
            "complaints": 30, "crisis_mentions": 12, "top_terms": [["remboursement", 9]],
            "big_authors": [["@a", 250_000], ["@b", 120_000], ["@c", 20_000]], "big_author_count": 3,
            "big_author_reach": 10_000, "sources": 3, "volume_only": False, "gate": None, "thin_history": False}  # fmt: skip  # noqa: E501
    components = (Component("volume", 12.0, 25.0, ""), Component("velocity", 3.2, 10.0, ""))
    return Finding("storm", "critical", 87, components, NOW - timedelta(minutes=15), NOW, (1, 2),
                   {**base, **facts})  # fmt: skip


def plain(text: str) -> str:
    return text.replace(NNBSP, " ")


def test_a_storm_in_english() -> None:
    text = explain(storm(), lang="en", brand="Acme", tz=PARIS)
    assert text == (
        "Acme — storm (critical). Score 87 — 340 mentions/h over the last 15 min vs 25 expected on a Tuesday "
        "14:00; 71 % negative vs 18 % usual; 'remboursement' ×9; 2 authors > 100k followers; accelerating (×3.2)."
    )


def test_a_storm_in_french_with_french_typography() -> None:
    text = explain(storm(), lang="fr", brand="Acme", tz=PARIS)
    assert plain(text) == (
        "Acme — bad buzz en formation (critique). Score 87 — 340 mentions/h sur les 15 dernières minutes contre "
        "25 attendues un mardi à 14:00 ; 71 % négatives contre 18 % d'habitude ; « remboursement » ×9 ; "
        "2 auteurs > 100 k abonnés ; en accélération (×3,2)."
    )
    assert f"71{NNBSP}%" in text and f"«{NNBSP}remboursement{NNBSP}»" in text and f"{NNBSP}; " in text


def test_a_volume_only_spike_says_so() -> None:
    finding = storm(volume_only=True, negative_share=0.06, top_terms=[], big_authors=[], big_author_count=0,
                    window_minutes=60, rate_per_hour=532.0)  # fmt: skip
    assert "mostly volume, little negativity" in explain(finding, lang="en", brand="Acme", tz=PARIS)
    assert "sur la dernière heure" in explain(finding, lang="fr", brand="Acme", tz=PARIS)


def test_a_high_risk_mention_in_both_languages() -> None:
    from tests.alerts.detection.traffic import Traffic

    traffic = Traffic()
    traffic.mention(datetime(2025, 2, 2, 2, 7, tzinfo=UTC), negative=True, reach=420_000, author="@influenceuse",
                    terms=("boycott",), risk=92)  # fmt: skip
    (found,) = detect_high_risk_mentions(traffic.points, CONFIG)
    en, fr = (explain(found, lang=lang, brand="Acme", tz=PARIS) for lang in ("en", "fr"))
    assert "@influenceuse (420k followers) at 03:07: 'boycott'; risk 92." in en
    assert "@influenceuse (420 k abonnés) à 03:07 : « boycott » ; risque 92." in plain(fr)


def test_a_silent_source_in_both_languages() -> None:
    base = Baseline(expected_volume=100, variance=300, negative_share=0.2, evidence=10_000, window_minutes=180,
                    cluster_factor=2.0)  # fmt: skip
    found = detect_silence(0, base, CONFIG, scope="source:12", now=NOW, calm_factor=1.0, others=230)
    en, fr = (explain(found, lang=lang, brand="Acme", tz=PARIS) for lang in ("en", "fr"))
    assert "source 12: 0 mentions since 11:15 (3 h) vs 100 expected, while the other sources brought 230" in en
    assert "source 12 : 0 mention depuis 11:15 (3 h) contre 100 attendues" in plain(fr)
    assert "collecteur" in fr and "collector" in en
