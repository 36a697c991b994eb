"""A brand's mentions become fixed buckets by publication time, empty ones kept, with what detection needs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.detection import MentionPoint, bucketize
from alerts.detection.series import add_up
from tests.alerts.detection.traffic import MONDAY, Traffic


def test_buckets_follow_publication_time_and_keep_the_empty_ones() -> None:
    traffic = Traffic()
    traffic.mention(MONDAY + timedelta(minutes=1))
    traffic.mention(MONDAY + timedelta(minutes=12), negative=True, reach=5_000)
    traffic.mention(MONDAY + timedelta(minutes=61))  # after the end: ignored
    buckets = bucketize(traffic.points, start=MONDAY, end=MONDAY + timedelta(hours=1), minutes=5)

    assert len(buckets) == 12 and buckets[3].start == MONDAY + timedelta(minutes=15)
    assert [b.volume for b in buckets][:4] == [1, 0, 1, 0]
    assert buckets[2].negative == 1 and buckets[2].negative_reach == 5_000
    assert sum(b.volume for b in buckets) == 2


def test_a_crisis_word_counts_in_a_complaint_or_a_risky_post_not_in_a_cheerful_contest() -> None:
    traffic = Traffic()
    at = MONDAY + timedelta(minutes=2)
    traffic.mention(at, negative=True, terms=("arnaque",))
    traffic.mention(at, negative=False, terms=("rappel produit",), risk=45)  # neutral news of a recall
    traffic.mention(at, negative=False, terms=("RT",), risk=8)  # "RT pour gagner !"
    (bucket,) = bucketize(traffic.points, start=MONDAY, end=MONDAY + timedelta(minutes=5), minutes=5)

    assert bucket.crisis_terms == 2
    assert bucket.terms == {"arnaque": 1, "rappel produit": 1}


def test_an_author_counts_once_with_the_largest_reach_and_unknown_authors_stay_apart() -> None:
    traffic = Traffic()
    for reach in (10_000, 12_000):
        traffic.mention(MONDAY + timedelta(minutes=1), negative=True, author="@critic", reach=reach)
    for minute in (6, 7):
        traffic.points.append(
            MentionPoint(100 + minute, MONDAY + timedelta(minutes=minute), 1, None, 500, True, False, 30)
        )
    buckets = bucketize(traffic.points, start=MONDAY, end=MONDAY + timedelta(minutes=10), minutes=5)
    totals = add_up(buckets)

    assert buckets[0].negative_authors == {"@critic": 12_000}
    assert totals.negative == 4 and len(totals.negative_authors) == 3
    assert totals.negative_reach == 12_000 + 500 + 500


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        bucketize([], start=MONDAY.replace(tzinfo=None), end=MONDAY.replace(tzinfo=None), minutes=5)
