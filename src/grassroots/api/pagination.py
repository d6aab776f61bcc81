"""Page numbers for every list of the API: 50 a page by default, `page_size` up to 200.

A `page_size` that is not a whole number from 1 is refused (400), not silently replaced,
so that a client's mistake shows at once; a page beyond the last is 404.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdecimal() or len(raw) > 9 or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: [_("A whole number from 1.")]})
        return min(int(raw), self.max_page_size)
