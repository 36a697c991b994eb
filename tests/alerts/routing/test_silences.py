"""Silences mute incidents by brand, kind and severity for a while; a silence that mutes everything is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.routing import Silence, active_silences, silence_matches
from tests.alerts.routing.story import BRAND, paris, storm

LAUNCH = paris(2025, 11, 18, 10)
INCIDENT = storm(LAUNCH)


def launch_silence(**matchers: object) -> Silence:
    return Silence(
        id=7,
        starts_at=LAUNCH,
        ends_at=LAUNCH + timedelta(hours=4),
        comment="lancement de la nouvelle carte, on sait",
        created_by="camille@hotel-lumiere.fr",
        **matchers,  # type: ignore[arg-type]
    )


def test_a_brand_silence_mutes_that_brand_for_its_window_only() -> None:
    silence = launch_silence(brand=BRAND)
    assert silence_matches(silence, INCIDENT, LAUNCH)
    assert silence_matches(silence, INCIDENT, LAUNCH + timedelta(hours=3, minutes=59))
    assert not silence_matches(silence, INCIDENT, LAUNCH + timedelta(hours=4))
    assert not silence_matches(silence, INCIDENT, LAUNCH - timedelta(minutes=1))
    assert not silence_matches(silence, storm(LAUNCH, brand="Camping des Pins"), LAUNCH)


def test_silencing_warnings_still_lets_a_critical_storm_through() -> None:
    silence = launch_silence(brand=BRAND, severity="warning")
    assert silence_matches(silence, INCIDENT, LAUNCH)
    assert not silence_matches(silence, storm(LAUNCH, severity="critical"), LAUNCH)


def test_active_silences_lists_the_ones_that_mute_the_incident_now() -> None:
    by_brand, by_kind = launch_silence(brand=BRAND), launch_silence(kind="high_risk_mention")
    assert active_silences([by_brand, by_kind], INCIDENT, LAUNCH) == (by_brand,)


def test_a_silence_with_no_matcher_is_refused_because_it_would_mute_everything() -> None:
    with pytest.raises(ValueError, match="give it a brand, a kind and/or a severity"):
        launch_silence()


def test_a_silence_ending_before_it_starts_or_with_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="ends_at must be after starts_at"):
        Silence(brand=BRAND, starts_at=LAUNCH, ends_at=LAUNCH)
    with pytest.raises(ValueError, match="unknown kind"):
        launch_silence(kind="bad_buzz")
