"""The benches' SMS backend: production settings refuse the console and memory backends (they send
nothing, see ``core.prodcheck``); a bench sends no SMS either, but says so by name. Importable by
the bench's gunicorn workers because ``bench/`` is on their ``PYTHONPATH``."""

from __future__ import annotations


class BenchSmsBackend:
    def send(self, *, phone: str, message: str) -> None:  # a bench signs no member in by SMS
        return None
