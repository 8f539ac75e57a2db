"""Files that are not text at all, uploaded by mistake — a spreadsheet, a Parquet or Avro file,
a PDF — told by their first bytes, with what to do instead: a message worth more than "the
header read has ['PAR1\\x15...']"."""

from __future__ import annotations

from dataclasses import dataclass

CONVERT = "sieve convert FILE --to TYPE writes its rows as JSON Lines"
EXCEL = 'save it as CSV UTF-8 (Excel: File > Save As > "CSV UTF-8")'
EXPORT = "export its rows as CSV or JSON Lines"
ZIP = b"PK\x03\x04"
ZIP_NAMES_BYTES = 4096  # a zip's first entries' names, where an Office file shows its kind


@dataclass(frozen=True)
class BinaryFile:
    what: str  # as a sentence names it: "a Parquet file"
    advice: str
    reader: str | None = None  # the name `sieve convert` reads it by, if it can

    def reason(self, part: str) -> str:
        return self.sentence(f"the {part} file")

    def sentence(self, subject: str) -> str:
        return f"{subject} is {self.what}, not CSV, JSON Lines or text: {self.advice}"


_BY_MAGIC = (
    (b"PAR1", BinaryFile("a Parquet file", CONVERT, "parquet")),
    (b"Obj\x01", BinaryFile("an Avro file", CONVERT, "avro")),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        BinaryFile("an Excel 97-2003 workbook (or another Office file of then)", EXCEL),
    ),
    (b"%PDF-", BinaryFile("a PDF document", EXPORT)),
    (b"SQLite format 3\x00", BinaryFile("an SQLite database", EXPORT)),
)
# Office Open XML files are zips whose entries are named after the application's folder.
_IN_ZIP = (
    (b"xl/", BinaryFile("an Excel workbook (.xlsx)", EXCEL)),
    (b"word/", BinaryFile("a Word document (.docx)", EXPORT)),
    (b"ppt/", BinaryFile("a PowerPoint file (.pptx)", EXPORT)),
)


def binary_file_of(head: bytes) -> BinaryFile | None:
    """What `head`, a file's first bytes, says the file is, if it is one of those."""
    for magic, found in _BY_MAGIC:
        if head.startswith(magic):
            return found
    if head.startswith(ZIP):
        names = head[:ZIP_NAMES_BYTES]
        return next((found for folder, found in _IN_ZIP if folder in names), None)
    return None
