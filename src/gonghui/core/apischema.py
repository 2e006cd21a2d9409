"""The schemas every API module shares: one ``Error`` body for every refusal.

Every ``api.py`` answers a refusal as ``{"code": ..., "message": ..., "field": ...}``: ``code`` is
stable and machine-readable, ``message`` is translated for the person, ``field`` names the input at
fault when there is one, ``data`` (optional) carries details a refusal may add (``Refused.data``). Declared once here so that the OpenAPI document has one ``Error`` schema.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema


class Error(Schema):
    code: str
    message: str
    field: str | None = None
    data: dict[str, Any] | None = None  # details some refusals carry (``Refused.data``)
