"""The outbound-URL guard of channels: webhook and Slack URLs may not reach private, loopback, link-local or
cloud-metadata addresses (server-side request forgery), unless VIGIE_ALLOW_PRIVATE_URLS allows it."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from collectors.http import Address, is_forbidden_address

PRIVATE_HINT = "set VIGIE_ALLOW_PRIVATE_URLS=true to allow it (tests and local use only)"
# Names that reach a cloud provider's instance metadata even where DNS says otherwise.
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"})


def check_public_url(url: str, *, allow_private: bool) -> None:
    """Raise ValueError (naming the host, never the URL) unless `url` is http(s) to a public address."""
    try:
        split = urlsplit(url)
        host, port = split.hostname, split.port
    except ValueError:
        raise ValueError("the channel URL is not a valid URL") from None
    if split.scheme not in ("http", "https"):
        raise ValueError("only http and https URLs are allowed for channels")
    if not host:
        raise ValueError("the channel URL has no host")
    if allow_private:
        return
    if host.rstrip(".").lower() in METADATA_HOSTS:
        raise ValueError(f"refused: {host} is a cloud metadata address; {PRIVATE_HINT}")
    for address in _addresses(host, port or (443 if split.scheme == "https" else 80)):
        if is_forbidden_address(address):
            raise ValueError(
                f"refused: {_shown(host)} is or resolves to a private, loopback, link-local or metadata address; "
                + PRIVATE_HINT
            )


def _addresses(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host.split("%", 1)[0])]
    except ValueError:
        pass  # a name, not an IP literal
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        # A name that does not resolve now is let through: the connection fails on its own (and is retried),
        # and refusing it would make a DNS hiccup, or an offline `config apply`, a permanent error.
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host
