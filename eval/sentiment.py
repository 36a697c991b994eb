"""Sentiment, crisis-flag and language evaluation on the hand-labelled sets, next to VADER baselines.

    .venv/bin/python eval/sentiment.py [--set dev|dev1|dev2|holdout|all] [--json] [--check]

For French and English it prints accuracy, macro-F1 and per-class precision and recall of our scorer
(`alerts.scoring.Scorer`, told the language of the file), of plain VADER (compound thresholds ±0.05), and of
vaderSentiment-fr when it is installed (an optional baseline, GPL-tainted by fuzzywuzzy: only this script
imports it, never the product). Then the crisis flag's recall and precision against the "crisis" label, the
risk scores per label, and language-detection accuracy (the file says the language). It is a report and
exits 0; with --check it exits 1 when a target is missed. Plain Python metrics, a few seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from alerts.scoring import CRISIS_THRESHOLD, Scorer, ScoringContext

DATA_DIR = Path(__file__).resolve().parent / "data"
LANGS = ("fr", "en")
LABELS = ("negative", "neutral", "positive")
# dev and dev2 are the development sets (tuning allowed); holdout is only ever measured, never tuned on.
SETS = {
    "dev": ("dev", "dev2"),
    "dev1": ("dev",),
    "dev2": ("dev2",),
    "holdout": ("holdout",),
    "all": ("dev", "dev2", "holdout"),
}
TARGETS = {"macro_f1": 0.75, "negative_recall": 0.85, "negative_precision": 0.85, "crisis_recall": 0.90}


def load_label_file(lang: str, path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of `lang` in a JSONL file of labelled mentions (`vigie labels export`): people's corrections."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("lang") == lang and r.get("label") in LABELS], [path.name]


def load_rows(lang: str, which: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The labelled rows of `lang` for the set `which`, and the files read; a missing file is an error."""
    rows, files = [], []
    for part in SETS[which]:
        path = DATA_DIR / f"{lang}_{part}.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"{path.relative_to(DATA_DIR.parent.parent)} is missing")
        lines = path.read_text(encoding="utf-8").splitlines()
        rows += [json.loads(line) for line in lines if line.strip()]
        files.append(path.name)
    return rows, files


# ---------------------------------------------------------------------------------------------------------
# Metrics, in plain Python


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def classification_report(gold: list[str], pred: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-class precision, recall, F1 and support over LABELS."""
    per_class = {}
    for label in LABELS:
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        predicted, actual = pred.count(label), gold.count(label)
        precision, recall = _ratio(tp, predicted), _ratio(tp, actual)
        f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    correct = sum(g == p for g, p in zip(gold, pred, strict=True))
    macro_f1 = round(sum(c["f1"] for c in per_class.values()) / len(LABELS), 4)
    return {"accuracy": _ratio(correct, len(gold)), "macro_f1": macro_f1, "per_class": per_class}


def flag_report(gold: list[bool], flagged: list[bool]) -> dict[str, Any]:
    """Recall and precision of a boolean flag."""
    tp = sum(g and f for g, f in zip(gold, flagged, strict=True))
    return {"recall": _ratio(tp, sum(gold)), "precision": _ratio(tp, sum(flagged)), "support": sum(gold),
            "flagged": sum(flagged)}  # fmt: skip


def distribution(values: list[int]) -> dict[str, Any]:
    """n, min, 10th percentile, median, mean, 90th percentile and max of a list of scores."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"n": len(values), "min": ordered[0], "p10": pick(0.1), "median": statistics.median(ordered),
            "mean": round(statistics.fmean(ordered), 1), "p90": pick(0.9), "max": ordered[-1]}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# The systems


def vader_label(compound: float) -> str:
    """VADER's documented thresholds."""
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


def load_vader_fr() -> Callable[[str], dict] | None:
    """vaderSentiment-fr's polarity_scores, or None when it is not installed."""
    try:
        with warnings.catch_warnings():  # fuzzywuzzy warns about its pure-Python matcher at import
            warnings.simplefilter("ignore")
            from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer as FrenchAnalyzer
    except ImportError:
        return None
    return FrenchAnalyzer().polarity_scores


def brand_handles(brand: str) -> tuple[str, ...]:
    """'Air France' → ('air france', 'airfrance'): the name as written and as a handle."""
    name = brand.strip().lower()
    return tuple(dict.fromkeys([name, name.replace(" ", "").replace("-", "")])) if name else ()


class OurScorer:
    """alerts.scoring.Scorer, one per brand (the workspace knows its brand's names)."""

    def __init__(self) -> None:
        self._scorers: dict[str, Scorer] = {}

    def __call__(self, row: dict[str, Any], lang: str):
        brand = row.get("brand") or ""
        scorer = self._scorers.get(brand)
        if scorer is None:
            scorer = self._scorers[brand] = Scorer(ScoringContext(brand_handles=brand_handles(brand)), cache_size=0)
        return scorer.score(row["text"], lang=lang)


def evaluate_language(lang: str, rows: list[dict[str, Any]], baselines: dict[str, Callable | None]) -> dict:
    """Every metric for one language's rows."""
    gold = [r["label"] for r in rows]
    ours = OurScorer()
    scores = [ours(r, lang) for r in rows]
    systems: dict[str, Any] = {"vigie": classification_report(gold, [s.sentiment_label for s in scores])}
    for name, polarity in baselines.items():
        if polarity is None:
            systems[name] = {"installed": False}
        else:
            systems[name] = classification_report(gold, [vader_label(polarity(r["text"])["compound"]) for r in rows])
    # Corrections exported from the product carry a sentiment only: the crisis figures use the rows that say.
    known = [(bool(r["crisis"]), s) for r, s in zip(rows, scores, strict=True) if r.get("crisis") is not None]
    crisis = flag_report([k for k, _ in known], [s.crisis for _, s in known])
    detector = Scorer(ScoringContext(), cache_size=0)
    detected = [detector.detect_language(r["text"]) for r in rows]
    risks = [s.risk for s in scores]
    by_label = {label: distribution([k for k, g in zip(risks, gold, strict=True) if g == label]) for label in LABELS}
    flags = [r.get("crisis") for r in rows]
    by_crisis = {
        str(f).lower(): distribution([k for k, g in zip(risks, flags, strict=True) if g is f]) for f in (True, False)
    }
    sweep = {t: flag_report([k for k, _ in known], [s.risk >= t for _, s in known]) for t in range(30, 85, 5)}
    return {
        "n": len(rows),
        "systems": systems,
        "crisis": {**crisis, "threshold": CRISIS_THRESHOLD},
        "crisis_sweep": sweep,
        "risk_by_label": by_label,
        "risk_by_crisis": by_crisis,
        "language_accuracy": _ratio(sum(d == lang for d in detected), len(rows)),
        "language_errors": {d or "none": detected.count(d) for d in set(detected) if d != lang},
    }


def check_targets(results: dict[str, dict]) -> list[dict[str, Any]]:
    """Each target, its value and whether it is met, per language."""
    out = []
    for lang, res in results.items():
        ours = res["systems"]["vigie"]
        values = {
            "macro_f1": ours["macro_f1"],
            "negative_recall": ours["per_class"]["negative"]["recall"],
            "negative_precision": ours["per_class"]["negative"]["precision"],
            "crisis_recall": res["crisis"]["recall"],
        }
        if not res["crisis"]["support"]:
            del values["crisis_recall"]  # no row says whether it is a crisis (exported corrections)
        for name, value in values.items():
            out.append({"lang": lang, "name": name, "value": value, "target": TARGETS[name],
                        "met": value >= TARGETS[name]})  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------------------
# Report


def print_report(report: dict[str, Any]) -> None:
    """The human-readable tables."""
    names = {"vigie": "vigie (ours)", "vader": "VADER", "vader_fr": "vaderSentiment-fr"}
    for lang, res in report["languages"].items():
        print(f"\n{lang} — {', '.join(res['files'])}: {res['n']} texts")
        print(f"  {'system':<20} {'acc':>6} {'macroF1':>8}" + "".join(f" {c[:3]}-P  {c[:3]}-R" for c in LABELS))
        for key, m in res["systems"].items():
            if not m.get("installed", True):
                print(f"  {names[key]:<20} not installed")
                continue
            per = m["per_class"]
            cells = "".join(f" {per[c]['precision']:>5.2f} {per[c]['recall']:>6.2f}" for c in LABELS)
            print(f"  {names[key]:<20} {m['accuracy']:>6.3f} {m['macro_f1']:>8.3f}{cells}")
        c = res["crisis"]
        print(f"  crisis flag (risk >= {c['threshold']}): recall {c['recall']:.3f}, precision {c['precision']:.3f} "
              f"({c['support']} crises, {c['flagged']} flagged)")  # fmt: skip
        dist = "; ".join(
            f"{k} median {v.get('median', '-')}, p90 {v.get('p90', '-')}" for k, v in res["risk_by_label"].items()
        )
        print(f"  risk by label: {dist}")
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(res["language_errors"].items())) or "none"
        print(f"  language detection: accuracy {res['language_accuracy']:.3f} (errors: {errors})")
    print("\ntargets")
    for t in report["targets"]:
        verdict = "PASS" if t["met"] else "MISSED"
        print(f"  {t['lang']} {t['name']:<19} {t['value']:.3f} (target ≥ {t['target']:.2f})  {verdict}")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; exit 0 (a report) unless --check and a target is missed (1), or a set is missing (2)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="dev", help="which labelled set (default dev)")
    parser.add_argument("--labels", type=Path, help="evaluate a JSONL file of corrections (vigie labels export)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    vader = SentimentIntensityAnalyzer().polarity_scores
    baselines = {"vader": vader, "vader_fr": load_vader_fr()}
    languages = {}
    for lang in LANGS:
        try:
            rows, files = load_label_file(lang, args.labels) if args.labels else load_rows(lang, args.set)
        except FileNotFoundError as exc:
            print(f"eval: {exc}", file=sys.stderr)
            return 2
        if not rows:
            continue  # a corrections file may hold one language only
        languages[lang] = {"files": files, **evaluate_language(lang, rows, baselines)}
    targets = check_targets(languages)
    report = {"set": str(args.labels) if args.labels else args.set, "crisis_threshold": CRISIS_THRESHOLD,
              "languages": languages, "targets": targets,
              "all_targets_met": all(t["met"] for t in targets)}  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_report(report)
    return 1 if args.check and not report["all_targets_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
