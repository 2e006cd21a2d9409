"""Settings of bench/redeem.py: the production settings, with the per-terminal scan limit lifted.

A real checkout scans a member every few seconds, so the production limit is 240 scans a minute
per terminal; each simulated terminal of the bench scans as fast as the server answers. Every
other limit (per holder, refused codes per terminal) and every other setting stays as in
production. The cache key prefix keeps the bench's rate-limit counters apart in a shared Redis.
"""

from gonghui.settings import *  # noqa: F403
from gonghui.settings import CACHES

GONGHUI_CODES_RATE_LIMITS = {"terminal": (1_000_000, 60)}
CACHES["default"]["KEY_PREFIX"] = "gonghui-bench-redeem"
