"""Refuse oversized request bodies with 413 before reading them whole; unpack gzip bodies (as CDPs send)."""

from __future__ import annotations

import json
import zlib
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]

DEFAULT_MAX_BODY = 1_048_576  # 1 MiB, compressed or not


class BodyLimit:
    """ASGI middleware: a body over `max_bytes` (declared or counted, and after unpacking gzip) is a 413."""

    def __init__(self, app: Any, max_bytes: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        data = b"".join(chunks)
        if headers.get("content-encoding", "").lower() == "gzip":
            try:
                data = _gunzip(data, self.max_bytes)
            except _TooLarge:
                await self._too_large(send)
                return
            except (OSError, EOFError, zlib.error):
                await _reply(
                    send,
                    400,
                    {
                        "error": "bad request",
                        "errors": [{"field": None, "message": "the body is not valid gzip"}],
                    },
                )
                return
            scope = dict(scope)
            scope["headers"] = [
                (k, v)
                for k, v in scope["headers"]
                if k.lower() not in (b"content-encoding", b"content-length")
            ]
            scope["headers"].append((b"content-length", str(len(data)).encode()))
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                later: Message = await receive()
                return later
            sent = True
            return {"type": "http.request", "body": data, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, send: Any) -> None:
        await _reply(
            send,
            413,
            {
                "error": "payload too large",
                "errors": [{"field": None, "message": f"the body must be at most {self.max_bytes} bytes"}],
            },
        )


class _TooLarge(Exception):
    pass


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise _TooLarge
    if not inflater.eof:
        raise EOFError("truncated gzip body")
    return out


async def _reply(send: Any, status: int, payload: dict[str, Any]) -> None:
    raw = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": raw})
