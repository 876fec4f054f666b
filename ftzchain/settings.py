"""Settings of an FTZ Chain zone node: one class, read once from ``FTZ_*`` variables or ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ftzchain.errors import ConfigError


class FtzSettings(BaseSettings):
    """Everything the CLI, indexer and API read from the environment."""

    model_config = SettingsConfigDict(env_prefix="FTZ_", env_file=".env", extra="ignore")

    project_root: Path = Field(
        default=Path("."), description="Folder holding contracts/ and node_modules/"
    )
    state_dir: Path = Field(
        default=Path(".ftz"), description="Keystores, deployment manifests, devnet files"
    )
    rpc_url: str = Field(default="http://127.0.0.1:8545", description="JSON-RPC endpoint")
    rpc_fallback_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Other zones' nodes of the same chain (comma-separated), used in turn "
        "when the FTZ_RPC_URL node stops answering",
    )
    chain_id: int | None = Field(
        default=None, description="Expected chain id; the client refuses any other node"
    )
    database_url: str = Field(default="sqlite:///.ftz/ftz.db", description="SQLAlchemy URL")
    keystore_password: SecretStr | None = Field(
        default=None, description="Password of the keystores (prompted for when unset)"
    )
    keystore_scrypt_n: int = Field(
        default=2**18, ge=2**10, description="scrypt cost of new keystores (lower only for tests)"
    )
    sender: str | None = Field(
        default=None, description="Keystore name of the zone-node key that submits transactions"
    )
    confirmations: int = Field(
        default=0, ge=0, description="Blocks the indexer stays behind the head"
    )
    poll_interval: float = Field(default=1.0, gt=0, description="Indexer follow-mode poll (s)")
    log_range: int = Field(default=1000, ge=1, description="Largest eth_getLogs block range")
    max_reorg_depth: int = Field(
        default=64, ge=1, description="Deepest reorg the indexer rolls back; deeper ones stop it"
    )
    prefetch: int = Field(default=3, ge=1, description="Ranges the indexer fetches ahead")
    rpc_timeout: float = Field(default=30.0, gt=0, description="Seconds per JSON-RPC request")
    rpc_retries: int = Field(
        default=5, ge=0, description="Retries of a failed JSON-RPC request (backoff 0.1s→5s)"
    )
    tx_timeout: float = Field(default=120.0, gt=0, description="Seconds to wait for a receipt")
    consortium_key: SecretStr | None = Field(
        default=None,
        description="Key member zones share for keyed fingerprints of identifiers (hex)",
    )
    anchor_rpc_url: str | None = Field(
        default=None, description="JSON-RPC endpoint of the independent chain anchors go to"
    )
    anchor_chain_id: int | None = Field(
        default=None, description="Expected chain id of the anchor chain"
    )
    anchor_sender: str | None = Field(
        default=None, description="Keystore name of the key that pays for anchor transactions"
    )
    anchor_interval: float = Field(
        default=300.0, gt=0, description="Seconds between anchors in `ftz anchor run`"
    )
    public_url: str | None = Field(
        default=None,
        description="Base URL of this zone's API, printed on certificates "
        "(default http://API_HOST:API_PORT)",
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_rpc_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Seconds the API waits for the chain node (evidence, prepared calls) "
        "before answering 503",
    )
    api_workers: int = Field(
        default=1, ge=1, description="`ftz serve` processes (one per core uses the machine)"
    )
    api_max_in_flight: int = Field(
        default=48,
        ge=1,
        description="Requests the API works on at once; more are answered 503 with "
        "Retry-After at once (/healthz is never refused)",
    )
    db_pool_size: int = Field(
        default=24, ge=1, description="Database connections each API process keeps at most"
    )
    db_pool_timeout: float = Field(
        default=3.0, gt=0, description="Seconds a request waits for a connection (then 503)"
    )
    rate_limit_per_minute: int = Field(
        default=600,
        ge=0,
        description="Requests per minute one client may make to the look-up and verification "
        "endpoints (0: no limit); more get 429 with Retry-After",
    )
    lookup_rate_per_minute: int = Field(
        default=120,
        ge=0,
        description="Look-ups by a guessable id (a number, an EPC) per minute one signed-in "
        "caller may make, by its address (0: no limit); more get 429 with Retry-After",
    )
    max_upload_bytes: int = Field(
        default=1 << 30,
        gt=0,
        description="Largest work `POST /v1/ip/verify` hashes (streamed; memory stays flat)",
    )
    zone: str | None = Field(
        default=None,
        description="Code of the zone this node serves (e.g. CN-SH): its intake API relays "
        "records of enterprises bound to this zone",
    )
    intake_max_bytes: int = Field(
        default=8 * 1024 * 1024 + 512 * 1024,
        gt=0,
        description="Largest body `POST /v1/submissions` reads (an EPCIS document and its "
        "signed events)",
    )
    session_ttl: int = Field(
        default=3600, ge=60, description="Seconds a sign-in session lasts (at most)"
    )
    sign_in_nonce_ttl: int = Field(
        default=300, ge=10, description="Seconds a sign-in nonce may wait for its login"
    )
    devnet_port: int = 8545
    devnet_chain_id: int = 31337

    @field_validator("rpc_fallback_urls", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [url.strip() for url in value.split(",") if url.strip()]
        return value

    @property
    def keystore_dir(self) -> Path:
        return self.state_dir / "keystore"

    @property
    def deployments_dir(self) -> Path:
        return self.state_dir / "deployments"

    @property
    def outbox_path(self) -> Path:
        """The writer's durable outbox (SQLite): what this node has queued to send."""
        return self.state_dir / "outbox.db"

    @property
    def anchor_manifests_dir(self) -> Path:
        return self.state_dir / "anchors"

    @property
    def api_base_url(self) -> str:
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def build_dir(self) -> Path:
        return self.project_root / "build"


@lru_cache(maxsize=1)
def get_settings() -> FtzSettings:
    """The process-wide settings, loaded on first use; a bad value is a :class:`ConfigError`
    naming its variable."""
    try:
        return FtzSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"FTZ_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
