"""Every table of Vigie, as SQLAlchemy Core metadata (the migrations create the same tables)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY, PostgreSQL wants a BIGINT for the large tables.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which has no time zones) as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _created() -> sa.Column:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


workspaces = sa.Table(
    "workspaces",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("language", sa.String(8), nullable=False, server_default="fr"),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="Europe/Paris"),
    # The workspace's own crisis vocabulary, and terms never to count as crisis terms (e.g. a brand name).
    sa.Column("crisis_terms", sa.JSON, nullable=False, server_default=sa.text("'[]'")),
    sa.Column("ignored_terms", sa.JSON, nullable=False, server_default=sa.text("'[]'")),
    # Office hours, holidays and the daily digest hour (app.alerting.AlertingSpec), in the workspace's zone.
    sa.Column("alerting", sa.JSON, nullable=False, server_default=sa.text("'{}'")),
    _created(),
    sa.Column("retention_days", sa.Integer, nullable=True),  # NULL: VIGIE_RETENTION_DAYS; 0: forever (app.retention)
    sa.Column("purged_before", UTCDateTime(), nullable=True),  # every mention published before it was purged
)

brands = sa.Table(
    "brands",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("languages", sa.JSON, nullable=False),
    sa.Column("is_competitor", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("detection", sa.JSON, nullable=False, server_default=sa.text("'{}'")),  # DetectionConfig overrides
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("workspace_id", "name", name="uq_brands_workspace_name"),
)

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("url", sa.Text, nullable=True),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("interval_seconds", sa.Integer, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    # Scheduling: the database decides what is due; a claim sets the lease.
    sa.Column("due_at", UTCDateTime(), nullable=False),
    sa.Column("lease_owner", sa.String(100), nullable=True),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    # Conditional GET and incremental state.
    sa.Column("etag", sa.Text, nullable=True),
    sa.Column("last_modified", sa.Text, nullable=True),
    sa.Column("cursor", sa.JSON, nullable=False),
    # Health.
    sa.Column("consecutive_errors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_error_at", UTCDateTime(), nullable=True),
    sa.Column("last_success_at", UTCDateTime(), nullable=True),
    sa.Column("last_status", sa.String(20), nullable=True),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("workspace_id", "name", name="uq_sources_workspace_name"),
)
sa.Index("ix_sources_due", sources.c.enabled, sources.c.due_at)

source_runs = sa.Table(
    "source_runs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    sa.Column("worker", sa.String(100), nullable=True),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # ok | not_modified | partial | error
    sa.Column("http_status", sa.Integer, nullable=True),
    sa.Column("fetched_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("new_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("duplicate_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unmatched_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=True),
)
sa.Index("ix_source_runs_source_started", source_runs.c.source_id, source_runs.c.started_at)

mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    sa.Column("external_id", sa.String(512), nullable=False),
    sa.Column("url", sa.Text, nullable=True),
    sa.Column("canonical_url", sa.String(2048), nullable=True),
    sa.Column("content_hash", sa.String(64), nullable=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("search_text", sa.Text, nullable=False),  # normalised title + text, for accent-blind search
    sa.Column("author", sa.String(300), nullable=True),
    sa.Column("author_reach", sa.BigInteger, nullable=True),
    sa.Column("engagement", sa.JSON, nullable=False),
    sa.Column("lang", sa.String(8), nullable=True),
    sa.Column("sentiment_compound", sa.Float, nullable=True),
    sa.Column("sentiment_label", sa.String(10), nullable=True),
    sa.Column("complaint", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("risk", sa.SmallInteger, nullable=True),  # crisis risk 0-100, reasons in `scores`
    sa.Column("scores", sa.JSON, nullable=False),  # explanations of every score
    # A person's sentiment correction: it wins over the model's label (kept in sentiment_label) and is labelled data.
    sa.Column("sentiment_manual", sa.String(10), nullable=True),
    sa.Column("sentiment_corrected_at", UTCDateTime(), nullable=True),
    sa.Column("published_at", UTCDateTime(), nullable=False),
    sa.Column("published_estimated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("fetched_at", UTCDateTime(), nullable=False),
    # Idempotent ingestion: the same item from the same source, the same URL, the same content are one mention.
    sa.UniqueConstraint("source_id", "external_id", name="uq_mentions_source_external"),
    sa.UniqueConstraint("workspace_id", "canonical_url", name="uq_mentions_workspace_url"),
    sa.UniqueConstraint("workspace_id", "content_hash", name="uq_mentions_workspace_hash"),
)
sa.Index("ix_mentions_feed", mentions.c.workspace_id, mentions.c.published_at, mentions.c.id)
sa.Index("ix_mentions_source", mentions.c.source_id, mentions.c.published_at)

mention_brands = sa.Table(
    "mention_brands",
    metadata,
    sa.Column("mention_id", BigId, sa.ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("brand_id", sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("matched_terms", sa.JSON, nullable=False),
)
sa.Index("ix_mention_brands_brand", mention_brands.c.brand_id, mention_brands.c.mention_id)

# Each brand's mentions per 15-minute UTC bucket (a local day in any zone is whole ones): kept at ingest, never purged.
mention_rollups = sa.Table(
    "mention_rollups",
    metadata,
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("brand_id", sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("bucket_start", UTCDateTime(), primary_key=True),
    sa.Column("mentions", sa.Integer, nullable=False),
    sa.Column("negative", sa.Integer, nullable=False),
    sa.Column("neutral", sa.Integer, nullable=False),
    sa.Column("positive", sa.Integer, nullable=False),
    sa.Column("complaints", sa.Integer, nullable=False),
    sa.Column("risk_sum", sa.BigInteger, nullable=False),  # unscored mentions count as risk 0
    sa.Column("risk_max", sa.SmallInteger, nullable=False),
)
sa.Index("ix_mention_rollups_workspace", mention_rollups.c.workspace_id, mention_rollups.c.bucket_start)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the only kind the database accepts)."""
    return datetime.now(UTC)


incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("brand_id", sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), nullable=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=True),
    sa.Column("kind", sa.String(30), nullable=False),  # storm | high_risk_mention | silence
    sa.Column("dedup_key", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # open | acknowledged | resolved
    sa.Column("severity", sa.String(10), nullable=False),  # info | warning | critical
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("peak_score", sa.Integer, nullable=False),
    sa.Column("mention_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("peak_rate", sa.Float, nullable=True),  # mentions per hour at the peak
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),  # components, facts, top terms, sources, sentiment split
    sa.Column("window_start", UTCDateTime(), nullable=False),
    sa.Column("window_end", UTCDateTime(), nullable=False),
    sa.Column("calm_streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("opened_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    sa.Column("resolution", sa.String(30), nullable=True),  # auto | handled | false_positive | benign
    sa.Column("resolution_note", sa.Text, nullable=True),
    sa.Column("snoozed_until", UTCDateTime(), nullable=True),
)
sa.Index("ix_incidents_feed", incidents.c.workspace_id, incidents.c.opened_at, incidents.c.id)
# One live incident per storm: a second "open" row for the same brand and kind is refused by the database.
sa.Index(
    "uq_incidents_live",
    incidents.c.workspace_id,
    incidents.c.dedup_key,
    unique=True,
    sqlite_where=incidents.c.status != "resolved",
    postgresql_where=incidents.c.status != "resolved",
)

incident_events = sa.Table(
    "incident_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("incident_id", BigId, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    # opened | updated | escalated | acknowledged | snoozed | resolved | reopened
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(100), nullable=True),  # "vigie" for detection, else who acted
    sa.Column("detail", sa.JSON, nullable=False),
)
sa.Index("ix_incident_events_incident", incident_events.c.incident_id, incident_events.c.id)

incident_mentions = sa.Table(
    "incident_mentions",
    metadata,
    sa.Column("incident_id", BigId, sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("mention_id", BigId, sa.ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("rank", sa.Integer, nullable=False),  # importance in the incident (reach, risk): 0 first
)

# --- delivery: channels, routes, silences, the notification log, the outbox and its attempts

channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # webhook | slack | email
    sa.Column("config", sa.JSON, nullable=False),  # what the API may show: e-mail recipients, the URL's host
    sa.Column("secrets", sa.JSON, nullable=False),  # never shown after creation: URLs, signing secrets
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("disabled_reason", sa.Text, nullable=True),  # e.g. the receiver answered 410 Gone
    sa.Column("next_send_at", UTCDateTime(), nullable=True),  # rate limit (Slack: ~1 message/s per webhook)
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("workspace_id", "name", name="uq_channels_workspace_name"),
)

routes = sa.Table(
    "routes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),  # matchers, window, channels, timers, escalation (RouteSpec)
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("workspace_id", "name", name="uq_routes_workspace_name"),
)

silences = sa.Table(
    "silences",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("brand", sa.String(200), nullable=True),
    sa.Column("kind", sa.String(30), nullable=True),
    sa.Column("severity", sa.String(10), nullable=True),
    sa.Column("starts_at", UTCDateTime(), nullable=False),
    sa.Column("ends_at", UTCDateTime(), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    _created(),
)
sa.Index("ix_silences_workspace_ends", silences.c.workspace_id, silences.c.ends_at)

route_logs = sa.Table(
    "route_logs",
    metadata,
    sa.Column("incident_id", BigId, sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("route_id", sa.Integer, sa.ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("log", sa.JSON, nullable=False),  # alerts.routing.RouteLog
    sa.Column("wake_at", UTCDateTime(), nullable=True),  # when the route must look at the incident again
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
sa.Index("ix_route_logs_wake", route_logs.c.wake_at)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("incident_id", BigId, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=True),
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id", ondelete="CASCADE"), nullable=False),
    sa.Column("route_id", sa.Integer, sa.ForeignKey("routes.id", ondelete="SET NULL"), nullable=True),
    sa.Column("message_id", sa.String(64), nullable=False, unique=True),  # webhook-id: stable across retries
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # pending | delivered | dead | cancelled
    sa.Column("due_at", UTCDateTime(), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_owner", sa.String(100), nullable=True),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),  # the message as of the incident change (IncidentMessage)
    sa.Column("last_status_code", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),  # an excerpt without secrets
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
)
sa.Index("ix_deliveries_due", deliveries.c.status, deliveries.c.due_at)
sa.Index("ix_deliveries_order", deliveries.c.channel_id, deliveries.c.incident_id, deliveries.c.id)
sa.Index("ix_deliveries_feed", deliveries.c.workspace_id, deliveries.c.id)

delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", BigId, sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("worker", sa.String(100), nullable=True),
    sa.Column("outcome", sa.String(20), nullable=False),  # delivered | retry | failed | gone
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
)
sa.Index("ix_delivery_attempts_delivery", delivery_attempts.c.delivery_id, delivery_attempts.c.id)

# Acknowledge links are signed and expire; a link used once is recorded here and refused the second time.
ack_link_uses = sa.Table(
    "ack_link_uses",
    metadata,
    sa.Column("nonce", sa.String(64), primary_key=True),
    sa.Column("incident_id", BigId, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("used_at", UTCDateTime(), nullable=False),
)

# Keys Vigie makes for itself on first use (the acknowledge-link signing key), unless the environment gives one.
instance_secrets = sa.Table(
    "instance_secrets",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    _created(),
)

# API keys: each opens one workspace with a scope. Only a hash of the key is kept; `prefix` names it in lists.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),  # the key's first characters, not enough to use it
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),  # SHA-256 of the key, hex
    sa.Column("scope", sa.String(10), nullable=False),  # read | write | admin
    _created(),
    sa.Column("last_used_at", UTCDateTime(), nullable=True),  # updated at most once a minute
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
)
sa.Index("ix_api_keys_workspace", api_keys.c.workspace_id, api_keys.c.id)

# Host pacing shared by every collector process: the earliest time (epoch seconds) the next request to a host
# may leave. Collectors of one kind reserve turns here, so that 50 Reddit sources on 3 workers still ask
# Reddit no faster than its rules allow. Keys are "host[:port]".
host_pacing = sa.Table(
    "host_pacing",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("next_at", sa.Float, nullable=False),
)

# Curation: a mention marked spam or irrelevant for a brand (its link to the brand is removed, and re-matching never
# puts it back), or "relevant" again. The log of who decided what, and the memory of re-matching.
mention_curations = sa.Table(
    "mention_curations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("mention_id", BigId, sa.ForeignKey("mentions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("brand_id", sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), nullable=False),
    sa.Column("mark", sa.String(12), nullable=False),  # spam | irrelevant
    sa.Column("key_name", sa.String(100), nullable=True),  # the API key that marked it
    _created(),
    sa.UniqueConstraint("mention_id", "brand_id", name="uq_mention_curations_mention_brand"),
)
sa.Index("ix_mention_curations_workspace", mention_curations.c.workspace_id, mention_curations.c.id)

# Per-brand blocklists fed by curation (or set by hand): mentions by these authors, from these domains or holding
# these terms are not linked to the brand, at ingest and when re-matching.
brand_blocklist = sa.Table(
    "brand_blocklist",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("brand_id", sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # author | domain | term
    sa.Column("value", sa.String(300), nullable=False),  # normalised: lower-case author, bare domain, term
    sa.Column("mention_id", BigId, sa.ForeignKey("mentions.id", ondelete="SET NULL"), nullable=True),
    _created(),
    sa.UniqueConstraint("brand_id", "kind", "value", name="uq_brand_blocklist_entry"),
)

# Background re-match / re-score of stored mentions after a query or lexicon change, with its progress. Run by the
# alert role in batches; the lease lets another process take over a job whose worker died.
reprocess_jobs = sa.Table(
    "reprocess_jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("brand_id", sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), nullable=True),
    sa.Column("rematch", sa.Boolean, nullable=False),
    sa.Column("rescore", sa.Boolean, nullable=False),
    sa.Column("since", UTCDateTime(), nullable=True),
    sa.Column("status", sa.String(10), nullable=False),  # queued | running | done | failed | cancelled
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("links_added", sa.Integer, nullable=False, server_default="0"),
    sa.Column("links_removed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rescored", sa.Integer, nullable=False, server_default="0"),  # mentions whose scores changed
    sa.Column("last_mention_id", BigId, nullable=False, server_default="0"),
    sa.Column("lease_owner", sa.String(100), nullable=True),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    _created(),
    sa.Column("started_at", UTCDateTime(), nullable=True),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
)
sa.Index("ix_reprocess_jobs_status", reprocess_jobs.c.status, reprocess_jobs.c.id)

# Web page sign-ins: a browser that signed in with an API key holds a random session token in an HttpOnly cookie;
# only its hash is kept. A session acts with its key's workspace and scope, and ends with the key's revocation.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256 of the cookie's token, hex
    sa.Column("api_key_id", sa.Integer, sa.ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),  # sent back by the page's forms and fetch calls
    sa.Column("language", sa.String(8), nullable=True),  # the person's choice; else the workspace's
    _created(),
    sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)
sa.Index("ix_web_sessions_expires", web_sessions.c.expires_at)

# Weekly reports, made on a schedule (once per workspace and period, hence the unique key) or on demand.
reports = sa.Table(  # fmt: skip
    "reports", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("period_start", UTCDateTime(), nullable=False),
    sa.Column("period_end", UTCDateTime(), nullable=False),
    sa.Column("trigger", sa.String(20), nullable=False),  # schedule | demand
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),  # the figures the report shows (app.reports)
    sa.Column("html", sa.Text, nullable=False),  # the page, self-contained
    sa.Column("emailed_at", UTCDateTime(), nullable=True),
    _created(),
    sa.Column("email_due_at", UTCDateTime(), nullable=True),  # 0011, app.reports.mail: due (NULL: none), leased
    sa.Column("email_lease_until", UTCDateTime(), nullable=True),
    sa.Column("email_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("email_error", sa.Text, nullable=True),
    sa.Column("emailed_channels", sa.JSON, nullable=False, server_default=sa.text("'[]'")),
)
sa.Index("ix_reports_workspace", reports.c.workspace_id, reports.c.id)
sa.Index("ix_reports_email_due", reports.c.email_due_at)
_scheduled = reports.c.trigger == "schedule"
sa.Index("uq_reports_scheduled", reports.c.workspace_id, reports.c.period_start, unique=True,
         sqlite_where=_scheduled, postgresql_where=_scheduled)  # fmt: skip
