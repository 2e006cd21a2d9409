"""The one error type that services raise when they refuse a request.

The API turns it into a 4xx with ``{"code": ..., "message": ..., "field": ...}``; pages show the
message next to the field. ``message`` is already translated (gettext) by the raiser.
"""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """A request that the rules refuse. Nothing has been changed when this is raised."""

    status = 400

    def __init__(
        self,
        *,
        code: str,
        message: Any,
        field: str | None = None,
        status: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status
        self.data = data or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": str(self.message),
            "field": self.field,
        }
        if self.data:
            body["data"] = self.data
        return body


class NotFound(Refused):
    """Out of scope or absent: both answer 404 so that scope is not probed."""

    status = 404

    def __init__(self, message: Any = "Not found", **kwargs: Any) -> None:
        kwargs.setdefault("code", "not_found")
        super().__init__(message=message, **kwargs)
