"""The coach's configuration: one typed object built once from the environment (and `.env`), then passed in.

Variable names follow CONTRACTS.md exactly (`SLACK_*` and `MICROSOFT_*` are the platforms' own names; the
coach's own settings carry the `COACH_` prefix).
"""

from __future__ import annotations

from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MASTERY_THRESHOLD = 0.8
"""The probability that a learner's ability clears a level's bar for the level to count as reached (the
default of `COACH_MASTERY_THRESHOLD`)."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Everything the coach reads from its environment. Secrets are `SecretStr` so they never print."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///coach.db", validation_alias=_env("COACH_DATABASE_URL"))

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))
    slack_timeout_seconds: float = Field(
        30.0, gt=0,
        validation_alias=_env("COACH_SLACK_TIMEOUT_SECONDS"),
        description="Seconds a Slack Web API call may take before the coach gives up on its answer (slack_sdk's "
                    "default, 30). A lesson post given up on may still have arrived: the coach looks for it in "
                    "the DM before posting it again (needs the im:history scope).",
    )

    microsoft_app_id: str = Field("", validation_alias=_env("MICROSOFT_APP_ID"))
    microsoft_app_password: SecretStr = Field(SecretStr(""), validation_alias=_env("MICROSOFT_APP_PASSWORD"))
    microsoft_app_tenant_id: str = Field("", validation_alias=_env("MICROSOFT_APP_TENANT_ID"))
    microsoft_app_type: str = Field("MultiTenant", validation_alias=_env("MICROSOFT_APP_TYPE"))
    coach_teams: bool = Field(False, validation_alias=_env("COACH_TEAMS"))
    teams_service_hosts: str = Field(
        "smba.trafficmanager.net,*.botframework.com,*.teams.microsoft.com,*.teams.microsoft.us,"
        "*.botframework.azure.us",
        validation_alias=_env("COACH_TEAMS_SERVICE_HOSTS"),
        description="With an app id: the Bot Framework service hosts (comma-separated, `*.` patterns) the coach "
                    "accepts as an activity's serviceUrl and sends to; anything else is refused.",
    )

    trigger_token: SecretStr | None = Field(None, validation_alias=_env("COACH_TRIGGER_TOKEN"))
    trigger_daily_cap: int = Field(
        10, ge=0,
        validation_alias=_env("COACH_TRIGGER_DAILY_CAP"),
        description="Lessons triggers may bring one learner per local day (0: no cap); beyond, 429. A learner's "
                    "own /learn is never capped.",
    )
    trigger_merge_minutes: float = Field(
        10.0, ge=0,
        validation_alias=_env("COACH_TRIGGER_MERGE_MINUTES"),
        description="Identical triggers (same learner, same request) within this many minutes make one lesson.",
    )
    shoutout_channel: str | None = Field(None, validation_alias=_env("COACH_SHOUTOUT_CHANNEL"))
    privacy_url: str | None = Field(
        None,
        validation_alias=_env("COACH_PRIVACY_URL"),
        description="Your organisation's privacy page (https://…): the Teams app's About tab links to it; unset, "
                    "to the page `coach serve` shows at /privacy.",
    )
    terms_url: str | None = Field(
        None,
        validation_alias=_env("COACH_TERMS_URL"),
        description="Your organisation's terms of use (https://…), as COACH_PRIVACY_URL; unset, /terms.",
    )

    lrs_url: str | None = Field(None, validation_alias=_env("COACH_LRS_URL"))
    lrs_username: str | None = Field(None, validation_alias=_env("COACH_LRS_USERNAME"))
    lrs_password: SecretStr | None = Field(None, validation_alias=_env("COACH_LRS_PASSWORD"))
    lrs_batch: int = Field(100, validation_alias=_env("COACH_LRS_BATCH"), description="statements per POST")
    xapi_base: str = Field(
        "https://learning-coach.invalid/xapi",
        validation_alias=_env("COACH_XAPI_BASE"),
        description="Base IRI of exported activities and the statement id namespace: set it to your own URL.",
    )

    # The dispatcher: how often each process ticks, how much it claims, how fast it may send.
    tick_seconds: float = Field(60.0, validation_alias=_env("COACH_TICK_SECONDS"))
    dispatch_batch: int = Field(200, validation_alias=_env("COACH_DISPATCH_BATCH"))
    dispatch_concurrency: int = Field(8, validation_alias=_env("COACH_DISPATCH_CONCURRENCY"))
    dispatch_lease_seconds: int = Field(300, validation_alias=_env("COACH_DISPATCH_LEASE_SECONDS"))
    sends_per_second: float = Field(
        20.0, gt=0,
        validation_alias=_env("COACH_SENDS_PER_SECOND"),
        description="Messages per second per Teams tenant, shared by every process (Slack has the paces below).",
    )
    # Slack's per-method limits (api.slack.com/docs/rate-limits), per workspace, shared by every process.
    slack_posts_per_minute: float = Field(
        300.0, gt=0,
        validation_alias=_env("COACH_SLACK_POSTS_PER_MINUTE"),
        description="chat.postMessage: Slack allows about one a second per channel and several hundred a minute "
                    "per workspace.",
    )
    slack_tier3_per_minute: float = Field(
        50.0, gt=0,
        validation_alias=_env("COACH_SLACK_TIER3_PER_MINUTE"),
        description="Tier 3 methods (50+ a minute): users.lookupByEmail and conversations.open, a learner's "
                    "first contact.",
    )
    slack_tier4_per_minute: float = Field(
        100.0, gt=0,
        validation_alias=_env("COACH_SLACK_TIER4_PER_MINUTE"),
        description="Tier 4 methods (100+ a minute): users.info, a learner's profile and time zone.",
    )
    slack_burst_seconds: float = Field(
        10.0, ge=1,
        validation_alias=_env("COACH_SLACK_BURST_SECONDS"),
        description="After a quiet spell, this many seconds' worth of each pace may go at once (Slack's limits "
                    "are per minute and allow short bursts).",
    )
    expire_after_days: float = Field(
        3.0,
        validation_alias=_env("COACH_EXPIRE_AFTER_DAYS"),
        description="An unsent trigger, asked-for lesson or nudge that keeps failing expires after this long.",
    )
    team_totals_every: float = Field(
        300.0, ge=0,
        validation_alias=_env("COACH_TEAM_TOTALS_EVERY"),
        description="Seconds between two counts of every manager's team totals by the scheduler (the "
                    "`team-totals` job), which large teams' summaries read; 0 counts them at every tick.",
    )
    default_timezone: str = Field(
        "UTC",
        validation_alias=_env("COACH_DEFAULT_TIMEZONE"),
        description="The zone of learners whose zone neither they, the org chart nor their chat profile gives.",
    )

    # The engine.
    mastery_threshold: float = Field(MASTERY_THRESHOLD, validation_alias=_env("COACH_MASTERY_THRESHOLD"))
    review_share: float = Field(
        0.34,
        validation_alias=_env("COACH_REVIEW_SHARE"),
        description="Largest share of recent deliveries that may be spaced reviews, so learning keeps moving.",
    )

    search_model: str | None = Field(
        None,
        validation_alias=_env("COACH_SEARCH_MODEL"),
        description="A model2vec folder or model id that re-ranks topic search; off when unset (needs '.[search]').",
    )

    log_level: str | None = Field(None, validation_alias=_env("COACH_LOG_LEVEL"))

    @field_validator("privacy_url", "terms_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        """Teams takes only https links in an app's About tab: refuse anything else at start."""
        if value is not None and not value.startswith("https://"):
            raise ValueError(f"must be an https:// address, not {value!r}")
        return value or None

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """A misspelt default would put a whole organisation's lessons in the wrong hours: refuse it at start."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"COACH_DEFAULT_TIMEZONE: '{value}' is not a time zone name like Europe/Berlin") from None
        return value

    @property
    def service_hosts(self) -> tuple[str, ...] | None:
        """The allowed Teams service hosts, or None in dev mode (no app id: nothing is authenticated)."""
        if not self.microsoft_app_id:
            return None
        return tuple(host.strip() for host in self.teams_service_hosts.split(",") if host.strip())

    @property
    def slack_enabled(self) -> bool:
        """Slack is on when the app's token and signing secret are both set (CONTRACTS.md)."""
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @property
    def teams_enabled(self) -> bool:
        """Teams is on with `COACH_TEAMS=1` or as soon as an app id is configured."""
        return self.coach_teams or bool(self.microsoft_app_id)

    @cached_property
    def secret_values(self) -> tuple[str, ...]:
        """The secrets' plain values, so that log filters can mask them wherever they appear."""
        values = [
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.microsoft_app_password,
            self.trigger_token,
            self.lrs_password,
        ]
        return tuple(v.get_secret_value() for v in values if v is not None and v.get_secret_value())
