"""Document formats through the suite's office server: round trips between OOXML and ODF with
their fidelity measured (the share of text, headings, table cells and cell values kept), ODF
validity, and WOPI discovery. Each scenario saves the files and the measured share as evidence."""

from __future__ import annotations

import json

import pytest

from poc import fidelity

FULL = 1.0  # the acceptance criteria ask for everything unchanged


def _record(evidence, name, result: fidelity.Fidelity, **files):
    (evidence / f"{name}.json").write_text(json.dumps(
        {"share": round(result.share, 4), "kept": result.kept, "total": result.total, "lost": result.lost},
        indent=2, ensure_ascii=False), encoding="utf-8")
    for filename, data in files.items():
        (evidence / filename.replace("_", ".")).write_bytes(data)


@pytest.mark.requirement("DOC-02")
def test_docx_odt_docx_keeps_text_headings_tables(converter, evidence):
    original = fidelity.sample_docx()
    odt, back = converter.round_trip(original, "årsplan.docx", "odt")
    result = fidelity.compare_text(fidelity.read_docx(original), fidelity.read_docx(back))
    via_odt = fidelity.compare_text(fidelity.read_docx(original), fidelity.read_odt(odt))
    _record(evidence, "docx-odt-docx", result, original_docx=original, roundtrip_odt=odt, roundtrip_docx=back)
    _record(evidence, "docx-odt", via_odt)
    assert result.share >= FULL, f"DOCX→ODT→DOCX fidelity {result}"


@pytest.mark.requirement("DOC-03")
def test_xlsx_ods_xlsx_keeps_values(converter, evidence):
    original = fidelity.sample_xlsx()
    ods, back = converter.round_trip(original, "karakterer.xlsx", "ods")
    result = fidelity.compare_sheet(fidelity.read_xlsx(original), fidelity.read_xlsx(back))
    _record(evidence, "xlsx-ods-xlsx", result, original_xlsx=original, roundtrip_ods=ods, roundtrip_xlsx=back)
    assert result.share >= FULL, f"XLSX→ODS→XLSX fidelity {result}"


@pytest.mark.requirement("STD-04")
def test_saved_odf_is_valid(converter):
    odt = converter.convert(fidelity.sample_docx(), "årsplan.docx", "odt")
    ods = converter.convert(fidelity.sample_xlsx(), "karakterer.xlsx", "ods")
    problems = [f"ODT: {p}" for p in fidelity.odf_problems(odt, "text")]
    problems += [f"ODS: {p}" for p in fidelity.odf_problems(ods, "spreadsheet")]
    assert not problems, "; ".join(problems)


@pytest.mark.requirement("STD-05")
def test_ooxml_saved_as_ooxml_keeps_content(converter, evidence):
    docx = fidelity.sample_docx()
    text = fidelity.compare_text(fidelity.read_docx(docx),
                                 fidelity.read_docx(converter.convert(docx, "årsplan.docx", "docx")))
    xlsx = fidelity.sample_xlsx()
    cells = fidelity.compare_sheet(fidelity.read_xlsx(xlsx),
                                   fidelity.read_xlsx(converter.convert(xlsx, "karakterer.xlsx", "xlsx")))
    _record(evidence, "docx-docx", text)
    _record(evidence, "xlsx-xlsx", cells)
    assert text.share >= FULL and cells.share >= FULL, f"DOCX→DOCX {text}; XLSX→XLSX {cells}"


@pytest.mark.requirement("DOC-04")
def test_wopi_discovery_lists_edit_for_odf_and_ooxml(office):
    missing = [ext for ext in ("odt", "ods", "docx", "xlsx") if not office.actions_for(ext, "edit")]
    assert not missing, f"WOPI discovery has no edit action for: {', '.join(missing)}"
