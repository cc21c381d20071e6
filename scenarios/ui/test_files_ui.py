"""Files through the web interface: open the files view and upload a file from the device."""

from __future__ import annotations

import uuid

import pytest

from poc.ui import actions
from poc.verdicts import unsupported

BODY = "Årsplan for 6.b – uploadet gennem browseren.\nÆbler, øl-fri lejrskole og Åløkke.\n".encode("utf-8")


@pytest.mark.requirement("FIL-09")
def test_upload_a_file_through_the_page(ui, logged_in_as, journey, evidence, client_for, tmp_path):
    """Open the files view and upload a file through the page; it is listed and comes back unchanged"""
    files = ui.journey("files")
    page_spec = ui.page(files.get("page", "")) if files else None
    if page_spec is None:
        unsupported(ui.lacking("files", "'s ui block names no files page"))
    session = logged_in_as("pupil")
    with journey.step("open the files view"):
        actions.open_page(session, ui, page_spec, "pupil")
    journey.audit(page_spec.name)
    upload = files.get("upload")
    if not upload:
        unsupported(ui.lacking("files", ": the files page offers no upload"))
    name = f"Årsplan 6.b {uuid.uuid4().hex[:6]}.txt"
    local = tmp_path / name
    local.write_bytes(BODY)
    values = {"file": str(local), "name": name, "user": ui.deployment.accounts["pupil"].username}
    with journey.step("upload the file through the page"):
        actions.run_steps(session.page, upload.get("steps", []), values)
    with journey.step("the file is listed in the folder"):
        shows = upload.get("shows", "text={name}").format_map(values)
        session.page.locator(shows).first.wait_for(state="visible")
    journey.audit(f"{page_spec.name} after upload")
    if "files" in ui.suite.capabilities:
        with journey.step("the file comes back unchanged", screenshot=False):
            client = client_for("files")
            folder = upload.get("folder", "")
            got = client.get(f"{folder}{name}").content
            assert got == BODY, f"the uploaded file came back changed ({len(got)} bytes, expected {len(BODY)})"
