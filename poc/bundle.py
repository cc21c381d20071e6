"""Reproduction for vendors: a run packed into one archive, and the archive checked against a checkout.

``create(run_dir)`` writes ``<run-id>.poc.tar.gz`` holding the run's manifest.json, results.jsonl
and evidence/, the run's report (report/report.json: the scored verdicts; report/<suite>.html
when it renders), and BUNDLE.json: the harness version and the SHA-256 of every file in the
archive and of every line of results.jsonl.

``verify(archive)`` checks the archive against the current checkout and names what differs:

1. the archive itself: every file listed in BUNDLE.json is there with its hash, nothing else is;
   an edited results.jsonl line is named by line number and scenario;
2. the requirement catalogue (requirements.yaml) has the hash the run recorded;
3. every scenario file has the hash the run recorded; none was added or removed;
4. the harness version (and commit, as a note) is the run's;
5. the results match the report: the verdicts scored again from results.jsonl are the verdicts in
   report/report.json, and the manifest's counts are those of results.jsonl.

No signature is involved: the check proves consistency with this checkout, which is what the
project team needs to accept a vendor's report as made from unmodified scenarios.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import __version__, manifest as manifest_mod, runs
from .redact import redact

INDEX = "BUNDLE.json"
FORMAT = 1
SUFFIX = ".poc.tar.gz"
SKIP = {"suite-state.json"}  # runtime state, not a result


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _line_hashes(data: bytes) -> list[str]:
    return [_sha(line) for line in data.splitlines() if line.strip()]


def _report_files(run: runs.Run, catalogue) -> dict[str, bytes]:
    from . import report
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        view = report.run_view(run, catalogue, Path(tmp))
        out["report/report.json"] = json.dumps(report.comparison_data([view], catalogue), indent=2,
                                               ensure_ascii=False, default=str).encode("utf-8")
        try:
            from .i18n import language
            html = report.render_suite(view, catalogue, language(None), Path(tmp) / f"{run.suite}.html")
            out[f"report/{run.suite}.html"] = html.read_bytes()
        except Exception as exc:  # the HTML is for reading; report.json is what verify checks
            out[f"report/{run.suite}.html.txt"] = f"the HTML report did not render: {exc}".encode("utf-8")
    return out


def create(run_dir: Path, out: Path | None = None, catalogue=None) -> Path:
    from . import catalogue as catalogue_mod
    from .suites import repo_root
    run_dir = Path(run_dir)
    run = runs.load(run_dir)
    catalogue = catalogue or catalogue_mod.load(repo_root() / "requirements.yaml")
    files: dict[str, bytes] = {}
    for path in sorted(run_dir.rglob("*")):
        rel = path.relative_to(run_dir).as_posix()
        if path.is_file() and rel not in SKIP and not rel.endswith(".tmp"):
            data = path.read_bytes()
            if path.suffix in (".log", ".txt", ".json", ".jsonl", ".html"):
                data = redact(data.decode("utf-8", "replace")).encode("utf-8")
            files[rel] = data
    files.update(_report_files(run, catalogue))
    index = {"format": FORMAT, "run_id": run.id, "suite": run.suite, "harness": __version__,
             "created": runs.now(), "files": {name: _sha(data) for name, data in sorted(files.items())},
             "results_lines": _line_hashes(files.get(runs.RESULTS, b""))}
    files[INDEX] = json.dumps(index, indent=2, ensure_ascii=False).encode("utf-8")
    out = Path(out) if out else runs.reports_dir() / "bundles" / f"{run.id}{SUFFIX}"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{run.id}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    tmp.replace(out)
    return out


@dataclass
class Finding:
    level: str  # "fail" or "note"
    what: str

    def __str__(self):
        return f"{'FAIL' if self.level == 'fail' else 'note'}: {self.what}"


@dataclass
class Verdict:
    archive: Path
    run_id: str = ""
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.level == "fail" for f in self.findings)

    def fail(self, what: str):
        self.findings.append(Finding("fail", what))

    def note(self, what: str):
        self.findings.append(Finding("note", what))


def _read_archive(archive: Path, verdict: Verdict) -> dict[str, bytes]:
    """Every regular file of the archive in memory, by its name under the run folder; unsafe
    members (absolute paths, '..', links, devices) are refused, never extracted."""
    files: dict[str, bytes] = {}
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError) as exc:
        verdict.fail(f"{archive} is not a readable archive: {exc}")
        return files
    with tar:
        roots = set()
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts
            if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
                verdict.fail(f"unsafe archive member refused: {member.name!r}")
                continue
            if member.isdir() or len(parts) < 2:
                continue
            roots.add(parts[0])
            files[PurePosixPath(*parts[1:]).as_posix()] = tar.extractfile(member).read()
        if len(roots) > 1:
            verdict.fail(f"the archive holds more than one run: {', '.join(sorted(roots))}")
        verdict.run_id = next(iter(roots), "")
    return files


def verify(archive: Path, root: Path | None = None, catalogue=None) -> Verdict:
    from . import catalogue as catalogue_mod
    from .suites import repo_root
    root = root or repo_root()
    archive = Path(archive)
    verdict = Verdict(archive)
    files = _read_archive(archive, verdict)
    if not files:
        if verdict.ok:
            verdict.fail(f"{archive} holds no files")
        return verdict
    if INDEX not in files:
        verdict.fail(f"{INDEX} is missing: not an archive made by `python -m poc bundle`")
        return verdict
    index = json.loads(files[INDEX])
    # 1. the archive's own integrity
    verdict.checked.append("archive contents")
    for name, digest in index.get("files", {}).items():
        if name not in files:
            verdict.fail(f"{name} is listed in {INDEX} but missing from the archive")
        elif _sha(files[name]) != digest:
            if name == runs.RESULTS:
                _name_edited_results(files[name], index.get("results_lines", []), verdict)
            else:
                verdict.fail(f"{name} was changed after the run was bundled")
    for name in sorted(set(files) - set(index.get("files", {})) - {INDEX}):
        verdict.fail(f"{name} is in the archive but not in {INDEX} (added after bundling)")
    if runs.MANIFEST not in files or runs.RESULTS not in files:
        verdict.fail("manifest.json or results.jsonl is missing")
        return verdict
    manifest = json.loads(files[runs.MANIFEST])
    # 2. the catalogue
    verdict.checked.append("requirement catalogue")
    catalogue = catalogue or catalogue_mod.load(root / "requirements.yaml")
    recorded = manifest.get("catalogue", {})
    if recorded.get("sha256") != catalogue.sha256():
        verdict.fail(f"the catalogue differs: the run used {recorded.get('file')} {recorded.get('version')} "
                     f"(sha256 {str(recorded.get('sha256'))[:12]}…), this checkout has {catalogue.path.name} "
                     f"{catalogue.version} (sha256 {catalogue.sha256()[:12]}…)")
    # 3. the scenarios
    verdict.checked.append("scenario files")
    current = manifest_mod.scenario_hashes(root)
    ran = manifest.get("scenarios", {})
    for name in sorted(set(ran) | set(current)):
        if name not in current:
            verdict.fail(f"scenario file {name} was used by the run but is not in this checkout")
        elif name not in ran:
            verdict.fail(f"scenario file {name} is in this checkout but was not part of the run")
        elif ran[name] != current[name]:
            verdict.fail(f"scenario file {name} differs from this checkout (edited)")
    # 4. the harness
    verdict.checked.append("harness version")
    harness = manifest.get("harness", {})
    if harness.get("version") != __version__:
        verdict.fail(f"the run was made with harness {harness.get('version')}, this checkout is {__version__}")
    here = manifest_mod.harness_commit(root)
    if harness.get("commit") != here["commit"]:
        verdict.note(f"the run's harness commit {str(harness.get('commit'))[:12]} is not this checkout's "
                     f"{here['commit'][:12]} (the scenario and catalogue hashes above are what counts)")
    if harness.get("dirty"):
        verdict.note("the run's checkout had uncommitted changes to tracked files")
    suite_yaml = root / "suites" / manifest["suite"]["name"] / "suite.yaml"
    if suite_yaml.exists() and _sha(suite_yaml.read_bytes()) != manifest["suite"].get("suite_yaml_sha256"):
        verdict.note(f"suites/{manifest['suite']['name']}/suite.yaml differs from the one the run used")
    # 5. results against the report
    verdict.checked.append("results against the report")
    _check_results_against_report(files, manifest, catalogue, verdict)
    return verdict


def _name_edited_results(data: bytes, hashes: list[str], verdict: Verdict) -> None:
    lines = [line for line in data.splitlines() if line.strip()]
    named = False
    for n, line in enumerate(lines, 1):
        if n > len(hashes) or _sha(line) != hashes[n - 1]:
            try:
                rec = json.loads(line)
                what = f"{rec.get('scenario')} [{rec.get('requirement')}] verdict {rec.get('verdict')!r}"
            except ValueError:
                what = "not a JSON line"
            verdict.fail(f"results.jsonl line {n} was edited after the run was bundled: {what}")
            named = True
    if len(lines) < len(hashes):
        verdict.fail(f"results.jsonl lost {len(hashes) - len(lines)} line(s) after the run was bundled")
        named = True
    if not named:
        verdict.fail("results.jsonl was changed after the run was bundled")


def _check_results_against_report(files: dict[str, bytes], manifest: dict, catalogue, verdict: Verdict) -> None:
    from . import report
    records = [json.loads(line) for line in files[runs.RESULTS].splitlines() if line.strip()]
    counts = Counter()
    seen = {}
    for rec in records:
        seen.setdefault(rec["scenario"], rec["verdict"])
    counts.update(seen.values())
    for v, n in (manifest.get("counts") or {}).items():
        if counts.get(v, 0) != n:
            verdict.fail(f"the manifest counts {n} scenario(s) as {v}, results.jsonl has {counts.get(v, 0)}")
    for rec in records:
        if rec.get("file") and rec["file"] not in manifest.get("scenarios", {}):
            verdict.fail(f"results.jsonl names scenario file {rec['file']} that the run's manifest does not list")
    report_json = files.get("report/report.json")
    if report_json is None:
        verdict.fail("report/report.json is missing")
        return
    reported = json.loads(report_json)["suites"].get(manifest["suite"]["name"], {}).get("requirements", {})
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        run_dir.mkdir()
        (run_dir / runs.MANIFEST).write_bytes(files[runs.MANIFEST])
        (run_dir / runs.RESULTS).write_bytes(files[runs.RESULTS])
        view = report.run_view(runs.load(run_dir), catalogue, Path(tmp))
    for rid, row in view.score.requirements.iterrows():
        said = reported.get(rid)
        if said is None:
            verdict.fail(f"requirement {rid} is scored from results.jsonl but missing from the report")
        elif said.get("manual") or bool(row["manual"]):
            continue  # manual assessments come from the suite folder, not from the run
        elif said.get("verdict") != row["verdict"]:
            verdict.fail(f"requirement {rid}: results.jsonl gives {row['verdict']!r}, "
                         f"the report says {said.get('verdict')!r}")
