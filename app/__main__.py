"""Command line: `python -m app create-key --org NAME`, `… list-keys`, `… revoke-key`, `… migrate`,
`… serve`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

import uvicorn

from app import crud
from app.core.config import Settings
from app.core.db import Database
from app.core.formats import format_timestamp
from app.migrations import upgrade_to_head
from app.services import auth
from app.services.auth import IssuedKey, issue_key
from app.services.errors import NotFound
from app.services.ledger import verify_ledger

T = TypeVar("T")

FIRST_ORGANIZATION = "default"


async def _issue(settings: Settings, organization: str, *, only_if_empty: bool) -> IssuedKey | None:
    db = Database.from_settings(settings)
    try:
        if only_if_empty:
            async with db.read() as session:
                if await crud.has_organizations(session):
                    return None
        return await issue_key(db, organization_name=organization)
    finally:
        await db.dispose()


def create_key(settings: Settings, organization: str) -> int:
    upgrade_to_head(settings.database_url)
    issued = asyncio.run(_issue(settings, organization, only_if_empty=False))
    assert issued is not None
    print(issued.key)
    return 0


def _when(moment: datetime | None) -> str:
    return format_timestamp(moment) if moment else "-"


def list_keys(settings: Settings, organization: str | None) -> int:
    keys = asyncio.run(
        _with_db(settings, lambda db: auth.list_keys(db, organization_name=organization))
    )
    rows = [("ID", "ORGANIZATION", "PREFIX", "CREATED", "LAST USED", "REVOKED")] + [
        (
            str(k.id),
            k.organization,
            k.prefix,
            _when(k.created_at),
            _when(k.last_used_at),
            _when(k.revoked_at),
        )
        for k in keys
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def revoke_key(settings: Settings, key_id_or_prefix: str) -> int:
    try:
        info = asyncio.run(
            _with_db(settings, lambda db: auth.revoke_key(db, key_id_or_prefix=key_id_or_prefix))
        )
    except (NotFound, auth.AmbiguousKey) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"revoked {info.prefix}… ({info.id}, organization {info.organization!r})")
    return 0


def check_ledger(settings: Settings) -> int:
    """Verify every organization's hash chain and that each balance is the sum of its postings."""
    problems = asyncio.run(_with_db(settings, lambda db: verify_ledger(db)))
    for problem in problems:
        print(problem, file=sys.stderr)
    print("ledger: ok" if not problems else f"ledger: {len(problems)} problem(s)")
    return 1 if problems else 0


async def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    db = Database.from_settings(settings)
    try:
        return await work(db)
    finally:
        await db.dispose()


def serve(settings: Settings, *, host: str, port: int, workers: int) -> int:
    upgrade_to_head(settings.database_url)
    issued = asyncio.run(_issue(settings, FIRST_ORGANIZATION, only_if_empty=True))
    if issued is not None:
        print(
            f'Created organization "{FIRST_ORGANIZATION}" and its first API key '
            "(shown only this once; `python -m app create-key --org NAME` makes more):",
            flush=True,
        )
        print(issued.key, flush=True)
    print(f"Serving on http://{host}:{port} (GraphiQL at /graphql)", flush=True)
    uvicorn.run("app.main:app", host=host, port=port, workers=workers, log_level="info")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="python -m app")
    commands = parser.add_subparsers(dest="command", required=True)
    key = commands.add_parser("create-key", help="create an organization (if new) and an API key")
    key.add_argument("--org", required=True, help="organization name")
    listing = commands.add_parser("list-keys", help="list API keys (never the keys themselves)")
    listing.add_argument("--org", help="only this organization's keys")
    revoke = commands.add_parser(
        "revoke-key", help="revoke an API key (refused within AUTH_CACHE_SECONDS everywhere)"
    )
    revoke.add_argument("key", help="the key's id or its prefix as list-keys shows it")
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser(
        "check-ledger", help="verify the journal's hash chains and the balances (exit 1 if not)"
    )
    run = commands.add_parser("serve", help="migrate, make a first key if none, and serve")
    run.add_argument("--host", default=settings.host)
    run.add_argument("--port", type=int, default=settings.port)
    run.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    if args.command == "create-key":
        return create_key(settings, args.org)
    if args.command == "list-keys":
        return list_keys(settings, args.org)
    if args.command == "revoke-key":
        return revoke_key(settings, args.key)
    if args.command == "check-ledger":
        return check_ledger(settings)
    if args.command == "migrate":
        upgrade_to_head(settings.database_url)
        return 0
    return serve(settings, host=args.host, port=args.port, workers=args.workers)


if __name__ == "__main__":
    sys.exit(main())
