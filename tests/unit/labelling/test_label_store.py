"""Label storage: F/masks/<stem>.png + F/classes.txt, read back by dataset.py; atomic saves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from fcn_studio.data.dataset import scan_dataset
from fcn_studio.data.labels import LabelSet, read_label_file
from fcn_studio.errors import FCNStudioError
from fcn_studio.labelling.label_store import (
    FolderGoneError,
    LabelStore,
    MaskDeletedError,
    MaskExistsError,
    blank_mask,
)


@pytest.fixture()
def folder(tmp_path, image_factory):
    for i in range(3):
        image_factory(f"img{i}.png", size=(48, 40), seed=i)
    return tmp_path


def three_classes() -> LabelSet:
    return LabelSet("mine", ("background", "crack", "dry rust"), ((0, 0, 0), (250, 20, 10), (10, 200, 30)))


def scribble(shape=(40, 48)) -> np.ndarray:
    """A mask with one labelled pixel (one without any is no label, and is not written)."""
    mask = blank_mask(shape)
    mask[0, 0] = 1
    return mask


def test_classes_round_trip_through_classes_txt_and_dataset(folder):
    store = LabelStore(folder)
    store.save_label_set(three_classes())
    assert (folder / "classes.txt").read_text() == "background 0 0 0\ncrack 250 20 10\ndry rust 10 200 30\n"
    assert read_label_file(folder / "classes.txt") == (
        ["background", "crack", "dry rust"],
        [(0, 0, 0), (250, 20, 10), (10, 200, 30)],
    )
    new_id = store.add_class("class 7")  # a name ending in a number survives too
    store.rename_class(1, "hairline crack")
    store.recolour_class(2, (1, 2, 3))
    labels = store.label_set()
    assert new_id == 3
    assert labels.classes == ("background", "hairline crack", "dry rust", "class 7")
    assert labels.colors[2] == (1, 2, 3) and labels.colors[3] not in labels.colors[:3]
    mask = blank_mask((40, 48))
    mask[:5] = 0
    store.save_mask(folder / "img0.png", mask, labels)
    report = scan_dataset(folder)
    assert report.layout == "images + masks/" and report.ok
    assert report.class_names == list(labels.classes) and report.encoding.kind == "index"
    assert report.class_pixels[0] == 5 * 48 and report.ignored_pixels == 35 * 48
    assert [p[0].name for p in report.pairs] == ["img0.png"] and len(report.unpaired_images) == 2


def test_bad_class_names_are_refused(folder):
    store = LabelStore(folder)
    store.save_label_set(three_classes())
    for bad in ("", " padded", "a:b", "a,b", "#x"):
        with pytest.raises(FCNStudioError):
            store.add_class(bad)
    with pytest.raises(FCNStudioError, match="already"):
        store.rename_class(0, "crack")


def test_mask_is_a_palette_png_loaded_for_editing(folder):
    store = LabelStore(folder)
    labels = three_classes()
    mask = blank_mask((40, 48))
    mask[10:20, 5:9] = 2
    path = store.save_mask(folder / "img1.png", mask, labels)
    assert path == folder / "masks" / "img1.png"
    with Image.open(path) as im:
        assert im.mode == "P" and im.getpalette()[6:9] == [10, 200, 30]
    again = LabelStore(folder).load_mask(folder / "img1.png", (40, 48))
    assert np.array_equal(again, mask)
    assert store.labelled_images() == [(folder / "img1.png", path)]
    assert [p.name for p in store.unlabelled_images()] == ["img0.png", "img2.png"]
    with pytest.raises(FCNStudioError, match="48x40"):
        LabelStore(folder).load_mask(folder / "img1.png", (10, 10))


def test_existing_masks_are_not_overwritten_unasked(folder):
    labels = three_classes()
    theirs = np.zeros((40, 48), np.uint8)
    (folder / "masks").mkdir()
    Image.fromarray(theirs).save(folder / "masks" / "img0.png")
    store = LabelStore(folder)
    with pytest.raises(MaskExistsError):
        store.save_mask(folder / "img0.png", scribble(), labels)
    with pytest.raises(MaskExistsError):  # nor removed by a mask without labels
        store.save_mask(folder / "img0.png", blank_mask((40, 48)), labels)
    assert (store.load_mask(folder / "img0.png") == 0).all()  # untouched
    store.save_mask(folder / "img0.png", scribble(), labels)  # loaded here: ours to update
    Image.fromarray(theirs + 1).save(folder / "masks" / "img0.png")  # changed elsewhere since
    with pytest.raises(MaskExistsError):
        store.save_mask(folder / "img0.png", scribble(), labels)
    store.save_mask(folder / "img0.png", scribble(), labels, overwrite=True)
    assert store.load_mask(folder / "img0.png")[0, 0] == 1


def test_saves_honour_the_umask(folder):
    old = os.umask(0o027)
    try:
        path = LabelStore(folder).save_mask(folder / "img0.png", scribble(), three_classes())
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


_CHILD = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    from fcn_studio.labelling.label_store import LabelStore
    from fcn_studio.data.labels import LabelSet

    folder = sys.argv[1]
    labels = LabelSet("k", ("a", "b"), ((0, 0, 0), (255, 0, 0)))
    store = LabelStore(folder)
    store.load_mask(os.path.join(folder, "img0.png"))
    real_fsync = os.fsync

    def stall(fd):  # the new mask is written in full, not yet renamed: be killed here
        real_fsync(fd)
        print("written", flush=True)
        time.sleep(60)

    os.fsync = stall
    store.save_mask(os.path.join(folder, "img0.png"), np.ones((40, 48), np.uint8), labels)
    """
)


def test_a_save_killed_mid_write_leaves_the_previous_mask_intact(folder):
    store = LabelStore(folder)
    before = blank_mask((40, 48))
    before[3:7, 3:7] = 0
    path = store.save_mask(folder / "img0.png", before, three_classes())
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "written"
        temps = [p for p in (folder / "masks").iterdir() if p.name.startswith(".img0.png.")]
        assert temps, "the child was killed with the new mask written beside the old one"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert np.array_equal(LabelStore(folder).load_mask(folder / "img0.png"), before)
    assert scan_dataset(folder).pairs == [(folder / "img0.png", path)]  # the leftover is ignored


def test_an_images_folder_beside_masks_keeps_its_layout(tmp_path, image_factory):
    """A dataset root with images/ + masks/ and a stray picture at the top is not a
    Label-mode folder; a photo folder whose subfolder happens to be called train/ is."""
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    image_factory("images/a.png")
    Image.fromarray(np.zeros((40, 48), np.uint8)).save(tmp_path / "masks" / "a.png")
    image_factory("preview.png")
    assert scan_dataset(tmp_path).layout == "images/ + masks/"
    photos = tmp_path / "photos"
    (photos / "train").mkdir(parents=True)
    image_factory("photos/p.png")
    image_factory("photos/train/other.png")
    LabelStore(photos).save_mask(photos / "p.png", scribble(), three_classes())
    assert scan_dataset(photos).layout == "images + masks/"


def test_an_image_whose_name_ends_like_a_mask_suffix_finds_its_mask(folder, image_factory):
    image = image_factory("road_seg.png")
    store = LabelStore(folder)
    path = store.save_mask(image, scribble(), three_classes())
    assert (image, path) in store.labelled_images()


def test_a_mask_without_a_labelled_pixel_is_no_label(folder):
    """Undoing every stroke (or "Scribbles" over a start) leaves no mask behind for training
    and "Next uncertain" to count as labelled."""
    store, image = LabelStore(folder), folder / "img0.png"
    store.save_mask(image, scribble(), three_classes())
    assert store.labelled_images()
    store.save_mask(image, blank_mask((40, 48)), three_classes())
    assert not store.has_mask(image) and store.labelled_images() == []
    store.save_mask(image, blank_mask((40, 48)), three_classes())  # nothing there: nothing written
    assert not store.has_mask(image)


def test_a_renamed_folder_is_never_created_again(tmp_path, image_factory):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(2):
        image_factory(f"photos/img{i}.png", size=(48, 40), seed=i)
    store = LabelStore(folder)
    store.save_mask(folder / "img0.png", scribble(), three_classes())
    folder.rename(tmp_path / "photos-renamed")
    with pytest.raises(FolderGoneError):
        store.save_mask(folder / "img0.png", scribble(), three_classes())
    with pytest.raises(FolderGoneError):
        store.save_label_set(three_classes())
    with pytest.raises(FolderGoneError):
        store.save_mask(folder / "img1.png", scribble(), three_classes(), overwrite=True)
    assert not folder.exists(), "no ghost folder with masks/ in it"


def test_a_mask_deleted_outside_is_not_written_again_unasked(folder):
    store = LabelStore(folder)
    path = store.save_mask(folder / "img0.png", scribble(), three_classes())
    path.unlink()  # deleted in a file manager
    with pytest.raises(MaskDeletedError):
        store.save_mask(folder / "img0.png", scribble(), three_classes())
    assert not path.exists()
    store.save_mask(folder / "img0.png", blank_mask((40, 48)), three_classes())  # emptied: nothing is lost
    store.save_mask(folder / "img0.png", scribble(), three_classes(), overwrite=True)  # the user chose to keep it
    assert path.is_file()
    store.save_mask(folder / "img0.png", scribble(), three_classes())  # written here: its own again


def test_a_store_follows_its_folder_renamed_but_not_another_mask(tmp_path, image_factory):
    folder = tmp_path / "photos"
    folder.mkdir()
    image_factory("photos/img0.png", size=(48, 40))
    old = LabelStore(folder)
    old.save_mask(folder / "img0.png", scribble(), three_classes())
    folder.rename(tmp_path / "renamed")
    new = LabelStore(tmp_path / "renamed")
    new.follow(old, folder / "img0.png")
    new.save_mask(folder / "img0.png", scribble(), three_classes())  # the same file: updated
    other = LabelStore(tmp_path / "renamed")
    other.follow(LabelStore(tmp_path / "renamed"), folder / "img0.png")  # knows nothing of it
    with pytest.raises(MaskExistsError):
        other.save_mask(folder / "img0.png", scribble(), three_classes())
