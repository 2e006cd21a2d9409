"""Staff console for members: org-scoped, masked by default, audited."""

from . import admin_review  # noqa: F401  (registers the enrolment and transfer review queues)
from .roster import admin as roster_admin  # noqa: F401  (registers the roster console pages)
