"""Request middleware of the composition root."""

from __future__ import annotations

from config.views.errors import studio_error
from studio.errors import StudioError


class StudioErrorMiddleware:
    """A StudioError a page raised answers with its status and message instead of a 500.

    API views never get here: the REST framework's exception handler (`studio.api.errors`) renders
    theirs.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, StudioError):
            return studio_error(request, exception)
        return None
