"""The streamed workbook of the exports: its first piece leaves before any row is read, and the file
it makes opens as a spreadsheet people can use (widths, frozen bold header, autofilter over the rows,
real date cells, text a spreadsheet could run stored as quoted text, characters a workbook cannot
hold dropped)."""
from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from app.infra.xlsx import clean_value
from app.infra.xlsx_stream import stream_xlsx

HEADERS = ["编号", "姓名", "出生日期", "提交时间", "单位", "备注", "分数", "已确认"]
WIDTHS = [8, 10, 12, 16, 30, 20, 8, 8]


def test_the_first_piece_leaves_before_any_row_is_read():
    read = []

    def rows():
        for number in range(1, 451):
            read.append(number)
            yield [number, "张三", date(1990, 1, 1), datetime(2025, 3, 1, 9, 30), "=HYPERLINK(\"x\")",
                   "a<b&c\x00", 87.5, True]

    pieces = stream_xlsx("报名汇总_待我审核", HEADERS, WIDTHS, rows())
    first = next(pieces)
    assert first.startswith(b"PK") and read == []
    rest = b"".join(pieces)
    assert len(read) == 450
    sheet = load_workbook(io.BytesIO(first + rest)).worksheets[0]
    assert sheet.title == "报名汇总_待我审核" and sheet.max_row == 451
    assert [cell.value for cell in sheet[1]] == HEADERS and sheet["A1"].font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:H451"
    assert sheet.column_dimensions["E"].width == 30
    number, name, born, submitted, unit, note, score, confirmed = (cell for cell in sheet[2])
    assert (number.value, name.value, score.value, confirmed.value) == (1, "张三", 87.5, True)
    assert born.is_date and born.value == datetime(1990, 1, 1) and born.number_format == "yyyy-mm-dd"
    assert submitted.value == datetime(2025, 3, 1, 9, 30) and submitted.number_format == "yyyy-mm-dd hh:mm"
    assert unit.data_type == "s" and unit.quotePrefix and unit.value == "=HYPERLINK(\"x\")"
    assert note.value == "a<b&c"


def test_an_empty_list_is_a_header_only_workbook():
    sheet = load_workbook(io.BytesIO(b"".join(stream_xlsx("空", HEADERS, WIDTHS, iter(()))))).worksheets[0]
    assert sheet.max_row == 1 and sheet.auto_filter.ref == "A1:H1"


def test_text_is_written_as_clean_value_says_whatever_its_first_character():
    """The common text cells are written without ``clean_value``'s full check: the result must be the
    same — text that a spreadsheet could run is quoted text, characters a workbook cannot hold dropped."""
    texts = ["=1+1", " =1", "＝1", "\u3000=1", "\t=1", "\n=1", "-5", "+86 139", "@SUM(A1)", "－1", "＠x",
             "张三", "张=1", "郑州市第一人民医院", "a<b>&c", "!x", "~x", "Ａ=1", "a\x01b", "\x01=1", "ｰ1", "x" * 40000]
    sheet = load_workbook(io.BytesIO(b"".join(stream_xlsx("t", ["值"], [8], ([text] for text in texts))))).worksheets[0]
    for row, text in enumerate(texts, start=2):
        value, formula_like = clean_value(text)
        cell = sheet.cell(row, 1)
        assert (cell.value, cell.data_type, bool(cell.quotePrefix)) == (value, "s", formula_like), text
