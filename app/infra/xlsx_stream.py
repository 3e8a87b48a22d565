"""A workbook written as it is sent: the exports of back-office lists.

openpyxl builds a whole file before its first byte, so a list's export would keep the user waiting
until its last row. Here the parts of the workbook that do not depend on the rows go out at once,
then the rows, compressed as they come (the standard library's ``zipfile`` writes to a stream that
cannot seek), and last the autofilter over the rows written. The sheet has the columns' widths, a
frozen header row, real date cells and, like every workbook the platform writes, cleaned text:
text a spreadsheet could run is stored as quoted text (``app.infra.xlsx.clean_value``).
"""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from app.infra.xlsx import EXCEL_MAX_TEXT, clean_value

FLUSH_ROWS = 200  # rows between two pieces sent
EPOCH = datetime(1899, 12, 30)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
# cell styles: 0 plain, 1 header (bold), 2 date, 3 date and time, 4 quoted text (not a formula)
STYLE_HEADER, STYLE_DATE, STYLE_DATETIME, STYLE_QUOTED = 1, 2, 3, 4

STATIC_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'styles" Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet {NS}>'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/>'
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>'),
}


class _Pipe(io.RawIOBase):
    """What the archive writes, kept until it is taken and sent; it cannot seek, so ``zipfile``
    writes each member's sizes after its data."""

    def __init__(self):
        super().__init__()
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def seek(self, *_args):
        raise OSError("a stream cannot seek")

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _cell(reference: str, value) -> str:
    value, formula_like = clean_value(value)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        serial = (value.replace(tzinfo=None) - EPOCH).total_seconds() / 86400
        return f'<c r="{reference}" s="{STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{reference}" s="{STYLE_DATE}"><v>{(value - EPOCH.date()).days}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    style = f' s="{STYLE_QUOTED}"' if formula_like else ""
    return f'<c r="{reference}"{style} t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def _plain_text(value: str) -> bool:
    """Text ``clean_value`` would keep as it is and not flag: it begins with a character that no
    normalisation turns into a formula's start (a printable ASCII character other than a space and
    = + - @, or a CJK ideograph), holds no character a workbook cannot hold and fits in a cell. Any
    other text goes through ``clean_value``."""
    first = value[0]
    return (("!" <= first <= "~" and first not in "=+-@") or "\u4e00" <= first <= "\u9fff") \
        and len(value) <= EXCEL_MAX_TEXT and not ILLEGAL_CHARACTERS_RE.search(value)


def _row(number: int, letters: list[str], values, style: int = 0) -> str:
    if style:
        cells = "".join(f'<c r="{letter}{number}" s="{style}" t="inlineStr"><is><t xml:space="preserve">'
                        f'{escape(str(clean_value(value)[0]))}</t></is></c>' for letter, value in zip(letters, values))
        return f'<row r="{number}">{cells}</row>'
    # the common cells (plain text, whole numbers, dates and times) inline; the others through ``_cell``
    cells = [f'<row r="{number}">']
    for letter, value in zip(letters, values):
        kind = type(value)
        if kind is str:
            if not value:
                continue
            if _plain_text(value):
                if "&" in value or "<" in value or ">" in value:
                    value = escape(value)
                cells.append(f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>')
                continue
        elif value is None:
            continue
        elif kind is int:
            cells.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
            continue
        elif kind is datetime and value.tzinfo is None:
            serial = (value - EPOCH).total_seconds() / 86400
            cells.append(f'<c r="{letter}{number}" s="{STYLE_DATETIME}"><v>{serial!r}</v></c>')
            continue
        cells.append(_cell(f"{letter}{number}", value))
    cells.append("</row>")
    return "".join(cells)


def _head(title: str, widths: list[float]) -> str:
    columns = "".join(f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>'
                      for index, width in enumerate(widths, 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {NS} {REL_NS}>'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/></sheetView></sheetViews>'
            f'{"<cols>" + columns + "</cols>" if columns else ""}<sheetData>')


def _workbook(title: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook {NS} {REL_NS}>'
            f'<sheets><sheet name={quoteattr(title)} sheetId="1" r:id="rId1"/></sheets></workbook>')


def stream_xlsx(title: str, headers: list[str], widths: list[float], rows: Iterable[list]) -> Iterator[bytes]:
    """The workbook of one sheet named ``title`` (already a name Excel accepts) with a bold header row,
    piece by piece: the first piece before any row is read."""
    pipe = _Pipe()
    letters = [get_column_letter(index) for index in range(1, len(headers) + 1)]
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in STATIC_PARTS.items():
            archive.writestr(name, content)
        archive.writestr("xl/workbook.xml", _workbook(title))
        yield pipe.take()
        written = 1
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_head(title, widths).encode())
            sheet.write(_row(1, letters, headers, STYLE_HEADER).encode())
            waiting: list[str] = []  # rows written to the archive FLUSH_ROWS at a time
            for values in rows:
                written += 1
                waiting.append(_row(written, letters, values))
                if written % FLUSH_ROWS == 0:
                    sheet.write("".join(waiting).encode())
                    waiting.clear()
                    yield pipe.take()
            if waiting:
                sheet.write("".join(waiting).encode())
            last = letters[-1] if letters else "A"
            sheet.write(f'</sheetData><autoFilter ref="A1:{last}{written}"/></worksheet>'.encode())
    yield pipe.take()
