"""The ASGI app: `app.main:app`, built by `create_app` so tests can pass their own settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from app.access import RateLimitHeaders
from app.core.config import Settings
from app.core.db import Database
from app.core.heap import freeze_startup_heap
from app.core.log import configure_logging
from app.core.request_id import RequestIdMiddleware
from app.graphql.limits import Limits
from app.graphql.schema import build_schema
from app.graphql.view import GraphQLApp
from app.health import healthz
from app.models import utcnow
from app.ratelimit import create_limiter
from app.rest import assets, participants, programs, tiers
from app.rest.errors import CatchUnexpected, exception_handlers
from app.rest.openapi import openapi
from app.rest.routing import resource
from app.rest.state_routes import ledger_routes, participant_state_routes
from app.services.cursors import CursorCodec
from app.services.key_cache import KeyCache

__all__ = ["app", "create_app"]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.db = Database.from_settings(settings)
        app.state.limiter = create_limiter(settings)
        freeze_startup_heap()
        try:
            yield
        finally:
            # aiosqlite's worker threads would otherwise keep the process alive.
            await app.state.db.dispose()
            if app.state.limiter is not None:
                await app.state.limiter.close()

    graphql = GraphQLApp(
        build_schema(
            document_cache_size=settings.graphql_document_cache_size,
            limits=Limits(
                max_depth=settings.graphql_max_depth,
                max_aliases=settings.graphql_max_aliases,
                max_tokens=settings.graphql_max_tokens,
                introspection=settings.graphql_introspection,
            ),
        ),
        ide=settings.graphql_ide,
        max_body_bytes=settings.max_body_bytes,
    )
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        resource(
            "/v1/participants",
            {"GET": participants.list_participants, "POST": participants.create_participant},
        ),
        resource(
            "/v1/participants/{participant_id}",
            {"GET": participants.get_participant, "PATCH": participants.update_participant},
        ),
        resource("/v1/participants/{participant_id}/status", {"PATCH": participants.set_status}),
        *participant_state_routes(),
        *ledger_routes(),
        resource("/v1/programs", {"GET": programs.list_programs, "POST": programs.create_program}),
        resource(
            "/v1/programs/{program_id}",
            {"GET": programs.get_program, "PATCH": programs.update_program},
        ),
        resource(
            "/v1/programs/{program_id}/assets",
            {"GET": assets.list_program_assets, "POST": assets.link_asset},
        ),
        resource(
            "/v1/programs/{program_id}/tiers",
            {"GET": tiers.list_tiers, "POST": tiers.create_tier},
        ),
        resource(
            "/v1/programs/{program_id}/tiers/{key}",
            {"GET": tiers.get_tier, "PATCH": tiers.update_tier},
        ),
        resource("/v1/programs/{program_id}/tiers/{key}/archive", {"POST": tiers.archive_tier}),
        resource("/v1/assets", {"GET": assets.list_assets, "POST": assets.create_asset}),
        resource("/v1/assets/{asset_id}", {"GET": assets.get_asset, "PATCH": assets.update_asset}),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(CatchUnexpected),
            Middleware(RateLimitHeaders),
        ],
        exception_handlers=exception_handlers,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = utcnow  # what "now" is for writes and counter auto-reset; tests set it
    app.state.cursor_codec = CursorCodec(settings.cursor_secret or settings.database_url)
    app.state.key_cache = KeyCache(settings.auth_cache_seconds)
    return app


app = create_app()
