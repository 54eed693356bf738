<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Actions</name>
    <message>
        <source>Filled</source>
        <translation>填充</translation>
    </message>
    <message>
        <source>Contours</source>
        <translation>轮廓</translation>
    </message>
    <message>
        <source>Uncertainty (1 − confidence)</source>
        <translation>不确定度 (1 − 置信度)</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Overlay: {mode} ({key})</source>
        <translation>叠加层：{mode} ({key})</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <source>Open images (Ctrl+O)</source>
        <translation>打开图像 (Ctrl+O)</translation>
    </message>
    <message>
        <source>Open &amp;Folder…</source>
        <translation>打开文件夹(&amp;F)…</translation>
    </message>
    <message>
        <source>Open a folder of images</source>
        <translation>打开图像文件夹</translation>
    </message>
    <message>
        <source>&amp;Save Mask…</source>
        <translation>保存掩码(&amp;S)…</translation>
    </message>
    <message>
        <source>Save the mask as a palette PNG</source>
        <translation>将掩码保存为调色板 PNG</translation>
    </message>
    <message>
        <source>Export Overla&amp;y…</source>
        <translation>导出叠加图(&amp;Y)…</translation>
    </message>
    <message>
        <source>Save the image with its overlay</source>
        <translation>保存带叠加层的图像</translation>
    </message>
    <message>
        <source>Pixels per class as CSV</source>
        <translation>各类别像素数，保存为 CSV</translation>
    </message>
    <message>
        <source>Segment every image in a folder</source>
        <translation>分割文件夹中的所有图像</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Next Image</source>
        <translation>下一张(&amp;N)</translation>
    </message>
    <message>
        <source>Next image in the folder</source>
        <translation>文件夹中的下一张图像</translation>
    </message>
    <message>
        <source>&amp;Previous Image</source>
        <translation>上一张(&amp;P)</translation>
    </message>
    <message>
        <source>Previous image in the folder</source>
        <translation>文件夹中的上一张图像</translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation>放大(&amp;I)</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>Export Class S&amp;tatistics (CSV)…</source>
        <translation>导出类别统计 (CSV)(&amp;T)…</translation>
    </message>
    <message>
        <source>Se&amp;gment Folder…</source>
        <translation>分割文件夹(&amp;G)…</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>Zoom O&amp;ut</source>
        <translation>缩小(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Fit to Window</source>
        <translation>适应窗口(&amp;F)</translation>
    </message>
    <message>
        <source>Fit the image to the window</source>
        <translation>使图像适应窗口大小</translation>
    </message>
    <message>
        <source>&amp;Actual Size (1:1)</source>
        <translation>实际大小 (1:1)(&amp;A)</translation>
    </message>
    <message>
        <source>One image pixel per screen pixel</source>
        <translation>一个图像像素对应一个屏幕像素</translation>
    </message>
    <message>
        <source>&amp;Models…</source>
        <translation>模型(&amp;M)…</translation>
    </message>
    <message>
        <source>Download, import or remove weights</source>
        <translation>下载、导入或删除权重</translation>
    </message>
    <message>
        <source>&amp;Import Weights File…</source>
        <translation>导入权重文件(&amp;I)…</translation>
    </message>
    <message>
        <source>Install a .pth or .safetensors file</source>
        <translation>安装 .pth 或 .safetensors 文件</translation>
    </message>
    <message>
        <source>&amp;Fine-tune on Your Data…</source>
        <translation>在自己的数据上微调(&amp;F)…</translation>
    </message>
    <message>
        <source>Train a model on a folder of images and masks</source>
        <translation>用一个包含图像和掩码的文件夹训练模型</translation>
    </message>
    <message>
        <source>&amp;About FCN Studio</source>
        <translation>关于 FCN Studio(&amp;A)</translation>
    </message>
    <message>
        <source>Show &amp;Log</source>
        <translation>显示日志(&amp;L)</translation>
    </message>
    <message>
        <source>The app&apos;s log file, and where crash reports go</source>
        <translation>应用的日志文件，以及崩溃报告保存的位置</translation>
    </message>
    <message>
        <source>&amp;Keyboard Shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>Every key the app understands</source>
        <translation>应用支持的所有按键</translation>
    </message>
    <message>
        <source>&amp;Play / Pause</source>
        <translation>播放 / 暂停(&amp;P)</translation>
    </message>
    <message>
        <source>Play or pause the video</source>
        <translation>播放或暂停视频</translation>
    </message>
    <message>
        <source>Previous &amp;Frame</source>
        <translation>上一帧(&amp;F)</translation>
    </message>
    <message>
        <source>One frame back</source>
        <translation>后退一帧</translation>
    </message>
    <message>
        <source>Next F&amp;rame</source>
        <translation>下一帧(&amp;R)</translation>
    </message>
    <message>
        <source>One frame forward</source>
        <translation>前进一帧</translation>
    </message>
    <message>
        <source>Export Segmented &amp;Video…</source>
        <translation>导出分割视频(&amp;V)…</translation>
    </message>
    <message>
        <source>Write the video with its segmentation</source>
        <translation>写出带分割结果的视频</translation>
    </message>
    <message>
        <source>Open &amp;Camera</source>
        <translation>打开摄像头(&amp;C)</translation>
    </message>
    <message>
        <source>Segment the webcam live</source>
        <translation>实时分割摄像头画面</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>F&amp;ast Mode (int8, Approximate)</source>
        <translation>快速模式（int8，近似）(&amp;A)</translation>
    </message>
    <message>
        <source>On a CPU: an int8 model, about 1.8x faster, with approximate labels, for images and video playback. It is calibrated on a few of the open images (or video frames) once per model; the status bar shows its measured agreement with the exact model.</source>
        <translation>在 CPU 上使用 int8 模型：约快 1.8 倍，标签为近似结果，适用于图像和视频播放。每个模型只需用几张已打开的图像（或视频帧）校准一次；状态栏显示它与精确模型的实测一致率。</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Vi&amp;deo</source>
        <translation>视频(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Overlay</source>
        <translation>叠加层(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Models</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
</context>
<context>
    <name>Architecture</name>
    <message>
        <source>FCN-8s at-once</source>
        <translation>FCN-8s（一步训练）</translation>
    </message>
</context>
<context>
    <name>AtRiskQuestion</name>
    <message>
        <source>Labels not saved</source>
        <translation>标注未保存</translation>
    </message>
    <message>
        <source>The labels of {image} are kept in memory. Save them in a folder you choose, or discard them?</source>
        <translation>{image} 的标注仍保留在内存中。要将其保存到您选择的文件夹，还是丢弃？</translation>
    </message>
    <message>
        <source>Save in a Folder…</source>
        <translation>保存到文件夹…</translation>
    </message>
    <message>
        <source>Write the labels of {image} again, or leave the mask deleted and discard them?</source>
        <translation>重新写入 {image} 的标注，还是保持掩码已删除并丢弃这些标注？</translation>
    </message>
    <message>
        <source>Write Them Again</source>
        <translation>重新写入</translation>
    </message>
    <message>
        <source>Discard Them</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <source>Save the labels of {image} in</source>
        <translation>将 {image} 的标注保存到</translation>
    </message>
</context>
<context>
    <name>BackgroundTask</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>{task} is still running. Cancel it and quit?</source>
        <translation>“{task}”仍在进行。要取消它并退出吗？</translation>
    </message>
</context>
<context>
    <name>ClassEditor</name>
    <message>
        <source>Add a class</source>
        <translation>添加类别</translation>
    </message>
    <message>
        <source>Name of the new class:</source>
        <translation>新类别的名称：</translation>
    </message>
    <message>
        <source>Rename a class</source>
        <translation>重命名类别</translation>
    </message>
    <message>
        <source>New name:</source>
        <translation>新名称：</translation>
    </message>
    <message>
        <source>Class colour</source>
        <translation>类别颜色</translation>
    </message>
    <message>
        <source>New label set</source>
        <translation>新建类别集</translation>
    </message>
    <message>
        <source>This folder already has masks; their class ids will mean the new classes. Go on?</source>
        <translation>此文件夹已有掩码；其中的类别编号将对应新的类别。继续吗？</translation>
    </message>
    <message>
        <source>Class names, separated by commas:</source>
        <translation>类别名称，用逗号分隔：</translation>
    </message>
</context>
<context>
    <name>ClassMapDialog</name>
    <message>
        <source>From prediction</source>
        <translation>从预测开始</translation>
    </message>
    <message>
        <source>None of the classes the model predicts here is in this folder&apos;s label set. Choose what each becomes, or use the model&apos;s classes for this folder.</source>
        <translation>模型在此图像上预测的类别都不在此文件夹的类别集中。请为每个类别选择对应的类别，或让此文件夹使用模型的类别。</translation>
    </message>
    <message>
        <source>unlabelled</source>
        <translation>未标注</translation>
    </message>
    <message>
        <source>Use the model&apos;s classes</source>
        <translation>使用模型的类别</translation>
    </message>
</context>
<context>
    <name>ClassName</name>
    <message>
        <source>background</source>
        <translation>背景</translation>
    </message>
    <message>
        <source>aeroplane</source>
        <translation>飞机</translation>
    </message>
    <message>
        <source>bicycle</source>
        <translation>自行车</translation>
    </message>
    <message>
        <source>bird</source>
        <translation>鸟</translation>
    </message>
    <message>
        <source>boat</source>
        <translation>船</translation>
    </message>
    <message>
        <source>bottle</source>
        <translation>瓶子</translation>
    </message>
    <message>
        <source>bus</source>
        <translation>公交车</translation>
    </message>
    <message>
        <source>car</source>
        <translation>汽车</translation>
    </message>
    <message>
        <source>cat</source>
        <translation>猫</translation>
    </message>
    <message>
        <source>chair</source>
        <translation>椅子</translation>
    </message>
    <message>
        <source>cow</source>
        <translation>牛</translation>
    </message>
    <message>
        <source>diningtable</source>
        <translation>餐桌</translation>
    </message>
    <message>
        <source>dog</source>
        <translation>狗</translation>
    </message>
    <message>
        <source>horse</source>
        <translation>马</translation>
    </message>
    <message>
        <source>motorbike</source>
        <translation>摩托车</translation>
    </message>
    <message>
        <source>person</source>
        <translation>人</translation>
    </message>
    <message>
        <source>pottedplant</source>
        <translation>盆栽植物</translation>
    </message>
    <message>
        <source>sheep</source>
        <translation>羊</translation>
    </message>
    <message>
        <source>sofa</source>
        <translation>沙发</translation>
    </message>
    <message>
        <source>train</source>
        <translation>火车</translation>
    </message>
    <message>
        <source>tvmonitor</source>
        <translation>电视/显示器</translation>
    </message>
    <message>
        <source>ignore</source>
        <translation>忽略</translation>
    </message>
    <message>
        <source>class {id}</source>
        <translation>类别 {id}</translation>
    </message>
    <message>
        <source>label {id}</source>
        <translation>标签 {id}</translation>
    </message>
</context>
<context>
    <name>ComparePane</name>
    <message>
        <source>  (not installed)</source>
        <translation>  (未安装)</translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source>Overlay</source>
        <translation>叠加层</translation>
    </message>
    <message>
        <source>Disagreement</source>
        <translation>不一致区域</translation>
    </message>
    <message>
        <source>Errors vs ground truth</source>
        <translation>与真值不符的像素</translation>
    </message>
    <message>
        <source>Ground truth: none</source>
        <translation>真值：无</translation>
    </message>
    <message>
        <source>Choose ground truth…</source>
        <translation>选择真值掩码…</translation>
    </message>
    <message>
        <source>Export comparison…</source>
        <translation>导出对比图…</translation>
    </message>
    <message>
        <source>Panes</source>
        <translation>窗格数</translation>
    </message>
    <message>
        <source>  Show</source>
        <translation>  显示</translation>
    </message>
    <message>
        <source>no model</source>
        <translation>无模型</translation>
    </message>
    <message>
        <source>not installed: Models → Download {id}</source>
        <translation>未安装：模型 → 下载 {id}</translation>
    </message>
    <message>
        <source>waiting…</source>
        <translation>等待中…</translation>
    </message>
    <message>
        <source>  ·  acc {acc:.1f} %  mIoU {miou:.1f} %</source>
        <translation>  ·  像素准确率 {acc:.1f} %  mIoU {miou:.1f} %</translation>
    </message>
    <message>
        <source>No ground truth for this image: choose one to see errors.</source>
        <translation>此图像没有真值掩码：请选择一个以查看错误。</translation>
    </message>
    <message>
        <source>Agreement  {pairs}</source>
        <translation>一致率  {pairs}</translation>
    </message>
    <message>
        <source>  (truth: {name})</source>
        <translation>  (真值：{name})</translation>
    </message>
    <message>
        <source>{path}: the mask&apos;s size differs from the image&apos;s; ignored</source>
        <translation>{path}：掩码尺寸与图像不同，已忽略</translation>
    </message>
    <message>
        <source>Ground truth: {name}, {percent:.0f} % labelled</source>
        <translation>真值：{name}，已标注 {percent:.0f} %</translation>
    </message>
    <message>
        <source>Ground-truth mask</source>
        <translation>真值掩码</translation>
    </message>
    <message>
        <source>Masks (*.png *.gif *.bmp *.tif)</source>
        <translation>掩码 (*.png *.gif *.bmp *.tif)</translation>
    </message>
    <message>
        <source>Export comparison</source>
        <translation>导出对比图</translation>
    </message>
    <message>
        <source>Nothing to export yet: wait for the panes to fill in.</source>
        <translation>暂无可导出的内容：请等待各窗格完成分割。</translation>
    </message>
    <message>
        <source>Writing {path}…</source>
        <translation>正在写入 {path}…</translation>
    </message>
    <message>
        <source>ground truth</source>
        <translation>真值</translation>
    </message>
</context>
<context>
    <name>CoreText</name>
    <message>
        <source>CPU ({n} threads)</source>
        <translation>CPU（{n} 线程）</translation>
    </message>
</context>
<context>
    <name>Crash</name>
    <message>
        <source>Something went wrong</source>
        <translation>出现了问题</translation>
    </message>
    <message>
        <source>FCN Studio hit an error it did not expect: {summary}</source>
        <translation>FCN Studio 遇到了意外错误：{summary}</translation>
    </message>
    <message>
        <source>The app keeps running; if something looks wrong, save your work and restart it.</source>
        <translation>应用仍在运行；如有异常，请保存工作并重新启动。</translation>
    </message>
    <message>
        <source>A crash report was written to:
{path}</source>
        <translation>崩溃报告已写入：
{path}</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>The log file is {path}
(crash reports are written beside it).</source>
        <translation>日志文件为 {path}
（崩溃报告写在它旁边）。</translation>
    </message>
</context>
<context>
    <name>DevicePicker</name>
    <message>
        <source>Auto (GPU if available)</source>
        <translation>自动（有 GPU 时用 GPU）</translation>
    </message>
    <message>
        <source>CUDA GPU</source>
        <translation>CUDA GPU</translation>
    </message>
    <message>
        <source>Where inference runs; CUDA falls back to the CPU with a message if unavailable</source>
        <translation>推理运行的设备；CUDA 不可用时会提示并改用 CPU</translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message>
        <source>{name} is the image itself: choose another name.</source>
        <translation>{name} 就是图像本身：请换一个文件名。</translation>
    </message>
    <message>
        <source>Save mask</source>
        <translation>保存掩码</translation>
    </message>
    <message>
        <source>Palette PNG (*.png)</source>
        <translation>调色板 PNG (*.png)</translation>
    </message>
    <message>
        <source>Export overlay</source>
        <translation>导出叠加图</translation>
    </message>
    <message>
        <source>Export class statistics</source>
        <translation>导出类别统计</translation>
    </message>
    <message>
        <source>Segment folder</source>
        <translation>分割文件夹</translation>
    </message>
    <message>
        <source>Install or import a model first (Models menu).</source>
        <translation>请先安装或导入模型（“模型”菜单）。</translation>
    </message>
    <message>
        <source>Folder of images to segment</source>
        <translation>要分割的图像文件夹</translation>
    </message>
    <message>
        <source>No images in {folder}.</source>
        <translation>{folder} 中没有图像。</translation>
    </message>
    <message>
        <source>Output folder for the masks</source>
        <translation>掩码的输出文件夹</translation>
    </message>
    <message>
        <source>{n} mask(s) already exist in {folder} (e.g. {name}).</source>
        <translation>{folder} 中已有 {n} 个掩码（例如 {name}）。</translation>
    </message>
    <message>
        <source>Overwrite</source>
        <translation>覆盖</translation>
    </message>
    <message>
        <source>Skip existing</source>
        <translation>跳过已有文件</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Segmenting {n} {n:image|images} into {folder}</source>
        <translation>正在分割 {n} 张图像，输出到 {folder}</translation>
    </message>
</context>
<context>
    <name>Exporter</name>
    <message>
        <source>Saved {path}</source>
        <translation>已保存 {path}</translation>
    </message>
    <message>
        <source>Wrote {n} mask(s)</source>
        <translation>已写出 {n} 个掩码</translation>
    </message>
    <message>
        <source>, kept {n} existing</source>
        <translation>，保留了 {n} 个已有文件</translation>
    </message>
    <message>
        <source> ({rate:.2f} images/s)</source>
        <translation>（{rate:.2f} 张/秒）</translation>
    </message>
    <message>
        <source>; {n} file(s) failed:</source>
        <translation>；{n} 个文件失败：</translation>
    </message>
    <message>
        <source>Segment folder</source>
        <translation>分割文件夹</translation>
    </message>
    <message>
        <source>Export video</source>
        <translation>导出视频</translation>
    </message>
    <message>
        <source>Open a video file first.</source>
        <translation>请先打开一个视频文件。</translation>
    </message>
</context>
<context>
    <name>FileOpener</name>
    <message>
        <source>Open images</source>
        <translation>打开图像</translation>
    </message>
    <message>
        <source>Open a folder of images</source>
        <translation>打开图像文件夹</translation>
    </message>
    <message>
        <source>Clear Menu</source>
        <translation>清空菜单</translation>
    </message>
</context>
<context>
    <name>FineTuneControl</name>
    <message>
        <source>Fine-tuning on the labels of {folder}…</source>
        <translation>正在用 {folder} 的标注微调…</translation>
    </message>
    <message>
        <source>Fine-tuning cancelled</source>
        <translation>微调已取消</translation>
    </message>
    <message>
        <source>Fine-tuning {pct:.0f} %: {note}</source>
        <translation>微调 {pct:.0f} %：{note}</translation>
    </message>
    <message>
        <source>Features held for {n} {n:image|images}: {mb} MB (at most {cap} MB; the oldest leave first).</source>
        <translation>已保存 {n} 张图像的特征：{mb} MB（上限 {cap} MB；最早的先移出）。</translation>
    </message>
    <message>
        <source>No fine-tuning yet.</source>
        <translation>尚未微调。</translation>
    </message>
    <message>
        <source>In use: {version}, the base model.</source>
        <translation>正在使用：{version}（基础模型）。</translation>
    </message>
    <message>
        <source>In use: {version}, held-out mean IoU {miou:.1f} % when it was trained.</source>
        <translation>正在使用：{version}，训练时留出集平均 IoU 为 {miou:.1f} %。</translation>
    </message>
    <message>
        <source>In use: {version} (no held-out score recorded).</source>
        <translation>正在使用：{version}（未记录留出集分数）。</translation>
    </message>
</context>
<context>
    <name>ImageView</name>
    <message>
        <source>Camera</source>
        <translation>摄像头</translation>
    </message>
</context>
<context>
    <name>InferenceWorker</name>
    <message>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <source>Segmenting {name} with {model}…</source>
        <translation>正在用 {model} 分割 {name}…</translation>
    </message>
    <message>
        <source>{name}: out of memory; lower the inference size</source>
        <translation>{name}：内存不足；请降低推理尺寸</translation>
    </message>
    <message>
        <source>Loading model {model}…</source>
        <translation>正在加载模型 {model}…</translation>
    </message>
</context>
<context>
    <name>LabelActions</name>
    <message>
        <source>&amp;Label Mode</source>
        <translation>标注模式(&amp;L)</translation>
    </message>
    <message>
        <source>Paint labels over the image (L)</source>
        <translation>在图像上绘制标注（L）</translation>
    </message>
    <message>
        <source>Li&amp;ve Update</source>
        <translation>实时更新(&amp;V)</translation>
    </message>
    <message>
        <source>After each stroke, a quick update of the prediction</source>
        <translation>每一笔之后快速更新预测</translation>
    </message>
    <message>
        <source>Paint Class {n}</source>
        <translation>绘制第 {n} 类</translation>
    </message>
    <message>
        <source>&amp;Brush</source>
        <translation>画笔(&amp;B)</translation>
    </message>
    <message>
        <source>Paint the active class (B)</source>
        <translation>绘制当前类别（B）</translation>
    </message>
    <message>
        <source>&amp;Eraser</source>
        <translation>橡皮擦(&amp;E)</translation>
    </message>
    <message>
        <source>Back to unlabelled (E)</source>
        <translation>恢复为未标注（E）</translation>
    </message>
    <message>
        <source>&amp;Fill</source>
        <translation>填充(&amp;F)</translation>
    </message>
    <message>
        <source>Fill a connected region with the active class (G)</source>
        <translation>用当前类别填充连通区域（G）</translation>
    </message>
    <message>
        <source>&amp;Polygon</source>
        <translation>多边形(&amp;P)</translation>
    </message>
    <message>
        <source>Click corners, double-click or Enter to fill; or drag a lasso (P)</source>
        <translation>单击各顶点，双击或按回车填充；或拖动画出套索（P）</translation>
    </message>
    <message>
        <source>Smaller Brush</source>
        <translation>缩小画笔</translation>
    </message>
    <message>
        <source>Smaller brush ([)</source>
        <translation>缩小画笔（[）</translation>
    </message>
    <message>
        <source>Bigger Brush</source>
        <translation>放大画笔</translation>
    </message>
    <message>
        <source>Bigger brush (])</source>
        <translation>放大画笔（]）</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>Undo (Ctrl+Z)</source>
        <translation>撤销（Ctrl+Z）</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>Redo (Ctrl+Shift+Z)</source>
        <translation>重做（Ctrl+Shift+Z）</translation>
    </message>
    <message>
        <source>Labels / Prediction / Both</source>
        <translation>标注 / 预测 / 两者</translation>
    </message>
    <message>
        <source>Show labels, prediction or both (V)</source>
        <translation>显示标注、预测或两者（V）</translation>
    </message>
    <message>
        <source>Fine-&amp;tune on My Labels</source>
        <translation>在我的标注上微调(&amp;T)</translation>
    </message>
    <message>
        <source>Ne&amp;xt Uncertain Image</source>
        <translation>下一张不确定的图像(&amp;X)</translation>
    </message>
    <message>
        <source>Train on every labelled image of this folder, in the background</source>
        <translation>在后台用此文件夹中所有已标注的图像训练</translation>
    </message>
    <message>
        <source>Open the unlabelled image the model is least sure about (N)</source>
        <translation>打开模型最没有把握的未标注图像（N）</translation>
    </message>
    <message>
        <source>&amp;Label</source>
        <translation>标注(&amp;L)</translation>
    </message>
    <message>
        <source>Label</source>
        <translation>标注</translation>
    </message>
</context>
<context>
    <name>LabelExport</name>
    <message>
        <source>VOC (JPEGImages, SegmentationClass, class_names.txt, ImageSets)</source>
        <translation>VOC（JPEGImages、SegmentationClass、class_names.txt、ImageSets）</translation>
    </message>
    <message>
        <source>COCO (annotations.json, RLE)</source>
        <translation>COCO（annotations.json，RLE）</translation>
    </message>
    <message>
        <source>labelme (JSON polygons per image)</source>
        <translation>labelme（每张图像一个 JSON 多边形文件）</translation>
    </message>
    <message>
        <source>Export &amp;Labels As…</source>
        <translation>导出标注为(&amp;L)…</translation>
    </message>
    <message>
        <source>Write the labelled images of this folder as VOC, COCO or labelme</source>
        <translation>将此文件夹中已标注的图像导出为 VOC、COCO 或 labelme 格式</translation>
    </message>
    <message>
        <source>Open an image of the labelled folder first.</source>
        <translation>请先打开已标注文件夹中的一张图像。</translation>
    </message>
    <message>
        <source>Export Labels As</source>
        <translation>导出标注为</translation>
    </message>
    <message>
        <source>Format:</source>
        <translation>格式：</translation>
    </message>
    <message>
        <source>An empty folder for the exported labels</source>
        <translation>用于存放导出标注的空文件夹</translation>
    </message>
    <message>
        <source>Exporting labels</source>
        <translation>正在导出标注</translation>
    </message>
    <message>
        <source>{n} labelled {n:image|images} written to {out}.</source>
        <translation>已将 {n} 张已标注图像写入 {out}。</translation>
    </message>
</context>
<context>
    <name>LabelMode</name>
    <message>
        <source>From prediction</source>
        <translation>从预测开始</translation>
    </message>
    <message>
        <source>Live prediction updated {s:.2f} s after the stroke</source>
        <translation>实时预测已在落笔后 {s:.2f} 秒更新</translation>
    </message>
</context>
<context>
    <name>LabelPanel</name>
    <message>
        <source>Labels</source>
        <translation>标注</translation>
    </message>
    <message>
        <source>Start this image</source>
        <translation>开始标注此图像</translation>
    </message>
    <message>
        <source>Scribbles</source>
        <translation>涂抹</translation>
    </message>
    <message>
        <source>Everything unlabelled: paint a few strokes per class</source>
        <translation>全部设为未标注：每个类别画几笔即可</translation>
    </message>
    <message>
        <source>From prediction</source>
        <translation>从预测开始</translation>
    </message>
    <message>
        <source>The model&apos;s mask becomes the labels: fix the wrong regions</source>
        <translation>以模型的掩码作为标注：修正错误的区域</translation>
    </message>
    <message>
        <source>Classes (keys 0–9)</source>
        <translation>类别（按键 0–9）</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <source>Colour…</source>
        <translation>颜色…</translation>
    </message>
    <message>
        <source>New set…</source>
        <translation>新建类别集…</translation>
    </message>
    <message>
        <source>A label set of its own for this folder, e.g. background, crack, rust</source>
        <translation>为此文件夹建立独立的类别集，例如：背景、裂缝、锈蚀</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <source>Brush radius</source>
        <translation>画笔半径</translation>
    </message>
    <message>
        <source>Brush and eraser radius in image pixels ([ and ])</source>
        <translation>画笔和橡皮擦的半径，以图像像素计（[ 和 ]）</translation>
    </message>
    <message>
        <source>Fill</source>
        <translation>填充</translation>
    </message>
    <message>
        <source>a region of the labels</source>
        <translation>标注中的区域</translation>
    </message>
    <message>
        <source>a region of the prediction</source>
        <translation>预测中的区域</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Labels and prediction</source>
        <translation>标注和预测</translation>
    </message>
    <message>
        <source>Prediction</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>Fine-tune</source>
        <translation>微调</translation>
    </message>
    <message>
        <source>Fine-tune on my labels</source>
        <translation>在我的标注上微调</translation>
    </message>
    <message>
        <source>Live: update after each stroke</source>
        <translation>实时：每一笔后更新</translation>
    </message>
    <message>
        <source>After each stroke, a quick update of the prediction</source>
        <translation>每一笔之后快速更新预测</translation>
    </message>
    <message>
        <source>Painting: {id} {name}</source>
        <translation>正在绘制：{id} {name}</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Go back to any earlier version of this model</source>
        <translation>回到此模型的任一早期版本</translation>
    </message>
    <message>
        <source>No fine-tuning yet.</source>
        <translation>尚未微调。</translation>
    </message>
    <message>
        <source>{r} px</source>
        <translation>{r} 像素</translation>
    </message>
    <message>
        <source>Cancel fine-tuning</source>
        <translation>取消微调</translation>
    </message>
</context>
<context>
    <name>LabelSession</name>
    <message>
        <source>The labels of {image} were kept in {path}</source>
        <translation>{image} 的标注已保存在 {path}</translation>
    </message>
</context>
<context>
    <name>LabelSet</name>
    <message>
        <source>VOC classes</source>
        <translation>VOC 类别</translation>
    </message>
    <message>
        <source>{n} {n:class|classes}</source>
        <translation>{n} 个类别</translation>
    </message>
</context>
<context>
    <name>Language</name>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>FCN Studio shows the new language after a restart. Restart now?</source>
        <translation>重新启动后 FCN Studio 将使用新的语言。现在重新启动吗？</translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation>立即重启</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>稍后</translation>
    </message>
</context>
<context>
    <name>LegendDock</name>
    <message>
        <source>Legend</source>
        <translation>图例</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>占比</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>全部显示</translation>
    </message>
    <message>
        <source>Only selected</source>
        <translation>仅显示所选</translation>
    </message>
    <message>
        <source>Show only the selected class (or double-click a class)</source>
        <translation>仅显示所选类别（或双击某个类别）</translation>
    </message>
    <message>
        <source>{name}: {pixels:,} pixels</source>
        <translation>{name}：{pixels:,} 像素</translation>
    </message>
    <message>
        <source>Show only this class</source>
        <translation>仅显示此类别</translation>
    </message>
    <message>
        <source>Show all classes</source>
        <translation>显示所有类别</translation>
    </message>
</context>
<context>
    <name>LinePlot</name>
    <message>
        <source>   last {value:.4g}</source>
        <translation>   最新 {value:.4g}</translation>
    </message>
    <message>
        <source>waiting for data</source>
        <translation>等待数据</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Images and videos ({images} {videos});;Images ({images});;Videos ({videos});;All files (*)</source>
        <translation>图像和视频 ({images} {videos});;图像 ({images});;视频 ({videos});;所有文件 (*)</translation>
    </message>
    <message>
        <source>Open an image (Ctrl+O) or a folder (Ctrl+Shift+O), or drop files here.</source>
        <translation>打开图像 (Ctrl+O) 或文件夹 (Ctrl+Shift+O)，或将文件拖放到这里。</translation>
    </message>
    <message>
        <source>Image</source>
        <translation>图像</translation>
    </message>
    <message>
        <source>Compare models</source>
        <translation>模型对比</translation>
    </message>
    <message>
        <source>Quit FCN Studio</source>
        <translation>退出 FCN Studio</translation>
    </message>
    <message>
        <source>A fine-tune is running. Quit and stop it? Its checkpoints are kept; Resume continues it later.</source>
        <translation>微调正在进行。退出并停止它吗？检查点会保留，之后可用“继续”接着训练。</translation>
    </message>
    <message>
        <source>Quitting: stopping background work…</source>
        <translation>正在退出：停止后台任务…</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source> Model </source>
        <translation> 模型 </translation>
    </message>
    <message>
        <source> Device </source>
        <translation> 设备 </translation>
    </message>
    <message>
        <source> Inference size </source>
        <translation> 推理尺寸 </translation>
    </message>
    <message>
        <source>Overlay</source>
        <translation>叠加层</translation>
    </message>
    <message>
        <source> Overlay </source>
        <translation> 叠加层 </translation>
    </message>
    <message>
        <source> Opacity </source>
        <translation> 不透明度 </translation>
    </message>
    <message>
        <source>Overlay opacity</source>
        <translation>叠加层不透明度</translation>
    </message>
    <message>
        <source>About FCN Studio</source>
        <translation>关于 FCN Studio</translation>
    </message>
    <message>
        <source>Semantic segmentation with FCN-32s/16s/8s (Long, Shelhamer, Darrell, CVPR 2015).</source>
        <translation>基于 FCN-32s/16s/8s 的语义分割（Long, Shelhamer, Darrell, CVPR 2015）。</translation>
    </message>
</context>
<context>
    <name>ModelActions</name>
    <message>
        <source>No model</source>
        <translation>无模型</translation>
    </message>
    <message>
        <source>Import weights files</source>
        <translation>导入权重文件</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>Model used to segment the image</source>
        <translation>用于分割图像的模型</translation>
    </message>
    <message>
        <source>No model installed</source>
        <translation>未安装模型</translation>
    </message>
</context>
<context>
    <name>ModelTitle</name>
    <message>
        <source>FCN-8s, PASCAL VOC (converted from the original Caffe model)</source>
        <translation>FCN-8s，PASCAL VOC（由原始 Caffe 模型转换）</translation>
    </message>
    <message>
        <source>FCN-16s, PASCAL VOC (converted from the original Caffe model)</source>
        <translation>FCN-16s，PASCAL VOC（由原始 Caffe 模型转换）</translation>
    </message>
    <message>
        <source>FCN-32s, PASCAL VOC (converted from the original Caffe model)</source>
        <translation>FCN-32s，PASCAL VOC（由原始 Caffe 模型转换）</translation>
    </message>
    <message>
        <source>VGG16 ImageNet classifier (torchvision IMAGENET1K_V1), a base for fine-tuning</source>
        <translation>VGG16 ImageNet 分类器（torchvision IMAGENET1K_V1），用作微调的基础</translation>
    </message>
    <message>
        <source>VGG16 ImageNet classifier converted from Caffe (the FCN paper&apos;s initialisation)</source>
        <translation>由 Caffe 转换的 VGG16 ImageNet 分类器（FCN 论文使用的初始化）</translation>
    </message>
    <message>
        <source>Long, Shelhamer, Darrell (fcn.berkeleyvision.org), converted by wkentaro/pytorch-fcn</source>
        <translation>Long、Shelhamer、Darrell（fcn.berkeleyvision.org），由 wkentaro/pytorch-fcn 转换</translation>
    </message>
    <message>
        <source>torchvision (Simonyan and Zisserman, VGG16)</source>
        <translation>torchvision（Simonyan 和 Zisserman，VGG16）</translation>
    </message>
    <message>
        <source>Simonyan and Zisserman, converted by wkentaro/pytorch-fcn</source>
        <translation>Simonyan 和 Zisserman，由 wkentaro/pytorch-fcn 转换</translation>
    </message>
</context>
<context>
    <name>NextUncertain</name>
    <message>
        <source>Ranking the unlabelled images of {folder}…</source>
        <translation>正在为 {folder} 中未标注的图像排序…</translation>
    </message>
    <message>
        <source>Ranking {done}/{total}: {note}</source>
        <translation>排序 {done}/{total}：{note}</translation>
    </message>
    <message>
        <source>Every image of this folder has labels.</source>
        <translation>此文件夹中的每张图像都已标注。</translation>
    </message>
</context>
<context>
    <name>NoModelBanner</name>
    <message>
        <source>&lt;b&gt;No model installed.&lt;/b&gt; Download the published FCN-8s (PASCAL VOC, 21 classes), import a weights file you already have, or fine-tune on your own images and masks.</source>
        <translation>&lt;b&gt;尚未安装模型。&lt;/b&gt;可以下载论文发布的 FCN-8s（PASCAL VOC，21 类），导入已有的权重文件，或在自己的图像和掩码上微调。</translation>
    </message>
    <message>
        <source>Download FCN-8s VOC{size}</source>
        <translation>下载 FCN-8s VOC{size}</translation>
    </message>
    <message>
        <source>Import weights file…</source>
        <translation>导入权重文件…</translation>
    </message>
    <message>
        <source>Fine-tune on my data…</source>
        <translation>在我的数据上微调…</translation>
    </message>
    <message>
        <source>All models…</source>
        <translation>所有模型…</translation>
    </message>
</context>
<context>
    <name>QAbstractFileIconProvider</name>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Drive</source>
        <translation>驱动器</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>查找范围(&amp;L)：</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>文件类型(&amp;T)：</translation>
    </message>
</context>
<context>
    <name>Retrain</name>
    <message>
        <source>epoch {epoch}/{epochs}, loss {loss:.3f}</source>
        <translation>第 {epoch}/{epochs} 轮，损失 {loss:.3f}</translation>
    </message>
    <message>
        <source>{n} {n:image|images}, {px} labelled pixels</source>
        <translation>{n} 张图像，{px} 个已标注像素</translation>
    </message>
    <message>
        <source>, spread ± {spread:.1f}</source>
        <translation>，离散度 ± {spread:.1f}</translation>
    </message>
    <message>
        <source>Installed {version}; not scored: label a few more strokes (or a second image) for a figure.</source>
        <translation>已安装 {version}；未评分：再画几笔（或标注第二张图像）即可得到分数。</translation>
    </message>
    <message>
        <source>Now using it: you chose to always use a new version.</source>
        <translation>现已使用它：您选择了总是使用新版本。</translation>
    </message>
    <message>
        <source>Still using {active}.</source>
        <translation>仍在使用 {active}。</translation>
    </message>
    <message>
        <source>{active} was trained on {seen} of these images: on each of them its figure is its training refitted without that image, as held out as the new version&apos;s.</source>
        <translation>{active} 曾在其中 {seen} 张图像上训练：在这些图像上，它的分数来自去掉该图像后重新拟合的训练，与新版本一样是留出评估。</translation>
    </message>
    <message>
        <source>mean IoU {before:.1f} % ({active}) → {after:.1f} % ({version}), on the same {basis}</source>
        <translation>平均 IoU {before:.1f} %（{active}）→ {after:.1f} %（{version}），基于相同的 {basis}</translation>
    </message>
    <message>
        <source>Now using {version}: </source>
        <translation>现已使用 {version}：</translation>
    </message>
    <message>
        <source>; better by {diff:.1f} points, more than the noise (± {margin:.1f}).</source>
        <translation>；提高 {diff:.1f} 个百分点，超过噪声（± {margin:.1f}）。</translation>
    </message>
    <message>
        <source>; {diff:.1f} points lower, used because you chose to always use a new version.</source>
        <translation>；低 {diff:.1f} 个百分点，因您选择了总是使用新版本而启用。</translation>
    </message>
    <message>
        <source>; used because you chose to always use a new version.</source>
        <translation>；因您选择了总是使用新版本而启用。</translation>
    </message>
    <message>
        <source>{version} ties with {active}: </source>
        <translation>{version} 与 {active} 持平：</translation>
    </message>
    <message>
        <source>; the difference ({diff:.1f} points) is within the noise (± {margin:.1f}). Still using {active}; {version} is kept.</source>
        <translation>；差异（{diff:.1f} 个百分点）在噪声范围内（± {margin:.1f}）。仍在使用 {active}；{version} 已保留。</translation>
    </message>
    <message>
        <source>{version} scores worse than {active}: </source>
        <translation>{version} 的分数低于 {active}：</translation>
    </message>
    <message>
        <source>, {diff:.1f} points lower. Still using {active}; {version} is kept.</source>
        <translation>，低 {diff:.1f} 个百分点。仍在使用 {active}；{version} 已保留。</translation>
    </message>
    <message>
        <source>{id}: {miou} % on {n} {n:image|images}, {px} px</source>
        <translation>{id}：{miou} %，基于 {n} 张图像、{px} 像素</translation>
    </message>
    <message>
        <source>{id} (mean IoU {miou:.1f} % when trained)</source>
        <translation>{id}（训练时平均 IoU {miou:.1f} %）</translation>
    </message>
    <message>
        <source>{id} (base)</source>
        <translation>{id}（基础版本）</translation>
    </message>
</context>
<context>
    <name>RoundOffer</name>
    <message>
        <source>Always use a new version at once, even when it scores worse</source>
        <translation>总是立即使用新版本，即使得分更低</translation>
    </message>
    <message>
        <source>Use {version} anyway</source>
        <translation>仍然使用 {version}</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <source>Mouse wheel</source>
        <translation>鼠标滚轮</translation>
    </message>
    <message>
        <source>Zoom at the cursor</source>
        <translation>以光标为中心缩放</translation>
    </message>
    <message>
        <source>Drag, or Space + drag</source>
        <translation>拖动，或按住空格拖动</translation>
    </message>
    <message>
        <source>Pan</source>
        <translation>平移</translation>
    </message>
    <message>
        <source>Double-click a legend class</source>
        <translation>双击图例中的类别</translation>
    </message>
    <message>
        <source>Show that class alone</source>
        <translation>只显示该类别</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
</context>
<context>
    <name>SizePicker</name>
    <message>
        <source>Full resolution</source>
        <translation>原始分辨率</translation>
    </message>
    <message>
        <source>{n} px</source>
        <translation>{n} 像素</translation>
    </message>
    <message>
        <source>Longest side the network sees; larger images are segmented at this size and the result upsampled. Smaller is faster (use 320-512 px for video on a CPU) and needs less memory.</source>
        <translation>网络输入的最长边；更大的图像按此尺寸分割，再将结果上采样。越小越快（在 CPU 上处理视频可用 320-512 像素），内存占用也越少。</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>No image</source>
        <translation>无图像</translation>
    </message>
    <message>
        <source>No model</source>
        <translation>无模型</translation>
    </message>
    <message>
        <source>fast {precision}, approximate</source>
        <translation>快速 {precision}，近似</translation>
    </message>
    <message>
        <source>fast {precision}: {speedup:.1f}x, {pct:.1f} % agreement</source>
        <translation>快速 {precision}：{speedup:.1f} 倍，{pct:.1f} % 一致</translation>
    </message>
    <message>
        <source>fast {precision}: {pct:.1f} % agreement</source>
        <translation>快速 {precision}：{pct:.1f} % 一致</translation>
    </message>
    <message>
        <source>Fast mode: the approximate precision measured fastest on this computer that keeps this model&apos;s labels; they equal the exact model&apos;s on this share of the pixels of a few of the images or video frames open when it was measured. Turn it off in the Models menu.</source>
        <translation>快速模式：在本机测得最快且保持此模型标签的近似精度；在测量时打开的几张图像或视频帧上，其标签与精确模型相同的像素比例如上。可在“模型”菜单中关闭。</translation>
    </message>
    <message>
        <source>held features</source>
        <translation>缓存特征</translation>
    </message>
    <message>
        <source>What computed the result</source>
        <translation>计算该结果所用的后端</translation>
    </message>
    <message>
        <source> at {w}×{h}</source>
        <translation>，输入 {w}×{h}</translation>
    </message>
    <message>
        <source>preview {ms:.0f} ms{at}; full result coming…</source>
        <translation>预览 {ms:.0f} ms{at}；完整结果即将呈现…</translation>
    </message>
    <message>
        <source>inference {ms:.0f} ms{at}</source>
        <translation>推理 {ms:.0f} ms{at}</translation>
    </message>
</context>
<context>
    <name>TaskWorker</name>
    <message>
        <source>out of memory</source>
        <translation>内存不足</translation>
    </message>
</context>
<context>
    <name>TrainDialog</name>
    <message>
        <source>Fine-tune a model on your data</source>
        <translation>在自己的数据上微调模型</translation>
    </message>
    <message>
        <source>Folder with images and masks: a Label mode folder (photos + masks/), VOC, Carvana or images/ + masks/</source>
        <translation>含图像和掩码的文件夹：标注模式的文件夹（照片 + masks/）、VOC、Carvana 或 images/ + masks/</translation>
    </message>
    <message>
        <source>Choose folder…</source>
        <translation>选择文件夹…</translation>
    </message>
    <message>
        <source>The dataset report appears here: pairs, classes, and any problem by file name.</source>
        <translation>数据集报告显示在这里：图像/掩码对、类别，以及按文件名列出的问题。</translation>
    </message>
    <message>
        <source>Class name (editable)</source>
        <translation>类别名称（可编辑）</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>Freeze the backbone (train score layers only; fast on a CPU)</source>
        <translation>冻结骨干网络（只训练打分层；在 CPU 上较快）</translation>
    </message>
    <message>
        <source>Random horizontal flips</source>
        <translation>随机水平翻转</translation>
    </message>
    <message>
        <source>Random scaling 0.75-1.25×</source>
        <translation>随机缩放 0.75-1.25×</translation>
    </message>
    <message>
        <source>Mixed precision (CUDA only)</source>
        <translation>混合精度（仅 CUDA）</translation>
    </message>
    <message>
        <source>Start from</source>
        <translation>初始权重</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>网络结构</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>训练轮数</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Crop size (px)</source>
        <translation>裁剪尺寸（像素）</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Optimizer</source>
        <translation>优化器</translation>
    </message>
    <message>
        <source>Validation split</source>
        <translation>验证集比例</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Save as (model id)</source>
        <translation>保存为（模型编号）</translation>
    </message>
    <message>
        <source>Defaults for this machine</source>
        <translation>本机推荐设置</translation>
    </message>
    <message>
        <source>Options</source>
        <translation>选项</translation>
    </message>
    <message>
        <source>training loss</source>
        <translation>训练损失</translation>
    </message>
    <message>
        <source>epoch</source>
        <translation>轮次</translation>
    </message>
    <message>
        <source>validation mean IoU</source>
        <translation>验证集平均交并比</translation>
    </message>
    <message>
        <source>Choose a folder to begin.</source>
        <translation>选择一个文件夹开始。</translation>
    </message>
    <message>
        <source>Start training</source>
        <translation>开始训练</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续训练</translation>
    </message>
    <message>
        <source>Continue the cancelled run from its last saved epoch</source>
        <translation>从上次保存的轮次继续已取消的训练</translation>
    </message>
    <message>
        <source>Cancel training</source>
        <translation>取消训练</translation>
    </message>
    <message>
        <source>Use this model</source>
        <translation>使用此模型</translation>
    </message>
    <message>
        <source>Copy command line</source>
        <translation>复制命令行</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>{id}  ({arch}, {labels}, head over {base})</source>
        <translation>{id}  （{arch}，{labels}，基于 {base} 的输出头）</translation>
    </message>
    <message>
        <source>random weights (scratch; for testing the pipeline)</source>
        <translation>随机权重（从零开始；用于测试流程）</translation>
    </message>
    <message>
        <source>Not used with the backbone frozen: the score layers are fitted on whole images by L-BFGS, which chooses its own steps</source>
        <translation>冻结主干时不使用：评分层由 L-BFGS 在完整图像上拟合，步长由它自行选择</translation>
    </message>
    <message>
        <source>Dataset folder</source>
        <translation>数据集文件夹</translation>
    </message>
    <message>
        <source>Checking {folder}…</source>
        <translation>正在检查 {folder}…</translation>
    </message>
    <message>
        <source>Checking {done}/{total}: {name}</source>
        <translation>正在检查 {done}/{total}：{name}</translation>
    </message>
    <message>
        <source>Ready to train.</source>
        <translation>可以开始训练。</translation>
    </message>
    <message>
        <source>Fix the problems listed in the report, then choose the folder again.</source>
        <translation>请修复报告中列出的问题，然后重新选择文件夹。</translation>
    </message>
    <message>
        <source>This folder cannot be used.</source>
        <translation>无法使用此文件夹。</translation>
    </message>
    <message>
        <source>Fine-tune</source>
        <translation>微调</translation>
    </message>
    <message>
        <source>Choose a dataset folder without blocking problems first.</source>
        <translation>请先选择一个没有阻止性问题的数据集文件夹。</translation>
    </message>
    <message>
        <source>The model id cannot be used: {problem}.</source>
        <translation>不能使用此模型编号：{problem}。</translation>
    </message>
    <message>
        <source>Training and segmentation share one GPU: both are slower while this runs, and a big image may run out of GPU memory (lower the inference size or segment on the CPU meanwhile).</source>
        <translation>训练与分割共用一块 GPU：训练期间两者都会变慢，大图像可能导致显存不足（请降低推理尺寸，或在此期间用 CPU 分割）。</translation>
    </message>
    <message>
        <source>A model named {name} exists. Replace it?</source>
        <translation>已存在名为 {name} 的模型。要替换吗？</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Cancelling after the current step; checkpoints are kept…</source>
        <translation>将在当前步骤后取消；检查点会保留…</translation>
    </message>
    <message>
        <source>Epoch {epoch}/{epochs}, iteration {it}/{its}: loss {loss:.4f}, {speed:.2f} images/s, ETA {eta}</source>
        <translation>第 {epoch}/{epochs} 轮，第 {it}/{its} 次迭代：损失 {loss:.4f}，{speed:.2f} 张图像/秒，预计剩余 {eta}</translation>
    </message>
    <message>
        <source>best validation mean IoU {miou:.1f} %</source>
        <translation>最佳验证集 mIoU {miou:.1f} %</translation>
    </message>
    <message>
        <source>no validation images</source>
        <translation>没有验证图像</translation>
    </message>
    <message>
        <source>Cancelled; the model so far is saved</source>
        <translation>已取消；已保存目前的模型</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>{what}: {score}. Installed as {id}.</source>
        <translation>{what}：{score}。已安装为 {id}。</translation>
    </message>
    <message>
        <source>Copied to the clipboard: {command}</source>
        <translation>已复制到剪贴板：{command}</translation>
    </message>
    <message>
        <source>Copied ✓</source>
        <translation>已复制 ✓</translation>
    </message>
    <message>
        <source>Training is running. Stop it? (checkpoints are kept)</source>
        <translation>训练正在进行。要停止吗？（检查点会保留）</translation>
    </message>
</context>
<context>
    <name>TrainWorker</name>
    <message>
        <source>out of memory: lower the batch size or crop size</source>
        <translation>内存不足：请减小批大小或裁剪尺寸</translation>
    </message>
</context>
<context>
    <name>UncertaintyDock</name>
    <message>
        <source>Uncertain images</source>
        <translation>不确定的图像</translation>
    </message>
    <message>
        <source>Unlabelled images, most uncertain first (mean of 1 − confidence).</source>
        <translation>未标注的图像，最不确定的在前（1 − 置信度的平均值）。</translation>
    </message>
    <message>
        <source>Image</source>
        <translation>图像</translation>
    </message>
    <message>
        <source>Uncertainty</source>
        <translation>不确定性</translation>
    </message>
    <message>
        <source>Every image of this folder has labels.</source>
        <translation>此文件夹中的每张图像都已标注。</translation>
    </message>
</context>
<context>
    <name>VideoControls</name>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Play / pause (Space)</source>
        <translation>播放 / 暂停 (Space)</translation>
    </message>
    <message>
        <source>Previous frame (,)</source>
        <translation>上一帧 (,)</translation>
    </message>
    <message>
        <source>Next frame (.)</source>
        <translation>下一帧 (.)</translation>
    </message>
    <message>
        <source>Real time (skip frames)</source>
        <translation>实时（跳帧）</translation>
    </message>
    <message>
        <source>Every frame (slower)</source>
        <translation>逐帧（较慢）</translation>
    </message>
    <message>
        <source>Keyframes + motion (fast, approximate)</source>
        <translation>关键帧 + 运动（快速，近似）</translation>
    </message>
    <message>
        <source>When the model is slower than the video: keep pace by skipping frames, segment every frame more slowly than real time, or run the model on keyframes and carry its labels to the frames between by optical flow (approximate)</source>
        <translation>当模型比视频慢时：跳帧以保持节奏，逐帧分割（慢于实时），或只在关键帧上运行模型并用光流把标签带到中间的帧（近似）</translation>
    </message>
    <message>
        <source>Export video…</source>
        <translation>导出视频…</translation>
    </message>
    <message>
        <source> · frame {n}</source>
        <translation> · 第 {n} 帧</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>{fps:.1f} fps shown</source>
        <translation>显示 {fps:.1f} fps</translation>
    </message>
</context>
<context>
    <name>VideoEngine</name>
    <message>
        <source>out of memory: lower the maximum inference size</source>
        <translation>内存不足：请减小最大推理尺寸</translation>
    </message>
    <message>
        <source>video error: {error}</source>
        <translation>视频错误：{error}</translation>
    </message>
    <message>
        <source>{source}: frame {index} cannot be decoded (damaged or truncated file)</source>
        <translation>{source}：第 {index} 帧无法解码（文件损坏或不完整）</translation>
    </message>
    <message>
        <source>The GPU could not keep up: {shown} of {total} frames were segmented in real time.</source>
        <translation>GPU 跟不上：{total} 帧中只有 {shown} 帧被实时分割。</translation>
    </message>
    <message>
        <source>The CPU could not keep up: {shown} of {total} frames were segmented in real time.</source>
        <translation>CPU 跟不上：{total} 帧中只有 {shown} 帧被实时分割。</translation>
    </message>
    <message>
        <source>For smoother playback: turn on Fast mode (Models menu), lower the inference size (e.g. 320 px), or choose Every frame.</source>
        <translation>要使播放更流畅：打开快速模式（“模型”菜单），降低推理尺寸（如 320 像素），或选择“逐帧”。</translation>
    </message>
    <message>
        <source>Loading model {model}…</source>
        <translation>正在加载模型 {model}…</translation>
    </message>
</context>
<context>
    <name>VideoExport</name>
    <message>
        <source>Audio is not kept: exported videos are silent.</source>
        <translation>不保留音频：导出的视频没有声音。</translation>
    </message>
    <message>
        <source>Export video</source>
        <translation>导出视频</translation>
    </message>
    <message>
        <source>Install or import a model first (Models menu).</source>
        <translation>请先安装或导入模型（“模型”菜单）。</translation>
    </message>
    <message>
        <source>{name} exists. Replace it?</source>
        <translation>{name} 已存在。要替换吗？</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Wrote {n} frames to {path}.</source>
        <translation>已将 {n} 帧写入 {path}。</translation>
    </message>
    <message>
        <source>Export segmented video</source>
        <translation>导出分割视频</translation>
    </message>
    <message>
        <source>Segmenting {name}…</source>
        <translation>正在分割 {name}…</translation>
    </message>
</context>
<context>
    <name>VideoExportDialog</name>
    <message>
        <source>Export segmented video</source>
        <translation>导出分割视频</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Image with overlay</source>
        <translation>带叠加层的图像</translation>
    </message>
    <message>
        <source>Colour mask only</source>
        <translation>仅彩色掩码</translation>
    </message>
    <message>
        <source>Also save each frame&apos;s mask as a palette PNG</source>
        <translation>同时将每帧的掩码保存为调色板 PNG</translation>
    </message>
    <message>
        <source>Output file</source>
        <translation>输出文件</translation>
    </message>
    <message>
        <source>Content</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Same frame count, frame rate and size as the input; MP4 (mp4v), or MJPEG .avi for odd sizes.</source>
        <translation>帧数、帧率和尺寸与输入相同；格式为 MP4 (mp4v)，奇数尺寸时为 MJPEG .avi。</translation>
    </message>
    <message>
        <source>Export video</source>
        <translation>导出视频</translation>
    </message>
</context>
<context>
    <name>Weights</name>
    <message>
        <source>installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source>installed (imported)</source>
        <translation>已安装（导入）</translation>
    </message>
    <message>
        <source>installed (trained)</source>
        <translation>已安装（训练所得）</translation>
    </message>
    <message>
        <source>Weights (*.pth *.pt *.safetensors *.pkl *.bin);;All files (*)</source>
        <translation>权重 (*.pth *.pt *.safetensors *.pkl *.bin);;所有文件 (*)</translation>
    </message>
    <message>
        <source>{done:.0f} of {total:.0f} MB</source>
        <translation>{done:.0f} / {total:.0f} MB</translation>
    </message>
    <message>
        <source>Downloading weights</source>
        <translation>正在下载权重</translation>
    </message>
    <message>
        <source>Downloading {id}{size}…</source>
        <translation>正在下载 {id}{size}…</translation>
    </message>
    <message>
        <source>Checking {name}…</source>
        <translation>正在检查 {name}…</translation>
    </message>
    <message>
        <source>Importing {n} files…</source>
        <translation>正在导入 {n} 个文件…</translation>
    </message>
    <message>
        <source>Importing weights</source>
        <translation>正在导入权重</translation>
    </message>
    <message>
        <source>{n:.1f} GB</source>
        <translation>{n:.1f} GB</translation>
    </message>
    <message>
        <source>{n:.0f} MB</source>
        <translation>{n:.0f} MB</translation>
    </message>
    <message>
        <source>{n:.0f} kB</source>
        <translation>{n:.0f} kB</translation>
    </message>
    <message>
        <source>Importing {path}…</source>
        <translation>正在导入 {path}…</translation>
    </message>
</context>
<context>
    <name>WeightsDialog</name>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>网络结构</translation>
    </message>
    <message>
        <source>Labels</source>
        <translation>标签集</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>On disk</source>
        <translation>占用磁盘</translation>
    </message>
    <message>
        <source>Weights folder: {path}</source>
        <translation>权重文件夹：{path}</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Import weights file…</source>
        <translation>导入权重文件…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Clean up…</source>
        <translation>清理…</translation>
    </message>
    <message>
        <source>Remove stale conversion caches and old versions (never the base, the version in use, the newest, one an open view shows or one that versions stored as heads sit on)</source>
        <translation>删除过期的转换缓存和旧版本（不会删除基础模型、正在使用的版本、最新版本、打开的视图正在显示的版本，以及以头文件存储的版本所依赖的版本）</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>{status}, head over {base}</source>
        <translation>{status}，基于 {base} 的输出头</translation>
    </message>
    <message>
        <source>Weights folder: {path}  ·  {size} on disk</source>
        <translation>权重文件夹：{path}  ·  占用磁盘 {size}</translation>
    </message>
    <message>
        <source>{size} to download</source>
        <translation>需下载 {size}</translation>
    </message>
    <message>
        <source>weights file {file}, conversion caches {cache}</source>
        <translation>权重文件 {file}，转换缓存 {cache}</translation>
    </message>
    <message>
        <source>Clean up</source>
        <translation>清理</translation>
    </message>
    <message>
        <source>Nothing to clean up.</source>
        <translation>没有需要清理的内容。</translation>
    </message>
    <message>
        <source>Remove {n} stale conversion caches and old versions, {size} in all?

{names}</source>
        <translation>删除 {n} 个过期的转换缓存和旧版本，共 {size}？

{names}</translation>
    </message>
    <message>
        <source>Import weights files</source>
        <translation>导入权重文件</translation>
    </message>
    <message>
        <source>Remove model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <source>Delete the weights of {id} ({path})?</source>
        <translation>删除 {id} 的权重（{path}）吗？</translation>
    </message>
</context>
<context>
    <name>Workspace</name>
    <message>
        <source>{path}: no images in this folder</source>
        <translation>{path}：此文件夹中没有图像</translation>
    </message>
    <message>
        <source>{path}: no such file</source>
        <translation>{path}：文件不存在</translation>
    </message>
    <message>
        <source>none of the dropped items is an image file</source>
        <translation>拖入的项目中没有图像文件</translation>
    </message>
</context>
<context>
    <name>core</name>
    <message>
        <source>expected an image tensor of shape (C, H, W) with C = 1, 3 or 4, got {shape}</source>
        <translation>图像张量的形状应为 (C, H, W)，C = 1、3 或 4，实际为 {shape}</translation>
    </message>
    <message>
        <source>an image tensor must be uint8 (0-255) or float (0-1), not {dtype}</source>
        <translation>图像张量必须是 uint8（0-255）或浮点（0-1），而不是 {dtype}</translation>
    </message>
    <message>
        <source>a float image tensor must hold values in [0, 1] (this one spans {low:.3g} to {high:.3g}); divide by 255, or pass it as uint8</source>
        <translation>浮点图像张量的值必须在 [0, 1] 内（此张量为 {low:.3g} 到 {high:.3g}）；请除以 255，或以 uint8 传入</translation>
    </message>
    <message>
        <source>{path}: no images in this folder</source>
        <translation>{path}：此文件夹中没有图像</translation>
    </message>
    <message>
        <source>the int8 precision runs on the CPU (with ONNX Runtime); choose the CPU as the device</source>
        <translation>int8 精度在 CPU 上运行（使用 ONNX Runtime）；请选择 CPU 作为设备</translation>
    </message>
    <message>
        <source>the {precision} model could not be prepared: {error}</source>
        <translation>无法准备 {precision} 模型：{error}</translation>
    </message>
    <message>
        <source>{path}: the dataset has problems; fix them, then train again:
{report}</source>
        <translation>{path}：数据集有问题；请修正后再训练：
{report}</translation>
    </message>
    <message>
        <source>{root}: no dataset layout found; expected JPEGImages/ + SegmentationClass/ (VOC), train/ + train_masks/ (Carvana), images/ + masks/, images with their labels in masks/, labelme JSON files beside their images, or a COCO annotations JSON</source>
        <translation>{root}：找不到数据集布局；应为 JPEGImages/ + SegmentationClass/（VOC）、train/ + train_masks/（Carvana）、images/ + masks/、图像及其在 masks/ 中的标注、图像旁的 labelme JSON 文件，或一个 COCO 标注 JSON</translation>
    </message>
    <message>
        <source>class index (palette or gray value)</source>
        <translation>类别索引（调色板或灰度值）</translation>
    </message>
    <message>
        <source>binary</source>
        <translation>二值</translation>
    </message>
    <message>
        <source>RGB colour-coded</source>
        <translation>RGB 颜色编码</translation>
    </message>
    <message>
        <source>{n} of the {total} classes {n:has|have} no pixels in any mask ({listed}{more}): the model cannot learn {n:it|them}; if the masks number their classes differently, name them in classes.txt</source>
        <translation>{total} 个类别中有 {n} 个在任何掩码中都没有像素（{listed}{more}）：模型无法学到它们；如果掩码的类别编号不同，请在 classes.txt 中为类别命名</translation>
    </message>
    <message>
        <source>{root}: not a folder; give the dataset folder</source>
        <translation>{root}：不是文件夹；请给出数据集文件夹</translation>
    </message>
    <message>
        <source>{path}: no such mask file</source>
        <translation>{path}：掩码文件不存在</translation>
    </message>
    <message>
        <source>{mask}: mask is {mw}x{mh} but {image} is {w}x{h}</source>
        <translation>{mask}：掩码是 {mw}x{mh}，但 {image} 是 {w}x{h}</translation>
    </message>
    <message>
        <source>{n} of the {total} classes {n:has|have} no pixels in any mask ({listed}{more}): the model cannot learn {n:it|them}</source>
        <translation>{total} 个类别中有 {n} 个在任何掩码中都没有像素（{listed}{more}）：模型无法学到它们</translation>
    </message>
    <message>
        <source>Dataset {root} ({layout} layout): {n} image/mask {n:pair|pairs}</source>
        <translation>数据集 {root}（{layout} 布局）：{n} 对图像/掩码</translation>
    </message>
    <message>
        <source>Masks: {kind} (255 = foreground here, not ignore)</source>
        <translation>掩码：{kind}（此处 255 = 前景，不是忽略）</translation>
    </message>
    <message>
        <source>Masks: {kind}</source>
        <translation>掩码：{kind}</translation>
    </message>
    <message>
        <source>Classes ({n}):</source>
        <translation>类别（{n}）：</translation>
    </message>
    <message>
        <source>Note: {note}</source>
        <translation>注意：{note}</translation>
    </message>
    <message>
        <source>{path}: unreadable mask ({error})</source>
        <translation>{path}：无法读取掩码（{error}）</translation>
    </message>
    <message>
        <source>class names from {file}</source>
        <translation>类别名称来自 {file}</translation>
    </message>
    <message>
        <source>{n} {n:mask labels|masks label} nothing (every pixel 255 = unlabelled), left out: {files}</source>
        <translation>{n} 个掩码没有标注任何内容（每个像素都是 255 = 未标注），已略过：{files}</translation>
    </message>
    <message>
        <source>  {id:3d} {name:&lt;20} {count:&gt;12,} px  {percent:5.1f} %</source>
        <translation>  {id:3d} {name:&lt;20} {count:&gt;12,} 像素  {percent:5.1f} %</translation>
    </message>
    <message>
        <source>  {name:&lt;6} (255)             {count:&gt;12,} px</source>
        <translation>  {name:&lt;6} (255)             {count:&gt;12,} 像素</translation>
    </message>
    <message>
        <source>Images without a mask ({n}): {names}</source>
        <translation>没有掩码的图像（{n}）：{names}</translation>
    </message>
    <message>
        <source>Masks without an image ({n}): {names}</source>
        <translation>没有图像的掩码（{n}）：{names}</translation>
    </message>
    <message>
        <source>Problems that stop training ({n}):</source>
        <translation>阻止训练的问题（{n}）：</translation>
    </message>
    <message>
        <source>  {problem}</source>
        <translation>  {problem}</translation>
    </message>
    <message>
        <source>no mask labels anything (every pixel of every mask is 255 = unlabelled); label some first</source>
        <translation>没有任何掩码标注了内容（所有掩码的每个像素都是 255 = 未标注）；请先标注一些</translation>
    </message>
    <message>
        <source>the colours in {file}</source>
        <translation>{file} 中的颜色</translation>
    </message>
    <message>
        <source>the VOC colours</source>
        <translation>VOC 颜色</translation>
    </message>
    <message>
        <source>{mask}: colours not among {where}; list every class as a `name r g b` line in {file}</source>
        <translation>{mask}：颜色不在{where}之中；请在 {file} 中把每个类别写成一行 `名称 r g b`</translation>
    </message>
    <message>
        <source>{mask}: labels {bad}, outside the {n} classes (0-{last}, 255 = ignore)</source>
        <translation>{mask}：标签 {bad} 超出了 {n} 个类别（0-{last}，255 = 忽略）</translation>
    </message>
    <message>
        <source>  ... and {n} more</source>
        <translation>  …… 还有 {n} 个</translation>
    </message>
    <message>
        <source>Problem: no image/mask pairs were found.</source>
        <translation>问题：未找到图像/掩码对。</translation>
    </message>
    <message>
        <source>No problems found.</source>
        <translation>未发现问题。</translation>
    </message>
    <message>
        <source>{path}: {n} classes, but a mask holds at most {max_classes} (ids 0-254; 255 = ignore); merge classes or remove lines</source>
        <translation>{path}：{n} 个类别，但掩码最多容纳 {max_classes} 个（编号 0-254；255 = 忽略）；请合并类别或删除几行</translation>
    </message>
    <message>
        <source>{path}, line {number}: {line!r} is neither a class name nor `name r g b` (colour values go from 0 to 255); fix the colour or write the name alone</source>
        <translation>{path} 第 {number} 行：{line!r} 既不是类别名，也不是 `name r g b`（颜色值为 0 到 255）；请修正颜色或只写类别名</translation>
    </message>
    <message>
        <source>{path}, line {number}: a colour without a class name</source>
        <translation>{path} 第 {number} 行：有颜色但没有类别名</translation>
    </message>
    <message>
        <source>{path}, lines {first} and {number}: the class {name!r} is listed twice; give every class its own name</source>
        <translation>{path} 第 {first} 行和第 {number} 行：类别 {name!r} 重复；请给每个类别一个不同的名称</translation>
    </message>
    <message>
        <source>{path}: not UTF-8 text (byte {start}); save the class list as UTF-8 (one class per line)</source>
        <translation>{path}：不是 UTF-8 文本（第 {start} 字节）；请将类别列表保存为 UTF-8（每行一个类别）</translation>
    </message>
    <message>
        <source>{path}: cannot read the class list ({error})</source>
        <translation>{path}：无法读取类别列表（{error}）</translation>
    </message>
    <message>
        <source>{path}: not a COCO file (it needs lists of images and categories)</source>
        <translation>{path}：不是 COCO 文件（需要图像和类别列表）</translation>
    </message>
    <message>
        <source>{path}: {n} categories, but a mask holds at most 255 classes</source>
        <translation>{path}：{n} 个类别，但掩码最多容纳 255 个类别</translation>
    </message>
    <message>
        <source>{path}: no image with id {image_id}</source>
        <translation>{path}：没有编号为 {image_id} 的图像</translation>
    </message>
    <message>
        <source>{path}: unreadable COCO JSON ({error})</source>
        <translation>{path}：无法读取的 COCO JSON（{error}）</translation>
    </message>
    <message>
        <source>{path}: a COCO record lacks a field or has a bad value ({error})</source>
        <translation>{path}：某条 COCO 记录缺少字段或取值有误（{error}）</translation>
    </message>
    <message>
        <source>{path}: annotation {id} has category {category_id}, not among the categories</source>
        <translation>{path}：标注 {id} 的类别 {category_id} 不在类别列表中</translation>
    </message>
    <message>
        <source>unknown COCO style {style!r}: choose rle or polygon</source>
        <translation>未知的 COCO 样式 {style!r}：请选择 rle 或 polygon</translation>
    </message>
    <message>
        <source>{format}: {lost:,} of {total:,} pixels ({percent:.2f} %) not held ({why})</source>
        <translation>{format}：{total:,} 个像素中有 {lost:,} 个（{percent:.2f} %）无法保存（{why}）</translation>
    </message>
    <message>
        <source>{out}: not an empty folder; choose a new folder for the export</source>
        <translation>{out}：不是空文件夹；请为导出选择一个新文件夹</translation>
    </message>
    <message>
        <source>unknown export format {fmt!r}: choose {formats}</source>
        <translation>未知的导出格式 {fmt!r}：请选择 {formats}</translation>
    </message>
    <message>
        <source>nothing labelled to export yet; label some images first</source>
        <translation>还没有可导出的标注；请先标注一些图像</translation>
    </message>
    <message>
        <source>VOC: {train} train and {val} val images in ImageSets/Segmentation/</source>
        <translation>VOC：ImageSets/Segmentation/ 中有 {train} 张训练图像和 {val} 张验证图像</translation>
    </message>
    <message>
        <source>COCO polygons</source>
        <translation>COCO 多边形</translation>
    </message>
    <message>
        <source>COCO polygons have no holes; RLE is exact</source>
        <translation>COCO 多边形没有孔洞；RLE 是精确的</translation>
    </message>
    <message>
        <source>labelme polygons have no holes and trace pixel centres; holes are written as later shapes, what remains is lost</source>
        <translation>labelme 多边形没有孔洞，且沿像素中心描边；孔洞写为后续形状，其余部分会丢失</translation>
    </message>
    <message>
        <source>{out}: cannot create the folder ({error})</source>
        <translation>{out}：无法创建文件夹（{error}）</translation>
    </message>
    <message>
        <source>COCO: {n:,} unlabelled pixels left unannotated (COCO has no &apos;unlabelled&apos;: they read back as background)</source>
        <translation>COCO：{n:,} 个未标注像素未写入标注（COCO 没有“未标注”：读回时会成为背景）</translation>
    </message>
    <message>
        <source>{path}: its image {image_path!r} is not beside it and no imageData is embedded</source>
        <translation>{path}：其图像 {image_path!r} 不在旁边，也没有内嵌 imageData</translation>
    </message>
    <message>
        <source>{path}: not a labelme file (no list of shapes)</source>
        <translation>{path}：不是 labelme 文件（没有形状列表）</translation>
    </message>
    <message>
        <source>{name}: shape {number} ({kind}) has {n} points</source>
        <translation>{name}：形状 {number}（{kind}）有 {n} 个点</translation>
    </message>
    <message>
        <source>{path}: unreadable labelme JSON ({error})</source>
        <translation>{path}：无法读取的 labelme JSON（{error}）</translation>
    </message>
    <message>
        <source>{path}: no imageHeight/imageWidth and no imageData; open and save it in labelme</source>
        <translation>{path}：没有 imageHeight/imageWidth，也没有 imageData；请在 labelme 中打开并保存</translation>
    </message>
    <message>
        <source>{path}: the embedded imageData is not an image ({error})</source>
        <translation>{path}：内嵌的 imageData 不是图像（{error}）</translation>
    </message>
    <message>
        <source>{name}: shape {number} has the label {label!r}, not in the class list ({known}); add it to labels.txt</source>
        <translation>{name}：形状 {number} 的标签 {label!r} 不在类别列表中（{known}）；请将其加入 labels.txt</translation>
    </message>
    <message>
        <source>{name}: shape {number} has points that are not [x, y] pairs</source>
        <translation>{name}：形状 {number} 的点不是 [x, y] 坐标对</translation>
    </message>
    <message>
        <source>{name}: shape {number} (mask) cannot be read ({error})</source>
        <translation>{name}：无法读取形状 {number}（掩码）（{error}）</translation>
    </message>
    <message>
        <source>{name}: shape {number} is a {kind!r}, which FCN Studio cannot draw (polygon, rectangle, oriented_rectangle, circle, line, linestrip, point and mask are read)</source>
        <translation>{name}：形状 {number} 是 {kind!r}，FCN Studio 无法绘制（可读取多边形、矩形、旋转矩形、圆、线、折线、点和掩码）</translation>
    </message>
    <message>
        <source>{root}: no COCO file for split {split!r} (its COCO files: {names})</source>
        <translation>{root}：没有划分 {split!r} 的 COCO 文件（现有 COCO 文件：{names}）</translation>
    </message>
    <message>
        <source>{path}: its categories differ from {name}&apos;s; use one category list for every COCO file</source>
        <translation>{path}：其类别与 {name} 的不同；请让所有 COCO 文件使用同一个类别列表</translation>
    </message>
    <message>
        <source>{path}: opening this {width}x{height} image needs about {need} of memory but only {free} is free; close other programs, or downscale or tile the image first</source>
        <translation>{path}：打开这张 {width}x{height} 的图像约需 {need} 内存，但只有 {free} 可用；请关闭其他程序，或先缩小或切块</translation>
    </message>
    <message>
        <source>expected an image array of shape (H, W[, 1|3|4]), got {shape}</source>
        <translation>图像数组的形状应为 (H, W[, 1|3|4])，实际为 {shape}</translation>
    </message>
    <message>
        <source>{path}: no such file</source>
        <translation>{path}：文件不存在</translation>
    </message>
    <message>
        <source>{path}: is a folder, not an image</source>
        <translation>{path}：这是文件夹，不是图像</translation>
    </message>
    <message>
        <source>{path}: not an image file, or a format that cannot be read (HEIC/AVIF photos: convert them to JPEG or PNG first)</source>
        <translation>{path}：不是图像文件，或是无法读取的格式（HEIC/AVIF 照片：请先转换为 JPEG 或 PNG）</translation>
    </message>
    <message>
        <source>{path}: not an image file, or a format that cannot be read</source>
        <translation>{path}：不是图像文件，或是无法读取的格式</translation>
    </message>
    <message>
        <source>{path}: the image is too large to open (over {limit} megapixels)</source>
        <translation>{path}：图像太大，无法打开（超过 {limit} 百万像素）</translation>
    </message>
    <message>
        <source>{path}: the image file is damaged or truncated ({error})</source>
        <translation>{path}：图像文件已损坏或不完整（{error}）</translation>
    </message>
    <message>
        <source>could not write {path}: {error}</source>
        <translation>无法写入 {path}：{error}</translation>
    </message>
    <message>
        <source>{path}: the label file has no class names (one per line)</source>
        <translation>{path}：标签文件中没有类别名（每行一个）</translation>
    </message>
    <message>
        <source>{path}: cannot read the label file ({error})</source>
        <translation>{path}：无法读取标签文件（{error}）</translation>
    </message>
    <message>
        <source>{path}: {error}; write one class per line as `name` or `name r g b`</source>
        <translation>{path}：{error}；每行写一个类别，格式为 `name` 或 `name r g b`</translation>
    </message>
    <message>
        <source>{name}: prediction is {size} (WxH) but ground truth is {size2}</source>
        <translation>{name}：预测为 {size}（宽x高），但真值为 {size2}</translation>
    </message>
    <message>
        <source>{name}: predicted label {max} is outside 0..{n}; give the right number of classes</source>
        <translation>{name}：预测标签 {max} 超出 0..{n}；请给出正确的类别数</translation>
    </message>
    <message>
        <source>{path}: not a confusion matrix saved by an evaluation ({reason})</source>
        <translation>{path}：不是由评估保存的混淆矩阵（{reason}）</translation>
    </message>
    <message>
        <source>cannot write the log {path} ({error}); choose another log file</source>
        <translation>无法写入日志 {path}（{error}）；请另选日志文件</translation>
    </message>
    <message>
        <source>{path} is a symbolic link, not a log FCN Studio made (someone may have planted it to write to another file); nothing was written through it: remove it, or choose another log file</source>
        <translation>{path} 是符号链接，不是 FCN Studio 创建的日志（可能有人放置它以写入其他文件）；没有通过它写入任何内容：请删除它，或另选日志文件</translation>
    </message>
    <message>
        <source>CUDA was requested but PyTorch finds no CUDA device (no NVIDIA GPU, driver or CUDA build of torch); choose the CPU, or let the device be chosen automatically</source>
        <translation>已选择 CUDA，但 PyTorch 找不到 CUDA 设备（没有 NVIDIA GPU、驱动或支持 CUDA 的 torch 版本）；请选择 CPU，或让程序自动选择设备</translation>
    </message>
    <message>
        <source>Apple MPS was requested but is not available; choose the CPU, or let the device be chosen automatically</source>
        <translation>请求了 Apple MPS，但它不可用；请选择 CPU，或让程序自动选择设备</translation>
    </message>
    <message>
        <source>{what}: this CPU has no native bf16 (AVX512-BF16 or AMX), where bf16 runs about 100x slower than fp32; choose fp32 or the automatic precision</source>
        <translation>{what}：此 CPU 没有原生 bf16（AVX512-BF16 或 AMX），bf16 在此比 fp32 慢约 100 倍；请选择 fp32 或自动精度</translation>
    </message>
    <message>
        <source>fast (int8) mode runs on the CPU (with ONNX Runtime); choose the CPU as the device</source>
        <translation>快速（int8）模式在 CPU 上运行（使用 ONNX Runtime）；请选择 CPU 作为设备</translation>
    </message>
    <message>
        <source>fast (int8) mode runs with ONNX Runtime, not the torch backend: turn fast mode off, or use the automatic backend (unset {backend_env})</source>
        <translation>快速（int8）模式使用 ONNX Runtime 运行，而不是 torch 后端：请关闭快速模式，或使用自动后端（取消设置 {backend_env}）</translation>
    </message>
    <message>
        <source>choose one approximate mode: fast (int8) or bf16, not both</source>
        <translation>只能选择一种近似模式：快速（int8）或 bf16，不能同时使用</translation>
    </message>
    <message>
        <source>choose a smaller inference size, or </source>
        <translation>请选择更小的推理尺寸，或</translation>
    </message>
    <message>
        <source>ONNX Runtime is not installed: pip install onnxruntime onnx, or use the torch backend</source>
        <translation>未安装 ONNX Runtime：pip install onnxruntime onnx，或使用 torch 后端</translation>
    </message>
    <message>
        <source>the ONNX Runtime conversion of {name} gives other labels than the torch model; torch serves (choose the torch backend to silence this)</source>
        <translation>{name} 的 ONNX Runtime 转换给出的标签与 torch 模型不同；改由 torch 计算（选择 torch 后端可不再提示）</translation>
    </message>
    <message>
        <source>no space left on {root} for the faster CPU path: free {mb} MB, set $FCN_STUDIO_CACHE to a folder with room, or use the torch backend</source>
        <translation>{root} 上没有空间用于更快的 CPU 路径：请释放 {mb} MB，将 $FCN_STUDIO_CACHE 设为有空间的文件夹，或使用 torch 后端</translation>
    </message>
    <message>
        <source>{text!r} is not a shard: give I/N with 0 &lt;= I &lt; N, e.g. 0/4</source>
        <translation>{text!r} 不是有效的分片：请写成 I/N，且 0 &lt;= I &lt; N，例如 0/4</translation>
    </message>
    <message>
        <source>{file} exists; choose another file name, or replace it</source>
        <translation>{file} 已存在；请另选文件名，或替换它</translation>
    </message>
    <message>
        <source>{path}: this is a web page, not weights (a download that hit a login or confirmation page); download it again</source>
        <translation>{path}：这是网页，不是权重（下载时遇到了登录或确认页面）；请重新下载</translation>
    </message>
    <message>
        <source>{path}: these are VGG16 classification weights, not a segmentation model; use them as the base of a training run</source>
        <translation>{path}：这是 VGG16 分类权重，不是分割模型；请将其用作训练的基础模型</translation>
    </message>
    <message>
        <source>{url}: the server sent a web page instead of the weights file (a quota, login or removed-file page); try again later, or download it in a browser and import the file</source>
        <translation>{url}：服务器发送的是网页，而不是权重文件（配额、登录或文件已删除页面）；请稍后重试，或用浏览器下载后导入该文件</translation>
    </message>
    <message>
        <source>{name}: its base is named {base!r}, not by an installed model&apos;s id; nothing was opened at that path: install the base model under an id and train the version again</source>
        <translation>{name}：其基础模型名为 {base!r}，不是已安装模型的 ID；未打开该路径：请以一个 ID 安装基础模型，然后重新训练该版本</translation>
    </message>
    <message>
        <source>unknown model {spec!r}: not a file and not an installed id ({known_ids}); see the list of installed models</source>
        <translation>未知模型 {spec!r}：既不是文件，也不是已安装的编号（{known_ids}）；请查看已安装的模型列表</translation>
    </message>
    <message>
        <source>model {id} is not installed</source>
        <translation>模型 {id} 未安装</translation>
    </message>
    <message>
        <source>{id} is not a model id</source>
        <translation>{id} 不是模型编号</translation>
    </message>
    <message>
        <source>{weights_id!r} cannot be used as a model id: {problem}; choose another id</source>
        <translation>{weights_id!r} 不能用作模型编号：{problem}；请另选编号</translation>
    </message>
    <message>
        <source>unknown weights id {weights_id!r}; see the list of models</source>
        <translation>未知的权重编号 {weights_id!r}；请查看模型列表</translation>
    </message>
    <message>
        <source>a model with id {weights_id!r} is already installed; choose another id, or replace it</source>
        <translation>编号为 {weights_id!r} 的模型已安装；请另选编号，或替换它</translation>
    </message>
    <message>
        <source>{weights_id!r} is not a model id ({problem}); see the list of installed models</source>
        <translation>{weights_id!r} 不是模型编号（{problem}）；请查看已安装的模型列表</translation>
    </message>
    <message>
        <source>no installed weights with id {weights_id!r}; see the list of installed models</source>
        <translation>没有编号为 {weights_id!r} 的已安装权重；请查看已安装的模型列表</translation>
    </message>
    <message>
        <source>{weights_id} was removed meanwhile (by another program); nothing left to remove</source>
        <translation>{weights_id} 已在此期间被（其他程序）删除；没有可删除的内容</translation>
    </message>
    <message>
        <source>{weights_id} is the base of {dependants}, stored as heads over it; remove those first (or export them as standalone files)</source>
        <translation>{weights_id} 是 {dependants} 的基础模型，它们以头部形式存储在其上；请先删除它们（或将它们导出为独立文件）</translation>
    </message>
    <message>
        <source>model {spec} is not installed; download it (about {size_mb:.0f} MB) or import a weights file</source>
        <translation>模型 {spec} 未安装；请下载（约 {size_mb:.0f} MB）或导入权重文件</translation>
    </message>
    <message>
        <source>{error}; if the architecture was misdetected, name it</source>
        <translation>{error}；如果架构识别有误，请指定架构</translation>
    </message>
    <message>
        <source>{path} is the file of the installed model {weights_id}; {what} never writes over an installed model: choose another file</source>
        <translation>{path} 是已安装模型 {weights_id} 的文件；{what} 从不覆盖已安装的模型：请另选文件</translation>
    </message>
    <message>
        <source>starting from random weights (the base &quot;scratch&quot;): expect poor results without a long run</source>
        <translation>从随机权重开始（基础模型为“scratch”）：不经过长时间训练，效果会很差</translation>
    </message>
    <message>
        <source>rank {rank}: could not join the torchrun job ({error}); check that every machine runs the same command with the same rendezvous endpoint (MASTER_ADDR/MASTER_PORT)</source>
        <translation>进程 {rank}：无法加入 torchrun 任务（{error}）；请检查每台机器是否以相同的汇合端点（MASTER_ADDR/MASTER_PORT）运行同一命令</translation>
    </message>
    <message>
        <source>backbone frozen: its features are computed once per image and flipped view and cached ({folder}); the score layers are fitted by L-BFGS with a line search, which chooses its own step sizes (the learning rate, optimizer and batch size are not used); whole images, no random scale or crop</source>
        <translation>主干网络已冻结：每张图像及其翻转视图的特征只计算一次并缓存（{folder}）；得分层用带线搜索的 L-BFGS 拟合，它自行选择步长（不使用学习率、优化器和批量大小）；使用整张图像，不做随机缩放或裁剪</translation>
    </message>
    <message>
        <source>backbone frozen: its features are computed once per image and cached ({folder}); the score layers are fitted by L-BFGS with a line search, which chooses its own step sizes (the learning rate, optimizer and batch size are not used); whole images, no random scale or crop</source>
        <translation>主干网络已冻结：每张图像的特征只计算一次并缓存（{folder}）；得分层用带线搜索的 L-BFGS 拟合，它自行选择步长（不使用学习率、优化器和批量大小）；使用整张图像，不做随机缩放或裁剪</translation>
    </message>
    <message>
        <source>{out} is a folder; give a file name for the model, such as {example}</source>
        <translation>{out} 是文件夹；请给出模型的文件名，例如 {example}</translation>
    </message>
    <message>
        <source>{out} exists (an earlier training&apos;s model); replace it, continue it, or choose another output file</source>
        <translation>{out} 已存在（之前训练的模型）；请替换它、继续训练它，或另选输出文件</translation>
    </message>
    <message>
        <source>{path}: the saved state is that of a run with the backbone frozen; resume it with the backbone frozen, or train again without resuming</source>
        <translation>{path}：保存的状态来自冻结主干的训练；请同样冻结主干续训，或不续训重新训练</translation>
    </message>
    <message>
        <source>{state}: the saved state does not fit this run ({error}); train again without resuming</source>
        <translation>{state}：保存的状态与本次训练不符（{error}）；请不继续、重新训练</translation>
    </message>
    <message>
        <source>the loss became {loss} at epoch {epoch}: lower the learning rate</source>
        <translation>第 {epoch} 轮损失变为 {loss}：请降低学习率</translation>
    </message>
    <message>
        <source>to keep it and train on from it, use it as the base and write the new model to {other}; or start over and replace it</source>
        <translation>要保留它并在其上继续训练，请以它为基础模型，并将新模型写入 {other}；或者从头开始并替换它</translation>
    </message>
    <message>
        <source>nothing to resume: {name} is not next to {out}; train again without resuming</source>
        <translation>没有可继续的训练：{out} 旁边没有 {name}；请不继续、重新训练</translation>
    </message>
    <message>
        <source>{path}: not a training state; train again without resuming</source>
        <translation>{path}：不是训练状态；请不继续、重新训练</translation>
    </message>
    <message>
        <source>cannot resume: {name} holds the weights after epoch {model_epoch} but {state_file} the optimizer after epoch {epoch} (the run was stopped between the two saves); train again without resuming, or start a new run with {out_name} as its base</source>
        <translation>无法继续：{name} 保存的是第 {model_epoch} 轮后的权重，而 {state_file} 保存的是第 {epoch} 轮后的优化器（训练在两次保存之间被中止）；请不继续、重新训练，或以 {out_name} 为基础模型开始新的训练</translation>
    </message>
    <message>
        <source>{path}: unreadable training state ({error}); train again without resuming</source>
        <translation>{path}：无法读取的训练状态（{error}）；请不继续、重新训练</translation>
    </message>
    <message>
        <source>cannot add a {num_classes}-class confusion matrix to a {num_classes2}-class one</source>
        <translation>无法将 {num_classes} 类的混淆矩阵与 {num_classes2} 类的相加</translation>
    </message>
    <message>
        <source>{path}: its classes differ from those of {first}; merge evaluations of one model</source>
        <translation>{path}：其类别与 {first} 的不同；请只合并同一模型的评估</translation>
    </message>
    <message>
        <source>{path}: the counts together exceed 2**63 - 1 pixels; the files are damaged</source>
        <translation>{path}：计数之和超过 2**63 - 1 个像素；文件已损坏</translation>
    </message>
    <message>
        <source>{path} is the same file as {first}: merging it twice would count its images twice; give each shard&apos;s file once</source>
        <translation>{path} 与 {first} 是同一个文件：合并两次会把其中的图像计算两次；每个分片的文件只给一次</translation>
    </message>
    <message>
        <source>{folder}: no such folder</source>
        <translation>{folder}：文件夹不存在</translation>
    </message>
    <message>
        <source>{voc}: no split {split!r} (no {listing}); {offer}</source>
        <translation>{voc}：没有划分 {split!r}（没有 {listing}）；{offer}</translation>
    </message>
    <message>
        <source>{listing}: cannot read the split list ({error})</source>
        <translation>{listing}：无法读取划分列表（{error}）</translation>
    </message>
    <message>
        <source>{name}={raw!r} is not a valid {type}; set it to e.g. {default!r} or unset it</source>
        <translation>{name}={raw!r} 不是有效的 {type}；请设为例如 {default!r}，或取消设置</translation>
    </message>
    <message>
        <source>unexpected error: {kind}: {error}</source>
        <translation>意外错误：{kind}：{error}</translation>
    </message>
    <message>
        <source>the GPU ran out of memory: lower the inference size, close other GPU programs, or choose the CPU</source>
        <translation>GPU 内存不足：请降低推理尺寸、关闭其他使用 GPU 的程序，或选择 CPU</translation>
    </message>
    <message>
        <source>out of memory: lower the inference size or close other programs</source>
        <translation>内存不足：请降低推理尺寸或关闭其他程序</translation>
    </message>
    <message>
        <source>{folder} is a file, not a folder; choose another output folder</source>
        <translation>{folder} 是文件，不是文件夹；请选择另一个输出文件夹</translation>
    </message>
    <message>
        <source>{out_dir}: cannot write to this folder ({error}); choose another output folder</source>
        <translation>{out_dir}：无法写入此文件夹（{error}）；请选择其他输出文件夹</translation>
    </message>
    <message>
        <source>{out_dir} is the folder being segmented: its masks would be taken as photos by the next run; choose another output folder, e.g. {suggestion}</source>
        <translation>{out_dir} 正是要分割的文件夹：下次运行会把其中的掩码当作照片；请选择其他输出文件夹，例如 {suggestion}</translation>
    </message>
    <message>
        <source>Cancelled after {processed} of {n} files; {n2} masks written.</source>
        <translation>已在处理 {processed}/{n} 个文件后取消；已写入 {n2} 个掩码。</translation>
    </message>
    <message>
        <source>{out_dir}: the output for {source} would replace the input {clash}; choose an output folder outside the input folder</source>
        <translation>{out_dir}：{source} 的输出会替换输入 {clash}；请选择输入文件夹之外的输出文件夹</translation>
    </message>
    <message>
        <source>{source}: {problem}</source>
        <translation>{source}：{problem}</translation>
    </message>
    <message>
        <source>the fast precision measures the CPU&apos;s approximate modes and runs on the CPU; choose the CPU as the device</source>
        <translation>快速精度测量的是 CPU 的近似模式，并在 CPU 上运行；请选择 CPU 作为设备</translation>
    </message>
    <message>
        <source>{folder}: no labelled pixels yet; paint a few strokes per class, then fine-tune again</source>
        <translation>{folder}：还没有标注的像素；每个类别画几笔，然后再次微调</translation>
    </message>
    <message>
        <source>{path}: {option} takes a folder of masks, a dataset folder (VOC, CVAT, labelme, images/ + masks/) or a COCO annotations file</source>
        <translation>{path}：{option} 接受掩码文件夹、数据集文件夹（VOC、CVAT、labelme、images/ + masks/）或 COCO 标注文件</translation>
    </message>
    <message>
        <source>{path}: no such folder or file; {option} takes a folder of masks or a dataset</source>
        <translation>{path}：文件夹或文件不存在；{option} 接受掩码文件夹或数据集</translation>
    </message>
    <message>
        <source>{unnamed_what} does not name its classes and has {unnamed_n} where {named_what} has {named_n}: which class is which cannot be known; name them in {where} (one name per line, in class-id order, as the model names them)</source>
        <translation>{unnamed_what} 没有命名其类别，且有 {unnamed_n} 个类别，而 {named_what} 有 {named_n} 个：无法知道哪个类别对应哪个；请在 {where} 中命名它们（每行一个名称，按类别 ID 顺序，与模型的命名一致）</translation>
    </message>
    <message>
        <source>no class name is shared by {pred_what} ({pred_names}) and {gt_what} ({gt_names}); name the ground truth&apos;s classes as the model does (classes.txt, one name per line in class-id order)</source>
        <translation>{pred_what}（{pred_names}）与 {gt_what}（{gt_names}）没有共同的类别名称；请按模型的命名为真值的类别命名（classes.txt，每行一个名称，按类别 ID 顺序）</translation>
    </message>
    <message>
        <source>{path}, line {number}: {name!r} has the colour {color} of {other!r}; give every class its own colour</source>
        <translation>{path}，第 {number} 行：{name!r} 的颜色 {color} 与 {other!r} 相同；请为每个类别指定不同的颜色</translation>
    </message>
    <message>
        <source>{path}: image id {image_id} is given to {first} and {second}; each image needs its own id (their annotations cannot be told apart)</source>
        <translation>{path}：图像 ID {image_id} 同时分配给了 {first} 和 {second}；每张图像需要自己的 ID（否则无法区分它们的标注）</translation>
    </message>
    <message>
        <source>{path}: annotation {annotation_id}: unreadable segmentation ({error})</source>
        <translation>{path}：标注 {annotation_id}：无法读取分割（{error}）</translation>
    </message>
    <message>
        <source>{target} is one of the files to merge; write the merged file elsewhere</source>
        <translation>{target} 是要合并的文件之一；请将合并后的文件写到别处</translation>
    </message>
    <message>
        <source>{path}: not a COCO file (it needs a list of images)</source>
        <translation>{path}：不是 COCO 文件（需要一个图像列表）</translation>
    </message>
    <message>
        <source>{path}: image id {key} is also in {other}; these files are not shards of one run (FCN Studio numbers the shards of one run apart)</source>
        <translation>{path}：图像 ID {key} 也出现在 {other} 中；这些文件不是同一次运行的分片（FCN Studio 为同一次运行的各分片分配互不重叠的编号）</translation>
    </message>
    <message>
        <source>{path}: annotation id {key} is also in {other}; these files are not shards of one run (FCN Studio numbers the shards of one run apart)</source>
        <translation>{path}：标注 ID {key} 也出现在 {other} 中；这些文件不是同一次运行的分片（FCN Studio 为同一次运行的各分片分配互不重叠的编号）</translation>
    </message>
    <message>
        <source>{path}: its categories differ from {first}&apos;s; merge files of one model only</source>
        <translation>{path}：其类别与 {first} 的不同；只能合并同一模型的文件</translation>
    </message>
    <message>
        <source>{path} is named twice (as {other}); give each COCO file once</source>
        <translation>{path} 被指定了两次（另一次为 {other}）；每个 COCO 文件只需指定一次</translation>
    </message>
    <message>
        <source>{name}: shape {number} has a coordinate that is not a finite number within the image; fix or redraw the shape in labelme</source>
        <translation>{name}：形状 {number} 有一个坐标不是图像范围内的有限数值；请在 labelme 中修正或重画该形状</translation>
    </message>
    <message>
        <source>{annotation} names the image {image}, outside the dataset folder {root}; it was not read: copy the image into the dataset folder, or allow images outside the dataset folder to be read</source>
        <translation>{annotation} 指向图像 {image}，它位于数据集文件夹 {root} 之外；未读取该图像：请将图像复制到数据集文件夹中，或允许读取数据集文件夹之外的图像</translation>
    </message>
    <message>
        <source>{path}: an image size of {width}x{height} pixels; fix the file</source>
        <translation>{path}：图像尺寸为 {width}x{height} 像素；请修复该文件</translation>
    </message>
    <message>
        <source>{path}: a {width}x{height} image needs about {need} of memory but only {free} is free; close other programs, or downscale or tile the image first</source>
        <translation>{path}：{width}x{height} 的图像约需 {need} 内存，但只有 {free} 可用；请关闭其他程序，或先缩小图像或将其分块</translation>
    </message>
    <message>
        <source>{path} is a symbolic link where FCN Studio writes a folder of its own (someone may have planted it to write elsewhere); nothing was written through it: remove it, or choose another {option}</source>
        <translation>{path} 是符号链接，而 FCN Studio 要在此处写入自己的文件夹（可能有人放置它以写入别处）；没有通过它写入任何内容：请删除它，或另选{option}</translation>
    </message>
    <message>
        <source>{path} is a file where FCN Studio writes the folder {folder}/; move it away, or choose another {option}</source>
        <translation>{path} 是一个文件，而 FCN Studio 要在此处写入文件夹 {folder}/；请将其移走，或另选{option}</translation>
    </message>
    <message>
        <source>cannot create {path} ({error}); choose another {option}</source>
        <translation>无法创建 {path}（{error}）；请另选{option}</translation>
    </message>
    <message>
        <source>{path} is a hard link to another file, not a log FCN Studio made (someone may have planted it to write to another file); nothing was written to it: remove it, or name another log file</source>
        <translation>{path} 是指向另一个文件的硬链接，不是 FCN Studio 创建的日志（可能有人放置它以写入其他文件）；没有向它写入任何内容：请删除它，或另选日志文件</translation>
    </message>
    <message>
        <source>{path} is not a plain file, not a log FCN Studio made (someone may have planted it to write to another file); nothing was written to it: remove it, or name another log file</source>
        <translation>{path} 不是普通文件，不是 FCN Studio 创建的日志（可能有人放置它以写入其他文件）；没有向它写入任何内容：请删除它，或另选日志文件</translation>
    </message>
    <message>
        <source>{path} is a FIFO and nothing reads it: start its reader first, or name another log file</source>
        <translation>{path} 是 FIFO，且没有程序在读取它：请先启动读取方，或另选日志文件</translation>
    </message>
    <message>
        <source>{path}: {num_classes} classes, expected {num_classes2}</source>
        <translation>{path}：{num_classes} 个类别，应为 {num_classes2} 个</translation>
    </message>
    <message>
        <source>CPU ({n} {n:thread|threads})</source>
        <translation>CPU（{n} 线程）</translation>
    </message>
    <message>
        <source>CUDA: {name}</source>
        <translation>CUDA：{name}</translation>
    </message>
    <message>
        <source>Apple MPS</source>
        <translation>Apple MPS</translation>
    </message>
    <message>
        <source>CUDA was requested but PyTorch finds no CUDA device (no NVIDIA GPU, driver or CUDA build of torch); running on the CPU</source>
        <translation>已选择 CUDA，但 PyTorch 找不到 CUDA 设备（没有 NVIDIA GPU、驱动或支持 CUDA 的 torch 版本）；改在 CPU 上运行</translation>
    </message>
    <message>
        <source>unknown device {requested!r}; choose one of {device_choices}</source>
        <translation>未知设备 {requested!r}；请选择 {device_choices} 之一</translation>
    </message>
    <message>
        <source>MPS unavailable; running on the CPU</source>
        <translation>MPS 不可用；改在 CPU 上运行</translation>
    </message>
    <message>
        <source>fast {precision}: {speedup:.1f}x, {pct:.1f} % agreement</source>
        <translation>快速 {precision}：{speedup:.1f} 倍，{pct:.1f} % 一致</translation>
    </message>
    <message>
        <source>fast mode: exact (no approximate mode keeps {pct:.0f} % of labels here)</source>
        <translation>快速模式：精确（本机没有近似模式能保持 {pct:.0f} % 的标签）</translation>
    </message>
    <message>
        <source>fast mode measures itself on a few images: open an image or a folder first</source>
        <translation>快速模式需要在几张图像上自行测量：请先打开图像或文件夹</translation>
    </message>
    <message>
        <source>fast mode: timing {paths} side by side...</source>
        <translation>快速模式：正在并排计时 {paths}…</translation>
    </message>
    <message>
        <source>fast mode, measured now on {n} {n:image|images} of this model:</source>
        <translation>快速模式，刚在此模型的 {n} 张图像上测量：</translation>
    </message>
    <message>
        <source>fast mode, measured before on this machine on {n} {n:image|images} of this model:</source>
        <translation>快速模式，此前已在本机于此模型的 {n} 张图像上测量：</translation>
    </message>
    <message>
        <source>  chosen: {precision} (approximate)</source>
        <translation>  选择：{precision}（近似）</translation>
    </message>
    <message>
        <source>  chosen: the exact path (no approximate mode is {speedup:.2f}x faster with {pct:.0f} % of labels equal)</source>
        <translation>  选择：精确路径（没有近似模式能在 {pct:.0f} % 标签相同的同时快 {speedup:.2f} 倍）</translation>
    </message>
    <message>
        <source>fast mode: measuring the approximate modes on {n} of the images (once per machine and model)...</source>
        <translation>快速模式：正在 {n} 张图像上测量近似模式（每台机器每个模型一次）…</translation>
    </message>
    <message>
        <source>  {precision}: not available ({note})</source>
        <translation>  {precision}：不可用（{note}）</translation>
    </message>
    <message>
        <source>  {precision}: {speedup:.2f}x the exact path, {pct:.1f} % of labels equal to the exact model&apos;s</source>
        <translation>  {precision}：精确路径的 {speedup:.2f} 倍，{pct:.1f} % 的标签与精确模型相同</translation>
    </message>
    <message>
        <source>fast mode needs a few images to calibrate on: open an image or a folder first</source>
        <translation>快速模式需要几张图像来校准：请先打开一张图像或一个文件夹</translation>
    </message>
    <message>
        <source>{model}: no base model is loaded for it</source>
        <translation>{model}：没有为它加载基础模型</translation>
    </message>
    <message>
        <source>unknown precision {requested!r}; choose one of {precisions}</source>
        <translation>未知精度 {requested!r}；请选择 {precisions} 之一</translation>
    </message>
    <message>
        <source>fast mode: none of the {n} calibration images could be read</source>
        <translation>快速模式：{n} 张校准图像都无法读取</translation>
    </message>
    <message>
        <source>{source}: no {missing} in the weights; the file is damaged</source>
        <translation>{source}：权重中没有 {missing}；文件已损坏</translation>
    </message>
    <message>
        <source>unknown backend {backend!r}; choose one of {backends}</source>
        <translation>未知后端 {backend!r}；请选择 {backends} 之一</translation>
    </message>
    <message>
        <source>segmenting this {width}x{height} image needs about {total} ({parts}) but only {free} of memory is free; {hint}close other programs or split the image into tiles</source>
        <translation>分割这张 {width}x{height} 的图像约需 {total}（{parts}），但只有 {free} 内存可用；{hint}请关闭其他程序或将图像切块</translation>
    </message>
    <message>
        <source>fast (int8) mode needs a few calibration images (ideally like the ones to segment)</source>
        <translation>快速（int8）模式需要几张校准图像（最好与要分割的图像相似）</translation>
    </message>
    <message>
        <source>the faster CPU path cannot be prepared: {error}</source>
        <translation>无法准备更快的 CPU 路径：{error}</translation>
    </message>
    <message>
        <source>converting {name} for ONNX Runtime failed: {error}</source>
        <translation>为 ONNX Runtime 转换 {name} 失败：{error}</translation>
    </message>
    <message>
        <source>{source}: the video has no readable frames (truncated, damaged or empty)</source>
        <translation>{source}：视频中没有可读取的帧（文件不完整、已损坏或为空）</translation>
    </message>
    <message>
        <source>no camera found at index {index}; connect a webcam or open a video file instead</source>
        <translation>在索引 {index} 处找不到摄像头；请连接摄像头，或改为打开视频文件</translation>
    </message>
    <message>
        <source>{path}: no such video file</source>
        <translation>{path}：视频文件不存在</translation>
    </message>
    <message>
        <source>{path}: the file is empty</source>
        <translation>{path}：文件为空</translation>
    </message>
    <message>
        <source>{path}: cannot open this video (damaged file or a codec OpenCV cannot decode)</source>
        <translation>{path}：无法打开此视频（文件已损坏，或 OpenCV 无法解码其编码格式）</translation>
    </message>
    <message>
        <source>{width}x{height} is odd-sized; MP4 needs even sizes, so it was written as MJPEG .avi</source>
        <translation>{width}x{height} 的尺寸为奇数；MP4 需要偶数尺寸，因此写成了 MJPEG .avi</translation>
    </message>
    <message>
        <source>{path}: OpenCV cannot write {ext} video here; try .avi</source>
        <translation>{path}：OpenCV 在此无法写入 {ext} 视频；请尝试 .avi</translation>
    </message>
    <message>
        <source>{path}: nothing was written (disk full or no frames)</source>
        <translation>{path}：没有写入任何内容（磁盘已满或没有帧）</translation>
    </message>
    <message>
        <source>{source}: no frames could be decoded</source>
        <translation>{source}：没有能解码的帧</translation>
    </message>
    <message>
        <source>Video export cancelled at frame {index}; no file was written.</source>
        <translation>视频导出在第 {index} 帧取消；没有写入文件。</translation>
    </message>
    <message>
        <source>{path}: cannot write {ext} video; use .mp4, .avi or .webm</source>
        <translation>{path}：无法写入 {ext} 视频；请使用 .mp4、.avi 或 .webm</translation>
    </message>
    <message>
        <source>class name {name!r} cannot be stored: use a non-empty name without &apos;:&apos;, &apos;,&apos; or line breaks</source>
        <translation>类别名称 {name!r} 无法保存：请使用不含 &apos;:&apos;、&apos;,&apos; 或换行的非空名称</translation>
    </message>
    <message>
        <source>{folder}: not a folder; open a folder of images to label</source>
        <translation>{folder}：不是文件夹；请打开一个图像文件夹进行标注</translation>
    </message>
    <message>
        <source>{path}: no class names; write one `name r g b` per line</source>
        <translation>{path}：没有类别名称；请每行写一个 `名称 r g b`</translation>
    </message>
    <message>
        <source>{folder} was renamed, moved or deleted; its labels were not written</source>
        <translation>{folder} 已被重命名、移动或删除；其标注未写入</translation>
    </message>
    <message>
        <source>a label set needs 1 to {most} classes, not {n}</source>
        <translation>类别集需要 1 到 {most} 个类别，而不是 {n} 个</translation>
    </message>
    <message>
        <source>two classes have the same name; give each class its own name</source>
        <translation>两个类别同名；请给每个类别起不同的名称</translation>
    </message>
    <message>
        <source>there is already a class called {name!r}</source>
        <translation>已经有名为 {name!r} 的类别</translation>
    </message>
    <message>
        <source>no class {id}: the label set has {n} classes</source>
        <translation>没有类别 {id}：此类别集只有 {n} 个类别</translation>
    </message>
    <message>
        <source>{path}: the mask is {mw}x{mh} but the image is {w}x{h}; move the mask away to label this image again</source>
        <translation>{path}：掩码是 {mw}x{mh}，但图像是 {w}x{h}；请移走此掩码后重新标注这张图像</translation>
    </message>
    <message>
        <source>{path}: a mask is already there that was not opened here; open it to edit it, or choose to replace it</source>
        <translation>{path}：已有一个不是在此打开的掩码；请打开它进行编辑，或选择替换它</translation>
    </message>
    <message>
        <source>{path} was deleted outside FCN Studio; it was not written again</source>
        <translation>{path} 已在 FCN Studio 之外被删除；未重新写入</translation>
    </message>
    <message>
        <source>{document}: its shapes are for a {size}x{size2} image, not this one</source>
        <translation>{document}：其形状对应 {size}x{size2} 的图像，不是这张</translation>
    </message>
    <message>
        <source>{path}: image {image_id} is annotated as {size}x{size2}, not as this image</source>
        <translation>{path}：图像 {image_id} 的标注尺寸为 {size}x{size2}，与此图像不符</translation>
    </message>
    <message>
        <source>class {name!r}: colour {color} is not three values 0-255</source>
        <translation>类别 {name!r}：颜色 {color} 不是三个 0-255 的数值</translation>
    </message>
    <message>
        <source>{path}: unreadable mask ({error}); move it away to label this image again</source>
        <translation>{path}：无法读取掩码（{error}）；请移走它后重新标注这张图像</translation>
    </message>
    <message>
        <source>could not save {path}: {error}; free some disk space</source>
        <translation>无法保存 {path}：{error}；请释放一些磁盘空间</translation>
    </message>
    <message>
        <source>{family!r} cannot name a model: use letters, digits, &apos;-&apos;, &apos;_&apos; and &apos;.&apos;</source>
        <translation>{family!r} 不能作为模型名：请使用字母、数字、“-”、“_”和“.”</translation>
    </message>
    <message>
        <source>{model_id!r} is not an installed version of {family!r}; see the version list</source>
        <translation>{model_id!r} 不是 {family!r} 已安装的版本；请查看版本列表</translation>
    </message>
    <message>
        <source>{name}: export writes a .safetensors file; give a name ending in .safetensors</source>
        <translation>{name}：导出写入 .safetensors 文件；请给出以 .safetensors 结尾的名称</translation>
    </message>
    <message>
        <source>{path} is a symbolic link, not a log file FCN Studio made (someone may have planted it to have the log written into another file); the log is not written through it: remove the link, and the log starts anew</source>
        <translation>{path} 是符号链接，不是 FCN Studio 创建的日志文件（可能有人放置它，以便把日志写入其他文件）；日志不会通过它写入：请删除该链接，日志将重新开始</translation>
    </message>
    <message>
        <source>{path} is not a log file FCN Studio made (it is another name of a file, or not a plain file); the log is not written to it: remove it, and the log starts anew</source>
        <translation>{path} 不是 FCN Studio 创建的日志文件（它是另一个文件的别名，或不是普通文件）；日志不会写入它：请删除它，日志将重新开始</translation>
    </message>
    <message>
        <source>these VGG weights have {n} convolutions, VGG16 has {n2}: use VGG16 (not VGG11/13/19) ImageNet weights</source>
        <translation>这些 VGG 权重有 {n} 个卷积层，VGG16 有 {n2} 个：请使用 VGG16（不是 VGG11/13/19）的 ImageNet 权重</translation>
    </message>
    <message>
        <source>{path}: no such weights file</source>
        <translation>{path}：权重文件不存在</translation>
    </message>
    <message>
        <source>{path}: the file is empty; download or export it again</source>
        <translation>{path}：文件为空；请重新下载或导出</translation>
    </message>
    <message>
        <source>{path}: {what}, not a weights file; give a .pth or .safetensors file</source>
        <translation>{path}：{what}，不是权重文件；请提供 .pth 或 .safetensors 文件</translation>
    </message>
    <message>
        <source>this is a text file</source>
        <translation>这是文本文件</translation>
    </message>
    <message>
        <source>{path}: no state dict of tensors in this file; it is not a weights file</source>
        <translation>{path}：此文件中没有张量的 state dict；它不是权重文件</translation>
    </message>
    <message>
        <source>{path}: weights that are not numbers (NaN or infinity) in {shown}; the file is damaged or comes from a training that diverged: use another file</source>
        <translation>{path}：{shown} 中有非数值的权重（NaN 或无穷大）；文件已损坏，或来自发散的训练：请使用其他文件</translation>
    </message>
    <message>
        <source>{path}: a {arch} head cannot go on the {arch2} base {id}</source>
        <translation>{path}：{arch} 的头部不能放在 {arch2} 的基础模型 {id} 上</translation>
    </message>
    <message>
        <source>{path}: not FCN weights: expected layers such as conv1_1, score_fr and upscore*, found {found}...</source>
        <translation>{path}：不是 FCN 权重：应有 conv1_1、score_fr 和 upscore* 等层，实际为 {found}...</translation>
    </message>
    <message>
        <source>{path}: the file holds {detected} weights, not {arch}</source>
        <translation>{path}：文件中是 {detected} 的权重，不是 {arch}</translation>
    </message>
    <message>
        <source>{path}: the model predicts {num_classes} classes; a segmentation model has 1 to 255</source>
        <translation>{path}：模型预测 {num_classes} 个类别；分割模型应有 1 到 255 个</translation>
    </message>
    <message>
        <source>{path}: the model predicts {num_classes} classes but the label set {name!r} has {num_classes2}</source>
        <translation>{path}：模型预测 {num_classes} 个类别，但标签集 {name!r} 有 {num_classes2} 个</translation>
    </message>
    <message>
        <source>this is JSON text</source>
        <translation>这是 JSON 文本</translation>
    </message>
    <message>
        <source>this file has an unknown format</source>
        <translation>此文件格式未知</translation>
    </message>
    <message>
        <source>{path}: unreadable safetensors file ({error}); it may be truncated: download or export it again</source>
        <translation>{path}：无法读取的 safetensors 文件，文件可能不完整：请重新下载或导出（safetensors 原文：{error}）</translation>
    </message>
    <message>
        <source>{path}: refused to load: the file holds Python objects other than tensors, which could run code ({clip}); only load weights from sources you trust, and convert them to safetensors</source>
        <translation>{path}：拒绝加载：文件中含有张量以外的 Python 对象，可能执行代码（{clip}）；只加载可信来源的权重，并将其转换为 safetensors</translation>
    </message>
    <message>
        <source>{path}: not a readable PyTorch weights file ({clip}); it may be truncated or in another format: download it again</source>
        <translation>{path}：不是可读取的 PyTorch 权重文件，文件可能不完整或是其他格式：请重新下载（PyTorch 原文：{clip}）</translation>
    </message>
    <message>
        <source>{path}: damaged FCN Studio metadata ({error}); export the model again</source>
        <translation>{path}：FCN Studio 元数据已损坏（{error}）；请重新导出模型</translation>
    </message>
    <message>
        <source>{where}the weights do not fit {arch} with {num_classes} classes ({clip}); the file is damaged or was saved for another model</source>
        <translation>{where}权重与 {num_classes} 个类别的 {arch} 不符（{clip}）；文件已损坏，或是为其他模型保存的</translation>
    </message>
    <message>
        <source>this is damaged JSON text</source>
        <translation>这是损坏的 JSON 文本</translation>
    </message>
    <message>
        <source>bad checksum spec {checksum!r} in the weights manifest</source>
        <translation>权重清单中的校验和格式有误：{checksum!r}</translation>
    </message>
    <message>
        <source>{name}: checksum mismatch ({algorithm} {actual}, expected {expected}); the download was corrupted or the file changed upstream. It was deleted; try again</source>
        <translation>{name}：校验和不符（{algorithm} {actual}，应为 {expected}）；下载已损坏，或上游文件已更改。文件已删除；请重试</translation>
    </message>
    <message>
        <source>{url}: the server keeps answering with web pages instead of the file</source>
        <translation>{url}：服务器一直返回网页，而不是文件</translation>
    </message>
    <message>
        <source>{url}: the server sent a web page instead of the weights file</source>
        <translation>{url}：服务器发送的是网页，而不是权重文件</translation>
    </message>
    <message>
        <source>{url}: the server answered HTTP {code} {reason}</source>
        <translation>{url}：服务器返回 HTTP {code} {reason}</translation>
    </message>
    <message>
        <source>{url}: cannot connect ({reason}); check the network and try again</source>
        <translation>{url}：无法连接（{reason}）；请检查网络后重试</translation>
    </message>
    <message>
        <source>{url}: the connection dropped at {done} of {total} bytes; run the download again to resume</source>
        <translation>{url}：连接在 {done}/{total} 字节处中断；再次下载即可续传</translation>
    </message>
    <message>
        <source>could not write {part}: {error}; free some disk space</source>
        <translation>无法写入 {part}：{error}；请释放一些磁盘空间</translation>
    </message>
    <message>
        <source>Download cancelled; {done} bytes kept in {name} to resume later.</source>
        <translation>下载已取消；{done} 字节保存在 {name} 中，以后可续传。</translation>
    </message>
    <message>
        <source>{folder} is a file, not a folder; choose another {option}</source>
        <translation>{folder} 是文件，不是文件夹；请另选 {option}</translation>
    </message>
    <message>
        <source>cannot write to {folder} ({error}); choose another {option}</source>
        <translation>无法写入 {folder}（{error}）；请另选 {option}</translation>
    </message>
    <message>
        <source>{name}: its base model {id} is not installed; install {id} again, or remove this version</source>
        <translation>{name}：其基础模型 {id} 未安装；请重新安装 {id}，或删除此版本</translation>
    </message>
    <message>
        <source>{path}: not an FCN Studio head file</source>
        <translation>{path}：不是 FCN Studio 头部文件</translation>
    </message>
    <message>
        <source>{name}: its base model {id} ({changed}) has changed since this version was trained; put the original {id} back, or remove this version</source>
        <translation>{name}：其基础模型 {id}（{changed}）在此版本训练后已更改；请放回原来的 {id}，或删除此版本</translation>
    </message>
    <message>
        <source>{path}: unreadable head file ({error}); train the version again</source>
        <translation>{path}：无法读取的头部文件（{error}）；请重新训练此版本</translation>
    </message>
    <message>
        <source>{path}: damaged head file metadata ({error}); train the version again</source>
        <translation>{path}：头部文件元数据已损坏（{error}）；请重新训练此版本</translation>
    </message>
    <message>
        <source>{path}: cannot read the file ({error})</source>
        <translation>{path}：无法读取文件（{error}）</translation>
    </message>
    <message>
        <source>{path} is {what}, not a lock file FCN Studio made (someone may have planted it to overwrite another file); nothing was written through it: remove it and run again</source>
        <translation>{path} 是{what}，不是 FCN Studio 创建的锁文件（可能有人放置它以覆盖其他文件）；没有通过它写入任何内容：请删除它后重试</translation>
    </message>
    <message>
        <source> (process {pid})</source>
        <translation>（进程 {pid}）</translation>
    </message>
    <message>
        <source>cannot create the lock file {path} ({error})</source>
        <translation>无法创建锁文件 {path}（{error}）</translation>
    </message>
    <message>
        <source>{what} is being written by another fcn-studio run{owner}; wait for it to finish, or choose another name</source>
        <translation>{what} 正被另一个 fcn-studio 运行写入{owner}；请等待它完成，或换一个名称</translation>
    </message>
    <message>
        <source>an id cannot be empty</source>
        <translation>编号不能为空</translation>
    </message>
    <message>
        <source>an id has at most {n} characters</source>
        <translation>编号最多 {n} 个字符</translation>
    </message>
    <message>
        <source>use letters, digits, &apos;-&apos;, &apos;_&apos; and &apos;.&apos; (starting with a letter or digit)</source>
        <translation>请使用字母、数字、“-”、“_”和“.”（以字母或数字开头）</translation>
    </message>
    <message>
        <source>that name is reserved</source>
        <translation>该名称已被保留</translation>
    </message>
    <message>
        <source>{arch} fine-tuned on {data}</source>
        <translation>在 {data} 上微调的 {arch}</translation>
    </message>
    <message>
        <source>{family} retrained on {data}</source>
        <translation>在 {data} 上重新训练的 {family}</translation>
    </message>
    <message>
        <source>{family} version {number}</source>
        <translation>{family} 第 {number} 版</translation>
    </message>
    <message>
        <source>none installed</source>
        <translation>尚未安装任何模型</translation>
    </message>
    <message>
        <source>{path} is a folder, not a weights file; give the .pth or .safetensors file in it</source>
        <translation>{path} 是文件夹，不是权重文件；请给出其中的 .pth 或 .safetensors 文件</translation>
    </message>
    <message>
        <source>it is the id of a listed model</source>
        <translation>它是清单中某个模型的编号</translation>
    </message>
    <message>
        <source>{name} is the published {id}, which is already installed</source>
        <translation>{name} 是已发布的 {id}，已经安装</translation>
    </message>
    <message>
        <source>{weights_id} is the base of {dependants}, stored as heads over it: replacing it would leave them without their base, so it is kept even when asked to replace it; import under another id, or remove those versions first (export them as standalone files first to keep them)</source>
        <translation>{weights_id} 是 {dependants} 的基础模型，它们以头部形式存储在其之上：替换它会使它们失去基础模型，因此即使要求替换也会保留它；请以其他编号导入，或先删除这些版本（如需保留，请先将它们导出为独立文件）</translation>
    </message>
    <message>
        <source>{spec} is a backbone for training, not a segmentation model</source>
        <translation>{spec} 是用于训练的主干网络，不是分割模型</translation>
    </message>
    <message>
        <source>{path}: the symbolic link loops on itself; point it at a weights file</source>
        <translation>{path}：符号链接指向自身形成循环；请让它指向权重文件</translation>
    </message>
    <message>
        <source>{path}: the symbolic link points to a missing file; fix or remove it</source>
        <translation>{path}：符号链接指向不存在的文件；请修正或删除它</translation>
    </message>
    <message>
        <source>backbone from VGG16 ImageNet weights ({file}); score layers start at zero</source>
        <translation>主干来自 VGG16 ImageNet 权重（{file}）；评分层从零开始</translation>
    </message>
    <message>
        <source>the base predicts {base} classes, this data has {data}: score layers re-initialised</source>
        <translation>基础模型预测 {base} 个类别，此数据有 {data} 个：评分层已重新初始化</translation>
    </message>
    <message>
        <source>initialised {arch} from a {base} model (as the paper grows 32s -&gt; 16s -&gt; 8s)</source>
        <translation>由 {base} 模型初始化 {arch}（与论文中 32s → 16s → 8s 的做法相同）</translation>
    </message>
    <message>
        <source>not taken from the base: {layers}</source>
        <translation>未从基础模型继承：{layers}</translation>
    </message>
    <message>
        <source>unknown architecture {arch!r}: choose fcn32s, fcn16s or fcn8s</source>
        <translation>未知架构 {arch!r}：请选择 fcn32s、fcn16s 或 fcn8s</translation>
    </message>
    <message>
        <source>the dataset cannot be used for training:
{report}</source>
        <translation>此数据集不能用于训练：
{report}</translation>
    </message>
    <message>
        <source>validation folder {val_dir}:
{text}</source>
        <translation>验证文件夹 {val_dir}：
{text}</translation>
    </message>
    <message>
        <source>resumed after epoch {epoch} (best mean IoU {best:.4f})</source>
        <translation>从第 {epoch} 轮之后继续（最佳平均 IoU {best:.4f}）</translation>
    </message>
    <message>
        <source>cancelled during epoch {epoch}; checkpoints kept</source>
        <translation>在第 {epoch} 轮中取消；检查点已保留</translation>
    </message>
    <message>
        <source>{mask_path}: labels {bad} are not classes of {name} (0-{num_classes}, 255 = unlabelled); add the classes or erase those labels</source>
        <translation>{mask_path}：标签 {bad} 不是 {name} 中的类别（0-{num_classes}，255 = 未标注）；请添加这些类别或擦除这些标签</translation>
    </message>
    <message>
        <source>{n} labelled {n:image|images}, {pixels} labelled pixels, {classes} classes</source>
        <translation>{n} 张已标注图像，{pixels} 个已标注像素，{classes} 个类别</translation>
    </message>
    <message>
        <source>{world_size} processes ({backend}): each holds its share of the images; losses and gradients are summed over the processes at every solver evaluation</source>
        <translation>{world_size} 个进程（{backend}）：每个进程持有一部分图像；每次求解器计算时，损失和梯度在各进程间求和</translation>
    </message>
    <message>
        <source>{out} exists (an earlier training&apos;s model, with no state to resume); {keep_model_hint}</source>
        <translation>{out} 已存在（之前训练的模型，没有可继续的状态）；{keep_model_hint}</translation>
    </message>
    <message>
        <source>{state}: a {arch} with {num_classes} classes cannot resume this {run_arch} run with {run_classes} classes</source>
        <translation>{state}：{num_classes} 个类别的 {arch} 不能继续这次 {run_classes} 个类别的 {run_arch} 训练</translation>
    </message>
    <message>
        <source>unknown optimizer {optimizer!r}: choose adam or sgd</source>
        <translation>未知优化器 {optimizer!r}：请选择 adam 或 sgd</translation>
    </message>
    <message>
        <source>precision: {reason}</source>
        <translation>精度：{reason}</translation>
    </message>
    <message>
        <source>{world_size} processes ({backend}): batch {batch_size} per process, global batch {global_batch}; {n} training images per process</source>
        <translation>{world_size} 个进程（{backend}）：每个进程批量 {batch_size}，全局批量 {global_batch}；每个进程 {n} 张训练图像</translation>
    </message>
    <message>
        <source>the training process ended unexpectedly (exit code {exitcode}); Resume continues from the last completed epoch</source>
        <translation>训练进程意外结束（退出码 {exitcode}）；“继续”会从最后完成的一轮接着训练</translation>
    </message>
    <message>
        <source>nothing to resume: {name} is missing next to {out}</source>
        <translation>没有可继续的训练：{out} 旁边缺少 {name}</translation>
    </message>
    <message>
        <source>nothing to resume: {name} is not next to {out}; {keep_model_hint}</source>
        <translation>没有可继续的训练：{out} 旁边没有 {name}；{keep_model_hint}</translation>
    </message>
    <message>
        <source>{train} {train:image|images} for training and {val} for validation, {classes} classes, on {device}</source>
        <translation>{train} 张图像用于训练，{val} 张用于验证，{classes} 个类别，在 {device} 上</translation>
    </message>
    <message>
        <source>backbone passes: {runs}, cached features reused: {hits}</source>
        <translation>主干计算次数：{runs}，复用缓存特征次数：{hits}</translation>
    </message>
</context>
</TS>
