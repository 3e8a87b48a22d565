"""Reading uploaded Excel workbooks (.xlsx) safely: shared by the score import and the unit-directory import.

- ``read_upload`` takes the uploaded stream and returns its bytes only when it is an .xlsx archive
  within the size limits (an old .xls, a CSV, a picture, a damaged or a zip-bomb archive is refused).
- ``sheet_rows`` reads the first worksheet with openpyxl in read-only mode, ignoring the used range
  the file declares (``reset_dimensions``: a file may claim 16,384 columns), and stops past a
  number of rows.
- ``header_key`` and ``find_columns`` match header cells to the columns an import reads.
- ``cell_text`` and ``decode_ooxml`` turn a cell into the text a person saw in Excel.

Every refusal of the whole file is a ``WorkbookError`` whose ``str`` is the Chinese message.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from typing import BinaryIO, Iterable

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
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


# --- writing templates ------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", start_color="FFBFBFBF", end_color="FFBFBFBF")


def write_header(sheet, headers: list[str], widths: Iterable[int], wrap: bool = False) -> None:
    """``headers`` as the sheet's bold, grey, centred first row, with the columns' ``widths``."""
    sheet.append(headers)
    for col, (header, width) in enumerate(zip(headers, widths), start=1):
        cell = sheet.cell(row=1, column=col)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=wrap)
        sheet.column_dimensions[get_column_letter(col)].width = width


def write_instructions(workbook: Workbook, title: str, lines: list[str]) -> None:
    """A sheet of instructions: ``lines`` under a large ``title``, wrapped in one wide column."""
    notes = workbook.create_sheet(title[:31])
    for line in lines:
        notes.append([line])
    notes["A1"].font = Font(bold=True, size=14)
    notes.column_dimensions["A"].width = 110
    for row in notes.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def workbook_stream(workbook: Workbook) -> io.BytesIO:
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream
