"""Demo data for a Yuhuan-like city federation (``gonghui demo``). Top of the import direction."""
