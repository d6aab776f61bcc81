"""The monthly report's two files: an .xlsx (xlsxwriter, native charts) and a PDF (fpdf2, charts
drawn with its primitives, the Chinese font embedded as the hours statement embeds it).

Both show one `ReportContent` (insights.reports), the dashboard's figures as the dashboard shows
them: a rate as its share (the .xlsx keeps the number, formatted as a percentage; the PDF its
text, "75.0%"), a time as the bucket it falls in, a count as the number. No browser, no network.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from grassroots.cases.figures import Figure
from grassroots.insights.reports import ReportContent

#: Figures that are counts (the rest of the case figures are shares, but the score and the times).
COUNT_KEYS = frozenset({"reported", "open_now", "overdue_now"})


def figure_kind(key: str, content: ReportContent) -> str:
    """count, score, time or rate: how a figure's value is written."""
    if key in COUNT_KEYS:
        return "count"
    if key == "score":
        return "score"
    if key in content.time_keys:
        return "time"
    return "rate"


def _title(content: ReportContent) -> str:
    return _("%(scope)s monthly report, %(month)s") % {
        "scope": content.scope_name,
        "month": content.month_text,
    }


def _note(content: ReportContent) -> str:
    made = formats.date_format(timezone.localtime(content.now), "Y-m-d H:i")
    return _(
        "Cases reported in %(month)s, counted as the street office's dashboard counts them (sensitive "
        "categories left out); open and overdue, visit coverage: as of %(made)s."
    ) % {"month": content.month_text, "made": made}


def _care_rows(content: ReportContent) -> list[tuple[str, str, list]]:
    """(label, kind, value per column) of the care figures; None where the figure has no value."""
    cares = [figures.care for _heading, figures in content.columns]
    if all(care is None for care in cares):
        return []

    def each(read) -> list:
        return [read(care) if care is not None else None for care in cares]

    return [
        (_("Visit coverage"), "rate", each(lambda c: c.coverage)),
        (_("People on the care register"), "count", each(lambda c: c.people)),
        (_("Reached within their tier's frequency"), "count", each(lambda c: c.reached)),
        (_("Care services delivered against due"), "rate", each(lambda c: c.delivered)),
        (_("Care services due"), "count", each(lambda c: c.due)),
        (_("Care services delivered"), "count", each(lambda c: c.done)),
        (_("Care services missed"), "count", each(lambda c: c.missed)),
        (_("Volunteer hours"), "hours", each(lambda c: c.hours)),
    ]


def _parts(content: ReportContent) -> list[tuple[str, list[int]]]:
    """Every count a figure is made of (taken on, responded, …), once, per column."""
    names: dict[str, str] = {}
    for key in (*content.case_keys, *content.time_keys):
        for part in content.columns[0][1].figures[key].parts:
            names.setdefault(part.name, part.label)
    rows = []
    for name, label in names.items():
        counts = []
        for _heading, column in content.columns:
            found = [p.count for f in column.figures.values() for p in f.parts if p.name == name]
            counts.append(found[0] if found else 0)
        rows.append((label, counts))
    return rows


def value_text(kind: str, value) -> str:
    """A care value as the PDF prints it (a case figure prints its own `text`)."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{100 * value:.1f}%"
    if kind == "hours":
        return f"{value:.1f}"
    return str(value)


# --- the .xlsx ----------------------------------------------------------------------------------------


def report_xlsx(content: ReportContent) -> bytes:
    """The workbook: the figures, their counts, the trend and the top categories, each with a chart."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    percent = book.add_format({"num_format": "0.0%"})
    one_decimal = book.add_format({"num_format": "0.0"})
    formats_by_kind = {"rate": percent, "score": one_decimal, "hours": one_decimal}
    headings = [heading for heading, _figures in content.columns]

    sheet = book.add_worksheet(_("Figures"))
    sheet.write(0, 0, _title(content), title)
    sheet.write(1, 0, _note(content))
    sheet.write_row(3, 0, [_("Figure"), *headings], bold)
    row = 4
    for key in (*content.case_keys, *content.time_keys):
        kind = figure_kind(key, content)
        shown: list[Figure] = [figures.figures[key] for _heading, figures in content.columns]
        sheet.write(row, 0, shown[0].label)
        for column, figure in enumerate(shown, start=1):
            if kind == "time" or figure.value is None:
                sheet.write_string(row, column, figure.text)
            else:
                sheet.write_number(row, column, figure.value, formats_by_kind.get(kind))
        row += 1
    for label, kind, values in _care_rows(content):
        sheet.write(row, 0, label)
        for column, value in enumerate(values, start=1):
            if value is None:
                sheet.write_string(row, column, "—")
            else:
                sheet.write_number(row, column, value, formats_by_kind.get(kind))
        row += 1
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, len(headings), 14)
    if len(headings) > 1:  # the communities compared: the composite score, a column each
        score_row = 4 + list(content.case_keys).index("score")
        chart = book.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": _("Composite score"),
                "categories": [sheet.name, 3, 2, 3, len(headings)],
                "values": [sheet.name, score_row, 2, score_row, len(headings)],
            }
        )
        chart.set_title({"name": _("Composite score by community")})
        chart.set_legend({"none": True})
        sheet.insert_chart(row + 2, 0, chart)

    counts = book.add_worksheet(_("Counts"))
    counts.write_row(0, 0, [_("Cases"), *headings], bold)
    for index, (label, values) in enumerate(_parts(content), start=1):
        counts.write(index, 0, label)
        counts.write_row(index, 1, values)
    counts.set_column(0, 0, 30)

    trend = book.add_worksheet(_("Trend"))
    trend.write_row(
        0,
        0,
        [_("Month"), _("Taken on"), _("Response rate"), _("Resolution rate"), _("Satisfaction rate")],
        bold,
    )
    for index, month in enumerate(content.trend, start=1):
        trend.write_string(index, 0, f"{month.month:%Y-%m}")
        trend.write_number(index, 1, month.accepted)
        for column, value in enumerate((month.response, month.resolution, month.satisfaction), start=2):
            if value is None:
                trend.write_string(index, column, "—")
            else:
                trend.write_number(index, column, value, percent)
    last = len(content.trend)
    bars = book.add_chart({"type": "column"})
    bars.add_series(
        {
            "name": _("Taken on"),
            "categories": [trend.name, 1, 0, last, 0],
            "values": [trend.name, 1, 1, last, 1],
        }
    )
    lines = book.add_chart({"type": "line"})
    for column, name in ((3, _("Resolution rate")), (4, _("Satisfaction rate"))):
        lines.add_series(
            {
                "name": name,
                "categories": [trend.name, 1, 0, last, 0],
                "values": [trend.name, 1, column, last, column],
                "y2_axis": True,
            }
        )
    bars.combine(lines)
    bars.set_title({"name": _("Twelve months")})
    lines.set_y2_axis({"num_format": "0%", "min": 0, "max": 1})
    trend.insert_chart(1, 6, bars, {"x_scale": 1.4, "y_scale": 1.2})
    trend.set_column(0, 4, 14)

    top = book.add_worksheet(_("Top categories"))
    top.write_row(0, 0, [_("Category"), _("Taken on")], bold)
    for index, (name, count) in enumerate(content.top_categories, start=1):
        top.write(index, 0, name)
        top.write_number(index, 1, count)
    if content.top_categories:
        chart = book.add_chart({"type": "bar"})
        n = len(content.top_categories)
        chart.add_series(
            {"name": _("Taken on"), "categories": [top.name, 1, 0, n, 0], "values": [top.name, 1, 1, n, 1]}
        )
        chart.set_title({"name": _("Top categories")})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})
        top.insert_chart(1, 3, chart)
    top.set_column(0, 0, 24)
    book.close()
    return out.getvalue()


# --- the PDF ------------------------------------------------------------------------------------------

BLUE, ORANGE, GREEN, GREY = (47, 94, 160), (230, 126, 34), (39, 174, 96), (120, 120, 120)
#: Value columns per table row in the PDF (a street's communities are shown five at a time).
PDF_COLUMNS = 5


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _figure_tables(pdf, content: ReportContent) -> None:
    """The figures, with the same texts as the dashboard's, five columns to a table."""
    indexed = list(enumerate(content.columns))
    care = _care_rows(content)
    for chunk in _chunks(indexed, PDF_COLUMNS):
        widths = (62, *([24] * len(chunk)))
        pdf.set_font("cjk", size=9)
        with pdf.table(
            col_widths=widths, text_align=("LEFT", *(["RIGHT"] * len(chunk))), width=sum(widths)
        ) as t:
            t.row([_("Figure"), *(heading for _i, (heading, _f) in chunk)])
            for key in (*content.case_keys, *content.time_keys):
                first = chunk[0][1][1].figures[key]
                t.row([first.label, *(figures.figures[key].text for _i, (_h, figures) in chunk)])
            for label, kind, values in care:
                t.row([label, *(value_text(kind, values[i]) for i, _c in chunk)])
        pdf.ln(4)


def _bar_chart(
    pdf, *, x: float, y: float, w: float, h: float, title: str, rows: list[tuple[str, float]]
) -> None:
    """Horizontal bars, one per row, longest first as given, each with its label and value."""
    pdf.set_font("cjk", size=10)
    pdf.set_xy(x, y)
    pdf.cell(w, 6, title)
    if not rows:
        return
    top = max(value for _label, value in rows) or 1
    label_w, bar_h = 40, min(8.0, (h - 8) / len(rows))
    pdf.set_font("cjk", size=8)
    for index, (label, value) in enumerate(rows):
        row_y = y + 8 + index * bar_h
        pdf.set_xy(x, row_y)
        pdf.cell(label_w - 2, bar_h - 1, label[:14], align="R")
        length = (w - label_w - 14) * value / top
        pdf.set_fill_color(*BLUE)
        pdf.rect(x + label_w, row_y + 0.8, max(length, 0.3), bar_h - 2.6, style="F")
        pdf.set_xy(x + label_w + length + 1, row_y)
        pdf.cell(12, bar_h - 1, f"{value:g}")


def _trend_chart(pdf, content: ReportContent, *, x: float, y: float, w: float, h: float) -> None:
    """Cases taken on per month (bars, left scale) and the resolution and satisfaction rates (lines,
    0–100 % on the right)."""
    pdf.set_font("cjk", size=10)
    pdf.set_xy(x, y)
    pdf.cell(w, 6, _("Twelve months: cases taken on, resolution and satisfaction rates"))
    plot_x, plot_y, plot_w, plot_h = x + 10, y + 10, w - 22, h - 22
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    pdf.line(plot_x, plot_y + plot_h, plot_x + plot_w, plot_y + plot_h)
    pdf.line(plot_x, plot_y, plot_x, plot_y + plot_h)
    pdf.line(plot_x + plot_w, plot_y, plot_x + plot_w, plot_y + plot_h)
    months = content.trend
    top = max([m.accepted for m in months] + [1])
    step = plot_w / max(len(months), 1)
    pdf.set_font("cjk", size=7)
    pdf.set_text_color(*GREY)
    pdf.text(x, plot_y + 2, str(top))
    pdf.text(x, plot_y + plot_h, "0")
    pdf.text(plot_x + plot_w + 1, plot_y + 2, "100%")
    pdf.text(plot_x + plot_w + 1, plot_y + plot_h, "0%")
    pdf.set_fill_color(*BLUE)
    for index, month in enumerate(months):
        bar = plot_h * month.accepted / top
        left = plot_x + index * step + step * 0.2
        if bar:
            pdf.rect(left, plot_y + plot_h - bar, step * 0.6, bar, style="F")
        pdf.text(left, plot_y + plot_h + 4, f"{month.month:%m}")
    for colour, read in ((ORANGE, lambda m: m.resolution), (GREEN, lambda m: m.satisfaction)):
        points = [
            (plot_x + i * step + step / 2, plot_y + plot_h * (1 - read(m)))
            for i, m in enumerate(months)
            if read(m) is not None
        ]
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.6)
        for start, end in itertools.pairwise(points):
            pdf.line(*start, *end)
        pdf.set_fill_color(*colour)
        for px, py in points:
            pdf.ellipse(px - 0.8, py - 0.8, 1.6, 1.6, style="F")
    legend_y = y + h - 5
    for offset, (colour, label) in enumerate(
        ((BLUE, _("Taken on")), (ORANGE, _("Resolution rate")), (GREEN, _("Satisfaction rate")))
    ):
        pdf.set_fill_color(*colour)
        pdf.rect(plot_x + offset * 45, legend_y - 2.5, 3, 3, style="F")
        pdf.text(plot_x + offset * 45 + 4, legend_y, label)
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)


def report_pdf(content: ReportContent) -> bytes:
    """The report as PDF: the figures, the trend and the top categories (and, for a street, the
    communities' scores), charts drawn, the Chinese font embedded (activities.pdf finds it)."""
    from fpdf import FPDF

    from grassroots.activities.pdf import cjk_font

    path, face = cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_title(_title(content))
    pdf.add_font("cjk", "", path, collection_font_number=face)
    pdf.add_font("cjk", "B", path, collection_font_number=face)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 9, _title(content), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(0, 4.5, _note(content), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _figure_tables(pdf, content)
    pdf.add_page()
    _trend_chart(pdf, content, x=10, y=12, w=190, h=85)
    top = [(name, float(count)) for name, count in content.top_categories]
    _bar_chart(pdf, x=10, y=105, w=190, h=60, title=_("Top categories (cases taken on)"), rows=top)
    if len(content.columns) > 1:
        scores = [
            (heading, round(figures.figures["score"].value, 1))
            for heading, figures in content.columns[1:]
            if figures.figures["score"].value is not None
        ]
        _bar_chart(pdf, x=10, y=172, w=190, h=110, title=_("Composite score by community"), rows=scores)
    pdf.add_page()  # the trend's table, beside its chart (and for who cannot read the chart)
    pdf.set_font("cjk", size=9)
    with pdf.table(col_widths=(40, 30, 40, 40, 40), text_align="RIGHT") as table:
        table.row(
            [_("Month"), _("Taken on"), _("Response rate"), _("Resolution rate"), _("Satisfaction rate")]
        )
        for month in content.trend:
            table.row(
                [
                    f"{month.month:%Y-%m}",
                    str(month.accepted),
                    value_text("rate", month.response),
                    value_text("rate", month.resolution),
                    value_text("rate", month.satisfaction),
                ]
            )
    return bytes(pdf.output())
