"""Reading uploaded Excel workbooks (.xlsx) safely: shared by the score import and the unit-directory import.

- ``read_upload`` takes the uploaded stream and returns its bytes only when it is an .xlsx archive
  within the size limits (an old .xls, a CSV, a picture, a damaged or a zip-bomb archive is refused).
- ``sheet_rows`` reads the first worksheet with openpyxl in read-only mode, ignoring the used range
  the file declares (``reset_dimensions``: a file may claim 16,384 columns), and stops past a
  number of rows.
- ``header_key`` and ``find_columns`` match header cells to the columns an import reads.
- ``cell_text`` and ``decode_ooxml`` turn a cell into the text a person saw in Excel.

Writing workbooks (every export and template the platform makes):

- ``safe_row`` turns a row of values into what ``sheet.append`` writes, so that no text becomes a
  formula (OWASP "CSV injection"): text that Excel or LibreOffice would run (starting with
  = + - @, a tab or a line break, also after spaces or as full-width ＝ ＋ － ＠) is written as a
  text cell (``data_type`` "s", an inline string with no ``<f>`` element), with Excel's apostrophe
  flag (``quotePrefix``) and the text number format "@", so that editing the cell keeps it text.
  The text itself is unchanged: people see what they typed, and an import of the file reads it back
  as it was (no apostrophe is added to the value). Numbers, dates and booleans stay what they are.
  ``write_header`` and ``write_instructions`` write through it too.

Every refusal of the whole file is a ``WorkbookError`` whose ``str`` is the Chinese message.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
import zipfile
from typing import BinaryIO, Iterable

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, KNOWN_TYPES, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
ZIP_SIGNATURE = b"PK\x03\x04"


class WorkbookError(ValueError):
    """The whole file is refused; ``str(error)`` is the Chinese message for the user."""


def size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def safe_file_part(text: str) -> str:
    """``text`` usable in a download file name."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text).strip() or "_"


def read_upload(stream: BinaryIO | None, filename: str | None, max_bytes: int, max_unpacked_bytes: int) -> bytes:
    """The uploaded file's bytes if it is an .xlsx within the limits; else ``WorkbookError``."""
    if stream is None or not (filename or "").strip():
        raise WorkbookError(_("Please choose the filled-in template (.xlsx) to upload."))
    data = stream.read(max_bytes + 1)
    if not data:
        raise WorkbookError(_("The file is empty."))
    if len(data) > max_bytes:
        raise WorkbookError(_("The file is larger than %(size)s.", size=size_text(max_bytes)))
    if data.startswith(OLE_SIGNATURE):
        raise WorkbookError(_("This is an old Excel 97-2003 (.xls) file. Please save it as an Excel workbook "
                              "(.xlsx) and upload it again."))
    not_xlsx = _("The file is not an Excel workbook (.xlsx). Please upload the filled-in template.")
    if not data.startswith(ZIP_SIGNATURE):
        raise WorkbookError(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise WorkbookError(not_xlsx) from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise WorkbookError(not_xlsx)
    if sum(info.file_size for info in infos) > max_unpacked_bytes:
        raise WorkbookError(_("The workbook is too large when unpacked. Please upload the template with only "
                              "the rows to import."))
    return data


def sheet_rows(data: bytes, max_rows: int, formulas: bool = False) -> list[tuple]:
    """The first worksheet's rows, at most the header and ``max_rows`` rows (else ``WorkbookError``).

    By default a formula cell gives the value Excel last computed (``None`` when the file holds
    none); with ``formulas=True`` it gives the formula's text (``=HYPERLINK(…)``), so an import can
    refuse it."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=not formulas)
    except Exception:  # openpyxl raises many kinds of errors on damaged archives
        raise WorkbookError(_("The file could not be read as an Excel workbook; it may be damaged.")) from None
    try:
        if not workbook.worksheets:
            raise WorkbookError(_("The workbook has no worksheet."))
        rows = []
        sheet = workbook.worksheets[0]
        # the declared <dimension> may claim 16,384 columns: read only what the cells hold
        sheet.reset_dimensions()
        for row in sheet.iter_rows(values_only=True):
            rows.append(tuple(row))
            if len(rows) > max_rows + 1:
                raise WorkbookError(_("The file has more than %(count)s rows.", count=max_rows))
        return rows
    except WorkbookError:
        raise
    except Exception:
        raise WorkbookError(_("The file could not be read as an Excel workbook; it may be damaged.")) from None
    finally:
        workbook.close()


def header_key(value) -> str:
    """A header cell for matching: NFKC, no whitespace, no trailing * (the required-column mark)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).rstrip("*") if value is not None else ""


def find_columns(header: tuple, columns: Iterable[tuple[str, Iterable[str], bool]]) -> dict[str, int]:
    """Column index of each ``(key, header texts, required)`` found in ``header`` (the first text
    is the one the template uses, and names the column in messages); ``WorkbookError`` naming the
    required columns that are missing."""
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        key = header_key(value)
        if key and key not in positions:
            positions[key] = index
    found: dict[str, int] = {}
    missing = []
    for key, texts, required in columns:
        texts = [str(text) for text in texts]
        index = next((positions[header_key(t)] for t in texts if header_key(t) in positions), None)
        if index is not None:
            found[key] = index
        elif required:
            missing.append(texts[0])
    if missing:
        raise WorkbookError(_("The file lacks these columns: %(columns)s. Please download the template again "
                              "and fill it in.", columns="、".join(missing)))
    return found


OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def decode_ooxml(text: str) -> str:
    """Text as Excel shows it: ``_x0000_``-style escapes stand for the character (``_x005F_`` for _)."""
    return OOXML_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text) if "_x" in text else text


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


# --- writing ----------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@")  # after NFKC, which folds ＝ ＋ － ＠ and ideographic spaces
EXCEL_MAX_TEXT = 32767  # characters a cell holds


def _runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula (OWASP: = + - @ tab CR, also after
    leading spaces or in full width)."""
    return text[:1] in ("\t", "\r", "\n") or unicodedata.normalize("NFKC", text).lstrip().startswith(FORMULA_STARTS)


def clean_value(value):
    """``value`` as a workbook may hold it, and whether it is text a spreadsheet could run: lazy
    translations and other objects become their text; characters a workbook cannot hold (NUL and the
    other C0 controls but tab and line breaks) are dropped and text longer than a cell holds is cut."""
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    elif value is not None and not isinstance(value, KNOWN_TYPES):
        value = str(value)  # lazy translations and other objects: their text
    if not isinstance(value, str):
        return value, False
    value = str(value)  # Markup and other str subclasses: plain text
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > EXCEL_MAX_TEXT:
        value = value[:EXCEL_MAX_TEXT - 1] + "…"
    return value, _runs_as_formula(value)


def safe_row(sheet, values) -> list:
    """The row ``values`` ready for ``sheet.append`` (a normal or a write-only worksheet): every
    workbook the platform writes with openpyxl goes through here (the streamed exports through
    ``app.infra.xlsx_stream``, with the same ``clean_value``).

    Text that a spreadsheet could run becomes a text cell flagged as such; other text, numbers,
    dates and booleans are written as they are (``clean_value``)."""
    row = []
    for raw in values:
        value, formula_like = clean_value(raw)
        if isinstance(value, str) and (formula_like or value.startswith("#")):
            cell = Cell(sheet, row=1, column=1, value=value)  # append places it
            cell.data_type = "s"  # openpyxl makes "=…" a formula and "#N/A" an error otherwise
            if formula_like:
                cell.quotePrefix = True
                cell.number_format = "@"
            value = cell
        row.append(value)
    return row


# --- templates --------------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", start_color="FFBFBFBF", end_color="FFBFBFBF")


def write_header(sheet, headers: list[str], widths: Iterable[int], wrap: bool = False) -> None:
    """``headers`` as the sheet's bold, grey, centred first row, with the columns' ``widths``."""
    sheet.append(safe_row(sheet, headers))
    for col, (header, width) in enumerate(zip(headers, widths), start=1):
        cell = sheet.cell(row=1, column=col)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=wrap)
        sheet.column_dimensions[get_column_letter(col)].width = width


def write_instructions(workbook: Workbook, title: str, lines: list[str]) -> None:
    """A sheet of instructions: ``lines`` under a large ``title``, wrapped in one wide column."""
    notes = workbook.create_sheet(title[:31])
    for line in lines:
        notes.append(safe_row(notes, [line]))
    notes["A1"].font = Font(bold=True, size=14)
    notes.column_dimensions["A"].width = 110
    for row in notes.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def workbook_stream(workbook: Workbook) -> io.BytesIO:
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream
