"""Who did it: one answer to "is this actor a staff user?".

Services take ``actor`` as a staff ``User``, a member ``Session``, a terminal, a system string
(``"system"``, ``"import"``) or ``None``. Only a signed-in staff user is recorded as the person who
did a thing (``created_by``, ``decided_by``) and only a staff user's writes are audited as theirs.
"""

from __future__ import annotations

from typing import Any


def is_staff_actor(actor: Any) -> bool:
    """True for a signed-in staff user; false for a member session, a terminal, a string, None."""
    return bool(getattr(actor, "is_authenticated", False))
