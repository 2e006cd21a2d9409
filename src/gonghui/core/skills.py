"""Vocational skill levels (国家职业资格 / 职业技能等级), shared by ``academy`` (certificate
records) and ``jobs`` (skill-pay linkage, 技能与薪酬挂钩). In ``core`` so both can import it
without importing each other."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SkillLevel(models.TextChoices):
    """Five levels, lowest first; ``rank()`` gives their order (1 to 5)."""

    JUNIOR = "junior", _("Junior worker")  # 初级工 (五级)
    INTERMEDIATE = "intermediate", _("Intermediate worker")  # 中级工 (四级)
    SENIOR = "senior", _("Senior worker")  # 高级工 (三级)
    TECHNICIAN = "technician", _("Technician")  # 技师 (二级)
    SENIOR_TECHNICIAN = "senior_technician", _("Senior technician")  # 高级技师 (一级)

    @classmethod
    def rank(cls, level: str) -> int:
        """1 for junior … 5 for senior technician; ValueError for an unknown level."""
        return list(cls.values).index(level) + 1
