"""The draw algorithm (``hmac-sha256-v1``), kept free of Django so that anyone can re-run it.

Inputs: the revealed seed (32 bytes, 64 hex digits) whose SHA-256 was committed before the
registration window opened; the eligible applicants as (registration id, tier) pairs, where tier
0 is "no no-show in the past year" and tier 1 "at least one"; the number of places.

Order: sort applicants by (tier, HMAC-SHA256(seed, ascii(registration id)) as hex, registration
id); the first ``places`` win. Each registration appears once, and a member has at most one live
registration per session, so nobody wins twice."""

from __future__ import annotations

import hashlib
import hmac

ALGORITHM = "hmac-sha256-v1"


def commitment(seed_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def ticket(seed_hex: str, registration_id: int) -> str:
    return hmac.new(
        bytes.fromhex(seed_hex), str(int(registration_id)).encode("ascii"), hashlib.sha256
    ).hexdigest()


def draw_order(seed_hex: str, applicants: list[tuple[int, int]]) -> list[int]:
    """Registration ids in draw order (a winner first)."""
    if len({rid for rid, _tier in applicants}) != len(applicants):
        raise ValueError("an applicant appears twice")
    return [
        rid
        for rid, _tier in sorted(
            applicants, key=lambda a: (int(a[1]), ticket(seed_hex, a[0]), int(a[0]))
        )
    ]


def verify(proof: dict) -> bool:
    """Recompute a published proof from its own data alone."""
    if commitment(proof["seed"]) != proof["seed_hash"]:
        return False
    order = draw_order(proof["seed"], [(int(a), int(t)) for a, t in proof["applicants"]])
    return order == proof["order"] and order[: int(proof["places"])] == proof["winners"]
