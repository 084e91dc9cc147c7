"""Enterprises, agencies, users with their role and scope, and enterprise API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cuakhau.accounts.roles import AGENCY_OF_ROLE, GATE_SCOPED_ROLES, AgencyCode, Role
from cuakhau.gates.models import Gate
from cuakhau.reference.models import NamedMixin


class Agency(NamedMixin):
    code = models.CharField(
        _("code"), max_length=32, unique=True, choices=[(a.value, a.value) for a in AgencyCode]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")


class Enterprise(models.Model):
    tax_code = models.CharField(_("tax code"), max_length=20, unique=True)
    country = models.CharField(_("country"), max_length=2, default="VN")
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"

    def clean(self) -> None:
        """The tax code must be valid for the country (MST for VN, USCC for CN)."""
        from django.core.exceptions import ValidationError
        from django.utils.translation import get_language

        from cuakhau.reference.identifiers import IdentifierError, validate_tax_code

        try:
            self.tax_code = validate_tax_code(self.tax_code, self.country)
        except IdentifierError as error:
            raise ValidationError({"tax_code": error.message.get(get_language())}) from None


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=32, choices=[(r.value, r.value) for r in Role])
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="officers"
    )
    gates = models.ManyToManyField(Gate, blank=True, related_name="officers")
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # An enterprise user always belongs to an enterprise, and only they do.
            models.CheckConstraint(
                condition=(Q(role=Role.ENTERPRISE) & Q(enterprise__isnull=False))
                | (~Q(role=Role.ENTERPRISE) & Q(enterprise__isnull=True)),
                name="user_enterprise_iff_enterprise_role",
            ),
            # Officers belong to an agency.
            models.CheckConstraint(
                condition=~Q(role__in=[r.value for r in AGENCY_OF_ROLE]) | Q(agency__isnull=False),
                name="user_officer_has_agency",
            ),
        ]

    @property
    def role_enum(self) -> Role | None:
        try:
            return Role(self.role)
        except ValueError:
            return None

    @property
    def is_enterprise_user(self) -> bool:
        return self.role == Role.ENTERPRISE

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.role == Role.ADMINISTRATOR

    @property
    def is_gate_scoped(self) -> bool:
        return self.role_enum in GATE_SCOPED_ROLES

    def gate_ids(self) -> frozenset[int]:
        """The gates this officer works at, cached on the instance for the request."""
        cached: frozenset[int] | None = getattr(self, "_gate_ids", None)
        if cached is None:
            cached = frozenset(self.gates.values_list("id", flat=True))
            self._gate_ids = cached
        return cached

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        role = self.role_enum
        expected = AGENCY_OF_ROLE.get(role) if role else None
        if expected and self.agency_id and self.agency.code != expected:
            raise ValidationError(
                {
                    "agency": _("An officer with this role must belong to %(agency)s.")
                    % {"agency": expected}
                }
            )


TOKEN_PREFIX = "ck_"  # noqa: S105 - a prefix, not a secret


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, enterprise__is_active=True)


class ApiToken(models.Model):
    """A key for an enterprise's own systems. Only a SHA-256 digest of the secret is kept."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="tokens")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}{self.key_id}_…)"

    @staticmethod
    def digest_of(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @staticmethod
    def new_key() -> tuple[str, str]:
        """A fresh (key_id, secret) pair; the full token is ``ck_<key_id>_<secret>``."""
        return secrets.token_hex(6), secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
