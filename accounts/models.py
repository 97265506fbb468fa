"""People who log in. Roles live in communities.Membership, not here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.phone import mask_phone, normalize_phone


class GongguanUserManager(UserManager):
    """Users log in by phone or e-mail; ``username`` is an internal handle only."""

    def create_user(self, username=None, email=None, password=None, **extra):
        username = username or self._handle_from(email=email, phone=extra.get("phone"))
        if extra.get("phone"):
            extra["phone"] = normalize_phone(extra["phone"])
        return super().create_user(username, email or None, password, **extra)

    def create_superuser(self, username=None, email=None, password=None, **extra):
        username = username or self._handle_from(email=email, phone=extra.get("phone"))
        return super().create_superuser(username, email or None, password, **extra)

    @staticmethod
    def _handle_from(*, email, phone) -> str:
        if phone:
            return normalize_phone(phone)
        if email:
            return email.lower()
        raise ValueError("A user needs a phone number or an e-mail address.")


class User(AbstractUser):
    """A person. One person may hold several roles in several organisations (交叉任职)."""

    email = models.EmailField(_("email address"), blank=True, default="")
    phone = models.CharField(  # noqa: DJ001 - NULL, not "", so the unique constraint admits many users without one
        _("mobile phone"),
        max_length=20,
        blank=True,
        null=True,
        help_text=_("Stored as +86… ; used to log in and for SMS codes."),
    )
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    display_name = models.CharField(_("name"), max_length=64, blank=True)

    objects = GongguanUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(fields=["phone"], name="user_phone_unique"),
            # Users without e-mail store "" (Django's manager normalises None to "").
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="user_email_ci_unique"
            ),
        ]

    def __str__(self):
        return self.display_name or self.get_username()

    def clean(self):
        super().clean()
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from exc

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class Notification(models.Model):
    """An in-app inbox item. Written in the same transaction as the change it reports;
    the matching e-mail goes out only after commit (accounts/notifications.py)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notifications")
    compound = models.ForeignKey(
        "communities.Compound", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox_idx")]

    def __str__(self):
        return self.title


class StepUpState(models.Model):
    """Wrong authenticator codes per person in the current window, shared by every
    process (a per-process cache let one code sign three payouts across three workers).

    Keyed by the user's id without a foreign key: the check runs in its own short
    transaction, locks only this row, and never waits on the user row."""

    user_id = models.BigIntegerField(primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("step-up state")
        verbose_name_plural = _("step-up states")

    def __str__(self):
        return f"user {self.user_id}: {self.failures} wrong code(s)"


class UsedTotpCode(models.Model):
    """A TOTP code already accepted: the same code is refused again while it could
    still be valid (allauth kept this in the cache, i.e. per process without Redis)."""

    user_id = models.BigIntegerField()
    code = models.CharField(max_length=16)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("used authenticator code")
        verbose_name_plural = _("used authenticator codes")
        constraints = [models.UniqueConstraint(fields=["user_id", "code"], name="totp_code_used_once")]

    def __str__(self):
        return f"user {self.user_id}: code used at {self.used_at:%H:%M:%S}"
