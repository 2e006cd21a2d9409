"""The union tree, enterprises and staff role assignments."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from gonghui.core.identifiers import InvalidIdentifier, identifier_message, validate_uscc


def validate_uscc_field(value: str) -> None:
    try:
        validate_uscc(value)
    except InvalidIdentifier as exc:
        raise ValidationError(
            _("Invalid unified social credit code: %(reason)s"),
            params={"reason": identifier_message(exc)},
            code=exc.code,
        ) from None


def validate_region_code(value: str) -> None:
    if len(value) != 6 or not value.isdigit():
        raise ValidationError(_("A region code is 6 digits (GB/T 2260)."))


class Org(MP_Node):
    """A union organisation: federation → district/industry federations → grassroots unions.

    The materialised path (treebeard) makes "this org's subtree" one indexed prefix match."""

    class Kind(models.TextChoices):
        FEDERATION = "federation", _("Federation")
        DISTRICT = "district", _("Township (street) federation")
        INDUSTRY = "industry", _("Industry federation")
        GRASSROOTS = "grassroots", _("Grassroots union")

    class Trade(models.TextChoices):
        NONE = "", _("(none)")
        EXPRESS = "express", _("Express logistics")
        DELIVERY = "delivery", _("Food delivery")
        FREIGHT = "freight", _("Freight")
        RIDE_HAILING = "ride_hailing", _("Ride-hailing")
        PROPERTY = "property", _("Property services")
        CARE = "care", _("Home care")

    name = models.CharField(_("Name"), max_length=120)
    code = models.CharField(_("Org code"), max_length=32, unique=True)
    kind = models.CharField(_("Kind"), max_length=16, choices=Kind.choices)
    trade = models.CharField(
        _("Industry"), max_length=16, choices=Trade.choices, blank=True, default=""
    )
    region_code = models.CharField(
        _("Region code"), max_length=6, validators=[validate_region_code]
    )
    uscc = models.CharField(
        _("Unified social credit code"),
        max_length=18,
        blank=True,
        default="",
        validators=[validate_uscc_field],
    )
    contact_name = models.CharField(_("Contact"), max_length=60, blank=True)
    contact_phone = models.CharField(_("Contact phone"), max_length=20, blank=True)
    address = models.CharField(_("Address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Union organisation")
        verbose_name_plural = _("Union organisation")
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"], condition=~models.Q(uscc=""), name="org_uscc_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def deployment_path_of(cls, path: str) -> str:
        """The root federation's path within ``path``: every org of one deployment shares it."""
        return path[: cls.steplen]

    @property
    def deployment_path(self) -> str:
        """The path of this org's root federation (the whole tree it belongs to)."""
        return self.deployment_path_of(self.path)

    @property
    def accepts_members(self) -> bool:
        """Members join grassroots unions, or an industry federation directly (gig workers)."""
        return self.kind in (self.Kind.GRASSROOTS, self.Kind.INDUSTRY)


class Enterprise(models.Model):
    """An employer, identified by its USCC, linked to the grassroots union that covers it."""

    class Size(models.TextChoices):
        MICRO = "micro", _("Micro")
        SMALL = "small", _("Small")
        MEDIUM = "medium", _("Medium")
        LARGE = "large", _("Large")

    name = models.CharField(_("Name"), max_length=120)
    uscc = models.CharField(
        _("Unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_uscc_field],
    )
    industry = models.CharField(_("Industry"), max_length=60, blank=True)
    size = models.CharField(_("Size"), max_length=8, choices=Size.choices, default=Size.SMALL)
    is_above_scale = models.BooleanField(_("Above designated size"), default=False)
    union = models.ForeignKey(
        Org,
        verbose_name=_("Grassroots union"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    region_code = models.CharField(
        _("Region code"), max_length=6, validators=[validate_region_code]
    )
    address = models.CharField(_("Address"), max_length=200, blank=True)
    contact_name = models.CharField(_("Contact"), max_length=60, blank=True)
    contact_phone = models.CharField(_("Contact phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Enterprise")
        verbose_name_plural = _("Enterprise")
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    FEDERATION_ADMIN = "federation_admin", _("Federation admin")
    UNION_ADMIN = "union_admin", _("Union admin")
    REVIEWER = "reviewer", _("Reviewer")
    CASE_WORKER = "case_worker", _("Case worker")
    LAWYER = "lawyer", _("Lawyer")
    MERCHANT_STAFF = "merchant_staff", _("Merchant staff")
    VENUE_KEEPER = "venue_keeper", _("Venue keeper")
    ORGANISER = "organiser", _("Activity organiser")
    EMPLOYER_STAFF = "employer_staff", _("Employer staff")
    AUDITOR = "auditor", _("Auditor")


class RoleAssignment(models.Model):
    """A staff user holds a role at an org; the role reaches the org's whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("User"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    org = models.ForeignKey(
        Org,
        verbose_name=_("Organisation"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("Role"), max_length=24, choices=Role.choices)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Role assignment")
        verbose_name_plural = _("Role assignment")
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="role_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.org}"
