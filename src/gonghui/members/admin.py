"""Staff console for members: org-scoped, masked by default, audited."""

from .roster import admin as roster_admin  # noqa: F401  (registers the roster console pages)
