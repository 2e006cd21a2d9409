"""A stand-in for an SMS provider's backend, for production-settings tests run in a fresh
process (production refuses the console and memory backends)."""

from __future__ import annotations


class ProviderSmsBackend:
    def send(self, *, phone: str, message: str) -> None:  # pragma: no cover - never sends
        raise RuntimeError("test stand-in: no SMS provider here")
