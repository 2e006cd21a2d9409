"""Gonghui (工惠码): one benefit code for a trade-union federation's members."""

from .celery import app as celery_app

__all__ = ["celery_app"]
