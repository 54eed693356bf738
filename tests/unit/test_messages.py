"""Core messages: English for the CLI, a template and parameters for an interface to
translate, plurals, column alignment with wide characters, and safe across processes."""

from __future__ import annotations

import pickle

import pytest

from fcn_studio import messages
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.messages import ClassName, Message, display_width
from fcn_studio.storage.titles import fine_tuned_title, title_message, version_title

CHINESE = {
    "{n} {n:image|images} left": "剩下 {n} 张图像",
    "{path}: no such file": "{path}：文件不存在",
    "  {name:<8}|": "  {name:<8}|",
    "{family} version {number}": "{family} 第 {number} 版",
}


@pytest.fixture()
def chinese():
    messages.set_translator(lambda t: CHINESE.get(t, t), lambda n: {"cat": "猫"}.get(n, n))
    yield
    messages.set_translator(None)


def test_english_with_plurals():
    assert [str(Message("{n} {n:image|images} left", n=n)) for n in (0, 1, 2)] == [
        "0 images left",
        "1 image left",
        "2 images left",
    ]


def test_a_sentence_without_parameters_keeps_its_braces():
    assert str(Message("set {x} in the file")) == "set {x} in the file"


def test_an_interface_translation_leaves_the_english_for_the_cli(chinese):
    message = Message("{n} {n:image|images} left", n=1)
    assert str(message) == "剩下 1 张图像" and message.english() == "1 image left"
    error = FCNStudioError("{path}: no such file", path="a.png")
    assert str(error) == "a.png：文件不存在" and error.args == ("a.png: no such file",)


def test_class_names_are_shown_translated_and_padded_by_display_width(chinese):
    row = Message("  {name:<8}|", name=ClassName("cat"))
    assert str(row) == "  猫      |" and display_width(str(row)) == display_width(row.english())
    assert row.english() == "  cat     |"


def test_errors_and_messages_cross_a_process_boundary_whole(chinese):
    error = pickle.loads(pickle.dumps(Cancelled("{path}: no such file", path="b.png")))
    assert type(error) is Cancelled and str(error) == "b.png：文件不存在"
    assert str(FCNStudioError("plain")) == "plain" and str(Cancelled()) == "Cancelled."


def test_model_titles_are_recognised_from_their_stored_english(chinese):
    stored = version_title("garden", 3).english()
    assert stored == "garden version 3"
    assert str(title_message(stored)) == "garden 第 3 版"
    assert title_message(fine_tuned_title("fcn8s", "my photos").english()).params == {
        "arch": "fcn8s",
        "data": "my photos",
    }
    assert str(title_message("my own title {x}")) == "my own title {x}"


def test_the_dataset_report_reads_the_same_in_the_cli(tmp_path):
    from fcn_studio.data.dataset import scan_dataset
    from tests.builders import make_plain

    report = scan_dataset(make_plain(tmp_path / "d", n=1))
    text = report.text()
    assert "1 image/mask pair" in text and "pairs" not in text
    assert text.splitlines() == [line.english() for line in report.lines()]


def test_interface_templates_take_plurals_too():
    from fcn_studio.messages import fill

    assert fill("Segmenting {n} {n:image|images}", n=1) == "Segmenting 1 image"
    assert fill("({n} {n:image|images})", n=2) == "(2 images)"
    assert fill("正在分割 {n} 张图像", n=1) == "正在分割 1 张图像"


def test_lists_of_class_names_are_translated_each(chinese):
    from fcn_studio.messages import ClassNames

    message = Message("({names})", names=ClassNames(["cat", "crack"]))
    assert str(message) == "(猫, crack)" and message.english() == "(cat, crack)"
