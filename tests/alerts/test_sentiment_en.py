"""English sentiment: VADER stays the engine, and learns that a service failure is a complaint.

The first tests pin that plain English is scored as VADER scores it (its lexicon, boosters, negation and
constants). The rest pin what VADER alone gets wrong on brand mentions: factual complaints without sentiment
words, sarcasm, questions, and the explanation a CM reads.
"""

from __future__ import annotations

import json

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from alerts.sentiment import Sentiment, score_sentiment


def en(text: str) -> Sentiment:
    return score_sentiment(text, "en")


def c(text: str) -> float:
    return en(text).compound


@pytest.fixture(scope="module")
def vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


# --- VADER is the engine --------------------------------------------------------------------------------------

PLAIN_SENTENCES = [
    "VADER is smart, handsome, and funny.",
    "VADER is smart, handsome, and funny!",
    "VADER is very smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY.",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "The book was good.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "Today SUX!",
    "Sentiment analysis has never been good.",
    "Sentiment analysis has never been this good!",
    "Most automated sentiment analysis tools are shit.",
    "Other sentiment analysis tools can be quite bad.",
    "Without a doubt, excellent idea.",
    "The staff were friendly and the room was lovely.",
    "The food was awful and the waiter was rude.",
]


@pytest.mark.parametrize("text", PLAIN_SENTENCES)
def test_plain_english_is_scored_as_vader_scores_it(text: str, vader: SentimentIntensityAnalyzer) -> None:
    expected = vader.polarity_scores(text)["compound"]
    assert c(text) == pytest.approx(expected, abs=0.02)


def test_english_explanation_and_engine_name() -> None:
    s = en("The staff were VERY rude and the room was not clean!!")
    assert s.engine == "vader-en+complaints-1" and s.label == "negative"
    assert s.words == ["rude", "clean"]
    rules = s.reasons["rules"]
    assert "intensifier: 'very' boosts 'rude'" in rules and "negation: 'not' flips 'clean'" in rules
    json.dumps(s.reasons)


@pytest.mark.parametrize("lang", [None, "en", "de", "es", ""])
def test_every_language_but_french_uses_the_english_engine(lang: str | None) -> None:
    assert score_sentiment("great service", lang).engine == "vader-en+complaints-1"


# --- linguistic cases -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("positive", "negated"),
    [
        ("I like it", "I don't like it"),
        ("good service", "not good service"),
        ("they are helpful", "they are never helpful"),
        ("happy with it", "not happy with it at all"),
    ],
)
def test_negation(positive: str, negated: str) -> None:
    assert c(negated) < 0 < c(positive)


@pytest.mark.parametrize("text", ["Not bad at all", "No complaints", "Never disappoints", "no problems whatsoever",
                                  "no issues with my order"])
def test_negated_negatives_are_positive(text: str) -> None:
    assert en(text).label == "positive"


@pytest.mark.parametrize("text", ["very disappointed", "extremely disappointed", "so disappointed",
                                  "really disappointed", "totally disappointed"])
def test_intensifiers(text: str) -> None:
    assert c(text) < c("disappointed") < 0


@pytest.mark.parametrize("text", ["kind of disappointed", "slightly disappointed", "somewhat disappointed"])
def test_attenuators(text: str) -> None:
    assert c("disappointed") < c(text) < 0


def test_elongation_and_capitals() -> None:
    assert c("sooo goood") > c("so good") > 0
    assert c("The service is AWFUL") < c("The service is awful") < 0


@pytest.mark.parametrize(
    ("text", "label"),
    [("Good product but terrible delivery", "negative"), ("Bit of a delay, but the staff were amazing", "positive"),
     ("The hotel was clean, however the staff were rude", "negative")],
)
def test_contrast(text: str, label: str) -> None:
    assert en(text).label == label


@pytest.mark.parametrize(("text", "label"), [("😡", "negative"), ("🙄", "negative"), ("😍", "positive"),
                                             ("👍", "positive"), (":(", "negative"), ("<3", "positive")])
def test_emojis_use_vigies_valence_table(text: str, label: str) -> None:
    assert en(text).label == label


@pytest.mark.parametrize("text", ["What a joke", "Never again", "total ripoff", "scammed", "absolute nightmare",
                                  "smh", "customer service is useless", "worst airline ever"])
def test_complaint_vocabulary(text: str) -> None:
    assert en(text).label == "negative"


def test_brand_names_that_look_like_words_are_not_sentiment() -> None:
    assert en("Flying United to Denver tomorrow.").label == "neutral"
    assert en("Ordered a charger on Amazon.").label == "neutral"


# --- complaints, questions, news, sarcasm ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "flight cancelled, on hold for 2 hours, still no refund",
        "lost my bag again",
        "charged twice for the same ticket",
        "I was overcharged on my last bill",
        "still waiting for a reply",
        "my package never arrived",
        "my flight was delayed 3 hours",
        "no answer from support since Monday",
        "the screen arrived damaged and the box was crushed",
        "on hold for 45 minutes @Verizon",
        "internet is down again",
        "where is my refund",
        "Tracking says delivered. I was home all day.",
        "my flight is cancelled?!",
    ],
)
def test_factual_complaints_without_sentiment_words_are_negative(text: str) -> None:
    s = en(text)
    assert s.label == "negative" and s.complaint and s.complaint_signals, (text, s.reasons)


def test_the_signals_read_as_written() -> None:
    assert en("flight cancelled, on hold for 2 hours, still no refund").complaint_signals == [
        "flight cancelled", "on hold for 2 hours", "still no refund"]


@pytest.mark.parametrize(
    "text",
    [
        "Is flight UA123 cancelled?",
        "Will the Amtrak strike affect Acela trains on Friday?",
        "Does Delta charge for a second bag?",
        "What's the best plan for calling Mexico?",
        "hampton by hilton breakfast included or extra?? thanks",
        "Delta adds daily flights between Atlanta and Lisbon.",
        "UPS adjusts shipping rates by 5.9% starting January 1.",
        "Waiting on a UPS delivery with my mom's birthday present.",
    ],
)
def test_questions_and_neutral_news_stay_neutral(text: str) -> None:
    s = en(text)
    assert s.label == "neutral" and not s.complaint, (text, s.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "great job @Delta, 4th delay this week",
        "Thanks @united for the 3-hour delay 👏",
        "Wow Verizon, another outage. Amazing 👏👏",
        "Love how my package is marked \"delivered\" 🙃",
        "Thanks Burger King for the 30-minute \"fast food\" experience. So fast.",
    ],
)
def test_sarcasm_is_negative(text: str) -> None:
    assert en(text).label == "negative", en(text).reasons


@pytest.mark.parametrize(
    "text",
    [
        "Thank you Delta for taking care of us when our connection was cancelled.",
        "Verizon gave us a credit for the outage without us even asking. Appreciate it.",
        "Zero outages in a year, rock solid.",
        "My flight was delayed, but United proactively gave me a $150 voucher. Classy move.",
    ],
)
def test_sincere_thanks_around_a_failure_stay_positive(text: str) -> None:
    assert en(text).label == "positive", en(text).reasons


def test_single_scare_quotes_contest_a_claim_but_not_inside_a_question() -> None:
    claim = score_sentiment("Support is asking me for 'proof of origin' for the charger that came in the box.", "en")
    assert claim.label == "negative" and any("scare quotes" in r for r in claim.reasons["rules"])
    asked = score_sentiment("Does 'pending' mean the payment went through?", "en")
    assert asked.label == "neutral"
    assert score_sentiment("It's my sister's order, she'll love it", "en").label == "positive"  # apostrophes


def test_like_is_praise_only_as_a_verb_with_its_subject() -> None:
    assert score_sentiment("I feel like the app is slower every week", "en").compound <= 0
    assert score_sentiment("I like the new app", "en").label == "positive"
    assert score_sentiment("I don't like the new app", "en").label == "negative"
