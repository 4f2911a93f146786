from django.conf import settings
from django.http import HttpResponse
from django.utils.formats import number_format


class RequestBodyLimitMiddleware:
    """Refuse a request whose declared body exceeds the cap, before anything reads it.

    Django only bounds the non-file part of a body (DATA_UPLOAD_MAX_MEMORY_SIZE): a 50 MB
    upload would be read and written to disk in full before the form refused it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BODY
        # Staff import national files; the session, not the body, says who is asking.
        if length > limit and request.user.is_staff:
            limit = settings.MAX_STAFF_REQUEST_BODY
        if length > limit:
            size = number_format(limit / (1024 * 1024), decimal_pos=0)
            return HttpResponse(
                f"La requête est trop volumineuse : {size} Mo au plus.",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
