"""Label mode: the open photo's prediction computes its backbone features once, even when
"Fine-tune on my labels" asks for them before the prediction has finished."""

from __future__ import annotations

import threading

import torch
from PySide6.QtCore import Qt

from fcn_studio.data.images import load_image
from fcn_studio.data.labels import generic_labels
from fcn_studio.gui.image.inference_worker import InferenceRequest, InferenceWorker
from fcn_studio.inference.predictor import DEFAULT_MAX_SIZE, Predictor
from fcn_studio.models.preprocessing import IMAGENET_RGB
from fcn_studio.storage.checkpoint import Checkpoint
from fcn_studio.training.feature_cache import FeatureCache


def test_a_round_asking_during_the_views_prediction_waits_for_its_features(random_model, image_factory):
    model = random_model("fcn8s", 3)
    predictor = Predictor(Checkpoint("fcn8s", 3, generic_labels(3), IMAGENET_RGB, model.state_dict()), "cpu")
    image = image_factory("p.png", size=(40, 32))
    cache = FeatureCache(None)
    worker = InferenceWorker(service=object())  # the model comes from _predictor below
    worker._predictor = lambda _request: (predictor, "identity")
    # Label mode's sink (label_mode._keep_features): the prediction's features into the cache
    worker.feature_sink = lambda path, p, pred: cache.hand_over(
        path, p.model, p.checkpoint.preprocessing, pred.features, pred.inference_size
    )
    inside, release = threading.Event(), threading.Event()
    predict = predictor.predict

    def slow_predict(*args, **kwargs):
        inside.set()
        release.wait(10)  # the user clicks "Fine-tune on my labels" now
        return predict(*args, **kwargs)

    predictor.predict = slow_predict
    results, failures = [], []
    worker.result_ready.connect(lambda *a: results.append(a), Qt.ConnectionType.DirectConnection)
    worker.failed.connect(lambda *a: failures.append(a), Qt.ConnectionType.DirectConnection)
    request = InferenceRequest(1, str(image), "m", "cpu", DEFAULT_MAX_SIZE, rgb=load_image(image))
    worker._latest = 1
    view = threading.Thread(target=worker._process, args=(request,))
    view.start()
    assert inside.wait(10)
    runs = []

    def round_backbone(x):
        runs.append(1)
        with torch.inference_mode():
            return predictor.model.backbone(x)

    threading.Timer(0.3, release.set).start()
    features = cache.features(image, predictor.model, IMAGENET_RGB, max_size=DEFAULT_MAX_SIZE, compute=round_backbone)
    view.join(30)
    assert results and not failures, failures
    assert runs == [] and cache.backbone_runs == 0, "the round waited for the view's pass"
    assert features.size == results[0][2].inference_size
