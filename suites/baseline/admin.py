"""What the administrator of the baseline servers does on the server (see poc/privacy.py).

Neither Radicale nor WsgiDAV has an API or a page for users: Radicale's users are lines in its
htpasswd file (read at each login), WsgiDAV's are in its configuration (read at start). So an
account is made and removed by editing those and restarting WsgiDAV, and a user's data is deleted
by removing their folders on the server (Radicale's collection-root/<user>, WsgiDAV's share): the
launcher does exactly that (suites/baseline/launcher.py). Neither server has an export of its own:
a pupil's data comes out through the standard protocols (poc.privacy.dav_download).
"""

from __future__ import annotations

import shutil

from poc.privacy import launcher_of


def add_account(dep, account) -> None:
    launcher_of(dep).add_account(account)


def remove_account(dep, username: str) -> None:
    launcher_of(dep).remove_account(username)


def delete_user_data(dep, username: str) -> list[str]:
    launcher = launcher_of(dep)
    launcher.remove_account(username)
    steps = [f"removed {username} from Radicale's htpasswd file and WsgiDAV's users (WsgiDAV restarted)"]
    for server, path in launcher.storage_paths(username).items():
        if path.exists():
            shutil.rmtree(path)
            steps.append(f"deleted {server}'s folder of the user on the server ({path.name}/)")
    return steps


def storage_survivors(dep, username: str, markers: list[str]) -> list[str]:
    """Anything on the servers' disks that still names the user or holds a planted item."""
    launcher = launcher_of(dep)
    out = [f"{server}: the folder {path} still exists" for server, path in launcher.storage_paths(username).items()
           if path.exists()]
    needles = [m.encode("utf-8") for m in markers if m] + [username.encode("utf-8")]
    roots = [launcher.workdir / "collections", launcher.files_root, launcher.htpasswd]
    for root in roots:
        paths = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file()) if root.exists() else []
        for path in paths:
            try:
                body = path.read_bytes()
            except OSError:
                continue
            for needle in needles:
                if needle in body:
                    out.append(f"{path.relative_to(launcher.workdir)} holds {needle.decode('utf-8')!r}")
                    break
        for path in (root.rglob("*") if root.is_dir() else []):
            if username in path.name:
                out.append(f"{path.relative_to(launcher.workdir)} is named after the user")
    return sorted(set(out))
