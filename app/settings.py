"""The one settings object, built at the entry point from the environment (and `.env`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every VIGIE_* variable; each one is documented in `.env.example` (a test keeps them in step)."""

    model_config = SettingsConfigDict(env_prefix="VIGIE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///./vigie.db", description="SQLAlchemy URL of the database (SQLite file or PostgreSQL)."
    )
    config: Path | None = Field(None, description="Monitoring config file applied by `vigie serve --config`.")
    allow_private_urls: bool = Field(
        False, description="Let sources target loopback/private addresses (tests and local use only)."
    )
    host: str = Field("127.0.0.1", description="Address `vigie serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `vigie serve` listens on.")
    roles: str = Field("alert,api,collect", description="Roles of `vigie serve`: any of api, collect, alert.")
    api_workers: int = Field(
        1, ge=1, le=64, description="API processes (uvicorn workers) `vigie serve` runs for the api role."
    )
    log_level: str = Field("INFO", description="Logging level (DEBUG, INFO, WARNING, ERROR).")

    collect_tick_seconds: float = Field(5.0, gt=0, description="How often a collector claims due sources.")
    collect_batch_size: int = Field(20, ge=1, description="How many due sources one tick claims at most.")
    collect_concurrency: int = Field(8, ge=1, description="How many sources are fetched at once.")
    detect_tick_seconds: float = Field(
        1.0,
        gt=0,
        description="How often the alert role evaluates brands with new mentions (every brand is evaluated "
        "every 5 minutes anyway, for calm, resolution and silences).",
    )
    lease_seconds: int = Field(120, ge=10, description="How long a claimed source stays leased to a worker.")
    default_interval_seconds: int = Field(900, ge=30, description="Check interval of a source without one.")
    min_interval_seconds: int = Field(30, ge=1, description="Shortest allowed time between two checks.")
    max_interval_seconds: int = Field(86400, ge=60, description="Longest time between two checks.")

    fetch_connect_timeout: float = Field(10.0, gt=0, description="Seconds to connect to a source.")
    fetch_read_timeout: float = Field(30.0, gt=0, description="Seconds to wait for data from a source.")
    fetch_total_timeout: float = Field(
        60.0, gt=0, description="Seconds a whole fetch may take (redirects and body included)."
    )
    fetch_max_bytes: int = Field(10_000_000, ge=1024, description="Largest response body accepted.")
    fetch_max_redirects: int = Field(5, ge=0, le=20, description="Most redirects followed per fetch.")
    user_agent: str = Field(
        "Vigie/0.1 (brand monitoring; +https://github.com/vigie)",
        description="User-Agent sent to sources.",
    )
    bluesky_handle: str | None = Field(
        None, description="Bluesky handle (e.g. vigie.bsky.social) for `bluesky` sources; search needs a login."
    )
    bluesky_app_password: SecretStr | None = Field(
        None, description="Bluesky app password (Settings > App passwords) of `VIGIE_BLUESKY_HANDLE`."
    )
    stackexchange_key: str | None = Field(
        None, description="Stack Exchange API key: raises the daily quota from 300 to 10,000 requests."
    )

    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Address people reach Vigie at, for the links in alerts (open, acknowledge).",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key signing acknowledge links; by default Vigie makes one and keeps it in the database.",
    )
    ack_link_hours: float = Field(24.0, gt=0, description="How long an acknowledge link in a message stays valid.")
    deliver_tick_seconds: float = Field(1.0, gt=0, description="How often the alert role sends due deliveries.")
    route_tick_seconds: float = Field(
        5.0, gt=0, description="How often the alert role wakes routes (group wait, reminders, escalation)."
    )
    delivery_lease_seconds: float = Field(
        60.0, gt=0, description="How long a claimed delivery stays leased to a worker before another retries it."
    )
    delivery_timeout: float = Field(10.0, gt=0, description="Seconds a webhook or Slack call may take.")
    delivery_max_attempts: int = Field(
        12, ge=1, description="Attempts before a delivery is dead-lettered (about 10 hours of retries)."
    )
    delivery_retry_base_seconds: float = Field(10.0, gt=0, description="First retry delay (doubles, with jitter).")
    delivery_retry_max_seconds: float = Field(3600.0, gt=0, description="Longest delay between two retries.")
    slack_min_interval_seconds: float = Field(
        1.0, ge=0, description="Slack allows about one message per second per incoming webhook."
    )
    smtp_host: str | None = Field(None, description="SMTP server for e-mail channels.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 SSL, 25 plain).")
    smtp_security: str = Field("starttls", description="SMTP security: starttls, ssl or plain.")
    smtp_username: str | None = Field(None, description="SMTP login, if the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged).")
    smtp_from: str = Field("vigie@localhost", description="Sender address of alert e-mails.")
    mail_domain: str = Field(
        "vigie.local", description="Domain of the Message-IDs of alert e-mails, and the name Vigie gives in EHLO."
    )
    report_weekday: str = Field(
        "monday", description="Day the weekly report of the 7 days just ended is made and e-mailed (off: never)."
    )
    report_hour: int = Field(8, ge=0, le=23, description="Local hour (workspace time zone) of the weekly report.")

    default_workspace: str = Field("default", description="Workspace used when none is named.")
    admin_key: SecretStr | None = Field(
        None,
        description="An admin API key of the default workspace, stored (hashed) when the API starts; by default "
        "Vigie makes one at the first start and shows it once.",
    )
    api_page_max: int = Field(200, ge=1, description="Largest page size of list endpoints.")
    api_max_body_bytes: int = Field(
        10_000_000, ge=1024, description="Largest request body the API accepts (413 beyond)."
    )
    api_rate_limit_per_minute: int = Field(
        600, ge=0, description="Requests per minute per API key and per API process (429 beyond; 0 = no limit)."
    )
    sse_heartbeat_seconds: float = Field(
        15.0, gt=0, description="Seconds of silence after which the incident stream sends a heartbeat comment."
    )
    sse_poll_seconds: float = Field(
        1.0, gt=0, description="How often the incident stream looks for new incident events (its latency)."
    )
    web_session_hours: float = Field(
        336.0, gt=0, description="How long a web page sign-in lasts (hours; 336 = two weeks), unless signed out."
    )
    web_cookie_secure: bool = Field(
        True,
        description="Mark the web session cookie Secure (sent over HTTPS only; browsers also accept it on "
        "http://localhost). Set false only to sign in over plain HTTP on a trusted network.",
    )
    cors_origins: str = Field(
        "", description="Comma list of web origins allowed to call the API from a browser (empty: none)."
    )
    retention_days: int = Field(
        365,
        ge=0,
        le=36_500,
        description="Days mentions are kept, for workspaces that set no period of their own (0: forever); at least "
        "detection's history (28 days) plus 7.",
    )
    tombstone_days: int = Field(
        180, ge=0, description="Days the dedup keys of a purged mention are kept, so that it is not imported again."
    )
    purge_batch_size: int = Field(
        5000, ge=1, le=10_000, description="Mentions the purge deletes per transaction (and tombstones it forgets)."
    )
    purge_tick_seconds: float = Field(300.0, gt=0, description="How often the alert role looks for mentions to purge.")

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        roles = {r.strip() for r in value.split(",") if r.strip()}
        unknown = roles - {"api", "collect", "alert"}
        if unknown or not roles:
            raise ValueError(f"unknown role(s) {sorted(unknown)}; use a comma list of: api, collect, alert")
        return ",".join(sorted(roles))

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("log level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("secret_key", "admin_key", "smtp_password", "smtp_host", "smtp_username", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value  # `VIGIE_SECRET_KEY=` in a copied .env.example means "not set"

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("VIGIE_SECRET_KEY must be at least 16 characters (or empty to let Vigie make one)")
        return value

    @field_validator("admin_key")
    @classmethod
    def _admin_key_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # Lists show a key's first 10 characters: 32 leave more than enough unknown.
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("VIGIE_ADMIN_KEY must be at least 32 characters (or empty to let Vigie make one)")
        return value

    @field_validator("report_weekday")
    @classmethod
    def _known_weekday(cls, value: str) -> str:
        day = value.strip().lower()
        if day not in {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "off"}:
            raise ValueError("report weekday must be a day in English (monday ... sunday) or off")
        return day

    @field_validator("retention_days")
    @classmethod
    def _long_enough_for_detection(cls, value: int) -> int:
        from app.retention import RetentionError, check_retention  # app.retention reads detection's defaults

        try:
            check_retention(value)
        except RetentionError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("smtp_security")
    @classmethod
    def _known_security(cls, value: str) -> str:
        if value not in {"starttls", "ssl", "plain"}:
            raise ValueError("smtp security must be one of starttls, ssl, plain")
        return value

    @model_validator(mode="after")
    def _fetch_fits_in_lease(self) -> Settings:
        if self.fetch_total_timeout >= self.lease_seconds:
            raise ValueError(
                f"VIGIE_FETCH_TOTAL_TIMEOUT ({self.fetch_total_timeout:g}s) must be shorter than "
                f"VIGIE_LEASE_SECONDS ({self.lease_seconds}s), or another worker could take the source over"
            )
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def role_set(self) -> set[str]:
        return set(self.roles.split(","))
