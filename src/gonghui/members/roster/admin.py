"""Console pages for roster import and export (registered from members/admin.py)."""
