"""The on-call page in a real browser (Debian's chromium through Playwright) against a real `vigie serve`.

The story: a community manager signs in with the admin key on a phone or a laptop; a crisis mention pushed
through the API shows up on the open page within two seconds, without a reload; acknowledging and resolving it
from the page changes it in the API; the phone layout never scrolls sideways; a mention carrying HTML or script
stays text. Screenshots of the incident view (desktop, phone, phone in the dark theme) go to the screenshots
folder (see tests/web/conftest.py), which CI keeps.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest

from tests.web.conftest import (
    DESKTOP,
    PHONE,
    Console,
    LiveServer,
    open_context,
    save_screenshot,
    screenshots_dir,
    sign_in,
    wait_for,
)

pytestmark = pytest.mark.slow

LIVE_WITHIN = 2.0  # seconds between the incident existing in the API and its card on the open page
CRISIS = "Scandale : fuite de données chez Acme, vos mots de passe sont publiés, remboursez-moi, j'appelle un avocat"
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'


def crisis_mention(author: str, **fields: Any) -> dict[str, Any]:
    """A big account's French crisis post about Acme: it opens a high-risk-mention incident on its own."""
    return {"text": CRISIS, "author": author, "author_reach": 250_000, "lang": "fr", **fields}


def open_incident(live: LiveServer, mention: dict[str, Any]) -> dict[str, Any]:
    """Push `mention` and wait until the API shows the incident it opens (the alert role ticks every 0.3 s)."""
    [mention_id] = live.push(mention)

    def opened() -> dict[str, Any] | None:
        found = [i for i in live.incidents(status="open") if i["kind"] == "high_risk_mention"]
        mine = [i for i in found if mention_id in _mention_ids(live, i["id"])] if found else []
        return mine[0] if mine else None

    return wait_for(opened, 15, f"the incident opened by mention {mention_id}")


def _mention_ids(live: LiveServer, incident_id: int) -> list[int]:
    return [m["id"] for m in live.incident(incident_id)["mentions"]]


def card(page: Any, incident_id: int) -> Any:
    return page.locator(f'article.incident[data-incident-id="{incident_id}"]')


def wait_live(page: Any) -> None:
    """The incidents view says its event stream is connected."""
    page.wait_for_selector('#live-status[data-state="live"]', state="attached", timeout=10_000)


def no_page_errors(console: Console) -> None:
    """No uncaught exception, no console error (a script refused by the page's CSP is one), no dialog. The 401 of a
    refused key is the one expected error."""
    errors = [e for e in console.errors if "status of 401" not in e]
    assert not errors, errors
    assert not console.dialogs, console.dialogs


# ---- a. signing in ---------------------------------------------------------------------------------------------


def test_the_cm_signs_in_with_the_admin_key_and_sees_the_incidents_view(live, page, console) -> None:
    page.goto(f"{live.url}/")
    assert page.url.startswith(f"{live.url}/login"), "a signed-out visitor is sent to the sign-in form"

    page.fill("form#login-form input#key", "vg_this_is_not_a_key_of_this_vigie_000000")
    page.click("form#login-form [type=submit]")
    page.locator(".error").first.wait_for()
    assert page.url.startswith(f"{live.url}/login")
    assert not [c for c in page.context.cookies() if c["name"] == "vigie_session"]

    sign_in(page, live)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "vigie_session"]
    assert cookie["httpOnly"], "the session cookie must be out of reach of scripts"
    assert cookie["sameSite"] in ("Lax", "Strict")
    assert live.key not in cookie["value"], "the cookie is a session token, never the API key itself"
    assert page.evaluate("document.cookie").find("vigie_session") == -1
    page.locator("#incidents").wait_for(state="attached")
    assert page.locator("#incidents").is_visible() or page.locator("#no-incidents").is_visible()
    wait_live(page)

    page.locator("details.menu summary").click()  # the sign-out button lives in the header's menu
    page.click("form#logout-form [type=submit]")
    page.wait_for_url(f"{live.url}/login**")
    page.goto(f"{live.url}/")
    assert page.url.startswith(f"{live.url}/login"), "after signing out, / asks for the key again"
    no_page_errors(console)


def test_every_page_loads_after_sign_in(live, page, console) -> None:
    live.push(crisis_mention("@pages"))
    sign_in(page, live)
    for path in ("/", "/mentions", f"/brands/{live.brand['id']}", "/health", "/reports"):
        answer = page.goto(f"{live.url}{path}")
        assert answer is not None and answer.status == 200, f"{path}: {answer and answer.status}"
        assert page.url == f"{live.url}{path}", f"{path} redirected to {page.url}"
    page.goto(f"{live.url}/mentions")
    page.locator("form#mention-filters").wait_for(state="attached")
    page.locator("article.mention[data-mention-id] .mention-text").first.wait_for()
    no_page_errors(console)


# ---- b. live, c. acknowledge and resolve -----------------------------------------------------------------------


@pytest.mark.parametrize("live_database", ["sqlite", "postgres"], indirect=True)
def test_a_crisis_pushed_through_the_api_appears_on_the_open_page_within_two_seconds(live, page, console) -> None:
    sign_in(page, live)
    wait_live(page)
    page.evaluate("window.__marker = 1")  # gone if the page reloads

    live.push(crisis_mention("@lanceur_alerte"))
    seen = time.monotonic()
    incident = wait_for(lambda: live.incidents(status="open"), 15, "the crisis mention's incident in the API")[0]
    in_api = time.monotonic()
    assert incident["kind"] == "high_risk_mention", incident

    remaining = LIVE_WITHIN - (time.monotonic() - in_api)
    article = card(page, incident["id"])
    article.wait_for(state="attached", timeout=max(1, int(remaining * 1000)))
    on_page = time.monotonic()
    assert on_page - in_api <= LIVE_WITHIN, f"card shown {on_page - in_api:.2f}s after the API had the incident"
    print(
        f"\nincident {incident['id']}: in the API {in_api - seen:.2f}s after the push, on the page "
        f"{on_page - in_api:.2f}s later"
    )
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of inserting the incident"

    assert article.get_attribute("data-status") == "open"
    assert "fuite de données" in article.locator(".mention .mention-text").first.inner_text()
    assert article.locator(".explanation").inner_text().strip()
    assert article.locator("button[data-action='ack']").is_visible()
    assert page.locator("#live-status").get_attribute("data-state") == "live"
    no_page_errors(console)


@pytest.mark.parametrize("live_database", ["sqlite", "postgres"], indirect=True)
def test_acknowledging_and_resolving_from_the_page_changes_the_incident_in_the_api(live, page, console) -> None:
    incident = open_incident(live, crisis_mention("@client_furieux"))
    sign_in(page, live)
    article = card(page, incident["id"])
    article.wait_for()
    assert article.locator(".timeline").count() == 1
    assert article.locator(".sparkline svg").count() == 1

    article.locator("button[data-action='ack']").click()
    wait_for(lambda: live.incident(incident["id"])["status"] == "acknowledged", 5, "status acknowledged in the API")
    acked = live.incident(incident["id"])
    assert acked["acknowledged_at"] is not None
    assert [e for e in acked["timeline"] if e["type"] == "acknowledged"]
    page.wait_for_selector(f'article.incident[data-incident-id="{incident["id"]}"][data-status="acknowledged"]')

    # While she fills in the resolution, a colleague snoozes the incident from the API (a live event re-renders
    # the card): her open form, reason and note are still there.
    note = "Article satirique, pas une vraie fuite"
    article.locator("button[data-action='resolve']").click()
    article.locator("select[name='reason']").select_option("false_positive")
    article.locator("textarea[name='note']").fill(note)
    page.evaluate("id => { document.getElementById('incident-' + id).__before = true; }", incident["id"])
    with live.api() as api:
        assert api.post(f"/api/v1/incidents/{incident['id']}/snooze", json={"minutes": 30}).status_code == 200
    page.wait_for_function(
        "id => { const a = document.getElementById('incident-' + id); return a && !a.__before; }", arg=incident["id"]
    )
    assert article.locator("form[data-form='resolve']").is_visible(), "a live update closed the resolve form"
    assert article.locator("select[name='reason']").input_value() == "false_positive"
    assert article.locator("textarea[name='note']").input_value() == note

    article.locator("button[data-action='resolve-confirm']").click()
    wait_for(lambda: live.incident(incident["id"])["status"] == "resolved", 5, "status resolved in the API")
    resolved = live.incident(incident["id"])
    assert (resolved["resolution"], resolved["resolution_note"]) == ("false_positive", note)
    article.wait_for(state="detached")  # resolved incidents leave the open list
    no_page_errors(console)


def test_the_on_call_cm_can_acknowledge_with_the_keyboard_alone(live, page, console) -> None:
    incident = open_incident(live, crisis_mention("@clavier_seul"))
    sign_in(page, live)
    card(page, incident["id"]).wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip", "the first stop is the skip link"
    page.keyboard.press("Enter")  # to the content, past the navigation
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('data-action')") == "ack":
            break
    else:
        pytest.fail("Tab never reached the acknowledge button")
    focus = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus not in ("none", ""), "the focused button shows no focus ring"
    page.keyboard.press("Enter")
    wait_for(lambda: live.incident(incident["id"])["status"] == "acknowledged", 5, "acknowledged from the keyboard")
    no_page_errors(console)


# ---- d. the phone layout ---------------------------------------------------------------------------------------


def test_the_phone_layout_never_scrolls_sideways(live, browser, console) -> None:
    # Long words and links are what push a phone layout wider than the screen.
    long_link = "https://forum.example.fr/t/" + "tres-long-fil-de-discussion-" * 6 + "acme"
    live.push(
        crisis_mention("@un_compte_au_nom_vraiment_tres_long_pour_voir_si_la_carte_deborde", url=long_link),
        {"text": f"Acme #{'remboursement' * 6} {long_link}", "author": "@x", "lang": "fr"},
        {"title": "Acme : retour d'expérience", "text": "Séjour parfait chez Acme, personnel adorable.", "lang": "fr"},
    )
    wait_for(lambda: live.incidents(status="open"), 15, "an open incident")
    context = open_context(browser, console, **PHONE)
    try:
        page = context.new_page()
        sign_in(page, live)
        incident = live.incidents(status="open")[0]
        for path in (
            "/",
            f"/incidents/{incident['id']}",
            "/mentions",
            "/health",
            "/brands",
            f"/brands/{live.brand['id']}",
            "/reports",
        ):
            page.goto(f"{live.url}{path}")
            page.wait_for_load_state("load")
            content, screen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            # Without <meta name=viewport> a phone lays the page out 980 px wide and zooms out: no scroll, unreadable.
            assert screen == PHONE["viewport"]["width"], f"{path} is laid out {screen}px wide on a 375px phone"
            assert content <= screen, f"{path} scrolls sideways on a phone: content {content}px, screen {screen}px"
        no_page_errors(console)
    finally:
        context.close()


# ---- e. hostile mentions stay text -----------------------------------------------------------------------------


def test_a_mention_carrying_script_or_an_img_onerror_stays_inert(live, page, console) -> None:
    sign_in(page, live)
    wait_live(page)
    hostile = crisis_mention(
        '<img src=x onerror="window.__xss=3">',
        title=f"Acme {XSS_SCRIPT}",
        text=f"{CRISIS} {XSS_SCRIPT} {XSS_IMG}",
        url="javascript:window.__xss=4",
    )
    incident = open_incident(live, hostile)

    card(page, incident["id"]).wait_for()  # inserted live, by the page's script
    inert(page, console, where="the incident inserted live")
    pages = ["/", "/mentions", "/mentions?q=script", f"/incidents/{incident['id']}"]
    for path in pages:
        page.goto(f"{live.url}{path}")
        inert(page, console, where=path)
    for path in (f"/brands/{live.brand['id']}", f"/mentions?q={XSS_IMG}"):  # the second one reflects the query
        page.goto(f"{live.url}{path}")
        inert(page, console, where=path, shows_text=False)

    # The report of these days lists the riskiest mentions: the same text, escaped there too.
    today = date.today()
    with live.api() as api:
        period = {"since": str(today - timedelta(days=2)), "until": str(today + timedelta(days=1))}
        report = api.post("/api/v1/reports", json=period)
    assert report.status_code == 201, report.text
    path = f"/api/v1/reports/{report.json()['id']}.html?disposition=inline"
    page.goto(f"{live.url}{path}")
    inert(page, console, where=path, shows_text=False)
    assert XSS_SCRIPT in page.inner_text("body"), f"{path}: the mention's text is not shown as written"
    no_page_errors(console)


def inert(page: Any, console: Console, *, where: str, shows_text: bool = True) -> None:
    """Nothing of the hostile mention ran or became an element; its text is shown as it was written."""
    page.wait_for_timeout(100)  # an onerror handler fires after the image fails to load
    assert page.evaluate("typeof window.__xss") == "undefined", f"{where}: the mention's markup ran"
    assert page.locator("img[src='x']").count() == 0, f"{where}: the mention's <img> became an element"
    assert page.locator("a[href^='javascript:']").count() == 0, f"{where}: a javascript: link"
    assert not console.dialogs, f"{where}: {console.dialogs}"
    if shows_text:
        texts = page.locator(".mention-text").all_inner_texts()
        assert any("<script>" in t and "<img src=x" in t for t in texts), f"{where}: text not shown literally"


# ---- f. screenshots --------------------------------------------------------------------------------------------


def test_screenshots_of_the_incident_view_on_desktop_and_phone(live, browser, console) -> None:
    incident = open_incident(live, crisis_mention("@journaliste_eco"))
    live.push(
        {"text": "Acme ne répond pas depuis 3 jours, remboursez-moi !!", "author": "@claire", "lang": "fr"},
    )
    folder = screenshots_dir()
    shots = {
        "incidents-desktop.png": {"viewport": DESKTOP},
        "incidents-phone.png": PHONE,
        "incidents-phone-dark.png": {**PHONE, "color_scheme": "dark"},
    }
    backgrounds = {}
    for name, options in shots.items():
        context = open_context(browser, console, **options)
        try:
            page = context.new_page()
            sign_in(page, live)
            card(page, incident["id"]).wait_for()
            wait_live(page)
            save_screenshot(page, name)
            backgrounds[name] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        finally:
            context.close()
        assert (folder / name).stat().st_size > 5_000, f"{name} looks empty"
    assert backgrounds["incidents-phone-dark.png"] != backgrounds["incidents-phone.png"], "no dark theme"
    no_page_errors(console)
