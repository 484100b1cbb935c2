"""Balance operations (scrip-api-facts §5.13, §6): adjust, hold, release, forfeit; fund and
burn a program's wallet. Each is one journal entry in one transaction (`app.services.ledger`).

Rules, in the order they are checked: the participant exists (404) and, for a credit, debit or
hold, is ACTIVE (409 `participant_inactive`); the program exists (400 on `program_id`) and is not
ARCHIVED (409 `program_archived`); the asset exists and is linked to the program (400 on
`asset_id`) and is not ARCHIVED (409 `asset_archived`); the amount has no more decimals than the
asset's scale (400 `invalid_scale`) and, for a CREDIT or DEBIT, is within its
`max_transaction_amount` (400 `amount_exceeds_limit`); the money is there (422
`insufficient_balance`). Amounts are written at the asset's scale ("10" → "10.00").
SUSPENDED and CLOSED participants may not be credited, debited or held; their holds can still be
released and their value forfeited.

`idempotency_key` (scoped to the program): the same key with the same request answers the
original response again without a second entry; with a different request, 409
`idempotency_conflict`.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictBool, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.core.db import Database
from app.core.formats import format_decimal
from app.models import (
    ActionType,
    Asset,
    AssetStatus,
    Balance,
    Bucket,
    IssuancePolicy,
    JournalEntry,
    LedgerHead,
    ParticipantStatus,
    ProgramStatus,
    SystemAccount,
)
from app.services.actor import Actor
from app.services.amounts import EXACT, PositiveAmount, at_scale, decimal_places
from app.services.errors import (
    Conflict,
    FieldError,
    NotFound,
    Rejected,
    Unprocessable,
    ValidationFailed,
)
from app.services.ledger import Leg, append_entry, request_hash
from app.services.participant_input import parse_input
from app.services.text_rules import not_blank, storable

__all__ = [
    "AdjustRequest",
    "BucketRequest",
    "LedgerOutcome",
    "WalletRequest",
    "adjust",
    "fund_or_burn",
    "move",
]


class AdjustType(enum.StrEnum):
    CREDIT = "CREDIT"
    DEBIT = "DEBIT"


class SpendableBucket(enum.StrEnum):
    AVAILABLE = "AVAILABLE"
    HELD = "HELD"


Description = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500),
    AfterValidator(storable),
    AfterValidator(not_blank),
]
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=255), AfterValidator(storable)
]


class AdjustRequest(BaseModel):
    """Body of `POST /v1/participants/{id}/balances/adjust`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    program_id: uuid.UUID
    asset_id: uuid.UUID
    type: AdjustType
    amount: PositiveAmount
    description: Description
    bucket: SpendableBucket = SpendableBucket.AVAILABLE
    #: DEBIT only: let the balance go below zero (clawbacks).
    allow_negative: StrictBool = False
    idempotency_key: IdempotencyKey | None = None


class BucketRequest(BaseModel):
    """Body of `…/balances/hold`, `/release` and `/forfeit` (`bucket`: forfeit only, required)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    program_id: uuid.UUID
    asset_id: uuid.UUID
    #: Left out: the whole bucket.
    amount: PositiveAmount | None = None
    description: Description
    bucket: SpendableBucket | None = None
    idempotency_key: IdempotencyKey | None = None


class WalletRequest(BaseModel):
    """Body of `POST /v1/programs/{id}/assets/{asset_id}/fund` and `/burn`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: PositiveAmount
    description: Annotated[str, StringConstraints(max_length=500), AfterValidator(storable)] = ""
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True, slots=True)
class LedgerOutcome:
    #: The answer, as first given (a replay gets the stored one back).
    response: dict[str, Any]
    replayed: bool


def _balance_body(balance: Balance) -> dict[str, str]:
    return {
        "available": format_decimal(balance.available),
        "deferred": format_decimal(balance.deferred),
        "held": format_decimal(balance.held),
    }


_FIELD = {SpendableBucket.AVAILABLE: "available", SpendableBucket.HELD: "held"}


async def _books(
    db: Database,
    actor: Actor,
    *,
    program_id: uuid.UUID,
    key: str | None,
    digest: str,
    prepare: Callable[[AsyncSession, Actor], Awaitable[Asset]],
    write: Callable[[AsyncSession, LedgerHead, Actor, Asset], Awaitable[dict[str, Any]]],
) -> LedgerOutcome:
    """One ledger transaction: answer a replay; or check what the operation needs (`prepare`,
    taking shared locks on the participant, program and asset), lock the chain head, and
    `write`. Everything that need not hold the head lock runs before it: on PostgreSQL the
    organization's entries are serialized only for the few statements that append one."""
    async with db.transaction() as session:
        if (replay := await _replay(session, actor, program_id, key, digest)) is not None:
            return replay
        asset = await prepare(session, actor)
        head = await crud.lock_head(session, organization_id=actor.organization_id)
        if (replay := await _replay(session, actor, program_id, key, digest)) is not None:
            return replay  # a request with the same key committed while we prepared
        stamped = actor.restamped()
        return LedgerOutcome(response=await write(session, head, stamped, asset), replayed=False)


async def _replay(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, key: str | None, digest: str
) -> LedgerOutcome | None:
    """The original answer when `key` was used before for the same request (entries never
    change, so no lock is needed to read it); `Conflict` when it was used for another."""
    if key is None:
        return None
    prior = await crud.entry_by_idempotency_key(
        session, organization_id=actor.organization_id, program_id=program_id, key=key
    )
    if prior is None:
        return None
    if prior.request_hash != digest or prior.response is None:
        raise Conflict(
            "this idempotency_key was used for a different request",
            code="idempotency_conflict",
            field=("idempotency_key",),
        )
    return LedgerOutcome(response=prior.response, replayed=True)


async def _program_and_asset(
    session: AsyncSession, actor: Actor, program_id: uuid.UUID, asset_id: uuid.UUID
) -> Asset:
    program = await crud.get_program(
        session, organization_id=actor.organization_id, program_id=program_id, for_share=True
    )
    errors = []
    if program is None:
        errors.append(FieldError(("program_id",), "not_found", "no such program"))
    asset = await crud.get_asset(
        session, organization_id=actor.organization_id, asset_id=asset_id, for_share=True
    )
    if asset is None:
        errors.append(FieldError(("asset_id",), "not_found", "no such asset"))
    elif program is not None:
        links = await crud.program_ids_by_asset(
            session, organization_id=actor.organization_id, asset_ids=[asset_id]
        )
        if program_id not in links.get(asset_id, []):
            errors.append(FieldError(("asset_id",), "invalid", "is not linked to the program"))
    if errors:
        raise ValidationFailed(errors)
    assert program is not None
    assert asset is not None
    if program.status is ProgramStatus.ARCHIVED:
        raise Conflict("the program is archived", code="program_archived", field=("program_id",))
    if asset.status is AssetStatus.ARCHIVED:
        raise Conflict("the asset is archived", code="asset_archived", field=("asset_id",))
    return asset


def _check_scale(amount: Decimal, asset: Asset) -> None:
    if decimal_places(amount) > asset.scale:
        raise Rejected(
            f"the asset's scale allows {asset.scale} digits after the point",
            code="invalid_scale",
            field=("amount",),
        )


def _check_amount(amount: Decimal, asset: Asset) -> None:
    """The scale, and the asset's limit on any one credit or debit."""
    _check_scale(amount, asset)
    limit = asset.max_transaction_amount
    if limit is not None and amount > limit:
        raise Rejected(
            f"the asset allows at most {format_decimal(limit)} per transaction",
            code="amount_exceeds_limit",
            field=("amount",),
        )


def _short(what: str, has: Decimal) -> Unprocessable:
    return Unprocessable(
        f"{what} holds {format_decimal(has)}", code="insufficient_balance", field=("amount",)
    )


async def _participant(
    session: AsyncSession, actor: Actor, participant_id: uuid.UUID, *, active: bool
) -> None:
    participant = await crud.participant_for_ledger(
        session, organization_id=actor.organization_id, participant_id=participant_id
    )
    if participant is None:
        raise NotFound("no such participant")
    if active and participant.status is not ParticipantStatus.ACTIVE:
        raise Conflict(
            f"the participant is {participant.status.value}", code="participant_inactive"
        )


async def adjust(
    db: Database, actor: Actor, *, participant_id: uuid.UUID, data: Mapping[str, Any]
) -> LedgerOutcome:
    """CREDIT or DEBIT a participant's bucket."""
    errors = []
    if data.get("allow_negative") is True and data.get("type") == AdjustType.CREDIT.value:
        errors.append(FieldError(("allow_negative",), "invalid", "applies to DEBIT only"))
    request = parse_input(AdjustRequest, data, errors=errors)
    digest = request_hash(
        {
            "op": "adjust",
            "participant_id": str(participant_id),
            **request.model_dump(mode="json"),
            "amount": request.amount,
            "idempotency_key": None,
        }
    )

    async def prepare(session: AsyncSession, actor: Actor) -> Asset:
        await _participant(session, actor, participant_id, active=True)
        asset = await _program_and_asset(session, actor, request.program_id, request.asset_id)
        _check_amount(request.amount, asset)
        return asset

    async def write(
        session: AsyncSession, head: LedgerHead, actor: Actor, asset: Asset
    ) -> dict[str, Any]:
        amount, bucket = at_scale(request.amount, asset.scale), Bucket(request.bucket.value)
        balance = await crud.participant_balance(
            session,
            organization_id=actor.organization_id,
            participant_id=participant_id,
            asset_id=asset.id,
            scale=asset.scale,
            now=actor.now,
        )
        if request.type is AdjustType.CREDIT:
            if asset.issuance_policy is IssuancePolicy.UNLIMITED:
                source = Leg.system(SystemAccount.SYSTEM_ISSUANCE, EXACT.minus(amount))
            else:
                wallet = await crud.program_balance(
                    session,
                    organization_id=actor.organization_id,
                    program_id=request.program_id,
                    asset_id=asset.id,
                    scale=asset.scale,
                    now=actor.now,
                )
                if wallet.available < amount:
                    raise _short("the program's wallet", wallet.available)
                source = Leg.program(request.program_id, EXACT.minus(amount))
            legs = [source, Leg.participant(participant_id, bucket, amount)]
        else:
            has = getattr(balance, _FIELD[request.bucket])
            if has < amount and not request.allow_negative:
                raise _short(f"the participant's {request.bucket.value} balance", has)
            legs = [
                Leg.participant(participant_id, bucket, EXACT.minus(amount)),
                Leg.system(SystemAccount.SYSTEM_REDEMPTION, amount),
            ]

        def respond(entry: JournalEntry) -> dict[str, Any]:
            return {
                "amount": format_decimal(amount),
                "asset_id": str(asset.id),
                "balance": _balance_body(balance),
                "bucket": request.bucket.value,
                "journal_entry_id": str(entry.id),
                "message": "Balance adjusted successfully",
                "program_id": str(request.program_id),
                "type": request.type.value,
            }

        return await append_entry(
            session,
            head,
            action_type=ActionType(request.type.value),
            program_id=request.program_id,
            asset_id=asset.id,
            participant_id=participant_id,
            description=request.description,
            legs=legs,
            scale=asset.scale,
            actor=actor,
            idempotency_key=request.idempotency_key,
            request_digest=digest,
            respond=respond,
        )

    return await _books(
        db,
        actor,
        program_id=request.program_id,
        key=request.idempotency_key,
        digest=digest,
        prepare=prepare,
        write=write,
    )


class Movement(enum.StrEnum):
    HOLD = "HOLD"
    RELEASE = "RELEASE"
    FORFEIT = "FORFEIT"


async def move(
    db: Database,
    actor: Actor,
    *,
    operation: Movement,
    participant_id: uuid.UUID,
    data: Mapping[str, Any],
) -> LedgerOutcome:
    """HOLD (AVAILABLE → HELD), RELEASE (HELD → AVAILABLE) or FORFEIT (a bucket → breakage)."""
    errors = []
    if operation is Movement.FORFEIT and data.get("bucket") is None:
        errors.append(FieldError(("bucket",), "required", "is required to forfeit"))
    request = parse_input(BucketRequest, data, errors=errors)
    digest = request_hash(
        {
            "op": operation.value,
            "participant_id": str(participant_id),
            **request.model_dump(mode="json"),
            "amount": request.amount,
            "idempotency_key": None,
        }
    )

    async def prepare(session: AsyncSession, actor: Actor) -> Asset:
        # SUSPENDED and CLOSED participants can still have holds released and value forfeited.
        await _participant(session, actor, participant_id, active=operation is Movement.HOLD)
        asset = await _program_and_asset(session, actor, request.program_id, request.asset_id)
        if request.amount is not None:  # the whole bucket is at the asset's scale already
            _check_scale(request.amount, asset)
        return asset

    async def write(
        session: AsyncSession, head: LedgerHead, actor: Actor, asset: Asset
    ) -> dict[str, Any]:
        balance = await crud.participant_balance(
            session,
            organization_id=actor.organization_id,
            participant_id=participant_id,
            asset_id=asset.id,
            scale=asset.scale,
            now=actor.now,
        )
        source = {
            Movement.HOLD: SpendableBucket.AVAILABLE,
            Movement.RELEASE: SpendableBucket.HELD,
            Movement.FORFEIT: request.bucket or SpendableBucket.AVAILABLE,
        }[operation]
        has = getattr(balance, _FIELD[source])
        amount = at_scale(request.amount if request.amount is not None else has, asset.scale)
        if amount <= 0 or has < amount:
            raise _short(f"the participant's {source.value} balance", has)
        out = Leg.participant(participant_id, Bucket(source.value), EXACT.minus(amount))
        if operation is Movement.FORFEIT:
            into = Leg.system(SystemAccount.SYSTEM_BREAKAGE, amount)
        else:
            target = Bucket.HELD if operation is Movement.HOLD else Bucket.AVAILABLE
            into = Leg.participant(participant_id, target, amount)

        def respond(entry: JournalEntry) -> dict[str, Any]:
            return {
                "amount_processed": format_decimal(amount),
                "asset_id": str(asset.id),
                "balance": _balance_body(balance),
                "journal_entry_id": str(entry.id),
                "lots_processed": [],
                "message": f"Processed {format_decimal(amount)}",
                "operation": operation.value,
                "program_id": str(request.program_id),
                "reference_id": None,
            }

        return await append_entry(
            session,
            head,
            action_type=ActionType(operation.value),
            program_id=request.program_id,
            asset_id=asset.id,
            participant_id=participant_id,
            description=request.description,
            legs=[out, into],
            scale=asset.scale,
            actor=actor,
            idempotency_key=request.idempotency_key,
            request_digest=digest,
            respond=respond,
        )

    return await _books(
        db,
        actor,
        program_id=request.program_id,
        key=request.idempotency_key,
        digest=digest,
        prepare=prepare,
        write=write,
    )


class WalletOperation(enum.StrEnum):
    FUND = "FUND"
    BURN = "BURN"


async def fund_or_burn(
    db: Database,
    actor: Actor,
    *,
    operation: WalletOperation,
    program_id: uuid.UUID,
    asset_id: uuid.UUID,
    data: Mapping[str, Any],
) -> LedgerOutcome:
    """FUND (issuance → the program's wallet) or BURN (the wallet → breakage) a PREFUNDED
    asset; for an UNLIMITED asset both change nothing and say so."""
    request = parse_input(WalletRequest, data)
    digest = request_hash(
        {
            "op": operation.value,
            "program_id": str(program_id),
            "asset_id": str(asset_id),
            "amount": request.amount,
            "description": request.description,
        }
    )

    async def prepare(session: AsyncSession, actor: Actor) -> Asset:
        try:
            asset = await _program_and_asset(session, actor, program_id, asset_id)
        except ValidationFailed as exc:
            raise NotFound(exc.errors[0].message) from None
        if asset.issuance_policy is not IssuancePolicy.UNLIMITED:
            _check_scale(request.amount, asset)
        return asset

    async def write(
        session: AsyncSession, head: LedgerHead, actor: Actor, asset: Asset
    ) -> dict[str, Any]:
        if asset.issuance_policy is IssuancePolicy.UNLIMITED:
            return {
                "available": "0",
                "journal_entry_id": None,
                "message": "The asset is UNLIMITED: it has no wallet to fund or burn",
            }
        wallet = await crud.program_balance(
            session,
            organization_id=actor.organization_id,
            program_id=program_id,
            asset_id=asset_id,
            scale=asset.scale,
            now=actor.now,
        )
        amount = at_scale(request.amount, asset.scale)
        if operation is WalletOperation.FUND:
            legs = [
                Leg.system(SystemAccount.SYSTEM_ISSUANCE, EXACT.minus(amount)),
                Leg.program(program_id, amount),
            ]
        else:
            if wallet.available < amount:
                raise _short("the program's wallet", wallet.available)
            legs = [
                Leg.program(program_id, EXACT.minus(amount)),
                Leg.system(SystemAccount.SYSTEM_BREAKAGE, amount),
            ]

        def respond(entry: JournalEntry) -> dict[str, Any]:
            return {
                "available": format_decimal(wallet.available),
                "journal_entry_id": str(entry.id),
                "message": f"{'Funded' if operation is WalletOperation.FUND else 'Burned'} "
                f"{format_decimal(amount)}",
            }

        return await append_entry(
            session,
            head,
            action_type=ActionType(operation.value),
            program_id=program_id,
            asset_id=asset_id,
            participant_id=None,
            description=request.description or operation.value.lower(),
            legs=legs,
            scale=asset.scale,
            actor=actor,
            idempotency_key=request.idempotency_key,
            request_digest=digest,
            respond=respond,
        )

    return await _books(
        db,
        actor,
        program_id=program_id,
        key=request.idempotency_key,
        digest=digest,
        prepare=prepare,
        write=write,
    )
