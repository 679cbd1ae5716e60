"""PDFs made inside the tests, line by line, so each test knows exactly what pypdf will see.

Every line is placed where we say (no automatic wrapping), with a running header and a page
number on each page if asked. Ligature glyphs need a Unicode font: `unicode_font()` finds
DejaVu Sans and tests that need it skip without it.
"""

from __future__ import annotations

import io
import random
import re
import textwrap
from pathlib import Path

from fpdf import FPDF

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LINE_HEIGHT = 6  # mm


def unicode_font() -> Path | None:
    return DEJAVU if DEJAVU.exists() else None


def wrap(paragraphs: list[str], width: int = 72) -> list[str]:
    """Layout lines of paragraphs, as a typesetter would break them (without hyphenating)."""
    return [line for paragraph in paragraphs for line in textwrap.wrap(paragraph, width, break_on_hyphens=False)]


def paginate(lines: list[str], per_page: int = 30) -> list[list[str]]:
    return [lines[i : i + per_page] for i in range(0, len(lines), per_page)]


def book_pdf(
    path: Path,
    pages: list[list[str]],
    *,
    header: str | None = None,
    numbers: bool = True,
    password: str | None = None,
    picture_pages: tuple[int, ...] = (),
    font: Path | None = None,
) -> Path:
    """A PDF whose page i shows the lines pages[i]; `header` (with the page number appended)
    at the top and the bare page number at the bottom; pages listed in picture_pages (1-based)
    show only an image."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    if font:
        pdf.add_font("Body", fname=str(font))
    family = "Body" if font else "Times"
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    for number, lines in enumerate(pages, start=1):
        pdf.add_page()
        if number in picture_pages:
            pdf.image(picture_png(), x=20, y=20, w=120)
            continue
        pdf.set_font(family, size=10)
        if header:
            pdf.text(20, 12, f"{header} {number}")
        for i, line in enumerate(lines):
            pdf.text(20, 25 + i * LINE_HEIGHT, line)
        if numbers:
            pdf.text(100, 287, str(number))
    pdf.output(str(path))
    return path


Piece = tuple["float | None", float, float, str]  # x mm (None: right after the piece before), y mm, size pt, text


def placed_pdf(path: Path, pages: list[list[Piece]]) -> Path:
    """A PDF (Times) whose pages show pieces of text at the places and sizes given, in the
    order given: a caption beside a column, small capitals inside a line, a note below it."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    for pieces in pages:
        pdf.add_page()
        x = 0.0
        for left, y, size, text in pieces:
            pdf.set_font("Times", size=size)
            x = x if left is None else left
            pdf.text(x, y, text)
            x += pdf.get_string_width(text)
    pdf.output(str(path))
    return path


def picture_pdf(path: Path, pages: int = 1) -> Path:
    """A 'scanned' PDF: images only, no text layer."""
    return book_pdf(path, [[]] * pages, numbers=False, picture_pages=tuple(range(1, pages + 1)))


def picture_png() -> io.BytesIO:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (300, 200), "white")
    ImageDraw.Draw(image).rectangle((20, 20, 280, 180), outline="black", width=5)
    data = io.BytesIO()
    image.save(data, format="PNG")
    data.seek(0)
    return data


PROSE = [
    "The harbour was quiet that winter. Nobody expected the boats to go out before March, and the men "
    "spent their mornings in the net shed, mending and arguing about the price of diesel.",
    "My father had a theory about everything. He believed the fish moved with the moon, that the "
    "council was run by cousins, and that a well-known engine will always outlast a new one.",
    "I did not believe half of it. But I listened, because listening was how you learned anything in "
    "that town, and because he was the only person who ever asked me what I thought about engines.",
    "When the spring came we painted the hull, replaced the injectors and took her out past the point. "
    "The sea was grey and the wind was cold, and I have never been happier than I was that morning.",
]

WORDS = (
    "boat harbour engine winter diesel net shed father mother town sea wind morning spring hull "
    "injector pump rope quay gull storm lamp window kitchen ledger coal tide chart compass"
).split()


def story(paragraphs: int, seed: int = 0) -> list[str]:
    """PROSE and then made-up paragraphs that never repeat a line, as a real book does not:
    a line repeating at the top of many pages is what a running header looks like."""
    rng = random.Random(seed)

    def sentence() -> str:
        words = rng.sample(WORDS, 8)
        return f"The {words[0]} and the {words[1]} {rng.choice(['were', 'seemed', 'stayed'])} " + " ".join(words[2:]) + "."

    made_up = [" ".join(sentence() for _ in range(rng.randint(2, 4))) for _ in range(max(0, paragraphs - len(PROSE)))]
    return PROSE[:paragraphs] + made_up


# -- per-letter positioning ----------------------------------------------------------------------

KERNS = {"|": -120, "^": -260}  # thousandths of an em: at "|" pypdf's plain mode reads a space and its layout mode does not; at "^" both do


def kerned_pdf(path: Path, lines: list[str], per_page: int = 40) -> Path:
    """A PDF written by hand (Times-Roman), each line one TJ array, as e-book publishers' tools
    set text: a "|" or "^" inside a word ("deat|h") is a kerning step there (KERNS), so the
    letters on either side are positioned apart."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>"]
    kids = []
    for page_lines in paginate(lines, per_page):
        content = "BT /F1 11 Tf 14 TL 60 760 Td\n" + "\n".join(f"{_tj(line)} TJ T*" for line in page_lines) + "\nET"
        objects.append(f"<< /Length {len(content.encode('latin-1'))} >>\nstream\n{content}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write("".join(f"{o:010d} 00000 n \n" for o in offsets).encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    path.write_bytes(out.getvalue())
    return path


def _tj(line: str) -> str:
    """"the deat|h of" -> [(the deat) -120 (h of)], with ( ) and backslashes escaped."""
    line = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    pieces = re.split(r"([|^])", line)
    return "[" + " ".join(f"({p})" if i % 2 == 0 else str(KERNS[p]) for i, p in enumerate(pieces)) + "]"


# -- pages in columns ------------------------------------------------------------------------------


def columns_pdf(
    path: Path,
    paragraphs: list[str],
    *,
    columns: int,
    size: float = 9,
    gutter: float = 3,
    lines_per_column: int = 30,
    header: str | None = None,
    footer: str | None = None,
    slug: str | None = None,
) -> Path:
    """A PDF (Times, A4) of `paragraphs` set in `columns` columns that share their baselines,
    each column drawn top to bottom before the next (so pypdf's own order is the reading order),
    `gutter` mm apart: 3 mm is under an em at 9 pt, as a newspaper's or the Federal Register's.
    On each page `header` and `footer` (with the page number), and `slug` in small type at the foot."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("Times", size=size)
    width = (170 - gutter * (columns - 1)) / columns
    lines = []
    for paragraph in paragraphs:
        lines += _fit(pdf, paragraph, width) + [""]
    pages = paginate(lines, lines_per_column * columns)
    for number, page in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("Times", size=size)
        if header:
            pdf.text(20, 14, f"{header} {number}")
        for i, line in enumerate(page):
            column, row = divmod(i, lines_per_column)
            pdf.text(20 + column * (width + gutter), 25 + row * size * 0.45, line)
        if footer:
            pdf.text(20, 280, f"{footer} {number}")
        if slug:
            pdf.set_font("Times", size=5)
            pdf.text(20, 290, slug)
    pdf.output(str(path))
    return path


def _fit(pdf: FPDF, paragraph: str, width: float) -> list[str]:
    """The paragraph broken into lines no wider than `width` mm in the PDF's current font."""
    lines: list[str] = []
    for word in paragraph.split():
        if lines and pdf.get_string_width(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines
