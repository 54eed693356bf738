"""The plain variant of the loop: random crops through the whole network (the backbone
trains, or stays frozen but still runs at every step), one process or a torchrun job
(DistributedDataParallel, each rank its shard of the data)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import nn

from fcn_studio.data.dataset import DatasetReport
from fcn_studio.data.metrics import ConfusionMatrix, Scores
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.inference import precision
from fcn_studio.messages import Message
from fcn_studio.models import FCN
from fcn_studio.models.preprocessing import Preprocessing
from fcn_studio.training import distributed
from fcn_studio.training.base_model import trainable_parameters
from fcn_studio.training.config import EventFn, MessageEvent, TrainConfig
from fcn_studio.training.data import SegmentationData, validation_encoding


def evaluate(
    model: FCN,
    data: SegmentationData,
    pre: Preprocessing,
    device: torch.device,
    num_classes: int,
    cancelled: Callable[[], bool] | None = None,
) -> Scores:
    """The four paper metrics over whole validation images, from one confusion matrix."""
    cm = ConfusionMatrix(num_classes)
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for i in distributed.context().shard_indices(len(data)):  # under torchrun: this rank's share
            if cancelled and cancelled():
                raise Cancelled()
            image, target = data[i]
            logits = model(pre.normalize(image[None].to(device)))
            cm.update(target.numpy(), logits.argmax(1)[0].cpu().numpy(), data.pairs[i][1].name)
    model.train(was_training)
    cm.hist = distributed.all_reduce_sum(cm.hist)  # the same matrix as one process's, on every rank
    return cm.scores()


def make_optimizer(params: list[nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    raise FCNStudioError("unknown optimizer {optimizer!r}: choose adam or sgd", optimizer=config.optimizer)


class PlainVariant:
    """Batches of augmented crops; one optimizer step per batch (mixed precision on CUDA)."""

    def __init__(
        self,
        config: TrainConfig,
        model: FCN,
        pre: Preprocessing,
        device: torch.device,
        report: DatasetReport,
        train_pairs: list,
        val_pairs: list,
        emit: EventFn,
    ) -> None:
        self.config, self.model, self.pre, self.device = config, model, pre, device
        self.num_classes = report.num_classes
        self.ctx = distributed.context()
        model.to(device).train()
        # fp16 AMP on CUDA, bf16 autocast on a CPU where it measured faster (inference/precision.py)
        self.mixed = precision.for_training(config.precision, device, amp=config.amp)
        precision.guard_for_autocast(model, self.mixed, device)
        emit(MessageEvent(Message("precision: {reason}", reason=self.mixed.reason)))
        params = trainable_parameters(model, config.freeze_backbone)
        self.net = distributed.wrap_model(model, device)  # the model itself in a single process
        self.optimizer = make_optimizer(params, config)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.mixed.precision == "fp16")  # bf16: no scaling
        self.loss_fn = nn.CrossEntropyLoss(ignore_index=255)
        self.report, self.train_pairs, self.emit = report, train_pairs, emit
        self.val_data = SegmentationData(
            val_pairs, validation_encoding(report, config, val_pairs), None, None, config.seed
        )
        self.start_data(0)

    def start_data(self, start_epoch: int) -> None:
        """The shuffling and augmentation streams of a run that starts after ``start_epoch``."""
        config = self.config
        torch.manual_seed(config.seed + start_epoch)
        self.train_data = SegmentationData(
            self.train_pairs,
            self.report.encoding,
            config.crop_size,
            config,
            config.seed + start_epoch + 7919 * self.ctx.rank,
        )
        self.loader, self.sampler = self._loader(start_epoch)
        self.iterations = len(self.loader)

    def after_resume(self, epoch: int) -> None:
        self.start_data(epoch)

    def _loader(
        self, start_epoch: int
    ) -> tuple[torch.utils.data.DataLoader, torch.utils.data.DistributedSampler | None]:
        """Batches of the training data. Under torchrun each rank draws its own shard
        (DistributedSampler, reshuffled per epoch with set_epoch; every rank gets as many
        batches), so the global batch is the per-rank batch times the world size."""
        data, config, ctx = self.train_data, self.config, self.ctx
        if not ctx.enabled:
            loader = torch.utils.data.DataLoader(
                data,
                batch_size=config.batch_size,
                shuffle=True,
                num_workers=0,
                generator=torch.Generator().manual_seed(config.seed + start_epoch),
                drop_last=len(data) > config.batch_size,
            )
            return loader, None
        sampler = torch.utils.data.DistributedSampler(
            data, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=config.seed + start_epoch
        )
        self.emit(
            MessageEvent(
                Message(
                    "{world_size} processes ({backend}): batch {batch_size} per process, global batch {global_batch}; {n} training images per process",
                    world_size=ctx.world_size,
                    backend=ctx.backend,
                    batch_size=config.batch_size,
                    global_batch=config.batch_size * ctx.world_size,
                    n=len(sampler),
                )
            )
        )
        loader = torch.utils.data.DataLoader(
            data,
            batch_size=config.batch_size,
            sampler=sampler,
            num_workers=0,
            drop_last=len(sampler) > config.batch_size,
        )
        return loader, sampler

    def steps(self, epoch: int, cancelled: Callable[[], bool]) -> Iterator[tuple[float | None, int]]:
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        device = self.device
        for images, targets in self.loader:
            if cancelled():
                raise Cancelled()
            images = self.pre.normalize(images.to(device, non_blocking=True))
            targets = targets.to(device, non_blocking=True)
            with precision.autocast(self.mixed, device):
                loss = self.loss_fn(self.net(images).float(), targets)
            if not torch.isfinite(loss):
                raise FCNStudioError(
                    "the loss became {loss} at epoch {epoch}: lower the learning rate",
                    fix="lr",
                    loss=loss.item(),
                    epoch=epoch,
                )
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            yield loss.item(), images.shape[0]

    def validate(self, cancelled: Callable[[], bool]) -> Scores | None:
        if not len(self.val_data):
            return None
        return evaluate(self.model, self.val_data, self.pre, self.device, self.num_classes, cancelled)

    def sync(self) -> None:
        """The model trains in place."""
