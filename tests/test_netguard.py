"""The channel URL guard: private, loopback, link-local and metadata targets are refused, naming the host only."""

from __future__ import annotations

import pytest

from app.netguard import check_public_url

TOKEN = "T0KEN9zq7XsecretPath"


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:8080/{TOKEN}",
        f"https://10.1.2.3/{TOKEN}",
        f"http://169.254.169.254/latest/meta-data/{TOKEN}",
        f"http://[::1]/{TOKEN}",
        f"http://[::ffff:192.168.0.1]/{TOKEN}",  # an IPv4-mapped private address
        f"http://[fd00:ec2::254]/{TOKEN}",  # AWS's IPv6 metadata address (unique local)
        f"http://metadata.google.internal/computeMetadata/v1/{TOKEN}",
        f"http://localhost/{TOKEN}",
        f"http://user:{TOKEN}@0.0.0.0/",
    ],
)
def test_private_targets_are_refused_without_echoing_the_url(url: str) -> None:
    with pytest.raises(ValueError, match="VIGIE_ALLOW_PRIVATE_URLS=true") as refused:
        check_public_url(url, allow_private=False)
    assert TOKEN not in str(refused.value)
    check_public_url(url, allow_private=True)  # tests and local use


@pytest.mark.parametrize("url", [f"ftp://example.com/{TOKEN}", f"file:///etc/{TOKEN}", "https:///no-host"])
def test_only_http_urls_with_a_host_are_accepted(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        check_public_url(url, allow_private=True)
    assert TOKEN not in str(refused.value)


def test_public_addresses_and_unresolvable_names_pass() -> None:
    check_public_url("https://93.184.215.14/hooks/x", allow_private=False)
    # A name that does not resolve now is not refused: the send fails on its own and is retried.
    check_public_url("https://hooks.invalid/x", allow_private=False)
