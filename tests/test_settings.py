"""Settings: every variable documented in .env.example, bad values refused with the variable's name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _documented() -> dict[str, str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^(VIGIE_[A-Z0-9_]+)=(.*)$", text, flags=re.M))


def test_every_setting_is_documented_in_env_example_and_nothing_else() -> None:
    fields = {f"VIGIE_{name.upper()}" for name in Settings.model_fields}
    assert set(_documented()) == fields


def test_env_example_values_are_the_defaults_and_valid() -> None:
    documented = {k.removeprefix("VIGIE_").lower(): v for k, v in _documented().items() if v != ""}
    from_example = Settings(_env_file=None, **documented)
    assert from_example == Settings(_env_file=None)


def test_every_setting_has_a_description() -> None:
    assert all(f.description for f in Settings.model_fields.values())


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_PORT", "9123")
    monkeypatch.setenv("VIGIE_ROLES", "collect")
    s = Settings(_env_file=None)
    assert s.port == 9123 and s.role_set == {"collect"}


def test_an_invalid_setting_names_the_variable_and_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_ROLES", "api,dance")
    result = CliRunner().invoke(main, ["migrate"])
    assert result.exit_code != 0
    assert "VIGIE_ROLES" in result.output and "use a comma list of: api, collect, alert" in result.output


def test_a_fetch_longer_than_the_lease_is_refused() -> None:
    with pytest.raises(ValueError, match="VIGIE_FETCH_TOTAL_TIMEOUT .* must be shorter than VIGIE_LEASE_SECONDS"):
        Settings(_env_file=None, fetch_total_timeout=300, lease_seconds=120)


def test_secrets_copied_empty_from_env_example_count_as_unset_and_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_SECRET_KEY", "")
    monkeypatch.setenv("VIGIE_SMTP_PASSWORD", "hunter2-is-not-a-password")
    s = Settings(_env_file=None)
    assert s.secret_key is None  # an empty key would sign forgeable links: Vigie makes its own instead
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.model_dump())
    with pytest.raises(ValueError, match="VIGIE_SECRET_KEY must be at least 16 characters"):
        Settings(_env_file=None, secret_key="short")
    with pytest.raises(ValueError, match="smtp security must be one of starttls, ssl, plain"):
        Settings(_env_file=None, smtp_security="tls")
