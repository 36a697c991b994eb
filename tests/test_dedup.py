"""A mention seen twice is stored once: canonical URLs and content hashes."""

from __future__ import annotations

import re

import pytest

from app.dedup import SHORT_CONTENT_CHARS, canonical_url, content_hash

# --- canonical URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme, host, port
        (
            "https://www.lemonde.fr/economie/article/2024/03/01/sncf.html",
            "https://www.lemonde.fr/economie/article/2024/03/01/sncf.html",
        ),
        ("http://www.lemonde.fr/a.html", "https://www.lemonde.fr/a.html"),  # http and https are one page
        ("HTTPS://WWW.LeMonde.FR/A.html", "https://www.lemonde.fr/A.html"),  # the path keeps its case
        ("http://example.com:80/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:8080/a", "https://example.com:8080/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),  # credentials never stored
        ("http://[2001:db8::1]:8080/a", "https://[2001:db8::1]:8080/a"),
        ("https://www.example.com", "https://www.example.com/"),  # empty path
        ("https://www.example.com?", "https://www.example.com/"),  # trailing '?'
        ("https://www.example.com/?", "https://www.example.com/"),
        ("  https://example.com/a \n", "https://example.com/a"),
        ("https://Café.fr/menu", "https://café.fr/menu"),  # IDNA host kept, lower-cased
        # fragments
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?id=3#", "https://example.com/a?id=3"),
        # tracking parameters
        (
            "https://www.leparisien.fr/a.php?utm_source=twitter&utm_medium=social&utm_campaign=x",
            "https://www.leparisien.fr/a.php",
        ),
        ("https://example.com/a?UTM_Source=newsletter&id=4", "https://example.com/a?id=4"),
        ("https://example.com/a?utm_whatever=1", "https://example.com/a"),
        ("https://example.com/a?fbclid=IwAR0abc&gclid=Cj0&msclkid=1&igshid=2", "https://example.com/a"),
        ("https://example.com/a?xtor=RSS-3208&at_medium=x&at_campaign=y", "https://example.com/a"),
        ("https://example.com/a?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4&mkt_tok=5", "https://example.com/a"),
        ("https://example.com/a?ref=hn&ref_src=twsrc&ref_url=x&cmpid=1", "https://example.com/a"),
        (
            "https://example.com/a?ocid=1&spm=2&s_kwcid=3&twclid=4&__twitter_impression=true",
            "https://example.com/a",
        ),
        ("https://example.com/a?dclid=1&gbraid=2&wbraid=3&yclid=4&ito=5&wt_mc=6", "https://example.com/a"),
        ("https://example.com/a?amp", "https://example.com/a"),
        ("https://example.com/a?amp=", "https://example.com/a"),
        ("https://example.com/a?amp=1", "https://example.com/a?amp=1"),  # a value may select content
        ("https://example.com/a?reference=12", "https://example.com/a?reference=12"),
        # sorting, repeated keys, empty pairs
        ("https://example.com/search?q=sncf&page=2", "https://example.com/search?page=2&q=sncf"),
        ("https://example.com/a?tag=b&id=1&tag=a", "https://example.com/a?id=1&tag=b&tag=a"),
        ("https://example.com/a?&&id=1&", "https://example.com/a?id=1"),
        ("https://example.com/a?flag&id=1", "https://example.com/a?flag&id=1"),
        ("https://example.com/a?q=air+france", "https://example.com/a?q=air+france"),
        # percent-encoding and dot segments
        ("https://fr.wikipedia.org/wiki/Caf%c3%a9", "https://fr.wikipedia.org/wiki/Caf%C3%A9"),
        ("https://fr.wikipedia.org/wiki/Café", "https://fr.wikipedia.org/wiki/Caf%C3%A9"),
        ("https://example.com/%7Euser/%41bc", "https://example.com/~user/Abc"),  # unreserved decoded
        ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),  # an escaped '/' stays escaped
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/search?q=jus%20d%27orange", "https://example.com/search?q=jus%20d%27orange"),
        ("https://example.com/search?q=r%c3%a9seau", "https://example.com/search?q=r%C3%A9seau"),
        ("https://example.com/search?q=réseau", "https://example.com/search?q=r%C3%A9seau"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/b/..", "https://example.com/a/"),
        ("https://example.com/../a", "https://example.com/a"),
        ("https://example.com/v1.2/doc.html", "https://example.com/v1.2/doc.html"),
        ("https://example.com/a/", "https://example.com/a/"),  # a trailing slash is kept
        ("https://www.example.com/amp", "https://www.example.com/amp"),  # '/amp' paths are kept
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "   ",
        "ftp://example.com/file.txt",
        "mailto:contact@sncf.fr",
        "javascript:alert(1)",
        "www.example.com/a",  # no scheme: not a URL we can trust
        "/relative/path",
        "https://",
        "https:///path-only",
        "https://example.com:notaport/a",
        "https://example.com:99999/a",
        "http://[::1/a",
        "data:text/html,hello",
    ],
)
def test_canonical_url_refuses_what_is_not_a_web_page(url: str | None) -> None:
    assert canonical_url(url) is None


def test_the_same_article_through_two_feeds_has_one_canonical_url() -> None:
    from_rss = "http://www.lefigaro.fr/conso/greve-sncf-20240301?xtor=RSS-1&utm_source=rss#xtor=RSS-1"
    from_share = "https://WWW.LEFIGARO.FR:443/conso/greve-sncf-20240301?utm_medium=Social&fbclid=IwAR"
    assert canonical_url(from_rss) == canonical_url(from_share) == "https://www.lefigaro.fr/conso/greve-sncf-20240301"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/a?b=2&a=1&utm_source=x#top",
        "http://Example.com:80/caf%c3%a9/./x?q=air+france&amp",
        "https://example.com/a%20b?q=r%C3%A9seau&q=fibre",
    ],
)
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


# --- content hashes ---------------------------------------------------------------------------------------

LONG_TITLE = "Grève SNCF : le trafic TGV fortement perturbé ce week-end"
LONG_TEXT = "La SNCF annonce 1 TGV sur 3 en moyenne. Les voyageurs peuvent échanger leur billet sans frais."


def test_content_hash_is_hex_sha256() -> None:
    digest = content_hash(LONG_TITLE, LONG_TEXT, None)
    assert digest is not None
    assert re.fullmatch(r"[0-9a-f]{64}", digest)


def test_content_hash_is_stable_across_runs() -> None:
    # A stored unique key: this value must never change silently (bump the "v1" prefix on purpose).
    assert content_hash("Air France", "Bagages perdus à Roissy, personne ne répond au téléphone", None) == (
        content_hash("air france", "BAGAGES PERDUS A ROISSY... personne ne repond au telephone !!!", None)
    )


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (LONG_TITLE.upper(), LONG_TEXT),  # case
        ("Greve SNCF : le trafic TGV fortement perturbe ce week-end", LONG_TEXT),  # accents
        (LONG_TITLE, LONG_TEXT.replace(" ", "   ") + "\n\n"),  # whitespace
        (LONG_TITLE + " !!! 😡", LONG_TEXT),  # punctuation and emojis
        (LONG_TITLE.replace("week-end", "week end"), LONG_TEXT),  # hyphens
        ("", LONG_TITLE + " " + LONG_TEXT),  # title/text split differently
    ],
)
def test_content_hash_ignores_formatting(title: str, text: str) -> None:
    assert content_hash(title, text, None) == content_hash(LONG_TITLE, LONG_TEXT, None)


def test_long_content_ignores_the_author() -> None:
    # The same article through two aggregators with different author formats is one mention.
    assert content_hash(LONG_TITLE, LONG_TEXT, "Le Figaro") == content_hash(LONG_TITLE, LONG_TEXT, None)
    assert content_hash(LONG_TITLE, LONG_TEXT, "Le Figaro") == content_hash(LONG_TITLE, LONG_TEXT, "AFP")


def test_different_content_gives_different_hashes() -> None:
    other = LONG_TEXT.replace("1 TGV sur 3", "1 TGV sur 2")
    assert content_hash(LONG_TITLE, other, None) != content_hash(LONG_TITLE, LONG_TEXT, None)


def test_short_text_by_two_people_is_two_mentions() -> None:
    alice = content_hash("", "Merci SNCF !", "@alice_dupont")
    bob = content_hash("", "Merci SNCF !", "@bob")
    assert alice is not None and bob is not None
    assert alice != bob


def test_short_text_posted_twice_by_the_same_author_is_one_mention() -> None:
    first = content_hash("", "Merci SNCF !", "@alice_dupont")
    assert first == content_hash("", "merci #sncf", "Alice_Dupont")


@pytest.mark.parametrize("author", [None, "", "   ", "🙂", "@"])
def test_short_text_without_author_has_no_hash(author: str | None) -> None:
    assert content_hash("", "Merci SNCF !", author) is None
    assert content_hash("Panne Orange", "", author) is None


@pytest.mark.parametrize("author", [None, "@alice"])
def test_empty_content_has_no_hash(author: str | None) -> None:
    assert content_hash("", "", author) is None
    assert content_hash("  ", "😡🚄 !!!", author) is None


def test_short_threshold_is_measured_on_normalised_content() -> None:
    short = "a" * (SHORT_CONTENT_CHARS - 1)
    exact = "a" * SHORT_CONTENT_CHARS
    assert content_hash("", short, None) is None
    assert content_hash("", exact, None) is not None
    # Punctuation and emojis do not count towards the length.
    assert content_hash("", short + " !!! 😡😡😡😡", None) is None


def test_english_tweet_hash() -> None:
    tweet = "@AirFrance my flight AF1234 was cancelled and nobody at CDG can tell me why. #fail"
    assert content_hash("", tweet, "@traveller") == content_hash("", tweet, "@someone_else")
    assert content_hash("", tweet, "@traveller") == content_hash("", tweet.lower(), None)
