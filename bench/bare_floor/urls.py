"""One route: `POST /api/floor` with `Authorization: Bearer <token>` → look the token up, one INSERT, 201."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI
from ninja.security import HttpBearer


class Bearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT user_id FROM bare_token WHERE key_hash = %s",
                           [hashlib.sha256(token.encode()).hexdigest()])
            row = cursor.fetchone()
        return row[0] if row else None


api = NinjaAPI(auth=Bearer(), urls_namespace="bare")


@api.post("/floor", response={201: dict})
def floor(request: HttpRequest) -> tuple[int, dict[str, bool]]:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bare_floor (user_id, at) VALUES (%s, %s)",
                       [request.auth, connection.ops.adapt_datetimefield_value(timezone.now())])
    return 201, {"ok": True}


urlpatterns = [path("api/", api.urls)]


def create_tables(tokens: list[str]) -> None:
    """Create the floor's two tables (afresh) and store the tokens the benchmark's clients send (their SHA-256)."""
    serial = "bigserial" if connection.vendor == "postgresql" else "integer"
    at = "timestamptz" if connection.vendor == "postgresql" else "text"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bare_token")
        cursor.execute("DROP TABLE IF EXISTS bare_floor")
        cursor.execute("CREATE TABLE bare_token (key_hash varchar(64) PRIMARY KEY, user_id bigint NOT NULL)")
        cursor.execute(f"CREATE TABLE bare_floor (id {serial} PRIMARY KEY, user_id bigint NOT NULL, at {at} NOT NULL)")
        for i, token in enumerate(tokens, 1):
            cursor.execute("INSERT INTO bare_token (key_hash, user_id) VALUES (%s, %s)",
                           [hashlib.sha256(token.encode()).hexdigest(), i])
