"""REST API of the escrow ledger (mounted under /api/v1/). Read-only here: money moves
only through the posting service, called by the payments-in and payout services.

Thin views: access through ``escrow.ledger.permissions``, reads through ``escrow.ledger.selectors``,
shapes in ``escrow.ledger.serializers``; every failure leaves as ``{"message", "extra"}``.

* chain head — public: what a disclosure publishes so anyone can re-verify;
* balances — members of the compound (``VIEW_MEMBERS_AREA``);
* entries — members who may read the full ledger (``VIEW_FULL_LEDGER``).

Anonymous callers of a private endpoint get 403 “not authenticated”; a compound the
caller may not read is a 404 with the same body as a slug that does not exist.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from common.api import error_responses
from common.errors import NotFoundError
from escrow.ledger import selectors
from escrow.ledger.permissions import (
    LEDGER_BALANCES,
    LEDGER_ENTRIES,
    access_ledger_for_api,
    public_ledger_compound,
)
from escrow.ledger.serializers import (
    ChainHeadSerializer,
    JournalEntryPageSerializer,
    JournalEntrySerializer,
    LedgerBalancesSerializer,
    LedgerEntryQuerySerializer,
)

SLUG = OpenApiParameter(
    "slug", str, OpenApiParameter.PATH, description="The compound's slug, e.g. shangcheng"
)
TAGS = ["escrow ledger"]


def _errors(*codes: int) -> dict:
    descriptions = {
        400: "A query parameter has a bad value; extra.fields names it.",
        403: "Not logged in.",
        404: "No such compound — or one whose ledger this user may not read (indistinguishable).",
    }
    return error_responses(descriptions, *codes)


class LedgerChainHeadApi(APIView):
    """The compound's hash-chain head: how many entries, and the last one's hash.
    Public, so that anyone holding a disclosure can check the ledger has not been
    rewritten since (``python manage.py verify_ledger`` recomputes it from genesis)."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="ledger_chain_head",
        tags=TAGS,
        parameters=[SLUG],
        responses={200: ChainHeadSerializer, **_errors(404)},
    )
    def get(self, request, slug):
        compound = public_ledger_compound(slug)
        if compound is None:
            raise NotFoundError(_("Not found."))
        return Response(ChainHeadSerializer(selectors.chain_head(compound)).data)


class LedgerBalancesApi(APIView):
    """Every account of the compound's chart with its balance on its normal side."""

    @extend_schema(
        operation_id="ledger_balances",
        tags=TAGS,
        parameters=[SLUG],
        responses={200: LedgerBalancesSerializer, **_errors(403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = access_ledger_for_api(request.user, slug, LEDGER_BALANCES)
        return Response(LedgerBalancesSerializer(selectors.ledger_balances(compound)).data)


class LedgerEntryListApi(APIView):
    """Journal entries, newest first, each with its lines and hashes.

    Keyset pagination on the per-compound sequence number: follow ``next`` for older
    entries and ``previous`` for newer ones (or pass ``before``/``after`` yourself).
    Pages cost the same at any depth of a journal of any length."""

    @extend_schema(
        operation_id="ledger_entry_list",
        tags=TAGS,
        parameters=[SLUG, LedgerEntryQuerySerializer],
        responses={200: JournalEntryPageSerializer, **_errors(400, 403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = access_ledger_for_api(request.user, slug, LEDGER_ENTRIES)
        query = LedgerEntryQuerySerializer(data=request.query_params, context={"compound": compound})
        query.is_valid(raise_exception=True)
        page = selectors.ledger_entry_page(
            compound,
            filters=query.filters(),
            before=query.validated_data.get("before"),
            after=query.validated_data.get("after"),
            size=query.validated_data.get("page_size", selectors.DEFAULT_PAGE_SIZE),
        )
        return Response(
            {
                "next": self._link(request, "before", page.older),
                "previous": self._link(request, "after", page.newer),
                "results": JournalEntrySerializer(page.entries, many=True).data,
            }
        )

    @staticmethod
    def _link(request, param: str, cursor: int | None) -> str | None:
        if cursor is None:
            return None
        url = request.build_absolute_uri()
        url = remove_query_param(url, "after" if param == "before" else "before")
        return replace_query_param(url, param, cursor)
