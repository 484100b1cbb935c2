"""`GET /openapi.json`: built from the same models the routes validate and answer with."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import Response

from app.core.responses import JSONResponse
from app.rest.assets import AssetBody, AssetList
from app.rest.balances import (
    ActivityList,
    AdjustBody,
    BalanceList,
    EntryBody,
    EntryList,
    MoveBody,
    WalletBody,
    WalletList,
)
from app.rest.openapi_parts import REF
from app.rest.openapi_paths import paths
from app.rest.participant_state import (
    AttributeItem,
    AttributeList,
    AttributesBody,
    CounterBody,
    CounterList,
    HeldTierBody,
    HeldTierList,
    HistoryList,
    TagItem,
    TagList,
    TagsBody,
)
from app.rest.programs import ProgramBody, ProgramList
from app.rest.shapes import ErrorBody, ParticipantBody, ParticipantList
from app.rest.tiers import TierBody, TierList
from app.services.assets import AssetCreate, AssetLink, AssetUpdate
from app.services.balances import AdjustRequest, BucketRequest, WalletRequest
from app.services.participant_counters import CounterSet
from app.services.participant_input import ParticipantCreate, ParticipantUpdate
from app.services.participant_tiers import TierSet
from app.services.participant_writes import AttributeMerge, AttributeSet, StatusChange, TagSet
from app.services.programs import ProgramCreate, ProgramUpdate
from app.services.tiers import TierCreate, TierUpdate

__all__ = ["openapi", "openapi_document"]


#: Response bodies, by their schema name.
_RESPONSES: dict[str, Any] = {
    "Participant": ParticipantBody,
    "ParticipantList": ParticipantList,
    "Program": ProgramBody,
    "ProgramList": ProgramList,
    "Asset": AssetBody,
    "AssetList": AssetList,
    "Tier": TierBody,
    "TierList": TierList,
    "Error": ErrorBody,
    "TagList": TagList,
    "TagsBody": TagsBody,
    "TagItem": TagItem,
    "AttributeList": AttributeList,
    "AttributesBody": AttributesBody,
    "AttributeItem": AttributeItem,
    "CounterList": CounterList,
    "Counter": CounterBody,
    "HeldTierList": HeldTierList,
    "HeldTier": HeldTierBody,
    "HistoryList": HistoryList,
    "BalanceList": BalanceList,
    "AdjustBody": AdjustBody,
    "MoveBody": MoveBody,
    "WalletBody": WalletBody,
    "WalletList": WalletList,
    "ActivityList": ActivityList,
    "EntryList": EntryList,
    "JournalEntry": EntryBody,
}


@cache
def openapi_document() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [
            (ParticipantCreate, "validation"),
            (ProgramCreate, "validation"),
            (ProgramUpdate, "validation"),
            (AssetCreate, "validation"),
            (AssetUpdate, "validation"),
            (AssetLink, "validation"),
            (TierCreate, "validation"),
            (TierUpdate, "validation"),
            (ParticipantUpdate, "validation"),
            (StatusChange, "validation"),
            (TagSet, "validation"),
            (AttributeMerge, "validation"),
            (AttributeSet, "validation"),
            (CounterSet, "validation"),
            (TierSet, "validation"),
            (AdjustRequest, "validation"),
            (BucketRequest, "validation"),
            (WalletRequest, "validation"),
        ],
        ref_template=REF,
    )
    components: dict[str, Any] = dict(schemas.get("$defs", {}))
    for name, shape in _RESPONSES.items():
        components[name] = TypeAdapter(shape).json_schema(ref_template=REF)
    for schema in list(components.values()):
        components.update(schema.pop("$defs", {}))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loyalty participants API (Scrip-compatible)",
            "version": "1",
            "description": "GraphQL lives at /graphql; this document covers the REST routes.",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "BearerKey": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"ApiKeyHeader": []}, {"BearerKey": []}],
        "paths": paths(),
    }


async def openapi(_: Request) -> Response:
    return JSONResponse(openapi_document())
