"""Open311 GeoReport v2 documents, in the spec's JSON and XML shapes.

JSON: the document as it is (lists are arrays). XML: a root element named by the spec
(`discovery`, `services`, `service_definition`, `service_requests`, `errors`), lists as
one child per item (`service`, `request`, `error`; and inside, `endpoint`, `format`,
`attribute`, `value`), booleans as `true`/`false`, absent values as empty elements.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

from django.http import HttpResponse

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

#: The element of one item in each list the spec defines.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ElementTree.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item)
    elif isinstance(value, list | tuple):
        item_tag = ITEM_TAGS.get(element.tag, "item")
        for item in value:
            _fill(ElementTree.SubElement(element, item_tag), item)
    else:
        element.text = _text(value)


def to_xml(root: str, document) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, document)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def to_json(document) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def render(root: str, document, fmt: str, *, status: int = 200) -> HttpResponse:
    body = to_xml(root, document) if fmt == "xml" else to_json(document)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_errors(errors: list[tuple[int, str]], fmt: str, *, status: int) -> HttpResponse:
    """The spec's error list: [{"code": 403, "description": "..."}]."""
    document = [{"code": code, "description": description} for code, description in errors]
    return render("errors", document, fmt, status=status)
