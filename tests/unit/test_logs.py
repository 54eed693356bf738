"""The app's log file (logs.configure): never written through a link FCN Studio did not make."""

import logging
import os

import pytest

from fcn_studio import logs


@pytest.fixture
def log_home(tmp_path, monkeypatch):
    folder = tmp_path / "log"
    folder.mkdir()
    monkeypatch.setenv("FCN_STUDIO_LOG_DIR", str(folder))
    yield folder
    logs.configure()  # removes the handlers configure added (and closes the file)


def test_the_log_file_is_written(log_home):
    assert logs.configure(to_file=True) == log_home / logs.LOG_NAME
    logging.getLogger("fcn_studio.test").info("hello")
    assert "hello" in (log_home / logs.LOG_NAME).read_text()


def test_a_link_planted_at_the_log_file_is_not_followed(log_home, tmp_path, caplog):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    (log_home / logs.LOG_NAME).symlink_to(victim)
    assert logs.configure(to_file=True) is None, "the app runs on without its log file"
    logging.getLogger("fcn_studio.test").warning("appended through the link?")
    assert victim.read_text() == "keep\n"
    said = caplog.text  # on stderr where the host set up no logging (logging's last resort)
    assert "symbolic link" in said and str(log_home / logs.LOG_NAME) in said, said


def test_a_hard_link_planted_at_the_log_file_is_not_written(log_home, tmp_path, caplog):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    os.link(victim, log_home / logs.LOG_NAME)
    assert logs.configure(to_file=True) is None
    logging.getLogger("fcn_studio.test").warning("appended through the link?")
    assert victim.read_text() == "keep\n"
    assert "not a log file FCN Studio made" in caplog.text and str(log_home / logs.LOG_NAME) in caplog.text


def test_without_a_host_logging_setup_the_refusal_is_on_stderr(tmp_path):
    import subprocess
    import sys

    (tmp_path / logs.LOG_NAME).symlink_to(tmp_path / "victim.txt")
    code = "from fcn_studio import logs; print(logs.configure(to_file=True))"
    env = {**os.environ, "FCN_STUDIO_LOG_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "None" and "symbolic link" in done.stderr, done.stderr
    assert not (tmp_path / "victim.txt").exists()
