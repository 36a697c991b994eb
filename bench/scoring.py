"""Scoring benchmark: texts per second per core for `Scorer.score`, next to plain VADER in the same run.

Short texts are the tweets of the labelled dev sets (eval/data/{fr,en}_dev.jsonl); long ones are generated
French and English news articles of ~5,000 characters (and 2,500 to 20,000 to show how cost grows with
length). Our figure is measured with the cache off (every text pays for language detection, sentiment and
risk); a repost stream shows what the cache saves. The parts (language detection alone, risk alone) are
timed too, against their own targets.

    .venv/bin/python bench/scoring.py [--repeat 5] [--json]

Single thread. Always exits 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from alerts.language import detect_language
from alerts.risk import score_risk
from alerts.scoring import Scorer, ScoringContext
from alerts.sentiment import score_sentiment

ROOT = Path(__file__).resolve().parents[1]
TARGET_SHORT_PER_S = 5_000
TARGET_LANGUAGE_PER_S = 13_000
TARGET_RISK_US = 30.0
ARTICLE_SIZES = (2_500, 5_000, 10_000, 20_000)

# fmt: off
FR_SENTENCES = [
    "{brand} a annoncé mardi un plan d'investissement de {n} millions d'euros sur trois ans.",
    "Selon la direction, les premiers effets seront visibles dès le printemps prochain.",
    "Les syndicats dénoncent une réorganisation menée sans concertation avec les salariés.",
    "Plusieurs clients se plaignent sur les réseaux sociaux de retards et d'un service client injoignable.",
    "Le groupe assure que la situation sera rétablie d'ici la fin de la semaine.",
    "Interrogé par nos soins, un porte-parole n'a pas souhaité commenter ces informations.",
    "Les résultats trimestriels de {brand} sont en hausse de {n} % par rapport à l'an dernier.",
    "L'association UFC-Que Choisir demande des explications sur la hausse des tarifs.",
    "Dans un communiqué, l'entreprise présente ses excuses aux usagers concernés.",
    "Les élus locaux saluent l'ouverture d'un nouveau site qui doit créer {n} emplois.",
    "Le ministre a rappelé que les obligations de service public devaient être respectées.",
    "Sur le terrain, les équipes se disent épuisées par des mois de sous-effectif.",
    "Les voyageurs ont été invités à reporter leurs déplacements non indispensables.",
    "L'enseigne promet un remboursement intégral aux clients qui en feront la demande.",
    "Cette décision intervient après une série d'incidents signalés depuis le début de l'année.",
    "Les analystes restent prudents sur la capacité du groupe à tenir ses objectifs.",
]
EN_SENTENCES = [
    "{brand} said on Tuesday it would invest ${n} million over the next three years.",
    "According to the company, customers should see the first improvements by next spring.",
    "Unions criticized the restructuring, saying workers had not been consulted.",
    "Several customers complained on social media about delays and an unreachable support line.",
    "The group said the situation would be back to normal by the end of the week.",
    "A spokesperson declined to comment when contacted by reporters.",
    "Quarterly revenue at {brand} rose {n} percent compared with the same period last year.",
    "Consumer groups have asked the company to explain the latest price increases.",
    "In a statement, the company apologized to the customers affected by the disruption.",
    "Local officials welcomed the opening of a new site expected to create {n} jobs.",
    "The regulator reminded the firm of its obligations to customers and the public.",
    "Staff on the ground say they are exhausted after months of understaffing.",
    "Travelers were advised to postpone any trip that was not essential.",
    "The retailer promised a full refund to every customer who asks for one.",
    "The decision follows a series of incidents reported since the start of the year.",
    "Analysts remain cautious about the group's ability to meet its targets.",
]
TITLES = {"fr": "Retards, grève et remboursements : la direction sous pression",
          "en": "Delays, strikes and refunds: management under pressure"}
BRANDS = ["SNCF", "Orange", "Air France", "Carrefour", "Fnac", "Delta", "Verizon", "Marriott", "Amazon"]
SAMPLE_TWEETS = [
    ("fr", "Encore un train annulé @SNCF, remboursez-moi ! C'est scandaleux."),
    ("fr", "Super séjour à l'hôtel, personnel adorable et petit-déjeuner copieux"),
    ("en", "Worst customer service ever, my parcel never arrived and nobody answers"),
    ("en", "Great flight with @united today, thanks to the crew!"),
]
# fmt: on


def load_tweets() -> tuple[list[tuple[str, str]], str]:
    """(lang, text) of every dev-set row, or a built-in sample when the sets are missing."""
    rows = []
    for lang in ("fr", "en"):
        path = ROOT / "eval" / "data" / f"{lang}_dev.jsonl"
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            rows += [(lang, json.loads(line)["text"]) for line in lines if line.strip()]
    return (rows, "eval/data/{fr,en}_dev.jsonl") if rows else (SAMPLE_TWEETS, "built-in sample (dev sets missing)")


def make_article(lang: str, chars: int, rng: random.Random) -> str:
    """A news article of about `chars` characters made of realistic sentences, in paragraphs."""
    pool = FR_SENTENCES if lang == "fr" else EN_SENTENCES
    out: list[str] = []
    size = 0
    while size < chars:
        sentence = rng.choice(pool).format(brand=rng.choice(BRANDS), n=rng.randint(2, 950))
        out.append(sentence + ("\n\n" if len(out) % 5 == 4 else " "))
        size += len(out[-1])
    return "".join(out).strip()


def rate(fn: Callable[[Any], object], items: Sequence[Any], repeat: int) -> tuple[float, float]:
    """(best, median) items per second of `fn` over `items`, `repeat` runs."""
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        rates.append(len(items) / (time.perf_counter() - start))
    return max(rates), statistics.median(rates)


def measure_short(tweets: list[tuple[str, str]], repeat: int, vader: SentimentIntensityAnalyzer) -> dict[str, Any]:
    """Tweets: ours without cache (detection included, then with the language given), VADER, reposts."""
    texts = [t for _, t in tweets]
    uncached = Scorer(ScoringContext(brand_handles=("sncf", "orange")), cache_size=0)
    rng = random.Random(1)
    reposts = [t for t in texts for _ in range(5)]  # every text 5 times: 80% of the stream are reposts
    rng.shuffle(reposts)
    out: dict[str, Any] = {"texts": len(texts)}
    for _ in range(2):  # alternate, so that drift hits both sides alike
        ours = rate(lambda t: uncached.score(t), texts, repeat)
        given = rate(lambda lt: uncached.score(lt[1], lang=lt[0]), tweets, repeat)
        base = rate(vader.polarity_scores, texts, repeat)
        cached = rate(Scorer().score, reposts, 1)  # a fresh cache: the first sighting of each text pays
        for key, value in (("ours", ours), ("ours_lang_given", given), ("vader", base), ("ours_reposts", cached)):
            out[key] = max(out.get(key, (0, 0)), value)
    out = {k: [round(v[0]), round(v[1])] if isinstance(v, tuple) else v for k, v in out.items()}
    out["ratio"] = round(out["ours"][0] / out["vader"][0], 2)
    out["target_per_s"] = TARGET_SHORT_PER_S
    out["verdict"] = "PASS" if out["ours"][0] >= TARGET_SHORT_PER_S else "BELOW TARGET"
    return out


def measure_parts(tweets: list[tuple[str, str]], repeat: int) -> dict[str, Any]:
    """Language detection alone (texts/s) and risk alone (µs per tweet), against their targets."""
    texts = [t for _, t in tweets]
    lang_rate = rate(detect_language, texts, repeat)[0]
    scorer = Scorer(cache_size=0)
    sentiments = [(t, score_sentiment(t, lang), scorer.lexicon(lang)) for lang, t in tweets]
    risk_rate = rate(lambda x: score_risk(text=x[0], sentiment=x[1], lexicon=x[2], brand_handles=("sncf",)),
                     sentiments, repeat)[0]  # fmt: skip
    return {
        "language_per_s": round(lang_rate),
        "language_target_per_s": TARGET_LANGUAGE_PER_S,
        "risk_us": round(1e6 / risk_rate, 1),
        "risk_target_us": TARGET_RISK_US,
    }


def measure_long(repeat: int, vader: SentimentIntensityAnalyzer) -> dict[str, Any]:
    """µs per article for ours (cache off, language detected) and VADER, at several lengths."""
    rng = random.Random(7)
    scorer = Scorer(cache_size=0)
    rows = []
    for size in ARTICLE_SIZES:
        articles = [(TITLES[lang], make_article(lang, size, rng)) for lang in ("fr", "en") for _ in range(10)]
        ours = rate(lambda a: scorer.score(a[1], title=a[0]), articles, repeat)[0]
        base = rate(lambda a: vader.polarity_scores(f"{a[0]}. {a[1]}"), articles, repeat)[0]
        rows.append({"chars": size, "ours_us": round(1e6 / ours), "vader_us": round(1e6 / base),
                     "ratio": round(ours / base, 2)})  # fmt: skip  # VADER's µs / ours
    first, last = rows[0], rows[-1]
    growth = last["chars"] / first["chars"]
    return {
        "articles": rows,
        "length_growth": growth,
        "ours_cost_growth": round(last["ours_us"] / first["ours_us"], 2),
        "vader_cost_growth": round(last["vader_us"] / first["vader_us"], 2),
        "verdict": "BOUNDED" if last["ours_us"] / first["ours_us"] < 1.5 else "GROWS",
    }


def print_table(r: dict[str, Any]) -> None:
    """The human-readable report."""
    s, p, lg = r["short"], r["parts"], r["long"]
    print(f"scoring benchmark — {s['texts']} tweets from {r['source']}, best of {r['repeat']}, single thread")
    print(f"  {'short texts':<46} {'texts/s':>9} {'median':>9}")
    rows = [("Scorer.score, cache off, language detected", s["ours"]),
            ("Scorer.score, cache off, language given", s["ours_lang_given"]),
            ("VADER polarity_scores", s["vader"]),
            ("Scorer.score, cache on, 80% reposts", s["ours_reposts"])]  # fmt: skip
    for label, (best, median) in rows:
        print(f"  {label:<46} {best:>9,} {median:>9,}")
    print(f"  ours / VADER: {s['ratio']:.2f}; target ≥ {s['target_per_s']:,} texts/s → {s['verdict']}")
    lang_ok = "PASS" if p["language_per_s"] >= p["language_target_per_s"] else "BELOW TARGET"
    risk_ok = "PASS" if p["risk_us"] <= p["risk_target_us"] else "ABOVE TARGET"
    print(f"  language detection alone: {p['language_per_s']:,} texts/s (target ≥ {p['language_target_per_s']:,}) "
          f"→ {lang_ok}")  # fmt: skip
    print(f"  risk alone: {p['risk_us']} µs per tweet (target < {p['risk_target_us']:.0f}) → {risk_ok}")
    print(f"\n  {'long texts (articles, fr + en)':<32} {'ours µs':>9} {'VADER µs':>9} {'VADER/ours':>11}")
    for row in lg["articles"]:
        label = f"{row['chars']:,} characters"
        print(f"  {label:>20}{'':<12} {row['ours_us']:>9,} {row['vader_us']:>9,} {row['ratio']:>11.2f}")
    print(f"  length ×{lg['length_growth']:.0f} → cost ×{lg['ours_cost_growth']} for ours, "
          f"×{lg['vader_cost_growth']} for VADER → {lg['verdict']}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; always exits 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each loop; the best is reported")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    tweets, source = load_tweets()
    vader = SentimentIntensityAnalyzer()
    Scorer().score(tweets[0][1])  # load the language model, lexicons and sentiment engine outside the timing
    repeat = max(1, args.repeat)
    result = {"source": source, "repeat": repeat, "python": platform.python_version(),
              "short": measure_short(tweets, repeat, vader), "parts": measure_parts(tweets, repeat),
              "long": measure_long(repeat, vader)}  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
