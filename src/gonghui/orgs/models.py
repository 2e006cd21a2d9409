"""The union tree, enterprises and staff role assignments."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from gonghui.core.identifiers import InvalidIdentifier, validate_uscc


def validate_uscc_field(value: str) -> None:
    try:
        validate_uscc(value)
    except InvalidIdentifier as exc:
        raise ValidationError(_("统一社会信用代码无效:%(reason)s"), params={"reason": exc.reason}) from None


def validate_region_code(value: str) -> None:
    if len(value) != 6 or not value.isdigit():
        raise ValidationError(_("行政区划代码为 6 位数字(GB/T 2260)。"))


class Org(MP_Node):
    """A union organisation: federation → district/industry federations → grassroots unions.

    The materialised path (treebeard) makes "this org's subtree" one indexed prefix match."""

    class Kind(models.TextChoices):
        FEDERATION = "federation", _("总工会")
        DISTRICT = "district", _("乡镇(街道)总工会")
        INDUSTRY = "industry", _("行业工会联合会")
        GRASSROOTS = "grassroots", _("基层工会")

    class Trade(models.TextChoices):
        NONE = "", _("(无)")
        EXPRESS = "express", _("快递物流")
        DELIVERY = "delivery", _("外卖配送")
        FREIGHT = "freight", _("货运")
        RIDE_HAILING = "ride_hailing", _("网约车")
        PROPERTY = "property", _("物业")
        CARE = "care", _("家政护理")

    name = models.CharField(_("名称"), max_length=120)
    code = models.CharField(_("组织代码"), max_length=32, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    trade = models.CharField(_("行业"), max_length=16, choices=Trade.choices, blank=True, default="")
    region_code = models.CharField(
        _("行政区划代码"), max_length=6, validators=[validate_region_code]
    )
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, default="", validators=[validate_uscc_field]
    )
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("工会组织")
        verbose_name_plural = _("工会组织")
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"], condition=~models.Q(uscc=""), name="org_uscc_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def accepts_members(self) -> bool:
        """Members join grassroots unions, or an industry federation directly (gig workers)."""
        return self.kind in (self.Kind.GRASSROOTS, self.Kind.INDUSTRY)


class Enterprise(models.Model):
    """An employer, identified by its USCC, linked to the grassroots union that covers it."""

    class Size(models.TextChoices):
        MICRO = "micro", _("微型")
        SMALL = "small", _("小型")
        MEDIUM = "medium", _("中型")
        LARGE = "large", _("大型")

    name = models.CharField(_("名称"), max_length=120)
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc_field]
    )
    industry = models.CharField(_("行业"), max_length=60, blank=True)
    size = models.CharField(_("规模"), max_length=8, choices=Size.choices, default=Size.SMALL)
    is_above_scale = models.BooleanField(_("规模以上企业"), default=False)
    union = models.ForeignKey(
        Org,
        verbose_name=_("所属基层工会"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    region_code = models.CharField(
        _("行政区划代码"), max_length=6, validators=[validate_region_code]
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    FEDERATION_ADMIN = "federation_admin", _("总工会管理员")
    UNION_ADMIN = "union_admin", _("工会管理员")
    REVIEWER = "reviewer", _("审核员")
    CASE_WORKER = "case_worker", _("个案工作者")
    LAWYER = "lawyer", _("律师")
    MERCHANT_STAFF = "merchant_staff", _("商户店员")
    VENUE_KEEPER = "venue_keeper", _("阵地管理员")
    ORGANISER = "organiser", _("活动组织者")
    EMPLOYER_STAFF = "employer_staff", _("用人单位人员")
    AUDITOR = "auditor", _("审计查看")


class RoleAssignment(models.Model):
    """A staff user holds a role at an org; the role reaches the org's whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    org = models.ForeignKey(
        Org, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="role_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.org}"
