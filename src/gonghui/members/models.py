"""Members, their history, enrolment and transfer requests, and the service-event log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gonghui.core.models import AppendOnlyModel
from gonghui.orgs.models import Enterprise, Org

# Purposes: the associated data of each encrypted field and the salt of its blind index.
PURPOSE_ID_NUMBER = "members.id_number"
PURPOSE_PHONE = "members.phone"


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class EmploymentType(models.TextChoices):
    EMPLOYEE = "employee", _("企业职工")
    GIG = "gig", _("新就业形态劳动者")
    FLEXIBLE = "flexible", _("灵活就业")
    PUBLIC = "public", _("机关事业单位")


class GigTrade(models.TextChoices):
    NONE = "", _("(无)")
    RIDER = "rider", _("外卖骑手")
    COURIER = "courier", _("快递员")
    TRUCK_DRIVER = "truck_driver", _("货车司机")
    RIDE_HAILING = "ride_hailing", _("网约车司机")
    CARE_WORKER = "care_worker", _("护理员/家政")
    OTHER = "other", _("其他")


class PiiFields(models.Model):
    """ID number and phone: AES-GCM ciphertext, HMAC blind index, and the masked form."""

    id_number_cipher = models.TextField(_("身份证号(密文)"), editable=False)
    id_number_index = models.CharField(max_length=64, editable=False, db_index=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, editable=False)
    phone_cipher = models.TextField(_("手机号(密文)"), editable=False)
    phone_index = models.CharField(max_length=64, editable=False, db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=11, editable=False)

    class Meta:
        abstract = True


class Member(PiiFields):
    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        SUSPENDED = "suspended", _("暂停")
        TRANSFERRED = "transferred", _("已转出")
        LEFT = "left", _("已退会")

    member_no = models.CharField(_("会员证号"), max_length=16, unique=True)
    name = models.CharField(_("姓名"), max_length=60, db_index=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    org = models.ForeignKey(
        Org, verbose_name=_("所属工会"), on_delete=models.PROTECT, related_name="members"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("工作单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    employment_type = models.CharField(
        _("就业类型"), max_length=16, choices=EmploymentType.choices, default=EmploymentType.EMPLOYEE
    )
    gig_trade = models.CharField(
        _("新业态职业"), max_length=16, choices=GigTrade.choices, blank=True, default=""
    )
    is_frontline = models.BooleanField(_("一线职工"), default=False)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    joined_on = models.DateField(_("入会日期"))
    skills = models.JSONField(_("技能"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("会员")
        verbose_name_plural = _("会员")
        constraints = [
            models.UniqueConstraint(fields=["id_number_index"], name="member_id_number_unique"),
            models.UniqueConstraint(fields=["phone_index"], name="member_phone_unique"),
            models.CheckConstraint(
                condition=models.Q(employment_type="gig") | models.Q(gig_trade=""),
                name="member_gig_trade_only_for_gig",
            ),
        ]
        indexes = [models.Index(fields=["org", "status"])]

    def __str__(self) -> str:
        return f"{self.name}({self.member_no})"

    @property
    def is_gig_worker(self) -> bool:
        return self.employment_type == EmploymentType.GIG


class MemberHistory(AppendOnlyModel):
    """Every change of a member's status or union, append-only."""

    class Kind(models.TextChoices):
        JOINED = "joined", _("入会")
        STATUS = "status", _("状态变更")
        TRANSFER = "transfer", _("转会")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="history")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    from_org = models.ForeignKey(
        Org, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_org = models.ForeignKey(Org, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会员变更记录")
        verbose_name_plural = _("会员变更记录")
        ordering = ["-at", "-id"]


class ServiceEvent(AppendOnlyModel):
    """One served instance (a redemption, check-in, booking, paid claim, grant…). Append-only.

    ``kind`` is ``<app>.<what>`` (e.g. ``benefits.redemption``); ``source_type``/``source_id``
    name the row that caused it, and are unique per kind so that a retried write counts once."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="service_events")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("服务类型"), max_length=48)
    amount_fen = models.BigIntegerField(_("金额(分)"), default=0)
    source_type = models.CharField(max_length=64)
    source_id = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(_("发生时间"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id"], name="service_event_source_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "occurred_at"]),
            models.Index(fields=["org", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.member_id} {self.occurred_at:%Y-%m-%d}"


class Enrolment(PiiFields):
    """A request to join a union, reviewed by that union (入会申请)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")
        WITHDRAWN = "withdrawn", _("已撤回")

    org = models.ForeignKey(
        Org, verbose_name=_("申请加入的工会"), on_delete=models.PROTECT, related_name="enrolments"
    )
    name = models.CharField(_("姓名"), max_length=60)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("工作单位"), null=True, blank=True, on_delete=models.PROTECT
    )
    employer_name = models.CharField(_("单位名称(自填)"), max_length=120, blank=True)
    employment_type = models.CharField(
        _("就业类型"), max_length=16, choices=EmploymentType.choices, default=EmploymentType.EMPLOYEE
    )
    gig_trade = models.CharField(
        _("新业态职业"), max_length=16, choices=GigTrade.choices, blank=True, default=""
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    member = models.ForeignKey(
        Member, verbose_name=_("会员"), null=True, blank=True, on_delete=models.PROTECT
    )
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("入会申请")
        verbose_name_plural = _("入会申请")
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=models.Q(status="submitted"),
                name="enrolment_one_pending_per_id",
            ),
            models.CheckConstraint(
                condition=models.Q(status="rejected") | models.Q(reject_reason=""),
                name="enrolment_reason_only_when_rejected",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.org}"


class TransferRequest(models.Model):
    """A member asks to move from one union to another; the receiving union decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")

    member = models.ForeignKey(
        Member, verbose_name=_("会员"), on_delete=models.PROTECT, related_name="transfer_requests"
    )
    from_org = models.ForeignKey(
        Org, verbose_name=_("转出工会"), on_delete=models.PROTECT, related_name="+"
    )
    to_org = models.ForeignKey(
        Org, verbose_name=_("转入工会"), on_delete=models.PROTECT, related_name="transfers_in"
    )
    to_enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("新工作单位"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("转会申请")
        verbose_name_plural = _("转会申请")
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(status="pending"), name="transfer_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.from_org} → {self.to_org}"


class OtpChallenge(models.Model):
    """An SMS one-time code, stored as a hash, with expiry and an attempt cap."""

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", _("登录")
        ENROL = "enrol", _("入会")

    phone_index = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    code_hash = models.CharField(max_length=128)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["phone_index", "purpose", "created_at"])]


class ImportJob(models.Model):
    """A roster import: its file, progress and outcome (for progress bars and the error report)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    org = models.ForeignKey(Org, verbose_name=_("工会"), on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理"), default=0)
    imported_rows = models.PositiveIntegerField(_("已导入"), default=0)
    skipped_rows = models.PositiveIntegerField(_("已存在"), default=0)
    error_rows = models.PositiveIntegerField(_("错误行"), default=0)
    report_path = models.CharField(max_length=300, blank=True)
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("名册导入")
        verbose_name_plural = _("名册导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
