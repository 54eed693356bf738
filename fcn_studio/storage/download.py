"""Fetching weight files: resumable, verified, atomic, and never fooled by a web page.

Kept rather than pooch or gdown: the standard library does it in 150 lines, where either
would bring requests (and gdown BeautifulSoup and tqdm) to every installation."""

from __future__ import annotations

import hashlib
import html
import http.cookiejar
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.files.fileio import looks_like_html, read_head

ProgressFn = Callable[[int, int | None], None]  # (bytes so far, total bytes or None)
_CHUNK = 1 << 20


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def verify_checksum(path: Path, checksum: str) -> None:
    """``checksum`` is ``algo:hex``. A shorter hex is a prefix (torchvision's file-name
    convention, e.g. vgg16-397923af.pth). Raises FCNStudioError on mismatch."""
    algorithm, _, expected = checksum.partition(":")
    if algorithm not in ("md5", "sha256", "sha1") or not expected:
        raise FCNStudioError("bad checksum spec {checksum!r} in the weights manifest", checksum=checksum)
    actual = file_digest(path, algorithm)
    if not actual.startswith(expected.lower()):
        raise FCNStudioError(
            "{name}: checksum mismatch ({algorithm} {actual}, expected {expected}); the download was corrupted or the file changed upstream. It was deleted; try again",
            name=path.name,
            algorithm=algorithm,
            actual=actual[: len(expected)],
            expected=expected,
        )


def _confirm_url(page: str, base_url: str) -> str | None:
    """The real download address behind a Google Drive "can't scan for viruses" page."""
    form = re.search(r'<form[^>]*id="download-form"[^>]*action="([^"]+)"', page)
    if form:
        params = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
        action = urllib.parse.urljoin(base_url, html.unescape(form.group(1)))
        return f"{action}?{urllib.parse.urlencode(params)}"
    link = re.search(r'href="([^"]*confirm=[^"]+)"', page)
    if link:
        return urllib.parse.urljoin(base_url, html.unescape(link.group(1)))
    return None


def download(
    url: str,
    dest: Path,
    *,
    checksum: str | None = None,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest``.

    Bytes go to ``dest.part`` (kept on cancel, Ctrl+C or a dropped connection, and resumed
    with an HTTP Range request next time); ``dest`` appears only once the whole file is
    there and its checksum matches.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for _ in range(4):  # the original URL, then at most a few confirmation pages
        next_url = _fetch(opener, url, part, progress, cancelled, timeout)
        if next_url is None:
            break
        url = next_url
    else:
        raise FCNStudioError("{url}: the server keeps answering with web pages instead of the file", url=url)
    if looks_like_html(read_head(part)):
        part.unlink(missing_ok=True)
        raise FCNStudioError("{url}: the server sent a web page instead of the weights file", url=url)
    if checksum:
        try:
            verify_checksum(part, checksum)
        except FCNStudioError:
            part.unlink(missing_ok=True)
            raise
    os.replace(part, dest)
    return dest


def _fetch(
    opener: urllib.request.OpenerDirector,
    url: str,
    part: Path,
    progress: ProgressFn | None,
    cancelled: Callable[[], bool] | None,
    timeout: float,
) -> str | None:
    """Append the body of ``url`` to ``part``; returns a new URL if a confirmation page
    came instead, else None."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "fcn-studio"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # nothing left to fetch: the part is complete
            return None
        raise FCNStudioError(
            "{url}: the server answered HTTP {code} {reason}", url=url, code=exc.code, reason=exc.reason
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FCNStudioError(
            "{url}: cannot connect ({reason}); check the network and try again", url=url, reason=reason
        ) from None
    with response:
        if "text/html" in (response.headers.get("Content-Type") or "").lower():
            page = response.read(2_000_000).decode("utf-8", "replace")
            confirm = _confirm_url(page, response.geturl())
            if confirm:
                return confirm
            raise FCNStudioError(
                "{url}: the server sent a web page instead of the weights file (a quota, login or removed-file page); try again later, or download it in a browser and import the file",
                fix="import",
                url=url,
            )
        resumed = offset and response.status == 206
        if not resumed:
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        done = offset
        try:
            with open(part, "ab" if resumed else "wb") as fh:
                while chunk := response.read(_CHUNK):
                    fh.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
                    if cancelled and cancelled():
                        raise Cancelled(
                            "Download cancelled; {done} bytes kept in {name} to resume later.",
                            done=done,
                            name=part.name,
                        )
        except OSError as exc:
            raise FCNStudioError(
                "could not write {part}: {error}; free some disk space", part=part, error=exc.strerror or exc
            ) from None
        if total is not None and done < total:
            raise FCNStudioError(
                "{url}: the connection dropped at {done} of {total} bytes; run the download again to resume",
                url=url,
                done=done,
                total=total,
            )
    return None
