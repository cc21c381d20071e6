"""Files over the suite's files protocol (WebDAV): what a pupil and a teacher do with files."""

from __future__ import annotations

import hashlib
import resource

import pytest

from poc.protocols.webdav import DAV

DANISH_TEXT = "Årsplan for 7.b: Æbler, øl-fri lejrskole og Åløkke-skovtur. Ærgerligt, men sådan er det.\n"


@pytest.mark.requirement("FIL-01", "FIL-02", "STD-01")
def test_roundtrip_with_danish_names_and_spaces(files):
    files.mkcol("Mine filer æøå")
    name = "Mine filer æøå/Årsplan 7.b – Ærø og Øresund.txt"
    body = DANISH_TEXT.encode("utf-8")
    files.put(name, body, content_type="text/plain; charset=utf-8")
    assert files.get(name).content == body, "the file came back changed"
    assert files.listdir("Mine filer æøå") == ["Årsplan 7.b – Ærø og Øresund.txt"]
    assert "Mine filer æøå" in files.listdir("")


class GeneratedFile:
    """A deterministic file of `size` bytes, produced as it is read: never held in memory."""

    def __init__(self, size: int, block: int = 1 << 20):
        self.size, self.pos = size, 0
        self.pattern = hashlib.sha256(b"os2skole").digest() * (block // 32)
        self.sha256 = hashlib.sha256()

    def __len__(self):
        return self.size - self.pos

    def tell(self):
        return self.pos

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        out = bytearray()
        while len(out) < n:
            start = (self.pos + len(out)) % len(self.pattern)
            out += self.pattern[start:start + n - len(out)]
        self.pos += n
        self.sha256.update(out)
        return bytes(out)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.requirement("FIL-03")
def test_large_file_streamed_both_ways(files):
    size = 100 * 1024 * 1024
    before = _rss_mb()
    upload = GeneratedFile(size)
    files.put("stor video.bin", upload)
    assert upload.pos == size
    got, digest = 0, hashlib.sha256()
    with files.get("stor video.bin", stream=True) as response:
        for chunk in response.iter_content(1 << 20):
            got += len(chunk)
            digest.update(chunk)
    assert got == size, f"downloaded {got} of {size} bytes"
    assert digest.hexdigest() == upload.sha256.hexdigest(), "the large file came back changed"
    grown = _rss_mb() - before
    assert grown < 60, f"the harness's memory grew {grown:.0f} MB: the file was not streamed"


@pytest.mark.requirement("FIL-04")
def test_folders_move_copy_delete(files):
    files.mkcol("Klasse 7.b")
    files.mkcol("Klasse 7.b/Afleveringer")
    files.put("Klasse 7.b/Afleveringer/Stil – Ida.txt", b"Min stil")
    files.copy("Klasse 7.b", "Kopi af 7.b")
    assert files.get("Kopi af 7.b/Afleveringer/Stil – Ida.txt").content == b"Min stil"
    files.move("Klasse 7.b/Afleveringer/Stil – Ida.txt", "Klasse 7.b/Stil – Ida (rettet).txt")
    assert files.listdir("Klasse 7.b/Afleveringer") == []
    assert "Stil – Ida (rettet).txt" in files.listdir("Klasse 7.b")
    files.delete("Kopi af 7.b/")
    assert files.get("Kopi af 7.b/Afleveringer/Stil – Ida.txt", expect=None).status_code == 404
    assert sorted(files.listdir("")) == ["Klasse 7.b"]


@pytest.mark.requirement("FIL-05")
def test_properties_read_and_set(files):
    body = b"Elevplan\n"
    files.put("elevplan.txt", body, content_type="text/plain")
    entry = files.propfind("elevplan.txt", depth="0")[0]
    assert int(entry.props[DAV + "getcontentlength"]) == len(body)
    assert entry.props.get(DAV + "getlastmodified"), "no last-modified date"
    assert entry.props.get(DAV + "getetag"), "no ETag"
    tag = "{urn:os2skole:poc}fag"
    result = files.proppatch("elevplan.txt", {tag: "Dansk – 7.b"})
    assert tag not in result[0].failed, f"setting a property was refused: {result[0].failed}"
    again = files.propfind("elevplan.txt", depth="0", props=[tag])[0]
    assert again.props.get(tag) == "Dansk – 7.b"


@pytest.mark.requirement("FIL-06")
def test_lock_prevents_conflicting_edits(files):
    files.put("fælles noter.txt", b"version 1")
    token = files.lock("fælles noter.txt")
    assert token, "LOCK gave no lock token"
    try:
        refused = files.put("fælles noter.txt", b"someone else's edit", expect=None)
        assert refused.status_code == 423, f"a write without the lock token answered {refused.status_code}, not 423"
        files.put("fælles noter.txt", b"version 2", headers={"If": f"({token})"})
    finally:
        files.unlock("fælles noter.txt", token)
    files.put("fælles noter.txt", b"version 3")
    assert files.get("fælles noter.txt").content == b"version 3"
