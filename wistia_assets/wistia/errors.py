"""What can go wrong when calling Wistia, one exception class per thing a user must do differently.

Messages are written for the person reading a failed run: one or two sentences, the endpoint path
(never a full URL with credentials, never the token) and Wistia's x-request-id, which Wistia
support asks for.
"""

from __future__ import annotations


class WistiaError(Exception):
    """A call to the Wistia API failed; `str(err)` says why and what to do."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        url_path: str = "",
        media_id: str | None = None,
    ):
        if request_id:
            message = f"{message.rstrip('.')} (x-request-id: {request_id})."
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.url_path = url_path
        self.media_id = media_id


class WistiaAuthError(WistiaError):
    """401: the token is wrong, revoked or lacks permissions. Never retried."""


class WistiaForbiddenError(WistiaError):
    """403: the feature is not on the account's plan or the token lacks a permission."""


class WistiaNotFoundError(WistiaError):
    """404: the media (or event) is not in this Wistia account."""


class WistiaBadRequestError(WistiaError):
    """422: Wistia rejected the parameters; the message quotes Wistia's reason."""


class WistiaUnavailableError(WistiaError):
    """Throttling, server errors, timeouts or dropped connections outlasted the retry budget."""

    def __init__(self, message: str, *, attempts: int, elapsed: float, **kwargs):
        super().__init__(message, **kwargs)
        self.attempts = attempts
        self.elapsed = elapsed


class WistiaProtocolError(WistiaError):
    """Wistia kept answering 200 with a body that is not what the endpoint returns."""

    def __init__(self, message: str, *, attempts: int, elapsed: float, **kwargs):
        super().__init__(message, **kwargs)
        self.attempts = attempts
        self.elapsed = elapsed


class WistiaUnsettledError(WistiaUnavailableError):
    """An events window kept changing while it was read, past the bounded re-reads."""
