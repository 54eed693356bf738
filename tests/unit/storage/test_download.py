"""The downloader against a local HTTP server: verified, resumable, atomic, HTML-proof."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.storage.download import download

PAYLOAD = bytes(range(256)) * 12_000  # ~3 MB, several chunks
MD5 = "md5:" + hashlib.md5(PAYLOAD).hexdigest()
CONFIRM_PAGE = b"""<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>
<form id="download-form" action="/confirmed" method="get">
<input type="submit" value="Download anyway"/><input type="hidden" name="id" value="abc">
<input type="hidden" name="export" value="download"><input type="hidden" name="confirm" value="t">
</form></body></html>"""


class Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send_file(self, data: bytes, cut: int | None = None) -> None:
        start = 0
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:] if cut is None else data[start:cut]
        self.wfile.write(body)

    def do_GET(self):
        Handler.requests.append((self.path, self.headers.get("Range")))
        if self.path == "/file":
            self._send_file(PAYLOAD)
        elif self.path == "/drops":  # sends a third, then the connection drops
            self._send_file(PAYLOAD, cut=len(PAYLOAD) // 3)
            self.close_connection = True
        elif self.path == "/norange":  # ignores Range: always the whole file
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)
        elif self.path in ("/html", "/gdrive"):
            page = CONFIRM_PAGE if self.path == "/gdrive" else b"<html><body>Quota exceeded</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
        elif self.path.startswith("/confirmed?"):
            assert "confirm=t" in self.path and "id=abc" in self.path
            self._send_file(PAYLOAD)
        elif self.path == "/html-as-binary":  # a page served with the wrong type
            page = b"<!DOCTYPE html><html>nope</html>"
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            self.wfile.write(page)
        else:
            self.send_error(404)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_and_renames(server, tmp_path):
    seen = []
    path = download(f"{server}/file", tmp_path / "w.pth", checksum=MD5, progress=lambda d, t: seen.append((d, t)))
    assert path.read_bytes() == PAYLOAD
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.pth"]


def test_bad_checksum_is_refused_and_nothing_kept(server, tmp_path):
    with pytest.raises(FCNStudioError, match="checksum mismatch"):
        download(f"{server}/file", tmp_path / "w.pth", checksum="md5:" + "0" * 32)
    assert list(tmp_path.iterdir()) == []


def test_html_page_is_refused(server, tmp_path):
    with pytest.raises(FCNStudioError, match="web page"):
        download(f"{server}/html", tmp_path / "w.pth")
    with pytest.raises(FCNStudioError, match="web page"):
        download(f"{server}/html-as-binary", tmp_path / "x.pth")
    assert list(tmp_path.iterdir()) == []


def test_google_drive_confirmation_page_is_followed(server, tmp_path):
    path = download(f"{server}/gdrive", tmp_path / "w.pth", checksum=MD5)
    assert path.read_bytes() == PAYLOAD


def test_dropped_connection_resumes_with_range(server, tmp_path):
    dest = tmp_path / "w.pth"
    with pytest.raises(FCNStudioError, match="resume"):
        download(f"{server}/drops", dest, checksum=MD5)
    part = tmp_path / "w.pth.part"
    assert not dest.exists() and part.stat().st_size == len(PAYLOAD) // 3
    Handler.requests.clear()
    download(f"{server}/file", dest, checksum=MD5)
    assert Handler.requests == [("/file", f"bytes={len(PAYLOAD) // 3}-")]
    assert dest.read_bytes() == PAYLOAD and not part.exists()


def test_server_without_range_support_restarts_cleanly(server, tmp_path):
    (tmp_path / "w.pth.part").write_bytes(PAYLOAD[:1000])
    download(f"{server}/norange", tmp_path / "w.pth", checksum=MD5)
    assert (tmp_path / "w.pth").read_bytes() == PAYLOAD


def test_cancel_keeps_only_the_part_file(server, tmp_path):
    with pytest.raises(Cancelled):
        download(f"{server}/file", tmp_path / "w.pth", cancelled=lambda: True)
    assert [p.name for p in tmp_path.iterdir()] == ["w.pth.part"]


def test_interrupt_never_leaves_a_file_under_the_real_name(server, tmp_path):
    def progress(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download(f"{server}/file", tmp_path / "w.pth", progress=progress)
    assert not (tmp_path / "w.pth").exists()


def test_unreachable_server_is_explained(tmp_path):
    with pytest.raises(FCNStudioError, match="cannot connect"):
        download("http://127.0.0.1:9/none", tmp_path / "w.pth", timeout=2)
    with pytest.raises(FCNStudioError, match="HTTP 404"):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        try:
            download(f"http://127.0.0.1:{srv.server_address[1]}/missing", tmp_path / "w.pth")
        finally:
            srv.shutdown()
            srv.server_close()
