"""The yearly hours statement as a PDF (fpdf2), with a Chinese font embedded (subset).

The font is Debian's: Noto Sans CJK (`apt-get install fonts-noto-cjk`, which .ci/run installs next to
Chromium) or WenQuanYi Micro Hei (`fonts-wqy-microhei`); GRASSROOTS_CJK_FONT names another file (a
.ttf, .otf or .ttc). It is found when a statement is first asked for; without one the page says what
to install instead of printing empty boxes.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from django.utils import formats
from django.utils.translation import gettext as _

#: Font files tried in order, with the face to take from a collection (.ttc): Simplified Chinese.
FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # JP, KR, SC, TC, HK: SC is third
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


# fontTools reports every table it subsets at INFO: not for the server's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)


class FontMissing(RuntimeError):
    """No Chinese font was found: the statement cannot be printed."""


@cache
def cjk_font() -> tuple[str, int]:
    """The Chinese font file to embed and the face's number in it (0 for a single font)."""
    configured = os.environ.get("GRASSROOTS_CJK_FONT", "").strip()
    if configured:
        if not Path(configured).is_file():
            raise FontMissing(f"GRASSROOTS_CJK_FONT names {configured}, which is not a file.")
        return configured, 2 if configured.endswith("NotoSansCJK-Regular.ttc") else 0
    for path, face in FONT_CANDIDATES:
        if Path(path).is_file():
            return path, face
    raise FontMissing(
        "No Chinese font for the PDF statement: install one (apt-get install fonts-noto-cjk, or "
        "fonts-wqy-microhei) or set GRASSROOTS_CJK_FONT to a .ttf/.otf/.ttc file."
    )


def statement_pdf(statement) -> bytes:
    """The statement (activities.selectors.Statement) as PDF bytes, in the reader's language."""
    from fpdf import FPDF

    path, face = cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_title(f"{statement.person.name} {statement.year}")
    pdf.add_font("cjk", "", path, collection_font_number=face)
    pdf.add_font("cjk", "B", path, collection_font_number=face)  # the table's headings (same face)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(
        0, 10, _("Service hours statement %(year)s") % {"year": statement.year}, new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("cjk", size=11)
    volunteer = _("Volunteer: %(name)s") % {"name": statement.person.name}
    pdf.cell(0, 8, volunteer, new_x="LMARGIN", new_y="NEXT")
    summary = _(
        "Hours: %(hours)s · points earned: %(points)s · redeemed: %(redeemed)s · balance: %(balance)s"
    ) % {
        "hours": statement.hours,
        "points": statement.points,
        "redeemed": statement.redeemed,
        "balance": statement.balance,
    }
    pdf.cell(0, 8, summary, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    with pdf.table(
        col_widths=(28, 28, 80, 20, 20), text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT")
    ) as table:
        table.row([_("Date"), _("Source"), _("Note"), _("Hours"), _("Points")])
        for entry in statement.entries:
            note = entry.note
            if entry.corrects_id:
                note = _("correction: %(note)s") % {"note": note}
            table.row(
                [
                    formats.date_format(entry.worked_at, "Y-m-d"),
                    str(entry.get_source_kind_display()),
                    note,
                    str(entry.hours),
                    str(entry.points),
                ]
            )
    pdf.ln(4)
    for label, hours, points in statement.by_source:
        pdf.cell(0, 7, f"{label}: {hours} h · {points}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
