"""Reading a request body with a size cap and a deadline (the Slack, Teams and HTTP endpoints).

ASGI servers such as uvicorn put no time limit on reading a body: a client that sends the headers
and then a byte now and then (or nothing) holds its connection, and the task reading it, for as
long as it likes. The Slack and Teams endpoints must read the whole body before they can check
its signature or token, so anyone can do that to them. :func:`read_body` gives up after
``timeout`` seconds (408) and after ``limit`` bytes (413), whichever comes first.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request

__all__ = ["BodyRefused", "read_body"]


class BodyRefused(Exception):
    """The body was not read: ``status`` 413 (too large) or 408 (too slow), and a ``code``."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


async def read_body(request: Request, *, limit: int, timeout: float) -> bytes:
    """The whole body, or :class:`BodyRefused` past ``limit`` bytes or ``timeout`` seconds.

    A declared ``Content-Length`` over the limit (or not a plain number) is refused before
    anything is read.
    """
    declared = request.headers.get("content-length")
    if declared is not None and (
        not (declared.isascii() and declared.isdigit())
        or len(declared) > 18
        or int(declared) > limit
    ):
        raise BodyRefused(413, "too_large")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyRefused(413, "too_large")
                chunks.append(chunk)
    except TimeoutError:
        raise BodyRefused(408, "too_slow") from None
    return b"".join(chunks)
