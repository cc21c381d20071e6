"""`poc bundle` and `poc verify` on a real run of the baseline suite: an untouched archive
verifies against this checkout; an edited result, scenario or catalogue is named."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path, PurePath

import pytest

from poc import bundle, catalogue as catalogue_mod

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POC_")}
    env["POC_REPORTS_DIR"] = str(reports)
    run = subprocess.run([sys.executable, "-m", "poc", "evaluate", "--suite", "baseline", "--only", "api",
                          "-k", "roundtrip_with_danish or personal_calendar or wrong_password"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    run_dir = next((reports / "runs").glob("*"))
    out = reports / "run.poc.tar.gz"
    made = subprocess.run([sys.executable, "-m", "poc", "bundle", str(run_dir), "--out", str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0 and out.exists(), made.stdout + made.stderr
    return out


def rewrite(src: Path, dst: Path, change) -> Path:
    """Copy an archive, passing each member's (name, bytes) through change()."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w:gz") as tout:
        for m in tin.getmembers():
            data = tin.extractfile(m).read() if m.isfile() else b""
            name, data = change(m.name, data)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
    return dst


def checkout_copy(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "scenarios", root / "scenarios", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "requirements.yaml", root / "requirements.yaml")
    return root


def test_untouched_archive_verifies(archive):
    result = subprocess.run([sys.executable, "-m", "poc", "verify", str(archive)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: run" in result.stdout
    with tarfile.open(archive) as tar:
        names = {PurePath(n).name for n in tar.getnames()}
    assert {"manifest.json", "results.jsonl", "BUNDLE.json", "report.json"} <= names


def test_edited_result_is_named(archive, tmp_path):
    def flip(name, data):
        if name.endswith("/results.jsonl"):
            lines = data.decode().splitlines()
            rec = json.loads(lines[0])
            rec["verdict"] = "fail" if rec["verdict"] == "pass" else "pass"
            lines[0] = json.dumps(rec, ensure_ascii=False)
            data = ("\n".join(lines) + "\n").encode()
        return name, data
    tampered = rewrite(archive, tmp_path / "t.tar.gz", flip)
    verdict = bundle.verify(tampered)
    text = "\n".join(map(str, verdict.findings))
    assert not verdict.ok
    assert "results.jsonl line 1 was edited" in text
    assert "the report says" in text  # the re-scored verdict no longer matches report.json


def test_edited_result_with_index_rewritten_is_still_caught_by_the_report(archive, tmp_path):
    with tarfile.open(archive) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    res = next(n for n in files if n.endswith("/results.jsonl"))
    idx = next(n for n in files if n.endswith("/BUNDLE.json"))
    lines = files[res].decode().splitlines()
    recs = [json.loads(line) for line in lines]
    i = next(k for k, r in enumerate(recs) if r["verdict"] == "pass")
    recs[i]["verdict"] = "fail"
    files[res] = ("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n").encode()
    index = json.loads(files[idx])
    index["files"]["results.jsonl"] = bundle._sha(files[res])
    index["results_lines"] = bundle._line_hashes(files[res])
    files[idx] = json.dumps(index).encode()
    tampered = rewrite(archive, tmp_path / "t2.tar.gz", lambda n, d: (n, files.get(n, d)))
    text = "\n".join(map(str, bundle.verify(tampered).findings))
    assert f"requirement {recs[i]['requirement']}: results.jsonl gives 'fail'" in text
    assert "the manifest counts" in text


def test_edited_scenario_and_catalogue_are_named(archive, tmp_path):
    root = checkout_copy(tmp_path)
    scenario = root / "scenarios" / "api" / "test_files_webdav.py"
    scenario.write_text(scenario.read_text() + "\n# edited\n")
    (root / "requirements.yaml").write_text((root / "requirements.yaml").read_text().replace(
        "weight: 5", "weight: 4", 1))
    cat = catalogue_mod.load(root / "requirements.yaml")
    verdict = bundle.verify(archive, root=root, catalogue=cat)
    text = "\n".join(map(str, verdict.findings))
    assert not verdict.ok
    assert "scenario file scenarios/api/test_files_webdav.py differs from this checkout (edited)" in text
    assert "the catalogue differs" in text


def test_added_scenario_and_foreign_member_are_named(archive, tmp_path):
    root = checkout_copy(tmp_path)
    (root / "scenarios" / "api" / "test_extra.py").write_text("def test_x():\n    pass\n")
    text = "\n".join(map(str, bundle.verify(archive, root=root).findings))
    assert "scenarios/api/test_extra.py is in this checkout but was not part of the run" in text

    with tarfile.open(tmp_path / "y.tar", "w") as tout, tarfile.open(archive) as tin:
        for m in tin.getmembers():
            tout.addfile(m, tin.extractfile(m))
        run_id = tin.getnames()[0].split("/")[0]
        info = tarfile.TarInfo(f"{run_id}/evidence/planted.txt")
        info.size = 3
        tout.addfile(info, io.BytesIO(b"hej"))
        evil = tarfile.TarInfo("../escape.txt")
        evil.size = 1
        tout.addfile(evil, io.BytesIO(b"x"))
    text = "\n".join(map(str, bundle.verify(tmp_path / "y.tar").findings))
    assert "evidence/planted.txt is in the archive but not in BUNDLE.json" in text
    assert "unsafe archive member refused: '../escape.txt'" in text
    assert not (tmp_path.parent / "escape.txt").exists()
