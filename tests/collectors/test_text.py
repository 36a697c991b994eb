"""html_to_text and clean_title on the fragments real feeds carry, in French and English."""

from __future__ import annotations

import time

import pytest

from collectors.text import clean_title, html_to_text


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<p>Le vol <strong>AF1234</strong> est annulé.</p>", "Le vol AF1234 est annulé."),
        ("Retard<br>de 3 heures<br/>à Roissy", "Retard\nde 3 heures\nà Roissy"),
        (
            "<ul><li>TGV inOui : +1,5 %</li><li>Ouigo : inchangé</li></ul>",
            "TGV inOui : +1,5 %\nOuigo : inchangé",
        ),
        ("<p>Un</p>\n\n\n<p>Deux</p>", "Un\nDeux"),
        ("<table><tr><td>Orange</td><td>SFR</td></tr></table>", "Orange SFR"),
        ("Air<b>France</b>", "AirFrance"),  # inline tags join like a browser renders them
    ],
)
def test_tags_are_dropped_and_blocks_become_lines(fragment: str, expected: str) -> None:
    assert html_to_text(fragment) == expected


def test_scripts_styles_and_comments_are_not_text() -> None:
    fragment = (
        "<style>.chapo{font-weight:bold}</style><!-- tracking -->"
        '<script type="text/javascript">window.lmd = {"section": "eco"};</script>'
        "<p>La SNCF s’excuse.</p><noscript><img src=pixel.gif></noscript>"
    )
    assert html_to_text(fragment) == "La SNCF s’excuse."


def test_an_unclosed_script_hides_the_rest_like_a_browser_would() -> None:
    assert html_to_text("Avant<script>var x = '<p>Après</p>';") == "Avant"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("Orange &amp; SFR : l&#39;accord", "Orange & SFR : l'accord"),
        ("l&#x27;h&ocirc;tel &rsquo; &laquo;&nbsp;top&nbsp;&raquo;", "l'hôtel ’ « top »"),
        ("12&nbsp;m&sup2; pour 49&nbsp;&euro;", "12 m² pour 49 €"),
        ("Accor d&amp;eacute;voile sa marque", "Accor dévoile sa marque"),  # escaped twice
        ("Ibis Budget&amp;#39;s new rooms", "Ibis Budget's new rooms"),
    ],
)
def test_entities_are_decoded_even_when_escaped_twice(fragment: str, expected: str) -> None:
    assert html_to_text(fragment) == expected


def test_angle_brackets_that_are_not_tags_stay() -> None:
    assert html_to_text("Forfaits < 10 € et débit > 1 Gb/s") == "Forfaits < 10 € et débit > 1 Gb/s"


def test_a_quoted_greater_than_does_not_end_a_tag() -> None:
    assert html_to_text('<a title="1 > 0" href="/x">Air France</a> répond') == "Air France répond"


def test_whitespace_is_collapsed_and_invisible_characters_removed() -> None:
    assert (
        html_to_text("  Air\tFrance \u00a0 répond\u200b  aux\u00adclients \r\n ")
        == "Air France répond auxclients"
    )


@pytest.mark.parametrize("empty", [None, "", "   ", "<p> </p>", "<br/><br/>"])
def test_empty_fragments_give_empty_text(empty: str | None) -> None:
    assert html_to_text(empty) == ""


def test_plain_text_passes_through_untouched() -> None:
    text = "SNCF : la grève des contrôleurs perturbe le trafic ce week-end"
    assert html_to_text(text) == text


def test_clean_title_is_one_line() -> None:
    assert clean_title("Ibis Budget&#39;s new rooms:   <br />\n      small but smart") == (
        "Ibis Budget's new rooms: small but smart"
    )
    assert (
        clean_title("<b>Air France</b> : la grève\n des PNC se durcit")
        == "Air France : la grève des PNC se durcit"
    )


def test_clean_title_of_nothing_is_empty() -> None:
    assert clean_title(None) == ""


def test_html_to_text_is_fast_enough_to_run_on_every_item() -> None:
    summary = (
        '<p>Le mouvement, lancé par le <strong>SNPNC-FO</strong>, doit durer jusqu’à mercredi. <a href="https://'
        'wwws.airfrance.fr/information">Vérifiez le statut de votre vol</a> avant de partir.</p>'
        "<p>« C&#8217;est scandaleux », dénonce un passager bloqué à Roissy depuis la veille.</p>"
    ) * 3
    started = time.perf_counter()
    for _ in range(2000):
        html_to_text(summary)
    per_item = (time.perf_counter() - started) / 2000
    assert per_item < 0.001  # well under a millisecond for a ~900-character summary
