"""A faithful fake of YouTube's video feeds (`/feeds/videos.xml?channel_id=UC...` or `?playlist_id=PL...`).

Feeds start from recorded ones (tests/fixtures/youtube/); `publish` puts a new video on top and, like YouTube,
the feed keeps the 15 latest. Answers carry an ETag and a matching If-None-Match gets a 304 (an assumption:
YouTube's own validators are not documented). An unknown id gets YouTube's 404 HTML page; a request with both
or neither parameter a 400.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from tests.fakeapi import FakeService, Reply, Request

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "youtube"
FEED_SIZE = 15
ATOM_TYPE = "text/xml; charset=UTF-8"


class _Feed:
    def __init__(self, document: str) -> None:
        head, _, rest = document.partition("\n <entry>")
        self.head = head
        self.entries = (
            [" <entry>" + e.rstrip() for e in rest.removesuffix("</feed>\n").split("\n <entry>")] if rest else []
        )

    def render(self) -> str:
        return "\n".join([self.head, *self.entries[:FEED_SIZE], "</feed>"]) + "\n"


class YouTubeFake(FakeService):
    """Channels and playlists by id; `publish` adds a video to one of them."""

    def __init__(self) -> None:
        self.feeds: dict[tuple[str, str], _Feed] = {}

    def add(self, kind: str, feed_id: str, recorded: str) -> None:
        """Serve the recorded feed `recorded` for channel_id or playlist_id `feed_id`."""
        self.feeds[(kind, feed_id)] = _Feed((FIXTURES / recorded).read_text(encoding="utf-8"))

    def publish(
        self,
        kind: str,
        feed_id: str,
        video_id: str,
        title: str,
        *,
        views: int = 0,
        likes: int = 0,
        description: str = "",
        channel: str = "Acme",
        at: float | None = None,
    ) -> None:
        """A new video on top of the feed, the way YouTube lists an upload."""
        when = datetime.fromtimestamp(at if at is not None else time.time(), UTC).isoformat(timespec="seconds")
        channel_id = feed_id if kind == "channel_id" else "UC" + hashlib.sha256(channel.encode()).hexdigest()[:22]
        entry = "\n".join(
            [
                " <entry>",
                f"  <id>yt:video:{video_id}</id>",
                f"  <yt:videoId>{video_id}</yt:videoId>",
                f"  <yt:channelId>{channel_id}</yt:channelId>",
                f"  <title>{escape(title)}</title>",
                f'  <link rel="alternate" href="https://www.youtube.com/watch?v={video_id}"/>',
                f"  <author>\n   <name>{escape(channel)}</name>",
                f"   <uri>https://www.youtube.com/channel/{channel_id}</uri>\n  </author>",
                f"  <published>{when}</published>",
                f"  <updated>{when}</updated>",
                "  <media:group>",
                f"   <media:title>{escape(title)}</media:title>",
                f'   <media:content url="https://www.youtube.com/v/{video_id}?version=3"'
                ' type="application/x-shockwave-flash" width="640" height="390"/>',
                f'   <media:thumbnail url="https://i2.ytimg.com/vi/{video_id}/hqdefault.jpg"'
                ' width="480" height="360"/>',
                f"   <media:description>{escape(description)}</media:description>",
                "   <media:community>",
                f'    <media:starRating count="{likes}" average="5.00" min="1" max="5"/>',
                f'    <media:statistics views="{views}"/>',
                "   </media:community>",
                "  </media:group>",
                " </entry>",
            ]
        )
        self.feeds[(kind, feed_id)].entries.insert(0, entry)

    def handle(self, request: Request) -> Reply:
        """GET /feeds/videos.xml like www.youtube.com answers it."""
        if request.path != "/feeds/videos.xml":
            return Reply.raw((FIXTURES / "not_found.html").read_bytes(), "text/html; charset=UTF-8", status=404)
        given = [(k, request.arg(k)) for k in ("channel_id", "playlist_id") if request.arg(k)]
        if len(given) != 1:
            return Reply.html_error(400, title="Error 400 (Bad Request)!!1")
        feed = self.feeds.get(given[0])  # type: ignore[arg-type]
        if feed is None:
            return Reply.raw((FIXTURES / "not_found.html").read_bytes(), "text/html; charset=UTF-8", status=404)
        body = feed.render().encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply.raw(body, ATOM_TYPE, headers={"ETag": etag})
