"""Render the sample memoir (memoir.md) as a small A5 book PDF with fpdf2.

Run from the repository root:  python data/sample/build_pdf.py [OUTPUT.pdf]
(default output: memoir.pdf next to this script). The creation date is fixed,
so rebuilding with the same fpdf2 version gives byte-identical output.
"""
import sys
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF, XPos, YPos

HERE = Path(__file__).resolve().parent
FIXED_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


def parse(md_text):
    """Return (title, author, [(chapter heading, [paragraph, ...]), ...])."""
    title, author, chapters, lines = None, None, [], []
    for line in md_text.splitlines() + [""]:
        line = line.strip()
        if lines and (not line or line.startswith("#")):
            chapters[-1][1].append(" ".join(lines))
            lines = []
        if line.startswith("## "):
            chapters.append((line[3:].strip(), []))
        elif line.startswith("# ") and title is None:
            title = line[2:].strip()
        elif line.startswith("by ") and author is None and not chapters:
            author = line[3:].strip()
        elif line:
            lines.append(line)
    return title, author, chapters


class BookPDF(FPDF):
    def footer(self):
        if self.page_no() > 1:  # no number on the title page
            self.set_y(-14)
            self.set_font("Times", size=9)
            self.cell(0, 5, str(self.page_no()), align="C")


def build(out_path):
    title, author, chapters = parse((HERE / "memoir.md").read_text(encoding="ascii"))
    pdf = BookPDF(format=(148, 210))  # A5 in mm
    pdf.set_margins(18, 20, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_page()
    pdf.set_y(70)
    pdf.set_font("Times", "B", 22)
    pdf.multi_cell(0, 10, title, align="C", **NEXT_LINE)
    pdf.ln(6)
    pdf.set_font("Times", "I", 14)
    pdf.multi_cell(0, 8, author, align="C", **NEXT_LINE)
    for heading, paragraphs in chapters:
        pdf.add_page()
        pdf.set_font("Times", "B", 15)
        pdf.multi_cell(0, 8, heading, **NEXT_LINE)
        pdf.ln(6)
        pdf.set_font("Times", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5.2, paragraph, align="J", **NEXT_LINE)
            pdf.ln(2.5)
    pdf.output(str(out_path))


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "memoir.pdf")
