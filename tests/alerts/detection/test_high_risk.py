"""One post can start a crisis at 3:00 on a Sunday: crisis words, a high risk and a large audience page,
without any baseline; blame words, small accounts and cheerful posts do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.detection import DetectionConfig, detect_high_risk_mentions
from tests.alerts.detection.traffic import Traffic

CONFIG = DetectionConfig()
SUNDAY_3AM = datetime(2025, 2, 2, 2, 0, tzinfo=UTC)  # 03:00 in Paris


def test_a_boycott_call_from_a_big_account_at_night_is_one_finding() -> None:
    traffic = Traffic()
    post = traffic.mention(SUNDAY_3AM, negative=True, reach=420_000, author="@influenceuse",
                           terms=("boycott", "arnaque"), risk=92)  # fmt: skip
    (found,) = detect_high_risk_mentions(traffic.points, CONFIG)

    assert found.kind == "high_risk_mention" and found.severity == "critical"
    assert found.mention_ids == (post.mention_id,)
    assert found.facts["author"] == "@influenceuse" and found.facts["reach"] == 420_000
    assert found.facts["terms"] == ["arnaque", "boycott"]
    assert found.dedup_key(7) == "brand:7:high_risk_mention"
    assert {c.name for c in found.components} == {"risk", "reach", "crisis_terms"}


def test_what_is_not_a_high_risk_mention() -> None:
    traffic = Traffic()
    traffic.mention(SUNDAY_3AM, negative=True, reach=900, terms=("arnaque",), risk=70)  # small account
    traffic.mention(SUNDAY_3AM, negative=True, reach=300_000, risk=55)  # angry, no crisis word
    traffic.mention(SUNDAY_3AM, negative=True, reach=300_000, terms=("honteux",), risk=58)  # blame word only
    traffic.mention(SUNDAY_3AM, negative=False, reach=2_000_000, terms=("RT",), risk=12)  # contest
    assert detect_high_risk_mentions(traffic.points, CONFIG) == []


def test_several_big_accounts_make_one_finding_ordered_by_audience() -> None:
    traffic = Traffic()
    small = traffic.mention(SUNDAY_3AM, negative=True, reach=60_000, terms=("scandale",), risk=80)
    big = traffic.mention(SUNDAY_3AM + timedelta(minutes=4), negative=True, reach=1_500_000,
                          terms=("scandale",), risk=75)  # fmt: skip
    (found,) = detect_high_risk_mentions(traffic.points, CONFIG)

    assert found.mention_ids == (big.mention_id, small.mention_id)
    assert found.facts["authors"] == 2 and found.window_end == SUNDAY_3AM + timedelta(minutes=4)
