"""The errors an action raises as the runtime reports them (class name, message, status).

Kept in a module of their own so that they stay plain Python classes when the engine modules are compiled
(docs/compiled.md): their class attributes are part of what `as_dict` reports.
"""

from __future__ import annotations


class ActionError(Exception):
    """An error as the runtime reports it: class name, message and HTTP-like status (None when unset)."""

    name = "Error"
    status: int | None = None

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def as_dict(self) -> dict:
        return {"name": self.name, "message": self.message, "status": self.status}


class AggregateAjvError(ActionError):
    """Payload validation failed; the runtime sets status 400 when a subscription throws it."""

    name = "AggregateAjvError"
    status = 400

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


class HTTPError(ActionError):
    """A non-2xx answer; the message is the status text."""

    name = "HTTPError"

    def __init__(self, status: int, message: str | None = None):
        super().__init__(message if message is not None else STATUS_TEXT.get(status, ""), status)


# Node's http.STATUS_CODES (the status text of a non-2xx answer becomes the error message)
STATUS_TEXT = {
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
    305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
    401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict",
    410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large",
    414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed",
    418: "I'm a Teapot", 421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
    424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required", 428: "Precondition Required",
    429: "Too Many Requests", 431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout", 505: "HTTP Version Not Supported", 506: "Variant Also Negotiates",
    507: "Insufficient Storage", 508: "Loop Detected", 509: "Bandwidth Limit Exceeded", 510: "Not Extended",
    511: "Network Authentication Required",
}  # fmt: skip
