"""/ack/{token}: acknowledge an incident from a phone, without logging in, through a signed single-use link.

GET shows what the incident is and a button; only the button's POST acknowledges, because Slack, Teams and
mail scanners open links on their own to preview them (a GET must never page off the on-call CM).
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app import incidents as actions
from app.acklinks import AckLinkError, read_token, signing_key
from app.api.deps import ReadConn, SettingsDep, WriteConn
from app.db.schema import utcnow
from app.route import route_change
from app.storage.delivery import use_ack_link
from app.storage.incidents import get_incident_any
from app.storage.workspaces import get_workspace_by_id

router = APIRouter(tags=["acknowledge links"], include_in_schema=False)  # HTML pages, not the JSON API
ACTOR = "ack-link"
_WORDS = {
    "fr": {
        "title": "Prendre en charge l'incident",
        "button": "Je prends en charge",
        "done": "C'est noté : l'incident est pris en charge. Les rappels et l'escalade s'arrêtent.",
        "already": "Cet incident est déjà pris en charge.",
        "resolved": "Cet incident est déjà résolu.",
        "used": "Ce lien a déjà servi.",
        "open": "Ouvrir l'incident dans Vigie",
    },
    "en": {
        "title": "Acknowledge the incident",
        "button": "I'm on it",
        "done": "Done: the incident is acknowledged. Reminders and escalation stop.",
        "already": "This incident is already acknowledged.",
        "resolved": "This incident is already resolved.",
        "used": "This link has already been used.",
        "open": "Open the incident in Vigie",
    },
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:1em auto;"
        "padding:0 1em}button{font-size:1.2em;padding:.6em 1.2em}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(
        html, status_code=status, headers={"cache-control": "no-store", "referrer-policy": "no-referrer"}
    )


def _open_link(incident: dict, words: dict) -> str:
    """A link to the incident's web page (it asks to sign in first, then lands on the incident)."""
    return f'<p><a href="/incidents/{int(incident["id"])}">{escape(words["open"])}</a></p>'


def _claim(conn, settings, token: str):
    try:
        claim = read_token(signing_key(conn, settings), token, now=utcnow())
    except AckLinkError as exc:
        return None, None, None, _page("Vigie", f"<p>{escape(str(exc))}</p>", 400)
    incident = get_incident_any(conn, incident_id=claim.incident_id)
    if incident is None:
        return None, None, None, _page("Vigie", "<p>This incident no longer exists.</p>", 404)
    workspace = get_workspace_by_id(conn, workspace_id=incident["workspace_id"])
    return claim, incident, workspace, None


@router.get("/ack/{token}", response_class=HTMLResponse)
def ack_page(token: str, conn: ReadConn, settings: SettingsDep) -> HTMLResponse:
    """What the incident is, and a button to acknowledge it (nothing changes until the button is pressed)."""
    claim, incident, workspace, error = _claim(conn, settings, token)
    if error is not None:
        return error
    words = _WORDS.get(workspace["language"], _WORDS["en"])
    body = f"<p>{escape(incident['explanation'])}</p>"
    if incident["status"] != "open":
        state = words["already" if incident["status"] != "resolved" else "resolved"]
        return _page(words["title"], body + f"<p>{state}</p>" + _open_link(incident, words))
    form = f'<form method="post"><button type="submit">{escape(words["button"])}</button></form>'
    return _page(words["title"], body + form + _open_link(incident, words))


@router.post("/ack/{token}", response_class=HTMLResponse)
def ack(token: str, conn: WriteConn, settings: SettingsDep) -> HTMLResponse:
    """Acknowledge the incident once; a second use of the same link is refused."""
    claim, incident, workspace, error = _claim(conn, settings, token)
    if error is not None:
        return error
    words = _WORDS.get(workspace["language"], _WORDS["en"])
    now = utcnow()
    if incident["status"] != "open":
        state = words["already" if incident["status"] != "resolved" else "resolved"]
        return _page(words["title"], f"<p>{state}</p>" + _open_link(incident, words))
    if not use_ack_link(conn, nonce=claim.nonce, incident_id=incident["id"], now=now):
        return _page(words["title"], f"<p>{words['used']}</p>" + _open_link(incident, words), 409)
    incident = actions.acknowledge(conn, incident=incident, actor=ACTOR, now=now)
    route_change(conn, incident=incident, settings=settings, now=now)
    return _page(words["title"], f"<p>{words['done']}</p>" + _open_link(incident, words))
