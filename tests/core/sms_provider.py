"""A stand-in for an SMS provider's backend, for production-settings tests run in a fresh
process (production refuses the console and memory backends)."""

from __future__ import annotations


class ProviderSmsBackend:
    name = "stand-in"

    def send(self, sms: object) -> str:  # pragma: no cover - never sends
        raise RuntimeError("test stand-in: no SMS provider here")
