"""Settings > Local API and Webhooks as the windows see them: the API's switch, its tokens (values only in the
keychain, shown once) and the webhook subscriptions with their delivery log (the api package does the work)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..api.tokens import ApiTokens
from ..api.webhook_store import Endpoint
from ..api.webhooks import EVENTS as WEBHOOK_EVENTS, WebhookService
from ..kernel.errors import InputError
from ..store import Database

__all__ = ["ApiSettings", "Endpoint", "IntegrationsService", "WEBHOOK_EVENTS"]


@dataclass(frozen=True)
class ApiSettings:
    enabled: bool = False
    port: int = 8765
    lan: bool = False  # reachable from other computers on the shop's network, not only this one


class IntegrationsService:
    """`tokens` (create, names, revoke) and `webhooks` (subscribe, endpoints, send_test, turn_on, unsubscribe,
    delivery_log) are the api package's own services; this adds the API's settings."""

    def __init__(self, db: Database, tokens: ApiTokens, webhooks: WebhookService, *,
                 on_api_change: Callable[[], None] = lambda: None) -> None:
        self.db, self.tokens, self.webhooks, self.on_api_change = db, tokens, webhooks, on_api_change

    def api_settings(self) -> ApiSettings:
        def on(key: str) -> bool:
            return (self.db.get_setting(key) or "0") in ("1", "true", "yes")

        return ApiSettings(on("api.enabled"), int(self.db.get_setting("api.port") or ApiSettings.port), on("api.lan"))

    def save_api_settings(self, settings: ApiSettings) -> None:
        """The app's Local API job follows at once: started, restarted on the new port, or stopped."""
        before = self.api_settings()
        if not 1024 <= settings.port <= 65535:
            raise InputError(f"Port {settings.port} can't be used.", "Pick a port from 1024 to 65535.")
        for key, value in (("api.enabled", settings.enabled), ("api.port", settings.port), ("api.lan", settings.lan)):
            self.db.set_setting(key, str(int(value)) if isinstance(value, bool) else str(value))
        if settings != before:
            self.on_api_change()
