"""Joining a Ray cluster, or starting a local one, the same way for ``assay eval`` and ``assay perf``.

Ray is an optional extra (``assay[ray]``): it is imported only here, when ``--executor ray`` asks for
it, and its absence is one line saying how to install it. A run that finds Ray already initialised
in its process (a test, a notebook, a sweep that connected once for all its members) uses that
connection and leaves it open; otherwise it joins ``--ray-address`` or starts a local Ray and, at its
end, disconnects (a joined cluster keeps running; a local one stops).
"""

from __future__ import annotations

import logging
from typing import Any

from assay.errors import UserError

#: Ray's logger for its token-authentication notice: a local Ray that Assay starts for one run
#: listens on this machine only and keeps Ray's default (token auth on); its notice on stderr would
#: only break the rule that a run's errors are one line.
_AUTH_NOTICE_LOGGER = "ray._private.authentication.authentication_token_setup"


def import_ray() -> Any:
    """The ``ray`` module, or a one-line ``UserError`` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs Ray, which is not installed: pip install 'assay[ray]'") from None
    return ray


def connect(ray: Any, address: str | None) -> bool:
    """Join ``address``, or start a local Ray; True when this call connected (the caller must
    :func:`disconnect` at its end), False when the process was already connected.

    Raises:
        UserError: the cluster at ``address`` cannot be joined (one line, with Ray's reason).
    """
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address:
        try:
            ray.init(address=address, **options)
        except ConnectionError as exc:
            reason = " ".join(str(exc).split())  # one line, as every UserError
            raise UserError(f"could not join the Ray cluster at --ray-address {address}: {reason}") from exc
        return True
    notice = logging.getLogger(_AUTH_NOTICE_LOGGER)
    level = notice.level
    notice.setLevel(logging.ERROR)
    try:
        ray.init(include_dashboard=False, **options)
    finally:
        notice.setLevel(level)
    return True


def disconnect(ray: Any, connected: bool) -> None:
    """End what :func:`connect` began: nothing when it found Ray already connected."""
    if connected:
        ray.shutdown()
