"""The one typed settings object. Every other module receives settings; none reads the environment."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "ali-vilab/i2vgen-xl"  # I2VGen-XL stays the default family


class Settings(BaseSettings):
    """Operator configuration, read from `I2V_*` environment variables (and an optional `.env`)."""

    model_config = SettingsConfigDict(env_prefix="I2V_", env_file=".env", extra="ignore")

    model: str = Field(DEFAULT_MODEL, description="The default model: hub id, local folder, or a test model ('tiny', 'tiny-wan', 'tiny-ltx').")
    models: str = Field(
        "", description="Comma-separated further model ids (hub ids or local folders) jobs may choose; downloaded "
        "known hub ids are offered anyway."
    )
    revision: str | None = Field(None, description="Hub revision (branch, tag or commit) of the default model.")
    home: Path = Field(Path("outputs"), description="Archive root for videos, recipes and the job database.")
    device: Literal["auto", "cuda", "mps", "cpu"] = "auto"
    dtype: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    offload: Literal["auto", "none", "model", "sequential"] = "auto"
    vae_chunk: int = Field(0, ge=0, description="Frames per VAE decode chunk; 0 lets the memory plan choose.")
    release_encoders: Literal["auto", "on", "off"] = Field(
        "auto", description="Drop the text/image encoders after each job's embeddings (saves RAM, costs a reload per job)."
    )

    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    auth: SecretStr | None = Field(None, description="Password/token required when bound beyond loopback.")
    allow_open: bool = Field(False, description="Allow a non-loopback bind without I2V_AUTH (explicit opt-in).")
    allowed_hosts: str = Field(
        "", description="Comma-separated extra host names a loopback-bound server answers to (e.g. behind a reverse proxy)."
    )
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty: the headers are ignored and the connecting address is the client.",
    )
    client_timeout_s: float = Field(
        15.0, gt=0, le=600, description="A connection must send its request headers within this many seconds, and a "
        "request body may pause no longer than this; slower clients are answered 408 and disconnected.",
    )
    shutdown_grace_s: float = Field(
        2.0, gt=0, le=600, description="On Ctrl-C (or SIGTERM), open connections (a studio tab's streams) get this "
        "many seconds to finish before they are closed and the server exits.",
    )
    access_log: bool = Field(
        False, description="Print one line per HTTP request (off: the studio's polling would fill the terminal).",
    )

    max_upload_mb: int = Field(20, ge=1)
    max_image_pixels: int = Field(40_000_000, ge=1_000_000, description="Decompression-bomb limit.")
    max_queued: int = Field(20, ge=1)
    max_queued_per_client: int = Field(3, ge=1)
    min_free_mb: int = Field(
        500, ge=0, description="Refuse new jobs (HTTP 507) while the archive's disk has less free space than this."
    )
    keep_days: float | None = Field(
        None, gt=0, description="Retention: delete finished jobs (and their videos), and lessons untouched, older than this many days."
    )
    max_archive_gb: float | None = Field(
        None, gt=0, description="Retention: delete the oldest finished videos while the archive is larger than this."
    )

    broker: str | None = Field(
        None, description="Redis URL of the broker that hands jobs to GPU workers on other machines "
        "(redis://[:password@]host:6379/0, rediss:// for TLS). Unset: this server runs every job itself.",
    )
    worker_token: SecretStr | None = Field(
        None, description="Token GPU workers authenticate with (required with I2V_BROKER). Worker endpoints refuse "
        "the teachers' I2V_AUTH, and every other route refuses this token.",
    )
    lease_s: float = Field(
        30.0, gt=0, le=3600, description="A worker's claim on a job lasts this long without a heartbeat or progress "
        "report; then the job is re-queued (counted as an attempt) or, after the second loss, failed.",
    )
    worker_heartbeat_s: float = Field(10.0, gt=0, le=600, description="How often a GPU worker reports to the server.")
    broker_heartbeat_timeout_s: float = Field(
        60.0, gt=0, le=3600, description="A worker silent on Redis this long is dead to the broker: the sweep puts "
        "its unfinished message back on the queue for another worker.",
    )
    sweep_s: float = Field(
        5.0, gt=0, le=600, description="How often the server expires leases, re-queues dead workers' messages and "
        "re-sends jobs queued without a message (Redis lost its data).",
    )
    job_time_limit_min_s: float = Field(
        900.0, gt=0, description="A remote job's time limit is 3x its estimate, never less than this (seconds)."
    )
    job_time_limit_max_s: float = Field(
        6 * 3600.0, gt=0, description="... and never more than this; also the limit of a job without an estimate."
    )

    lesson_max_scenes: int = Field(24, ge=1, le=500, description="Most scenes one lesson may have.")
    lesson_max_frames: int = Field(
        1500, ge=8, description="Most frames all scenes of one lesson may generate together (GPU time guard)."
    )
    lesson_max_upload_mb: int = Field(40, ge=1, description="Largest lesson upload (outline, graph or zip of pictures).")
    lesson_max_recording_s: float = Field(300.0, gt=0, description="Longest recording of one scene's narration "
                                          "(the teacher's own voice), in seconds.")
    lesson_max_unpacked_mb: int = Field(
        200, ge=1, description="Most a lesson zip may unpack to; larger zips are refused as zip bombs."
    )

    @property
    def extra_models(self) -> tuple[str, ...]:
        return tuple(m.strip() for m in self.models.split(",") if m.strip())

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            if item:
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/24)") from None
        return value

    @model_validator(mode="after")
    def _worker_timing(self) -> Settings:
        if self.worker_heartbeat_s * 2 > self.lease_s:
            raise ValueError(f"I2V_WORKER_HEARTBEAT_S ({self.worker_heartbeat_s:g}) must be at most half of I2V_LEASE_S "
                             f"({self.lease_s:g}), or a single late heartbeat would lose a running job")
        if self.job_time_limit_min_s > self.job_time_limit_max_s:
            raise ValueError("I2V_JOB_TIME_LIMIT_MIN_S must not exceed I2V_JOB_TIME_LIMIT_MAX_S")
        return self

    @property
    def db_path(self) -> Path:
        return self.home / "jobs.sqlite3"
