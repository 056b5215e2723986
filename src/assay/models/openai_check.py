"""The start-up check of the ``openai_api`` backend: is there an OpenAI API at the URL, and does it take the key?

Kept apart from the request path (:mod:`assay.models.openai_api`), which mixes this in: it runs once
per run, before any sample, and its only job is to turn a wrong URL, a server that is down or a
rejected key into one clear line instead of a thousand failed samples.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson
from yarl import URL

from assay.errors import UserError, did_you_mean
from assay.models._session import LoopBoundSession
from assay.models._session_redirects import RedirectRefused, send
from assay.models.openai_request import ApiKind
from assay.models.openai_response import RejectedError, connect_failure, error_text, read_capped
from assay.secrets import secret_header_values
from assay.types import GenerateConfig

__all__ = ["CHECK_TIMEOUT_S", "ServerCheck"]

logger = logging.getLogger("assay.models.openai_api")

#: How long :meth:`ServerCheck.check` waits for the server before calling it unreachable, seconds.
CHECK_TIMEOUT_S = 10.0
#: Largest answer the check reads, bytes: a model list is a few kilobytes.
CHECK_MAX_BYTES = 4 * 1024 * 1024


class ServerCheck:
    """Mixin of :class:`~assay.models.openai_api.OpenAIAPI`: ``check()`` and the probes behind it."""

    model_name: str
    api: ApiKind
    base_url: str
    _sessions: LoopBoundSession
    _models_url: URL
    _chat_url: URL
    _completions_url: URL
    _has_credential: bool

    def _scrub(self, text: str, secrets: Sequence[str] = ()) -> str:
        raise NotImplementedError

    def _headers_for(self, extra_headers: dict[str, str] | None) -> dict[str, str]:
        raise NotImplementedError

    def _key_error(self, status: int, message: str) -> UserError:
        raise NotImplementedError

    async def check(self, config: GenerateConfig | None = None) -> None:
        """Make sure the server answers and accepts the key before any sample runs.

        Asks ``GET /models`` (or, where that is missing, a one-token generation) with a short
        timeout, sending the headers real requests send (``config.extra_headers`` included, so a
        key given there is checked rather than ``Bearer EMPTY``). A model name the server does not
        list only warns: some servers route any name.

        Raises:
            UserError: the server cannot be reached, rejects the key, redirects elsewhere, or has
                no OpenAI API at the URL.
        """
        session = await self._sessions.get()
        timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_S)
        headers = self._headers_for(config.extra_headers if config is not None else None)
        probed = "GET /models"
        try:
            async with await send(session, "GET", self._models_url, headers=headers, timeout=timeout) as resp:
                status, raw = resp.status, await read_capped(resp, CHECK_MAX_BYTES)
            if status in (404, 405):
                probed = "POST /completions" if self.api == "completions" else "POST /chat/completions"
                status, raw = await self._probe_generation(session, timeout, headers)
        except (RedirectRefused, RejectedError) as exc:
            raise UserError(
                f"the model server at {self.base_url} answered {probed} with "
                f"{self._scrub(str(exc), secret_header_values(headers))}; fix --api-url"
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise UserError(
                f"cannot reach the model server at {self.base_url} ({connect_failure(exc)}); start it or fix --api-url"
            ) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise UserError(
                f"the model server at {self.base_url} did not answer within {CHECK_TIMEOUT_S:g} s "
                f"({type(exc).__name__}); check that it is up and that --api-url is right"
            ) from None
        if status in (401, 403) and config is None and not self._has_credential:
            # No key was given here, and without the generation config we cannot know whether its
            # extra_headers carry one: the first request, which sends them, decides (a rejected key
            # stops the run there with the same one-line error).
            logger.warning(
                "model server at %s answered %s with HTTP %d without a key; continuing in case "
                "generation_config extra_headers carry one",
                self.base_url,
                probed,
                status,
            )
            return
        self._judge_check(status, raw, probed, secret_header_values(headers))

    async def _probe_generation(
        self, session: aiohttp.ClientSession, timeout: aiohttp.ClientTimeout, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        body: dict[str, Any] = {"model": self.model_name, "max_tokens": 1}
        if self.api == "completions":
            url, body["prompt"] = self._completions_url, "Hi"
        else:
            url = self._chat_url
            body["messages"] = [{"role": "user", "content": "Hi"}]
        async with await send(session, "POST", url, data=orjson.dumps(body), headers=headers, timeout=timeout) as resp:
            return resp.status, await read_capped(resp, CHECK_MAX_BYTES)

    def _judge_check(self, status: int, raw: bytes, probed: str, secrets: Sequence[str]) -> None:
        message = self._scrub(error_text(raw), secrets)
        if status in (401, 403):
            raise self._key_error(status, message)
        if status == 404:
            raise UserError(
                f"no OpenAI-compatible API at {self.base_url}: {probed} returned HTTP 404 ({message}); "
                "fix --api-url (it usually ends in /v1) or --model"
            )
        if not 200 <= status < 300:
            logger.warning("model server at %s answered %s with HTTP %d: %s", self.base_url, probed, status, message)
        elif probed == "GET /models":
            self._warn_if_unlisted(raw)

    def _warn_if_unlisted(self, raw: bytes) -> None:
        try:
            listed = [m["id"] for m in orjson.loads(raw)["data"]]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        if listed and self.model_name not in listed:
            logger.warning(
                "model %r is not among those the server at %s lists (%s)%s; continuing, some servers accept any name",
                self.model_name,
                self.base_url,
                ", ".join(map(str, listed[:8])),
                did_you_mean(self.model_name, map(str, listed)),
            )
