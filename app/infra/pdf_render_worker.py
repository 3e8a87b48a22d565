"""Count the pages of a PDF, or render one page to PNG, in a process of its own.

Run by ``app.infra.pdf_preview`` as ``python -I pdf_render_worker.py count <pdf>`` or
``… render <pdf> <page> <max side> <png>``; it imports nothing from the platform. The parent
bounds its time; here the address space is bounded (``MEMORY_BYTES``) and the page's pixels (the
longer side at most ``max side``). PDFium runs no JavaScript: forms are never initialised.

Exit status: 0 done (``count`` prints the number), 2 the PDF cannot be read, 3 no such page.
"""
from __future__ import annotations

import resource
import sys

MEMORY_BYTES = 1024 * 1024 * 1024
MAX_SCALE = 4.0  # 288 dpi: a small page is not blown up past this
BROKEN, NO_PAGE = 2, 3


def main(argv: list[str]) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    import pypdfium2 as pdfium  # after the limit: PDFium's own allocations count too

    mode, source = argv[1], argv[2]
    try:
        document = pdfium.PdfDocument(source)
        count = len(document)
    except (pdfium.PdfiumError, OSError, ValueError, MemoryError):
        return BROKEN
    if count < 1:
        return BROKEN
    if mode == "count":
        print(count)
        return 0
    number, max_side, target = int(argv[3]), int(argv[4]), argv[5]
    if not 1 <= number <= count:
        return NO_PAGE
    try:
        page = document[number - 1]
        width, height = page.get_size()
        if not (width > 0 and height > 0):
            return BROKEN
        scale = min(max_side / width, max_side / height, MAX_SCALE)
        image = page.render(scale=scale, fill_color=(255, 255, 255, 255)).to_pil()
        image.save(target, "PNG", compress_level=6)
    except (pdfium.PdfiumError, OSError, ValueError, MemoryError):
        return BROKEN
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
