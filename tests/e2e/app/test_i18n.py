"""The interface in Simplified Chinese: catalogue in step with the code and complete, the
language chosen and remembered, and a walk over every window that fails on English left."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QCoreApplication, QLocale, QSettings, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QTableWidget,
    QTabWidget,
    QToolBar,
    QTreeWidget,
    QWidget,
)

from fcn_studio.data.labels import VOC_CLASSES, voc_labels
from fcn_studio.gui import i18n
from fcn_studio.gui import settings as settings_keys
from fcn_studio.gui.main_window import MainWindow
from fcn_studio.gui.models.model_picker import display_title
from fcn_studio.gui.settings import Settings
from fcn_studio.gui.shared.class_names import KNOWN_NAMES, display_class_name
from fcn_studio.gui.shared.plot_widget import LinePlot
from fcn_studio.messages import Message, display_width
from fcn_studio.storage import weights
from fcn_studio.storage.titles import fine_tuned_title, version_title
from fcn_studio.training.config import IterationEvent, MessageEvent
from tests.builders import make_clip, make_image, make_plain

MODEL_ID = "rand8s"

# Proper nouns, units, formats and option values that stay as they are in Chinese.
ALLOWED = {
    w.lower()
    for w in [
        "FCN",
        "Studio",
        # key names on the keyboard shortcut sheet
        "PgUp",
        "PgDown",
        "F1",
        "CUDA",
        "CPU",
        "GPU",
        "NVIDIA",
        "MPS",
        "Apple",
        "PNG",
        "JPEG",
        "JPG",
        "CSV",
        "MP4",
        "mp4v",
        "AVI",
        "MJPEG",
        "WebM",
        "mIoU",
        "IoU",
        "px",
        "fps",
        "ms",
        "MB",
        "VOC",
        "COCO",
        "labelme",
        "JSON",
        "RLE",
        "PASCAL",
        "Carvana",
        "VGG16",
        "ImageNet",
        "Caffe",
        "torchvision",
        "IMAGENET1K_V1",
        "PyTorch",
        "torch",
        # the runtime and number formats a result names (status bar, Fast Mode)
        "ONNX",
        "Runtime",
        "int8",
        "f32",
        "Ctrl",
        "Shift",
        "Space",
        "Shelhamer",
        "Darrell",
        "CVPR",
        "ETA",
        "RGB",
        "ID",
        "pth",
        "pt",
        "safetensors",
        "pkl",
        "bin",
        "png",
        "gif",
        "bmp",
        "tif",
        "jpg",
        "csv",
        "webm",
        "adam",
        "sgd",
        "English",
        "Simonyan",
        "Zisserman",
        "BFGS",  # L-BFGS, the solver's name
    ]
}


def english_left(text: str, data: list[str]) -> list[str]:
    """English words in ``text`` once markup, data (ids, file names, paths) and the allowed
    proper nouns are taken out."""
    text = re.sub(r"<[^>]+>", " ", text)
    for token in sorted(data, key=len, reverse=True):
        text = text.replace(token, " ")
    text = " ".join(w for w in text.split() if "/" not in w and "\\" not in w)  # paths
    text = re.sub(r"[\w.-]+\.(png|jpg|mp4|avi|csv|txt|pth|safetensors)\b", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"[\w-]+(\.[\w-]+)*\.(org|com|net|io)\b", " ", text)  # web addresses
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    return [w for w in words if len(w) > 1 and w.lower() not in ALLOWED]


def visible_texts(root: QWidget, skip: tuple[QWidget, ...] = ()) -> list[tuple[str, str]]:
    """(where, text) for every text a user can read in ``root`` and its children: titles,
    labels, buttons, tooltips, status tips, combo items, tabs, headers, menus and actions."""
    out: list[tuple[str, str]] = []

    def add(where: str, text) -> None:
        if text:
            out.append((where, str(text)))

    def add_actions(owner: str, actions) -> None:
        for a in actions:
            add(f"{owner} action", a.text())
            add(f"{owner} action tooltip", a.toolTip())
            add(f"{owner} action status tip", a.statusTip())
            if a.menu() is not None:
                add(f"{owner} submenu", a.menu().title())
                add_actions(owner, a.menu().actions())

    for w in [root, *root.findChildren(QWidget)]:
        if any(w is s or s.isAncestorOf(w) for s in skip):
            continue
        kind = type(w).__name__
        if w.isWindow() or isinstance(w, (QDockWidget, QToolBar)):
            add(f"{kind} title", w.windowTitle())
        add(f"{kind} tooltip", w.toolTip())
        add(f"{kind} status tip", w.statusTip())
        if isinstance(w, (QLabel, QAbstractButton)):
            add(kind, w.text())
        if isinstance(w, QGroupBox):
            add(kind, w.title())
        if isinstance(w, QLineEdit):
            add(f"{kind} placeholder", w.placeholderText())
        if isinstance(w, QPlainTextEdit):
            add(f"{kind} placeholder", w.placeholderText())
            add(kind, w.toPlainText())
        if isinstance(w, QComboBox):
            for i in range(w.count()):
                add(f"{kind} item", w.itemText(i))
                add(f"{kind} item tooltip", w.itemData(i, 3))
        if isinstance(w, QTabWidget):
            for i in range(w.count()):
                add(f"{kind} tab", w.tabText(i))
        if isinstance(w, QTableWidget):
            for c in range(w.columnCount()):
                add(f"{kind} header", w.horizontalHeaderItem(c).text() if w.horizontalHeaderItem(c) else "")
            for r in range(w.rowCount()):
                for c in range(w.columnCount()):
                    if w.item(r, c) is not None:
                        add(f"{kind} cell", w.item(r, c).text())
                        add(f"{kind} cell tooltip", w.item(r, c).toolTip())
        if isinstance(w, QTreeWidget):
            for c in range(w.columnCount()):
                add(f"{kind} header", w.headerItem().text(c))
            for i in range(w.topLevelItemCount()):
                for c in range(w.columnCount()):
                    add(f"{kind} item", w.topLevelItem(i).text(c))
                    add(f"{kind} item tooltip", w.topLevelItem(i).toolTip(c))
        if isinstance(w, QMenu):
            add(f"{kind} title", w.title())
        if isinstance(w, LinePlot):
            add(kind, w.title)
        add_actions(kind, w.actions())
    return out


def untranslated(texts: list[tuple[str, str]], data: list[str]) -> list[str]:
    return [
        f"{where}: {text!r} ({', '.join(left)})"
        for where, text in texts
        if where != "opened" and (left := english_left(text, data))
    ]


def modal_texts(qtbot, trigger, close=lambda w: w.reject()) -> list[tuple[str, str]]:
    """Texts of the modal dialog that ``trigger`` opens (then closed with ``close``)."""
    seen: list[tuple[str, str]] = []

    def grab() -> None:
        w = QApplication.activeModalWidget()
        if w is None:
            QTimer.singleShot(20, grab)
            return
        seen.extend(visible_texts(w))
        seen.append(("opened", type(w).__name__))
        close(w)

    QTimer.singleShot(0, grab)
    trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    return seen


def skip_existing(box: QMessageBox) -> QAbstractButton:
    return next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture()
def chinese(qapp):
    assert i18n.install("zh_CN", qapp), "a catalogue did not load"
    yield
    i18n.install("en", qapp)


@pytest.fixture()
def model_home(tmp_path, monkeypatch, caffe_layout_file):
    home = tmp_path / "weights"
    monkeypatch.setenv("FCN_STUDIO_WEIGHTS", str(home))
    weights.import_weights(caffe_layout_file("fcn8s"), MODEL_ID)
    return home


def settings_at(path: Path) -> Settings:
    return Settings(QSettings(str(path), QSettings.Format.IniFormat))


def data_tokens(*extra: str) -> list[str]:
    rows = weights.list_weights()
    return [MODEL_ID, *extra, *(r.id for r in rows), *(r.arch for r in rows)]


# -- the catalogue ---------------------------------------------------------------------------


def catalogue(ts: Path) -> dict[tuple[str, str], str | None]:
    """(context, source) -> translation (None while unfinished) of a .ts file."""
    root = ET.parse(ts).getroot()
    return {
        (c.findtext("name"), m.findtext("source")): (
            None if m.find("translation").get("type") else m.find("translation").text
        )
        for c in root.iter("context")
        for m in c.iter("message")
    }


def test_catalogue_is_in_step_with_the_code(tmp_path, qapp):
    """What `python -m fcn_studio.gui.i18n update` would write is what is committed: no
    string of the code missing from the .ts, none left over, and the .qm holds the .ts."""
    from PySide6.QtCore import QTranslator

    hint = "run `python -m fcn_studio.gui.i18n update`, translate the new entries, run it again"
    for lang in i18n.TRANSLATED:
        ts = tmp_path / i18n.ts_path(lang).name
        shutil.copy(i18n.ts_path(lang), ts)
        i18n.lupdate([ts])
        committed, extracted = catalogue(i18n.ts_path(lang)), catalogue(ts)
        assert sorted(set(extracted) - set(committed)) == [], f"strings not in the .ts: {hint}"
        assert sorted(set(committed) - set(extracted)) == [], f"strings no longer in the code: {hint}"
        assert ts.read_bytes() == i18n.ts_path(lang).read_bytes(), f"the .ts is not as lupdate writes it: {hint}"
        translator = QTranslator()
        assert translator.load(str(i18n.qm_path(lang)))
        stale = [key for key, text in committed.items() if text and translator.translate(*key) != text]
        assert stale == [], f"the .qm is older than the .ts: {hint}"


def fields(template: str) -> set[str]:
    """The parameter names of a template; a plural field ({n:image|images}) names its count,
    which a language without plurals writes once as {n}."""
    return {re.split(r"[:!]", f)[0] for f in re.findall(r"\{([^{}]*)\}", template)}


def test_every_message_is_translated_keeping_placeholders_and_accelerators():
    root = ET.parse(i18n.ts_path("zh_CN")).getroot()
    messages = [(c.findtext("name"), m) for c in root.iter("context") for m in c.iter("message")]
    assert len(messages) > 250
    for context, m in messages:
        source, translation = m.findtext("source"), m.find("translation")
        where = f"{context}: {source!r}"
        assert translation.get("type") is None and translation.text, f"not translated: {where}"
        assert fields(source) == fields(translation.text), where
        accelerator = re.search(r"&(\w)", source)
        if accelerator:  # the same key, in Chinese style: 文件(&F)
            assert f"(&{accelerator.group(1).upper()})" in translation.text, where


def test_lists_of_core_texts_match_the_core():
    """Texts the GUI translates by value must still be the core's."""
    from fcn_studio.gui.models.model_picker import MANIFEST_SOURCES, MANIFEST_TITLES
    from fcn_studio.gui.video.export import _AUDIO_NOTE
    from fcn_studio.inference.device import choose_device
    from fcn_studio.inference.video import AUDIO_NOTE

    assert KNOWN_NAMES[: len(VOC_CLASSES)] == VOC_CLASSES
    assert voc_labels().name_of(255) == KNOWN_NAMES[-1]
    manifest = json.loads((Path(__file__).parents[3] / "weights" / "manifest.json").read_text(encoding="utf-8"))
    assert set(MANIFEST_TITLES) == {e["title"] for e in manifest["weights"]}
    assert set(MANIFEST_SOURCES) == {e["source"] for e in manifest["weights"]}
    assert _AUDIO_NOTE == AUDIO_NOTE
    import torch

    if not torch.cuda.is_available():
        assert choose_device("cuda", allow_fallback=True).fallback_note.template in i18n.core_templates()
    note = choose_device("mps", allow_fallback=True).fallback_note
    assert note is None or note.template in i18n.core_templates()


def test_qt_own_dialogs_are_translated_too(chinese):
    assert QCoreApplication.translate("QFileDialog", "Look in:") != "Look in:"
    box = QMessageBox(
        QMessageBox.Icon.Question, "t", "x", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    )
    assert box.button(QMessageBox.StandardButton.No).text() not in ("&No", "No")


# -- choosing the language -------------------------------------------------------------------


def test_language_follows_the_system_unless_chosen(tmp_path):
    assert i18n.system_language(QLocale("zh_CN")) == "zh_CN"
    assert i18n.system_language(QLocale("zh_TW")) == "zh_CN"
    assert i18n.system_language(QLocale("en_US")) == "en"
    assert i18n.system_language(QLocale("de_DE")) == "en"
    settings = settings_at(tmp_path / "s.ini")
    assert i18n.chosen_language(settings) == i18n.system_language()
    settings.write(settings_keys.LANGUAGE, "zh_CN")
    assert i18n.chosen_language(settings) == "zh_CN"
    settings.write(settings_keys.LANGUAGE, "klingon")
    assert i18n.chosen_language(settings) == i18n.system_language()


def test_switching_language_is_remembered_and_offers_a_restart(qtbot, tmp_path, model_home, monkeypatch):
    restarts = []
    monkeypatch.setattr(i18n, "restart_app", restarts.append)
    ini = tmp_path / "settings.ini"
    win = MainWindow(settings_at(ini))
    qtbot.addWidget(win)
    assert win.actions_.languages["en"].isChecked()
    texts = modal_texts(qtbot, win.actions_.languages["zh_CN"].trigger)  # Later
    assert ("opened", "QMessageBox") in texts and not restarts
    assert ("QPushButton", "立即重启") in texts, "asked in the language chosen"
    assert i18n.chosen_language(settings_at(ini)) == "zh_CN"
    # "Restart now" restarts
    modal_texts(qtbot, win.actions_.languages["en"].trigger, close=lambda box: box.buttons()[0].click())
    assert restarts == [win]
    assert i18n.chosen_language(settings_at(ini)) == "en"
    win.close()

    settings_at(ini).write(settings_keys.LANGUAGE, "zh_CN")
    i18n.install(i18n.chosen_language(settings_at(ini)))  # what the app does at start
    try:
        again = MainWindow(settings_at(ini))
        qtbot.addWidget(again)
        assert again.actions_.languages["zh_CN"].isChecked()
        assert again.menuBar().actions()[0].text() == "文件(&F)"
        again.close()
    finally:
        i18n.install("en")


def test_restart_closes_the_window_and_starts_the_same_command(qtbot, tmp_path, model_home, monkeypatch):
    import sys

    started = []
    monkeypatch.setattr(i18n.QProcess, "startDetached", lambda program, args: started.append((program, args)))
    win = MainWindow(settings_at(tmp_path / "settings.ini"))
    qtbot.addWidget(win)
    win.show()
    i18n.restart_app(win)
    assert not win.isVisible()
    assert started == [(sys.executable, list(sys.orig_argv[1:]))]


# -- class names ------------------------------------------------------------------------------


def test_voc_classes_show_in_chinese_but_files_keep_canonical_names(chinese, tmp_path):
    from fcn_studio.data.stats import class_stats, write_stats_csv

    voc = voc_labels()
    assert [display_class_name(voc, i) for i in (0, 8, 12, 7, 15)] == ["背景", "猫", "狗", "汽车", "人"]
    assert display_class_name(voc, 255) == "忽略"
    assert display_class_name(voc, 40) == "标签 40"
    assert len({display_class_name(voc, i) for i in range(21)}) == 21
    labels = np.array([[15, 15], [8, 0]], dtype=np.uint8)
    write_stats_csv(class_stats(labels, voc), tmp_path / "c.csv")
    text = (tmp_path / "c.csv").read_text(encoding="utf-8")
    assert "person" in text and "cat" in text and "人" not in text


# -- the walk ---------------------------------------------------------------------------------


def test_every_window_reads_in_chinese(qtbot, chinese, tmp_path, model_home, monkeypatch):
    folder = tmp_path / "photos"
    folder.mkdir()
    image = make_image(folder / "street.png", size=(48, 40))
    (tmp_path / "masks").mkdir()
    Image.fromarray(np.zeros((40, 48), dtype=np.uint8)).save(tmp_path / "masks" / "street.png")
    authors = ("Long, Shelhamer, Darrell", "Long、Shelhamer、Darrell")  # the paper's, cited by name
    data = data_tokens(str(tmp_path), "garden-fcn", "garden-fcn-v2", "garden", Path.home().name, *authors)
    problems: list[str] = []

    def check(texts) -> None:
        problems.extend(untranslated(texts, data))

    win = MainWindow(settings_at(tmp_path / "settings.ini"))
    qtbot.addWidget(win)
    win.show()
    check(visible_texts(win))  # before anything is open: placeholder, menus, toolbars

    # the image workspace with a result, the legend and the hover readout
    win.open_paths([str(image)])
    qtbot.waitUntil(lambda: win.workspace.current_result is not None, timeout=60_000)
    win._hovered(3, 3)
    assert win.status.hover.text() and win.legend.tree.topLevelItemCount() > 0
    check(visible_texts(win))
    check([("status message", win.status.currentMessage())])

    # Label mode: its toolbar and panel, a fine-tune round's scores, the uncertainty ranking
    from fcn_studio.gui.labelling.retrain import scores_text
    from fcn_studio.labelling.uncertainty import RankedImage

    label_mode = win.label_mode
    label_mode.actions.mode.trigger()
    assert label_mode.panel.isVisible() and label_mode.session is not None
    check(visible_texts(win))
    scores = SimpleNamespace(mean_iou=0.5, images=3, pixels=1200, spread=0.1)
    kept = SimpleNamespace(
        version=SimpleNamespace(id="garden-fcn-v2"),
        after=scores,
        before=scores,
        made_current=False,
        compared_with="garden-fcn",
        regressed=True,
        before_seen=1,
        verdict=SimpleNamespace(kind="worse", difference=-0.1, margin=0.02),
    )
    label_mode.panel.scores.setText(scores_text(kept))
    label_mode.panel.offer.show_round(kept)  # "Use garden-fcn-v2 anyway"
    label_mode.uncertain.dock.set_ranking([RankedImage(image, 0.25)])
    label_mode.uncertain.dock.show()
    check(visible_texts(label_mode.panel))
    check(visible_texts(label_mode.uncertain.dock))
    label_mode.uncertain.dock.set_ranking([])
    check(visible_texts(label_mode.uncertain.dock))
    label_mode.uncertain.dock.hide()
    # the class boxes offer names as the list shows them; files keep the canonical names
    offered: list[str] = []

    def answer(_parent, _title, _label, *args, text="", **_kw):
        offered.append(args[1] if len(args) > 1 else text)
        return "猫咪", True

    with monkeypatch.context() as patch:
        patch.setattr(QInputDialog, "getText", answer)
        label_mode.classes.rename_class(8)
        assert offered == ["猫"] and label_mode.state.label_set.classes[8] == "猫咪"
        label_mode.classes.rename_class(8, "猫")  # the known class's shown name: saved as its own
        assert label_mode.state.label_set.classes[8] == "cat"
        patch.setattr(QInputDialog, "getText", lambda *a, text="", **k: (offered.append(text), ("", False))[1])
        label_mode.classes.new_label_set()
        assert offered[-1] == "背景, "
    label_mode.actions.mode.trigger()

    # the error box
    win.open_paths([str(folder / "missing.png")])
    assert win.error_box is not None and win.error_box.isVisible()
    check(visible_texts(win.error_box))
    win.error_box.close()

    # Qt's own file dialog (as on a desktop without a native one) and message box buttons
    empty = tmp_path / "empty"
    empty.mkdir()
    files = QFileDialog(win, "", str(empty))
    files.setOption(QFileDialog.Option.DontUseNativeDialog)
    files.show()
    check(visible_texts(files))
    files.close()

    # the about box and the keyboard shortcut sheet
    check(modal_texts(qtbot, win._about, close=lambda w: w.close()))
    sheet = win.show_shortcuts()
    qtbot.addWidget(sheet)
    check(visible_texts(sheet))
    sheet.close()

    # models: the dialog, its confirmation, the first-run banner
    from fcn_studio.gui.models.weights_dialog import WeightsDialog

    dialog = WeightsDialog(win)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.table.selectRow([r.id for r in dialog.rows].index(MODEL_ID))
    check(visible_texts(dialog))
    check(modal_texts(qtbot, dialog._remove))
    assert MODEL_ID in {m.id for m in weights.installed_models()}
    dialog.close()
    check(visible_texts(win.banner))

    # segment folder: the overwrite question, the progress dialog and the summary
    out = tmp_path / "out"
    out.mkdir()
    (out / "street.png").write_bytes(b"")
    summary: list[tuple[str, str]] = []
    with monkeypatch.context() as patch:
        folders = iter([str(folder), str(out)] * 2)
        patch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: next(folders))
        check(modal_texts(qtbot, win._segment_folder))  # Cancel
        patch.setattr(QMessageBox, "information", lambda _p, title, text: summary.append((title, text)))
        patch.setattr(QMessageBox, "exec", lambda box: skip_existing(box).click())
        win._segment_folder()
        check(visible_texts(win.tasks.tasks[-1].dialog))
        qtbot.waitUntil(lambda: bool(summary), timeout=60_000)
    check([("summary", t) for t in summary[0]])

    # the compare view, with ground truth
    win.tabs.setCurrentWidget(win.compare)
    for pane in win.compare.panes:
        pane.picker.setCurrentIndex(pane.picker.findData(MODEL_ID))
    qtbot.waitUntil(lambda: all(p.result is not None for p in win.compare.panes), timeout=120_000)
    win.compare.show_mode.setCurrentIndex(2)
    win.compare._hovered(2, 2)
    assert "mIoU" in win.compare.panes[0].title.text() and win.compare.panes[0].readout.text()
    check(visible_texts(win.compare))
    win.tabs.setCurrentIndex(0)

    # the video view and its export dialog
    clip = make_clip(tmp_path / "clip.mp4", n=6)
    win.open_paths([str(clip)])
    qtbot.waitUntil(lambda: win.video.result is not None, timeout=60_000)
    win.video_controls.set_fps(12.0)
    check(visible_texts(win))
    from fcn_studio.gui.video.export import VideoExportDialog

    export = VideoExportDialog(str(clip), win)
    qtbot.addWidget(export)
    check(visible_texts(export))
    export.close()

    # the fine-tune view: dataset report, a training step, the result
    dataset = make_plain(tmp_path / "garden", n=4)
    train = win.fine_tune_dialog()
    qtbot.addWidget(train)
    train.show()
    check(visible_texts(train))
    train.folder.setText(str(dataset))
    train.scan()
    qtbot.waitUntil(lambda: train.report is not None, timeout=30_000)
    rows = [line.split(" px")[0] for line in train.report_view.toPlainText().splitlines() if line.endswith(" %")]
    assert len(rows) == 3 and len({display_width(r) for r in rows}) == 1, "the class table lines up"
    train._config = train.config()
    train._on_event(
        IterationEvent(epoch=1, iteration=2, iterations=4, loss=0.5, images_per_s=3.2, progress=0.25, eta_s=75)
    )
    check(visible_texts(train))  # class names as the interface shows them...
    assert train.config().class_names is None, "...and saved as they were"
    # the run's report lines, as the trainer words them, and its result
    import torch

    from fcn_studio.inference.device import device_message
    from fcn_studio.training.trainer import split_message

    cpu = device_message(torch.device("cpu"))
    for text in (
        split_message(3, 1, 3, cpu),
        Message("backbone passes: {runs}, cached features reused: {hits}", runs=4, hits=30),
        Message("the base predicts {base} classes, this data has {data}: score layers re-initialised", base=21, data=3),
    ):
        train._on_event(MessageEvent(text))
    train._on_finished(SimpleNamespace(best_metrics={"mean_iou": 0.5}, cancelled=False, registered_id="garden-fcn"), "")
    assert "主干" in train.report_view.toPlainText()
    check(visible_texts(train))
    check([("model title", display_title(fine_tuned_title("fcn8s", "garden").english()))])
    assert display_title(version_title("garden-fcn", 2).english()) == "garden-fcn 第 2 版"
    train.close()

    win.close()
    assert not problems, "English left in the Chinese interface:\n" + "\n".join(dict.fromkeys(problems))


def test_walk_helpers_catch_english(qtbot):
    """The walk would fail on a button still in English, and not on data or proper nouns."""
    assert english_left("Start training", []) == ["Start", "training"]
    assert english_left("打开 photo.png (Ctrl+O) — FCN Studio, FCN-8s 65.5 % mIoU", []) == []
    assert english_left("rand8s · FCN-8s · voc /tmp/pytest/x", ["rand8s"]) == []
    box = QWidget()
    qtbot.addWidget(box)
    QLabel("Show all", box)
    assert untranslated(visible_texts(box), []) == ["QLabel: 'Show all' (Show, all)"]


def test_exported_comparison_draws_chinese_captions_with_their_glyphs():
    """Not a box per character: the two captions must differ where the characters do."""
    from PIL import ImageFont

    from fcn_studio.inference.compare import _CJK_FONTS, compose_grid

    for name in _CJK_FONTS:
        try:
            ImageFont.truetype(name, 12)
            break
        except OSError:
            continue
    else:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    rgb = np.zeros((64, 64, 3), dtype=np.uint8)
    first, second = (compose_grid(rgb, [(title, None, None)]) for title in ("真值", "值真"))
    assert not np.array_equal(first, second)


def test_chinese_readme_has_the_same_commands_and_each_links_to_the_other():
    root = Path(__file__).parents[3]
    english = (root / "README.md").read_text(encoding="utf-8")
    chinese = (root / "README.zh-CN.md").read_text(encoding="utf-8")
    for marker in ("<!-- start-command -->", "<!-- test-command -->"):
        command = re.search(re.escape(marker) + r"\s*```bash\n(.+?)\n```", english, re.DOTALL).group(1)
        assert f"```bash\n{command}\n```" in chinese
        assert marker not in chinese  # .ci/run reads README.md only
    assert "(README.zh-CN.md)" in english and "(README.md)" in chinese
    assert "fonts-noto-cjk" in english and "fonts-noto-cjk" in chinese


# -- accelerators -----------------------------------------------------------------------------


def duplicate_accelerators(title: str, menu: QMenu) -> list[str]:
    """Items of ``menu`` (and its submenus) that share an Alt key with another item."""
    keys: dict[str, list[str]] = {}
    found: list[str] = []
    for action in menu.actions():
        key = re.search(r"&(\w)", action.text().replace("&&", ""))
        if key:
            keys.setdefault(key.group(1).upper(), []).append(action.text())
        if action.menu() is not None:
            found += duplicate_accelerators(f"{title} > {action.text()}", action.menu())
    return found + [f"{title}: {items}" for items in keys.values() if len(items) > 1]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_no_menu_has_two_items_on_one_key(qtbot, qapp, tmp_path, model_home, language):
    assert i18n.install(language, qapp)
    try:
        win = MainWindow(settings_at(tmp_path / "settings.ini"))
        qtbot.addWidget(win)
        bar = QMenu()
        for action in win.menuBar().actions():
            bar.addAction(action)
        assert duplicate_accelerators("menu bar", bar) == []
        sheet = win.show_shortcuts()
        qtbot.addWidget(sheet)
        texts = [t for _w, t in visible_texts(sheet)]
        assert not [t for t in texts if re.search(r"\(&?\w\)|&\w", t) and "Ctrl" not in t], "accelerators on the sheet"
        sheet.close()
        win.close()
    finally:
        i18n.install("en", qapp)


def test_counts_read_in_the_singular_for_one(qapp):
    from fcn_studio.gui.labelling.retrain import basis_text

    assert basis_text(SimpleNamespace(images=1, pixels=1200, spread=float("nan"))) == "1 image, 1,200 labelled pixels"


def test_core_errors_read_in_chinese_and_stay_english_for_the_cli(chinese, tmp_path):
    from fcn_studio.data.images import load_image
    from fcn_studio.data.labels import LabelSet
    from fcn_studio.errors import FCNStudioError
    from fcn_studio.labelling.label_store import LabelStore

    (tmp_path / "notes.png").write_text("not an image")
    store = LabelStore(tmp_path)
    store.save_label_set(LabelSet("f", ("background", "cat"), ((0, 0, 0), (9, 9, 9))))
    for fail in (
        lambda: load_image(tmp_path / "notes.png"),
        lambda: load_image(tmp_path / "gone.png"),
        lambda: store.add_class("cat"),
    ):
        with pytest.raises(FCNStudioError) as caught:
            fail()
        shown, cli = str(caught.value), caught.value.args[0]
        assert english_left(shown, [str(tmp_path), "'cat'"]) == [], shown
        assert cli == caught.value.message.english() and english_left(cli, [str(tmp_path)]), "the CLI's English"
