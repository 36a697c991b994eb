"""Crisis detection: per-brand series, baselines, detectors, the incident lifecycle's pure rules, explanations.

Everything here is pure: plain values in, plain values out, `now` passed in, no database, no I/O.
`evaluate_brand` is the entry point the app calls once per brand per evaluation.
"""

from alerts.detection.baseline import Baseline, Profile, build_baseline, build_profile, hour_of_week
from alerts.detection.config import SEVERITIES, DetectionConfig, for_brand
from alerts.detection.detectors import detect_high_risk_mentions, detect_silence, detect_storm
from alerts.detection.evaluate import evaluate_brand, evaluate_buckets
from alerts.detection.explain import explain
from alerts.detection.findings import Component, Finding
from alerts.detection.lifecycle import Assessment, assess
from alerts.detection.series import Bucket, MentionPoint, bucketize

__all__ = [
    "SEVERITIES",
    "Assessment",
    "Baseline",
    "Bucket",
    "Component",
    "DetectionConfig",
    "Finding",
    "MentionPoint",
    "Profile",
    "assess",
    "bucketize",
    "build_baseline",
    "build_profile",
    "detect_high_risk_mentions",
    "detect_silence",
    "detect_storm",
    "evaluate_brand",
    "evaluate_buckets",
    "explain",
    "for_brand",
    "hour_of_week",
]
