"""Other tools' annotation formats, read and written: class lists (classes.txt, labelme's
labels.txt, CVAT's labelmap.txt), labelme JSON, COCO instance annotations, VOC layout."""
