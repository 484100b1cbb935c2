"""Programs: create, look up, change, list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.crud.keyset import contains, keyset_page
from app.models import Program, ProgramStatus

__all__ = ["create_program", "get_program", "list_programs", "programs_by_id"]


async def create_program(
    session: AsyncSession, *, organization_id: uuid.UUID, now: datetime, values: dict[str, Any]
) -> Program:
    program = Program(organization_id=organization_id, created_at=now, updated_at=now, **values)
    session.add(program)
    await session.flush()
    return program


async def get_program(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    program_id: uuid.UUID,
    for_update: bool = False,
    for_share: bool = False,
) -> Program | None:
    query = select(Program).where(
        col(Program.id) == program_id, col(Program.organization_id) == organization_id
    )
    if for_update:
        query = query.with_for_update()  # PostgreSQL: concurrent PATCHes apply one after another
    elif for_share:  # PostgreSQL FOR KEY SHARE (as foreign key checks take): a FOR UPDATE waits
        query = query.with_for_update(read=True, key_share=True)
    return await session.scalar(query)


async def list_programs(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    status: ProgramStatus | None,
    include_archived: bool,
    search: str | None,
    order_by: Sequence[str],
    descending: bool,
    after: Sequence[Any] | None,
    limit: int,
) -> list[Program]:
    """A keyset page. ARCHIVED programs only when asked for (`include_archived` or by status)."""
    table = Program.__table__.c  # type: ignore[attr-defined]
    query = select(Program).where(table.organization_id == organization_id)
    if status is not None:
        query = query.where(table.status == status)
    elif not include_archived:
        query = query.where(table.status != ProgramStatus.ARCHIVED)
    if search:
        query = query.where(contains(table.name, search))
    columns = [table[name] for name in order_by]
    page = keyset_page(query, columns, descending=descending, after=after, limit=limit)
    return list(await session.scalars(page))


#: Built once (a page's programs are read on every request), run with bound parameters.
_BY_ID = select(Program).where(
    col(Program.organization_id) == bindparam("organization_id"),
    col(Program.id).in_(bindparam("program_ids", expanding=True)),
)


async def programs_by_id(
    session: AsyncSession, *, organization_id: uuid.UUID, program_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Program]:
    rows = await session.scalars(
        _BY_ID, {"organization_id": organization_id, "program_ids": list(program_ids)}
    )
    return {row.id: row for row in rows}
