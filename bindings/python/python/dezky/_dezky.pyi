# Hand-written stubs of the native module; `python -m mypy.stubtest dezky._dezky`
# (run by test.sh) fails when they drift from the compiled module.
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, final

__version__: str
__all__ = [
    "FlagSet",
    "FlagStore",
    "Subscription",
    "bucket",
    "preview_rollout",
    "openfeature_reason",
    "reasons",
    "flag_context",
    "TokenVerifier",
    "authorize",
    "parse_zone_file",
    "expected_records",
    "verify_domain",
    "verify_domain_sync",
    "verify_domains",
    "verify_domains_sync",
    "reset_after_fork",
    "runtime_pid",
    "__version__",
]

@final
class FlagSet:
    def __new__(cls) -> FlagSet: ...
    @staticmethod
    def from_json(text: str) -> FlagSet: ...
    @staticmethod
    def from_flags(flags: Sequence[Mapping[str, Any]]) -> FlagSet: ...
    def to_json(self) -> str: ...
    def flags(self) -> list[dict[str, Any]]: ...
    def get(self, key: str) -> dict[str, Any] | None: ...
    def keys(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: object, /) -> bool: ...
    def __eq__(self, value: object, /) -> bool: ...
    def evaluate(
        self,
        key: str,
        ctx: Mapping[str, str | None] | None = None,
        kwargs: Mapping[str, str | None] | None = None,
    ) -> dict[str, Any]: ...
    def evaluate_all(
        self,
        ctx: Mapping[str, str | None] | None = None,
        kwargs: Mapping[str, str | None] | None = None,
    ) -> dict[str, bool]: ...
    def create(
        self, key: str, description: str, actor: str, at: datetime | None = None
    ) -> tuple[FlagSet, dict[str, Any]]: ...
    def update(
        self, key: str, changes: Mapping[str, Any], actor: str, at: datetime | None = None
    ) -> tuple[FlagSet, dict[str, Any] | None]: ...
    def kill(self, key: str, actor: str, at: datetime | None = None) -> tuple[FlagSet, dict[str, Any]]: ...
    def delete(self, key: str, actor: str, at: datetime | None = None) -> tuple[FlagSet, dict[str, Any]]: ...

@final
class FlagStore:
    def __new__(cls, flags: FlagSet | None = None) -> FlagStore: ...
    @staticmethod
    def from_file(
        path: str, interval: float = 30.0, max_backoff: float = 300.0, stale_after: float = 120.0
    ) -> FlagStore: ...
    @staticmethod
    def connect_file(
        path: str, interval: float = 30.0, max_backoff: float = 300.0, stale_after: float = 120.0
    ) -> Awaitable[FlagStore]: ...
    @staticmethod
    def from_http(
        url: str,
        token: str | None = None,
        interval: float = 30.0,
        max_backoff: float = 300.0,
        stale_after: float = 120.0,
    ) -> FlagStore: ...
    @staticmethod
    def connect_http(
        url: str,
        token: str | None = None,
        interval: float = 30.0,
        max_backoff: float = 300.0,
        stale_after: float = 120.0,
    ) -> Awaitable[FlagStore]: ...
    def flags(self) -> FlagSet: ...
    def evaluate(
        self,
        key: str,
        ctx: Mapping[str, str | None] | None = None,
        kwargs: Mapping[str, str | None] | None = None,
    ) -> dict[str, Any]: ...
    def evaluate_all(
        self,
        ctx: Mapping[str, str | None] | None = None,
        kwargs: Mapping[str, str | None] | None = None,
    ) -> dict[str, bool]: ...
    def refresh(self) -> Awaitable[dict[str, Any]]: ...
    def refresh_sync(self) -> dict[str, Any]: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    @property
    def running(self) -> bool: ...
    def status(self) -> dict[str, Any]: ...
    def replace(self, flags: FlagSet) -> list[str]: ...
    def on_change(self, callback: Callable[[list[str]], object]) -> Subscription: ...

@final
class Subscription:
    def unsubscribe(self) -> None: ...
    @property
    def active(self) -> bool: ...
    def __enter__(self) -> Subscription: ...
    def __exit__(
        self,
        *_args: type[BaseException] | BaseException | TracebackType | None,
    ) -> bool: ...

def bucket(subject: str, key: str) -> int: ...
def preview_rollout(flag: Mapping[str, Any], contexts: Sequence[Mapping[str, str | None]]) -> dict[str, Any]: ...
def openfeature_reason(reason: str) -> str: ...
def reasons() -> list[str]: ...
def flag_context(
    tenant: Mapping[str, Any], partner: Mapping[str, Any] | None, environment: str
) -> dict[str, str]: ...
def reset_after_fork() -> None: ...
def runtime_pid() -> int | None: ...

def parse_zone_file(text: str, origin: str | None = None) -> list[dict[str, Any]]: ...
def expected_records(
    domain: str, zone_file: str, ownership_token: str | None = None
) -> dict[str, Any]: ...
def verify_domain(
    domain: str,
    zone_file: str,
    ownership_token: str | None = None,
    nameservers: Sequence[str] | None = None,
    port: int = 53,
    timeout: float = 2.0,
    attempts: int = 2,
    authoritative: bool = False,
) -> Awaitable[dict[str, Any]]: ...
def verify_domain_sync(
    domain: str,
    zone_file: str,
    ownership_token: str | None = None,
    nameservers: Sequence[str] | None = None,
    port: int = 53,
    timeout: float = 2.0,
    attempts: int = 2,
    authoritative: bool = False,
) -> dict[str, Any]: ...
def verify_domains(
    domains: Sequence[tuple[str, str, str | None]],
    nameservers: Sequence[str] | None = None,
    port: int = 53,
    timeout: float = 2.0,
    attempts: int = 2,
    authoritative: bool = False,
    concurrency: int = 16,
) -> Awaitable[list[dict[str, Any]]]: ...
def verify_domains_sync(
    domains: Sequence[tuple[str, str, str | None]],
    nameservers: Sequence[str] | None = None,
    port: int = 53,
    timeout: float = 2.0,
    attempts: int = 2,
    authoritative: bool = False,
    concurrency: int = 16,
) -> list[dict[str, Any]]: ...

@final
class TokenVerifier:
    def __new__(
        cls,
        issuers: str | Sequence[str] | None = None,
        audiences: str | Sequence[str] | None = None,
        *,
        clients: Sequence[Mapping[str, str]] | None = None,
        leeway_seconds: float | None = None,
        key_ttl_seconds: float | None = None,
        min_refresh_interval_seconds: float | None = None,
        max_stale_seconds: float | None = None,
    ) -> TokenVerifier: ...
    @staticmethod
    def from_env() -> TokenVerifier: ...
    def verify_token(self, token: object) -> Awaitable[dict[str, Any]]: ...
    def verify_token_sync(self, token: object) -> dict[str, Any]: ...
    def clients(self) -> list[dict[str, str]]: ...

def authorize(
    rule: str,
    subject: object,
    surface: object,
    user: object,
    tenant: object = None,
    partner: object = None,
    target: object = None,
) -> None: ...
