"""Document fidelity: how much of a document survives a conversion, as a measured share.

A *reading* of a document is what a pupil or teacher would notice: its body text, its headings
with their levels, its tables (shape and cell text), or a spreadsheet's cell values. The readers
below use only the standard library (zipfile + ElementTree) and read DOCX/ODT and XLSX/ODS by
their published schemas (ECMA-376 WordprocessingML/SpreadsheetML, OASIS ODF 1.3), so the
reference reading of the original and the reading of the converted file are made the same way.

`compare_text(original, converted)` and `compare_sheet(...)` return a Fidelity whose `share`
(0..1) is the part of the original's items found unchanged, and whose `lost` lists what was not.

The sample documents (`sample_docx`, `sample_xlsx`) are written here from the schemas: Danish
text with æ, ø and å, three heading levels, a table, numbers, a date and a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from dataclasses import dataclass, field

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text or "")).strip()


@dataclass
class TextReading:
    paragraphs: list[str] = field(default_factory=list)  # body text, headings included, in order
    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)


@dataclass
class Fidelity:
    share: float
    total: int
    kept: int
    lost: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{self.share * 100:.1f} % kept ({self.kept} of {self.total})"
        return head + ("; lost: " + "; ".join(self.lost[:8]) if self.lost else "")


# -- reading word-processing documents -------------------------------------------------------------

def read_docx(data: bytes) -> TextReading:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = ET.fromstring(z.read("word/document.xml")).find(f"{W}body")
        names = {}
        if "word/styles.xml" in z.namelist():
            for st in ET.fromstring(z.read("word/styles.xml")).iter(f"{W}style"):
                name = st.find(f"{W}name")
                names[st.get(f"{W}styleId")] = name.get(f"{W}val") if name is not None else ""
    out = TextReading()

    def para_text(p):
        return _norm("".join(t.text or "" for t in p.iter(f"{W}t")))

    def level(p):
        ppr = p.find(f"{W}pPr")
        if ppr is None:
            return 0
        lvl = ppr.find(f"{W}outlineLvl")
        if lvl is not None:
            return int(lvl.get(f"{W}val")) + 1
        style = ppr.find(f"{W}pStyle")
        if style is None:
            return 0
        sid = style.get(f"{W}val") or ""
        m = re.match(r"(?i)heading\s*(\d)$", names.get(sid, "") or "") or re.match(r"(?i)heading(\d)$", sid)
        return int(m.group(1)) if m else 0

    for el in body:
        if el.tag == f"{W}p":
            text = para_text(el)
            if text:
                out.paragraphs.append(text)
                if level(el):
                    out.headings.append((level(el), text))
        elif el.tag == f"{W}tbl":
            out.tables.append([[_norm(" ".join(para_text(p) for p in tc.iter(f"{W}p")))
                                for tc in tr.findall(f"{W}tc")] for tr in el.findall(f"{W}tr")])
    return out


def read_odt(data: bytes) -> TextReading:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = ET.fromstring(z.read("content.xml"))
    body = root.find(f"{OFFICE}body/{OFFICE}text")
    out = TextReading()

    def text_of(el):
        return _norm(ET.tostring(el, encoding="unicode", method="text"))

    for el in body.iter():
        if el.tag in (f"{TEXT}p", f"{TEXT}h") and not _inside_table(el, body):
            text = text_of(el)
            if text:
                out.paragraphs.append(text)
                if el.tag == f"{TEXT}h":
                    out.headings.append((int(el.get(f"{TEXT}outline-level", "1")), text))
        elif el.tag == f"{TABLE}table":
            rows = []
            for tr in el.iter(f"{TABLE}table-row"):
                cells = []
                for tc in tr.findall(f"{TABLE}table-cell"):
                    cells.append(_norm(" ".join(text_of(p) for p in tc.iter(f"{TEXT}p"))))
                rows.append(cells)
            out.tables.append(rows)
    return out


def _inside_table(el, body) -> bool:
    # ElementTree has no parent links: mark table paragraphs once per body
    cache = getattr(body, "_poc_table_paras", None)
    if cache is None:
        cache = {id(p) for t in body.iter(f"{TABLE}table") for p in t.iter() if p.tag in (f"{TEXT}p", f"{TEXT}h")}
        try:
            body._poc_table_paras = cache  # type: ignore[attr-defined]
        except AttributeError:
            pass
    return id(el) in cache


def read_text_document(data: bytes, ext: str) -> TextReading:
    return {"docx": read_docx, "odt": read_odt}[ext](data)


# -- reading spreadsheets --------------------------------------------------------------------------

def _cell_value(raw: str):
    try:
        number = float(raw)
        return round(number, 9)
    except ValueError:
        return _norm(raw)


def read_xlsx(data: bytes) -> dict[str, object]:
    """Cell reference ("A1") -> value of the first sheet; dates stay Excel serial numbers."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall(f"{S}si"):
                shared.append("".join(t.text or "" for t in si.iter(f"{S}t")))
        workbook = ET.fromstring(z.read("xl/workbook.xml"))
        first = workbook.find(f"{S}sheets/{S}sheet")
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        rid = first.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
        target = next(r.get("Target") for r in rels if r.get("Id") == rid)
        sheet = ET.fromstring(z.read("xl/" + target.lstrip("/").removeprefix("xl/")))
    out = {}
    for c in sheet.iter(f"{S}c"):
        kind, v = c.get("t", "n"), c.find(f"{S}v")
        if kind == "s" and v is not None:
            out[c.get("r")] = _norm(shared[int(v.text)])
        elif kind == "inlineStr":
            out[c.get("r")] = _norm("".join(t.text or "" for t in c.iter(f"{S}t")))
        elif kind == "str" and v is not None:
            out[c.get("r")] = _norm(v.text or "")
        elif kind == "b" and v is not None:
            out[c.get("r")] = bool(int(v.text))
        elif v is not None and v.text is not None:
            out[c.get("r")] = _cell_value(v.text)
    return out


def _col(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def read_ods(data: bytes) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = ET.fromstring(z.read("content.xml"))
    table = root.find(f"{OFFICE}body/{OFFICE}spreadsheet/{TABLE}table")
    out, row_no = {}, 0
    for tr in table.iter(f"{TABLE}table-row"):
        repeat_rows = int(tr.get(f"{TABLE}number-rows-repeated", "1"))
        row_no += 1
        col = 0
        for tc in tr:
            if tc.tag not in (f"{TABLE}table-cell", f"{TABLE}covered-table-cell"):
                continue
            repeat = min(int(tc.get(f"{TABLE}number-columns-repeated", "1")), 1024)
            kind = tc.get(f"{OFFICE}value-type")
            value = None
            if kind in ("float", "percentage", "currency"):
                value = _cell_value(tc.get(f"{OFFICE}value"))
            elif kind == "date":
                d = dt.date.fromisoformat(tc.get(f"{OFFICE}date-value")[:10])
                value = float((d - EXCEL_EPOCH).days)
            elif kind == "boolean":
                value = tc.get(f"{OFFICE}boolean-value") == "true"
            elif kind == "string":
                value = _norm(" ".join(ET.tostring(p, encoding="unicode", method="text")
                                       for p in tc.iter(f"{TEXT}p")))
            for _ in range(repeat):
                col += 1
                if value is not None:
                    out[f"{_col(col)}{row_no}"] = value
        row_no += repeat_rows - 1 if repeat_rows < 10000 else 0
    return out


def read_sheet(data: bytes, ext: str) -> dict[str, object]:
    return {"xlsx": read_xlsx, "ods": read_ods}[ext](data)


# -- comparing --------------------------------------------------------------------------------------

def _kept_items(original: list, converted: list, describe, lost: list) -> int:
    """How many items of ``original`` the conversion kept, each matched at most once; the others
    are described into ``lost``."""
    have, kept = Counter(converted), 0
    for item in original:
        if have[item] > 0:
            have[item] -= 1
            kept += 1
        else:
            lost.append(describe(item))
    return kept


def compare_text(original: TextReading, converted: TextReading) -> Fidelity:
    """Every paragraph, every heading (with level) and every table cell of the original is one item."""
    lost = []
    kept = _kept_items(original.paragraphs, converted.paragraphs, lambda p: f"text {p[:40]!r}", lost)
    kept += _kept_items(original.headings, converted.headings, lambda h: f"heading {h[0]} {h[1][:40]!r}", lost)
    total = len(original.paragraphs) + len(original.headings)
    for i, table in enumerate(original.tables):
        other = converted.tables[i] if i < len(converted.tables) else []
        shape_ok = len(other) == len(table) and all(len(a) == len(b) for a, b in zip(table, other))
        total += 1
        kept += shape_ok
        if not shape_ok:
            lost.append(f"table {i + 1} shape {len(table)}x{len(table[0]) if table else 0}")
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                total += 1
                got = other[r][c] if r < len(other) and c < len(other[r]) else None
                if got == cell:
                    kept += 1
                else:
                    lost.append(f"table {i + 1} cell ({r + 1},{c + 1}) {cell!r} -> {got!r}")
    return Fidelity(kept / total if total else 1.0, total, kept, lost)


def compare_sheet(original: dict, converted: dict) -> Fidelity:
    lost, kept = [], 0
    for ref, value in original.items():
        got = converted.get(ref)
        same = (abs(got - value) < 1e-6 if isinstance(value, float) and isinstance(got, (int, float))
                and not isinstance(got, bool) else got == value)
        kept += same
        if not same:
            lost.append(f"{ref} {value!r} -> {got!r}")
    total = len(original)
    return Fidelity(kept / total if total else 1.0, total, kept, lost)


def odf_problems(data: bytes, kind: str = "text") -> list[str]:
    """What makes a file not a valid ODF package (ODF 1.3 part 2, §3): the stored mimetype first,
    a manifest, and content.xml that parses."""
    problems = []
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return ["not a ZIP package"]
    with z:
        infos = z.infolist()
        expected = f"application/vnd.oasis.opendocument.{kind}"
        if not infos or infos[0].filename != "mimetype":
            problems.append("mimetype is not the first entry")
        elif infos[0].compress_type != zipfile.ZIP_STORED:
            problems.append("mimetype is compressed")
        elif z.read("mimetype").decode("ascii", "replace") != expected:
            problems.append(f"mimetype is {z.read('mimetype')!r}, not {expected}")
        if "META-INF/manifest.xml" not in z.namelist():
            problems.append("no META-INF/manifest.xml")
        for part in ("content.xml", "styles.xml"):
            try:
                ET.fromstring(z.read(part))
            except KeyError:
                problems.append(f"no {part}")
            except ET.ParseError as exc:
                problems.append(f"{part} does not parse: {exc}")
    return problems


# -- the sample documents ---------------------------------------------------------------------------

SAMPLE_HEADINGS = [(1, "Årsplan for 7.b"), (2, "Dansk – efterår"), (3, "Uge 34: Æbler og øer")]
SAMPLE_PARAGRAPHS = ["Eleverne læser \"Ærø og Ålborg\" og skriver en stil på én side.",
                     "Forældremøde torsdag kl. 19.00 i fællesrummet; medbring kaffe og æbleskiver.",
                     "Husk: afleveringsfristen er fredag den 29. august kl. 12.00."]
SAMPLE_TABLE = [["Uge", "Fag", "Emne"], ["34", "Dansk", "Æbler"], ["35", "Matematik", "Brøker og øvelser"],
                ["36", "Natur/teknologi", "Åens dyreliv"]]

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/'
       'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.'
         'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
         'officeDocument/2006/relationships/officeDocument" Target="{target}"/></Relationships>')


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def sample_docx(headings=SAMPLE_HEADINGS, paragraphs=SAMPLE_PARAGRAPHS, table=SAMPLE_TABLE) -> bytes:
    wns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    styles = "".join(f'<w:style w:type="paragraph" w:styleId="Heading{n}"><w:name w:val="heading {n}"/>'
                     f'<w:pPr><w:outlineLvl w:val="{n - 1}"/></w:pPr></w:style>' for n in (1, 2, 3))
    body = ""
    for (lvl, text), para in zip(headings, paragraphs):
        body += (f'<w:p><w:pPr><w:pStyle w:val="Heading{lvl}"/></w:pPr><w:r><w:t>{_esc(text)}</w:t></w:r></w:p>'
                 f'<w:p><w:r><w:t xml:space="preserve">{_esc(para)}</w:t></w:r></w:p>')
    rows = "".join("<w:tr>" + "".join(f'<w:tc><w:tcPr><w:tcW w:w="3000" w:type="dxa"/></w:tcPr><w:p><w:r>'
                                      f'<w:t>{_esc(c)}</w:t></w:r></w:p></w:tc>' for c in row) + "</w:tr>"
                   for row in table)
    grid = "".join('<w:gridCol w:w="3000"/>' for _ in table[0])
    body += (f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr>'
             f'<w:tblGrid>{grid}</w:tblGrid>{rows}</w:tbl><w:p/>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT.format(overrides=(
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>')))
        z.writestr("_rels/.rels", _RELS.format(target="word/document.xml"))
        z.writestr("word/_rels/document.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
        z.writestr("word/styles.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles {wns}>'
                                      f'{styles}</w:styles>')
        z.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                                        f'<w:document {wns}><w:body>{body}</w:body></w:document>')
    return buf.getvalue()


SAMPLE_DATE = dt.date(2026, 8, 29)
SAMPLE_CELLS = {"A1": "Elev", "B1": "Point", "C1": "Afleveret",
                "A2": "Åse Ørsted", "B2": 17.0, "C2": float((SAMPLE_DATE - EXCEL_EPOCH).days),
                "A3": "Bjørn Ærø", "B3": 23.5, "C3": float((SAMPLE_DATE - EXCEL_EPOCH).days - 1),
                "A4": "I alt", "B4": 40.5}
SAMPLE_FORMULA = ("B4", "SUM(B2:B3)")


def sample_xlsx(cells=SAMPLE_CELLS, formula=SAMPLE_FORMULA) -> bytes:
    strings = sorted({v for v in cells.values() if isinstance(v, str)})
    index = {s: i for i, s in enumerate(strings)}
    rows: dict[int, list[str]] = {}
    for ref, value in cells.items():
        row = int(re.sub(r"[A-Z]", "", ref))
        if isinstance(value, str):
            xml = f'<c r="{ref}" t="s"><v>{index[value]}</v></c>'
        else:
            style = ' s="1"' if ref.startswith("C") else ""
            f = f"<f>{formula[1]}</f>" if ref == formula[0] else ""
            xml = f'<c r="{ref}"{style}>{f}<v>{value:g}</v></c>'
        rows.setdefault(row, []).append(xml)
    sheet_rows = "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in sorted(rows.items()))
    sml = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT.format(overrides=(
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.'
            'xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/>')))
        z.writestr("_rels/.rels", _RELS.format(target="xl/workbook.xml"))
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                   'sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook {sml} {rel}>'
                                      '<sheets><sheet name="Karakterer" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/styles.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet {sml}>'
                                    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders '
                                    'count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
                                    '<cellXfs count="2"><xf/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
                                    '</styleSheet>')
        z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst {sml} '
                                           f'count="{len(strings)}" uniqueCount="{len(strings)}">'
                                           + "".join(f"<si><t>{_esc(s)}</t></si>" for s in strings) + "</sst>")
        z.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                                               f'<worksheet {sml}><sheetData>{sheet_rows}</sheetData></worksheet>')
    return buf.getvalue()
