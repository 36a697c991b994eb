"""The `appstore` source kind: pure parsing of recorded payloads, then collection from a faithful fake."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.appstore import PACE, AppStoreCollector, last_page, parse_reviews
from collectors.base import FetchError, SourceState
from collectors.http import Fetcher, LocalPacer, make_client
from tests.collectors.e2e import collect_via_api, collect_via_config
from tests.collectors.fakes.appstore import AppStoreFake
from tests.collectors.fetching import quiet_fetcher as _fetcher
from tests.fakeapi import FakeApi, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "appstore"
NOW = datetime(2026, 11, 22, tzinfo=UTC)
APP = "1528376482"
collector = AppStoreCollector()


def _recorded(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _parse(name: str, country: str = "fr", app_name: str | None = "Acme"):
    return parse_reviews(_recorded(name), country=country, app_id=APP, app_name=app_name, now=NOW)


# -- parsing (pure) --------------------------------------------------------------------------------------


def test_parse_gives_the_rating_and_votes_as_engagement_and_the_version_in_the_title() -> None:
    drafts = _parse("reviews_fr_page1.json")
    assert len(drafts) == 8
    first = drafts[0]
    assert first.external_id == "appstore:14731209877"
    assert first.title == "Acme v5.2.0 · Impossible de payer depuis la mise à jour"
    assert first.text == (
        "Depuis la 5.2.0 l'appli plante dès que je veux payer. Carte refusée en caisse, c'est la honte.\n"
        "Remboursez les frais !"
    )  # the text is the review only: nothing prepended
    assert first.engagement == {"rating": 1, "votes": 3, "helpful": 3}
    assert first.author == "Jean-Mi du 92"
    assert first.published_at == datetime(2026, 11, 21, 15, 14, 22, tzinfo=UTC)  # -07:00 → UTC
    assert first.url == f"https://apps.apple.com/fr/app/id{APP}?see-all=reviews&reviewId=14731209877"
    assert first.lang is None  # a storefront is not a language: detected downstream
    assert [d.engagement["rating"] for d in drafts] == [1, 1, 2, 5, 1, 3, 4, 5]


def test_parse_keeps_plain_text_non_latin_reviews_and_survives_missing_fields() -> None:
    drafts = {d.external_id: d for d in _parse("reviews_fr_page1.json")}
    display = drafts["appstore:14730990013"]  # content as a list: the text copy wins over the html one
    assert display.text == "Le solde s'affiche à 0,00 € puis revient.\nMerci de corriger vite."
    top = drafts["appstore:14730871254"]
    assert top.title == "Acme v5.2.0 · Top 👍" and "sans contact <3 & les notifications" in top.text
    assert drafts["appstore:14730652388"].title == "Acme v5.1.4 · تطبيق سيء"
    assert drafts["appstore:14729987120"].text == "フランス旅行中に使いました。送金がとても簡単でした！"
    assert drafts["appstore:14730511977"].title == "Acme · Bof"  # no im:version
    assert drafts["appstore:14730310456"].author is None  # no author


def test_without_app_name_the_title_is_the_version_and_the_review_title() -> None:
    assert _parse("reviews_fr_page1.json", app_name=None)[1].title == "v5.2.0 · Arnaque"


def test_older_answers_list_the_app_first_and_date_no_review() -> None:
    drafts = _parse("reviews_old_shape.json")
    assert [d.external_id for d in drafts] == ["appstore:6290024630", "appstore:6285559638", "appstore:6282758619"]
    assert all(d.published_at is None for d in drafts)
    assert drafts[1].engagement == {"rating": 2, "votes": 4, "helpful": 3}


def test_a_single_review_comes_as_an_object_and_no_review_as_no_entry_key() -> None:
    single = _parse("reviews_be_single.json", country="be")
    assert [d.title for d in single] == ["Acme v5.2.0 · Plus rien ne marche"]
    assert single[0].url == f"https://apps.apple.com/be/app/id{APP}?see-all=reviews&reviewId=14731300001"
    assert _parse("reviews_empty.json", country="lu") == []
    assert last_page(_recorded("reviews_empty.json")) == 1


def test_an_answer_that_is_not_a_feed_is_an_error() -> None:
    with pytest.raises(FetchError, match="no `feed` object"):
        parse_reviews({"errorMessage": "Invalid value(s) for key(s): [id]"}, country="fr", app_id=APP)
    with pytest.raises(FetchError, match="no `feed` object"):
        parse_reviews([], country="fr", app_id=APP)


# -- parameters ------------------------------------------------------------------------------------------


def test_validate_names_the_parameter_at_fault() -> None:
    with pytest.raises(ValueError, match="app_id: Field required"):
        collector.validate(None, {})
    with pytest.raises(ValueError, match=r"app_id: .*the app's number is expected, e\.g\. 389801252"):
        collector.validate(None, {"app_id": "acme-banque"})
    with pytest.raises(ValueError, match="countries: .*'FRA' is not a two-letter storefront code"):
        collector.validate(None, {"app_id": APP, "countries": ["fr", "FRA"]})
    with pytest.raises(ValueError, match="countries: List should have at least 1 item"):
        collector.validate(None, {"app_id": APP, "countries": []})
    with pytest.raises(ValueError, match="max_pages: Input should be less than or equal to 10"):
        collector.validate(None, {"app_id": APP, "max_pages": 11})
    with pytest.raises(ValueError, match="sort: unknown parameter"):
        collector.validate(None, {"app_id": APP, "sort": "mosthelpful"})
    with pytest.raises(ValueError, match="takes no url"):
        collector.validate(f"https://apps.apple.com/fr/app/acme/id{APP}", {"app_id": APP})


def test_params_are_read_leniently_where_people_write_them_differently() -> None:
    params = collector.parse_params({"app_id": int(APP), "countries": ["FR", "be", "fr"]})
    assert params.app_id == APP and params.countries == ["fr", "be"]  # a TOML number, upper case, a repeat
    assert collector.parse_params({"app_id": f"id{APP}"}).app_id == APP  # copied from the store URL
    assert collector.parse_params({"app_id": APP}).countries == ["fr"]
    doc = collector.params_doc
    assert doc["app_id"].endswith("(required)") and "(default ['fr'])" in doc["countries"]
    assert set(doc) == {"app_id", "countries", "app_name", "max_pages", "lookback_days", "api_url"}


# -- against the fake service ----------------------------------------------------------------------------


@pytest.fixture
def store():
    fake = AppStoreFake(APP)
    with FakeApi(fake) as api:
        yield fake, api


def _state(api, **params) -> SourceState:
    return SourceState(url="", params={"app_id": APP, "app_name": "Acme", "api_url": api.base, **params})


def _pages(api) -> list[str]:
    return [p.split("/")[1] + ":" + p.split("/")[4] for p in api.paths()]  # "fr:page=2"


def _publish(fake: AppStoreFake, country: str, count: int, *, start: float, label: str = "Avis") -> list[str]:
    """`count` reviews, one a minute from `start`, oldest first (ids increase with time, as Apple's do)."""
    return [
        fake.add_review(country, f"{label} {i}", f"Texte {i}", rating=1 + i % 5, at=start + 60 * i)
        for i in range(count)
    ]


def test_first_poll_pages_through_the_reviews_then_only_asks_for_new_ones(store, local_limits) -> None:
    fake, api = store
    now = time.time()
    ids = _publish(fake, "fr", 120, start=now - 3 * 3600)
    state = _state(api, max_pages=5)
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 120 and _pages(api) == ["fr:page=1", "fr:page=2", "fr:page=3"]
        assert first.cursor == {"last_ids": {"fr": int(ids[-1])}}
        state.cursor = first.cursor

        new = _publish(fake, "fr", 2, start=now - 60, label="Nouvel avis")
        second = collector.collect(state, _fetcher(local_limits, client))
    assert [d.external_id for d in second.drafts] == [f"appstore:{new[1]}", f"appstore:{new[0]}"]
    assert _pages(api)[3:] == ["fr:page=1"]  # page 1 reached known reviews: no page 2
    assert second.cursor == {"last_ids": {"fr": int(new[1])}}


def test_a_burst_of_new_reviews_is_read_across_pages_down_to_the_cursor(store, local_limits) -> None:
    fake, api = store
    now = time.time()
    _publish(fake, "fr", 30, start=now - 7200)
    state = _state(api)
    with make_client(local_limits) as client:
        state.cursor = collector.collect(state, _fetcher(local_limits, client)).cursor
        _publish(fake, "fr", 70, start=now - 3000, label="Mise à jour ratée")
        outcome = collector.collect(state, _fetcher(local_limits, client))
    assert len(outcome.drafts) == 70 and {d.title.split(" · ")[1][:17] for d in outcome.drafts} == {"Mise à jour ratée"}
    assert _pages(api) == ["fr:page=1", "fr:page=1", "fr:page=2"]


def test_the_first_poll_only_looks_back_lookback_days(store, local_limits) -> None:
    fake, api = store
    now = time.time()
    _publish(fake, "fr", 60, start=now - 20 * 86400, label="Ancien")  # 20 days ago, then a minute apart
    recent = _publish(fake, "fr", 3, start=now - 3600, label="Récent")
    with make_client(local_limits) as client:
        outcome = collector.collect(_state(api, lookback_days=7, max_pages=10), _fetcher(local_limits, client))
    assert [d.title for d in outcome.drafts] == [
        "Acme v5.2.0 · Récent 2",
        "Acme v5.2.0 · Récent 1",
        "Acme v5.2.0 · Récent 0",
    ]
    assert _pages(api) == ["fr:page=1"]  # page 1 already ends in the old reviews
    assert outcome.cursor == {"last_ids": {"fr": int(recent[-1])}}


def test_an_empty_page_before_the_last_one_leaves_the_cursor_so_nothing_is_skipped(store, local_limits) -> None:
    fake, api = store
    now = time.time()
    _publish(fake, "fr", 10, start=now - 7200)
    state = _state(api)
    with make_client(local_limits) as client:
        state.cursor = collector.collect(state, _fetcher(local_limits, client)).cursor
        before = dict(state.cursor["last_ids"])
        _publish(fake, "fr", 80, start=now - 3000, label="Bug")
        fake.empty_once("fr", 2)
        hiccup = collector.collect(state, _fetcher(local_limits, client))
        assert len(hiccup.drafts) == 50 and hiccup.cursor == {"last_ids": before}
        state.cursor = hiccup.cursor
        again = collector.collect(state, _fetcher(local_limits, client))
    assert len(again.drafts) == 80  # the 50 again (the pipeline drops them) and the 30 behind the empty page
    assert again.cursor["last_ids"]["fr"] > before["fr"]


def test_max_pages_never_asks_beyond_apples_ten_pages(store, local_limits) -> None:
    fake, api = store
    _publish(fake, "fr", 560, start=time.time() - 6 * 86400)
    with make_client(local_limits) as client:
        outcome = collector.collect(_state(api, max_pages=10), _fetcher(local_limits, client))
    assert len(outcome.drafts) == 500 and _pages(api)[-1] == "fr:page=10"
    with make_client(local_limits) as client, pytest.raises(FetchError) as caught:
        Fetcher(client, local_limits).get_json(
            api.url(f"/fr/rss/customerreviews/page=11/id={APP}/sortby=mostrecent/json")
        )
    assert caught.value.http_status == 400  # "CustomerReviews RSS page depth is limited to 10"


def test_each_storefront_has_its_own_cursor_and_a_failure_keeps_what_was_read(store, local_limits) -> None:
    fake, api = store
    now = time.time()
    fr = _publish(fake, "fr", 3, start=now - 600)
    be = _publish(fake, "be", 2, start=now - 500)
    state = _state(api, countries=["fr", "be"])
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 5 and first.cursor == {"last_ids": {"fr": int(fr[-1]), "be": int(be[-1])}}
        assert _pages(api) == ["fr:page=1", "be:page=1"]

        newer = _publish(fake, "fr", 1, start=now - 60)
        fake.fail_storefront("be", Reply.html_error(403, title="Forbidden"))
        state.cursor = first.cursor
        partial = collector.collect(state, _fetcher(local_limits, client))
    assert partial.error == f"storefront be: HTTP 403 from {api.base.removeprefix('http://')}"
    assert [d.external_id for d in partial.drafts] == [f"appstore:{newer[0]}"]
    assert partial.cursor == {"last_ids": {"fr": int(newer[0]), "be": int(be[-1])}}
    assert partial.http_status == 403


def test_a_429_on_the_first_page_is_an_error_with_the_servers_delay(store, local_limits) -> None:
    fake, api = store
    _publish(fake, "fr", 2, start=time.time() - 600)
    api.fail_next(1, Reply.html_error(429, retry_after=300))
    with make_client(local_limits) as client, pytest.raises(FetchError) as caught:
        collector.collect(_state(api), _fetcher(local_limits, client))
    assert (caught.value.http_status, caught.value.retry_after) == (429, 300)


def test_an_html_page_with_status_200_is_an_error_not_an_empty_result(store, local_limits) -> None:
    _, api = store
    api.fail_next(1, Reply.raw(b"<!DOCTYPE html><html><body>Service indisponible</body></html>", "text/html"))
    with make_client(local_limits) as client, pytest.raises(FetchError, match="HTML"):
        collector.collect(_state(api), _fetcher(local_limits, client))


def test_old_shaped_answers_and_single_reviews_are_collected_too(local_limits) -> None:
    fake = AppStoreFake(APP, old_shape=True)
    with FakeApi(fake) as api, make_client(local_limits) as client:
        only = fake.add_review("fr", "Crash au lancement", "Écran blanc", at=time.time() - 60)
        outcome = collector.collect(_state(api), _fetcher(local_limits, client))
        # page 1 holds the app entry and one review, served as an object: the app is skipped
        assert [d.external_id for d in outcome.drafts] == [f"appstore:{only}"]
        assert outcome.drafts[0].published_at is None  # older answers carry no date
        assert outcome.cursor == {"last_ids": {"fr": int(only)}}


def test_requests_to_the_host_are_spaced_by_the_pace(store, local_limits) -> None:
    fake, api = store
    _publish(fake, "fr", 1, start=time.time() - 60)
    sleeps: list[float] = []
    clock = [1000.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    with make_client(local_limits) as client:
        collector.collect(_state(api, countries=["fr", "be", "ch"]), _fetcher(local_limits, client, pacer, sleeps))
    assert sleeps == [PACE, 2 * PACE]


# -- end to end: API and config file, real worker, real database -------------------------------------------


@pytest.mark.parametrize("how", ["api", "config"])
def test_an_appstore_source_collects_end_to_end(how, store, client, engine, settings, tmp_path) -> None:
    fake, api = store
    now = time.time()
    fake.add_review("fr", "Impossible de payer", "Depuis la mise à jour, l'appli plante au paiement.", at=now - 900)
    fake.add_review("fr", "Top", "Rapide et simple, je recommande.", rating=5, version="5.1.4", at=now - 600)
    params = {"app_id": APP, "app_name": "Acme", "countries": ["fr"], "api_url": api.base}
    if how == "api":
        found = collect_via_api(client, engine, settings, kind="appstore", params=params)
    else:
        found = collect_via_config(tmp_path, client, engine, settings, kind="appstore", params=params)
    by_title = {m["title"]: m for m in found}
    assert set(by_title) == {"Acme v5.2.0 · Impossible de payer", "Acme v5.1.4 · Top"}
    crash = by_title["Acme v5.2.0 · Impossible de payer"]
    assert crash["engagement"] == {"rating": 1, "votes": 0, "helpful": 0}
    assert crash["text"] == "Depuis la mise à jour, l'appli plante au paiement."
    assert len(api.requests) == 1
