"""The fidelity readers and comparisons: the sample documents read back exactly, a degraded copy
scores below 1, and (where Debian's LibreOffice is installed) a real DOCX→ODT→DOCX and
XLSX→ODS→XLSX round trip through `soffice --headless --convert-to` is measured."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from poc import fidelity as f


def test_samples_read_back_exactly():
    docx = f.read_docx(f.sample_docx())
    assert docx.headings == f.SAMPLE_HEADINGS
    assert docx.tables == [f.SAMPLE_TABLE]
    assert f.compare_text(docx, docx).share == 1.0
    sheet = f.read_xlsx(f.sample_xlsx())
    assert sheet == f.SAMPLE_CELLS
    assert f.compare_sheet(f.SAMPLE_CELLS, sheet).share == 1.0


def test_losses_are_measured_and_named():
    original = f.read_docx(f.sample_docx())
    flattened = [(1, t) for _, t in f.SAMPLE_HEADINGS]  # every heading level 1
    table = [row[:] for row in f.SAMPLE_TABLE]
    table[2][2] = "Broker og ovelser"  # æ/ø lost in one cell
    degraded = f.read_docx(f.sample_docx(headings=flattened, table=table))
    result = f.compare_text(original, degraded)
    assert 0.8 < result.share < 1.0
    assert any("heading 2" in x for x in result.lost) and any("cell (3,3)" in x for x in result.lost)
    cells = dict(f.SAMPLE_CELLS, B4=41.0)
    sheet = f.compare_sheet(f.SAMPLE_CELLS, f.read_xlsx(f.sample_xlsx(cells=cells)))
    assert sheet.kept == sheet.total - 1 and sheet.lost == ["B4 40.5 -> 41.0"]


def test_odf_validity_check():
    assert f.odf_problems(f.sample_docx(), "text")  # a DOCX is not an ODT
    assert f.odf_problems(b"not a zip") == ["not a ZIP package"]


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed (apt-get install "
                    "libreoffice-writer-nogui libreoffice-calc-nogui)")
def test_libreoffice_round_trips_are_measured(tmp_path):
    def convert(data: bytes, name: str, to: str) -> bytes:
        src = tmp_path / name
        src.write_bytes(data)
        out = tmp_path / "out"
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                        "--convert-to", to, "--outdir", str(out), str(src)], check=True, capture_output=True,
                       timeout=180)
        return (out / (Path(name).stem + "." + to)).read_bytes()

    docx = f.sample_docx()
    odt = convert(docx, "plan.docx", "odt")
    assert f.odf_problems(odt, "text") == []
    via = f.compare_text(f.read_docx(docx), f.read_odt(odt))
    back = f.compare_text(f.read_docx(docx), f.read_docx(convert(odt, "plan.odt", "docx")))
    assert via.share == 1.0, str(via)
    assert back.share == 1.0, str(back)
    xlsx = f.sample_xlsx()
    ods = convert(xlsx, "karakterer.xlsx", "ods")
    assert f.odf_problems(ods, "spreadsheet") == []
    assert f.compare_sheet(f.SAMPLE_CELLS, f.read_ods(ods)).share == 1.0
    again = f.compare_sheet(f.SAMPLE_CELLS, f.read_xlsx(convert(ods, "karakterer.ods", "xlsx")))
    assert again.share == 1.0, str(again)
