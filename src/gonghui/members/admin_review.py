"""Console review queues: enrolments and transfer requests (registered from members/admin.py)."""
