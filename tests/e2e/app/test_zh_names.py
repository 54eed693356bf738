"""The names the Chinese interface shows for models: the titles of the listed models and of
the models FCN Studio makes, and the label sets ("voc") in the model pickers and tables,
read in Chinese but for the acronyms and proper nouns Chinese texts use as they are."""

from __future__ import annotations

import re

import pytest

from fcn_studio.gui import i18n
from fcn_studio.gui.models.model_picker import MANIFEST_SOURCES, MANIFEST_TITLES, ModelPicker, display_title
from fcn_studio.gui.shared.class_names import display_label_set
from fcn_studio.storage import weights
from fcn_studio.storage.titles import fine_tuned_title, retrained_title, version_title

# What stays as written in a Chinese title: architecture and data set names, the libraries
# and authors a source cites.
ACRONYMS = {
    w.lower()
    for w in (
        "FCN-8s",
        "FCN-16s",
        "FCN-32s",
        "VGG16",
        "PASCAL",
        "VOC",
        "ImageNet",
        "IMAGENET1K_V1",
        "Caffe",
        "torchvision",
        "FCN",
        "Long",
        "Shelhamer",
        "Darrell",
        "Simonyan",
        "Zisserman",
    )
}


def english_words(text: str, data: tuple[str, ...] = ()) -> list[str]:
    """Latin words in ``text`` that are no acronym of :data:`ACRONYMS`, once ``data`` (ids,
    folder names), web addresses and repository paths are taken out."""
    for token in sorted(data, key=len, reverse=True):
        text = text.replace(token, " ")
    text = " ".join(w for w in text.split() if "/" not in w)  # wkentaro/pytorch-fcn
    text = re.sub(r"[\w.-]+\.(org|com|net|io)\b", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*(?:-\d+s)?", text)
    return [w for w in words if w.lower() not in ACRONYMS]


@pytest.fixture()
def chinese(qapp):
    assert i18n.install("zh_CN", qapp), "a catalogue did not load"
    yield
    i18n.install("en", qapp)


def test_the_helper_finds_english_words():
    assert english_words("FCN-8s, PASCAL VOC (converted from the original Caffe model)") == [
        "converted",
        "from",
        "the",
        "original",
        "model",
    ]
    assert english_words("在 garden 上微调的 FCN-8s", ("garden",)) == []


def test_model_titles_read_in_chinese(chinese):
    made = (
        fine_tuned_title("fcn8s", "garden"),
        retrained_title("garden-fcn", "garden"),
        version_title("garden-fcn", 2),
    )
    data = ("garden-fcn", "garden")
    shown = {t: display_title(t) for t in (*MANIFEST_TITLES, *MANIFEST_SOURCES, *(m.english() for m in made))}
    left = {title: (text, english_words(text, data)) for title, text in shown.items() if english_words(text, data)}
    assert not left, left
    assert display_title(fine_tuned_title("fcn8s", "garden").english()) == "在 garden 上微调的 FCN-8s"


def test_label_sets_read_in_chinese_and_a_datasets_own_name_as_it_is(chinese):
    assert display_label_set("voc") == "VOC 类别"
    assert display_label_set("generic-3") == "3 个类别"
    assert display_label_set("garden") == "garden"


def test_label_sets_read_in_english_too():
    assert display_label_set("voc") == "VOC classes"
    assert display_label_set("generic-1") == "1 class"


def test_model_pickers_and_the_models_table_show_no_voc(qtbot, chinese, weights_home, caffe_layout_file):
    """Bug: the model picker, the fine-tune base list and the Models dialog showed the
    label set as stored: "rand8s · FCN-8s · voc" (and the dialog the architecture as "fcn8s")."""
    from fcn_studio.gui.models.weights_dialog import WeightsDialog
    from fcn_studio.gui.training.dialog import TrainDialog

    weights.import_weights(caffe_layout_file("fcn8s"), "rand8s")
    picker = ModelPicker()
    qtbot.addWidget(picker)
    picker.refresh()
    dialog = WeightsDialog()
    qtbot.addWidget(dialog)
    column = [h for h in range(dialog.table.columnCount()) if dialog.table.horizontalHeaderItem(h).text() == "标签集"]
    train = TrainDialog()
    qtbot.addWidget(train)
    shown = [picker.itemText(i) for i in range(picker.count())]
    shown += [dialog.table.item(r, c).text() for r in range(dialog.table.rowCount()) for c in column]
    shown += [train.base.itemText(i) for i in range(train.base.count())]
    assert column and any("rand8s" in s for s in shown)
    assert not [s for s in shown if re.search(r"\bvoc\b", s)], shown
    assert "rand8s  ·  FCN-8s  ·  VOC 类别" in shown
    archs = {dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())}
    assert archs == {"FCN-8s", "FCN-16s", "FCN-32s", "VGG16"}  # as the pickers name them, not "fcn8s"


def test_the_status_bar_names_held_features_in_chinese(qtbot, chinese):
    """Seen under Xvfb: Label mode's result showed "held features" in the Chinese status bar."""
    from fcn_studio.gui.shared.status_bar import StatusBar

    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.set_backend("held features")
    assert bar.backend.text() == "缓存特征"
    bar.set_backend("ONNX Runtime fp32")
    assert bar.backend.text() == "ONNX Runtime fp32"
