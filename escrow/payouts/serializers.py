"""Payout API shapes. Amounts go in and out as yuan strings ("1234.50") next to the
integer ``*_fen``; the conversion is common.money's, never a float."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from common.api import YuanField
from common.choices import choice_label
from common.money import fen_to_yuan
from communities.models import PropertyCompany, Role
from escrow.models import (
    PAYEE_NAME_MAX_CHARS,
    PURPOSE_MAX_CHARS,
    AttachmentKind,
    PayoutAttachment,
    PayoutCategory,
    PayoutRequest,
    PayoutSignature,
)
from escrow.payouts import services


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else str(fen_to_yuan(fen))


class PayoutWriteSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=PayoutCategory.choices)
    expense_account = serializers.CharField(required=False, allow_blank=True, default="")
    payee_name = serializers.CharField(max_length=PAYEE_NAME_MAX_CHARS)
    payee_account = serializers.CharField(
        max_length=40, help_text="Full account number; only a masked form is kept."
    )
    payee_company = serializers.PrimaryKeyRelatedField(
        queryset=PropertyCompany.objects.all(), required=False, allow_null=True, default=None
    )
    amount = YuanField()
    purpose = serializers.CharField(
        max_length=PURPOSE_MAX_CHARS, help_text="Published in the ledger, the trail and the disclosure."
    )
    resolution_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    resolution_date = serializers.DateField(required=False, allow_null=True, default=None)
    resolution = serializers.PrimaryKeyRelatedField(
        queryset=PayoutRequest._meta.get_field("resolution").related_model.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="An adopted resolution of this compound (minutes published); sets the number and date.",
    )

    def service_fields(self) -> dict:
        data = dict(self.validated_data)
        if "amount" in data:
            data["amount_fen"] = data.pop("amount")
        return data


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = PayoutAttachment
        fields = [
            "id",
            "kind",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, obj) -> str:
        return reverse(
            "api:payout-attachment-download",
            kwargs={"slug": self.context["compound"].slug, "pk": obj.request_id, "attachment_pk": obj.pk},
        )


class AttachmentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    file = serializers.FileField(help_text="PDF, PNG or JPEG; the type is checked by content.")


class SignatureSerializer(serializers.ModelSerializer):
    signer = serializers.SerializerMethodField()
    role_label = serializers.SerializerMethodField()

    class Meta:
        model = PayoutSignature
        fields = [
            "id",
            "signer",
            "role",
            "role_label",
            "step",
            "decision",
            "comment",
            "content_hash",
            "second_factor",
            "second_factor_at",
            "signed_at",
        ]

    def get_signer(self, obj) -> str:
        # Never str(user): without a display name that is the phone number.
        return obj.signer.display_name or _("(name not given)")

    def get_role_label(self, obj) -> str:
        return choice_label(Role, obj.role)


class PayoutListSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    applicant = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = PayoutRequest
        fields = [
            "id",
            "status",
            "status_label",
            "category",
            "category_label",
            "payee_name",
            "amount",
            "amount_fen",
            "applicant",
            "submitted_at",
            "waiting_since",
            "created_at",
        ]

    def get_amount(self, obj) -> str:
        return _yuan(obj.amount_fen)

    def get_applicant(self, obj) -> str:
        return str(obj.applicant)


class JournalEntryRefSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    effective_date = serializers.DateField()
    hash = serializers.CharField()
    prev_hash = serializers.CharField()


class PayoutDetailSerializer(PayoutListSerializer):
    attachments = serializers.SerializerMethodField()
    signatures = serializers.SerializerMethodField()
    journal_entry = serializers.SerializerMethodField()
    payee_company = serializers.PrimaryKeyRelatedField(read_only=True)
    order_pdf_url = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text="What the caller may do to the request now (the services' own predicates)."
    )

    class Meta(PayoutListSerializer.Meta):
        fields = [
            *PayoutListSerializer.Meta.fields,
            "expense_account",
            "payee_account_masked",
            "payee_company",
            "purpose",
            "resolution_number",
            "resolution_date",
            "content_hash",
            "rejection_reason",
            "decided_at",
            "bank_reference",
            "payment_date",
            "paid_at",
            "journal_entry",
            "attachments",
            "signatures",
            "order_pdf_url",
            "actions",
        ]

    def get_actions(self, obj) -> dict[str, bool]:
        user = self.context.get("user")
        if user is None:
            return {}
        return {
            "edit": services.can_edit(obj, user),
            "withdraw": services.can_withdraw(obj, user),
            "sign": services.can_sign(obj, user),
            "pay": services.can_pay(obj, user),
        }

    def get_attachments(self, obj) -> list[dict]:
        return AttachmentSerializer(obj.attachments.all(), many=True, context=self.context).data

    def get_signatures(self, obj) -> list[dict]:
        return SignatureSerializer(obj.signatures.all(), many=True).data

    def get_journal_entry(self, obj) -> dict | None:
        if obj.journal_entry_id is None:
            return None
        return JournalEntryRefSerializer(obj.journal_entry).data

    def get_order_pdf_url(self, obj) -> str | None:
        if obj.journal_entry_id is None:
            return None
        return reverse("api:payout-order", kwargs={"slug": obj.compound.slug, "pk": obj.pk})


class SignSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    totp = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The authenticator code now; without it the session's recent TOTP/WebAuthn check is used.",
    )


class RejectSerializer(SignSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PaySerializer(serializers.Serializer):
    bank_reference = serializers.CharField(max_length=80)
    payment_date = serializers.DateField()
    totp = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The authenticator code now; without it the session's recent TOTP/WebAuthn check is used.",
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AvailabilitySerializer(serializers.Serializer):
    cash_fen = serializers.IntegerField()
    holds_fen = serializers.IntegerField()
    reserve_fen = serializers.IntegerField()
    available_fen = serializers.IntegerField()
    available_for_necessary_costs_fen = serializers.IntegerField()
    cash = serializers.CharField()
    holds = serializers.CharField()
    reserve = serializers.CharField()
    available = serializers.CharField()
    available_for_necessary_costs = serializers.CharField()

    @staticmethod
    def from_availability(availability) -> dict:
        values = {
            "cash": availability.cash,
            "holds": availability.holds,
            "reserve": availability.reserve,
            "available": availability.available,
            "available_for_necessary_costs": availability.available_for_necessary_costs,
        }
        out = {}
        for name, fen in values.items():
            out[f"{name}_fen"] = fen
            out[name] = _yuan(fen)
        return out
