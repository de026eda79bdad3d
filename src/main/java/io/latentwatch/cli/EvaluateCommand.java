package io.latentwatch.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.latentwatch.data.DatasetSpec;
import io.latentwatch.data.GroundTruthMasks;
import io.latentwatch.data.ImageDataset;
import io.latentwatch.evaluation.Evaluation;
import io.latentwatch.evaluation.PixelMetrics;
import io.latentwatch.evaluation.RocChart;
import io.latentwatch.frames.ImageGrids;
import io.latentwatch.frames.ImageReading;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.training.NormalisedFrames;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** latentwatch evaluate --model DIR --normal SPEC --anomalous SPEC [--roc F.png] [--worst F.png] [--json F.json] */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Measures a model on normal and anomalous images: AUROC and AUPR of its calibrated score, precision, recall, F1 and",
            "false-alarm rate at its calibrated threshold (anomaly = score > threshold), recall per anomaly label, and the AUROC of",
            "the other scores for comparison. SPEC: " + DatasetSpec.FORMS + ".",
            "Where the model has anomaly maps and the anomalous set ground-truth masks (synthetic frames, MVTec AD layout), also the"
                    + " maps' pixel AUROC and AUPRO (false-positive rates 0-0.3). For MVTec AD: --normal mvtec:DIR@good --anomalous"
                    + " mvtec:DIR@defects.",
            "Unreadable images, images in other formats than PNG, JPEG and BMP, and images of more pixels than --max-pixels are"
                    + " skipped and counted."
        })
final class EvaluateCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "model directory")
    Path model;

    @Option(names = "--normal", required = true, paramLabel = "SPEC", description = "normal images (not trained on)")
    String normal;

    @Option(names = "--anomalous", required = true, paramLabel = "SPEC", description = "anomalous images")
    String anomalous;

    @Option(names = "--roc", paramLabel = "F.png", description = "also draw the ROC curve into this PNG file")
    Path roc;

    @Option(names = "--worst", paramLabel = "F.png", description = "also picture the highest-scored frames of both sets in this PNG file:"
            + " a row each, input | reconstruction | anomaly map with its region")
    Path worst;

    @Option(names = "--worst-count", paramLabel = "N", defaultValue = "" + Evaluation.DEFAULT_WORST,
            description = "frames in the --worst picture (default: ${DEFAULT-VALUE})")
    int worstCount;

    @Option(names = "--json", paramLabel = "F.json", description = "also write the figures as JSON to this file")
    Path json;

    @Mixin DeviceOption deviceOption;

    @Mixin PrecisionOption precisionOption;

    @Mixin PixelLimitOption pixelLimit;

    @Override
    public Integer call() throws Exception {
        if (worstCount < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--worst-count must be at least 1, got " + worstCount);
        }
        DatasetSpec normalSpec = parseSpec("--normal", normal);
        DatasetSpec anomalousSpec = parseSpec("--anomalous", anomalous);
        ImageReading.PixelBudget budget = pixelLimit.budget();
        Device device = deviceOption.device();
        DataType precision = precisionOption.precision(device);
        PrintWriter out = LatentwatchCommand.out(spec);
        PrintWriter err = spec.commandLine().getErr();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded loaded = ModelDirectory.read(model, manager);
            Evaluation.TestSet normalSet = load(normalSpec, budget, loaded, err);
            Evaluation.TestSet anomalousSet = load(anomalousSpec, budget, loaded, err);
            warnOfGoodImages(anomalousSet, err);
            NormalisedFrames normalFrames = normalSet.frames();
            NormalisedFrames anomalousFrames = anomalousSet.frames();
            Evaluation.Report r = Evaluation.run(loaded, device, precision, normalSet, anomalousSet, worst == null ? 0 : worstCount);
            out.printf(Locale.ROOT, "model %s (version %d), score %s, threshold %s%n", model, loaded.metadata.version(), r.score(),
                    Double.isNaN(r.threshold()) ? "none (not calibrated)" : String.format(Locale.ROOT, "%.6g", r.threshold()));
            out.printf(Locale.ROOT, "normal:    %s: %d images%n", normal, r.normalFrames());
            out.printf(Locale.ROOT, "anomalous: %s: %d images%n", anomalous, r.anomalousFrames());
            out.printf(Locale.ROOT, "AUROC %.4f  AUPR %.4f%n", r.auroc(), r.aupr());
            if (r.atThreshold() != null) {
                var t = r.atThreshold();
                out.printf(Locale.ROOT, "at the threshold: precision %.4f  recall %.4f  F1 %.4f  false-alarm rate %.4f (%d of %d normal images)%n",
                        t.precision(), t.recall(), t.f1(), t.falseAlarmRate(), t.falsePositives(), r.normalFrames());
                if (r.recallByLabel().size() > 1) {
                    StringBuilder line = new StringBuilder("recall by label:");
                    for (Map.Entry<String, long[]> e : r.recallByLabel().entrySet()) {
                        long[] c = e.getValue();
                        line.append(String.format(Locale.ROOT, "  %s %.3f (%d/%d)", e.getKey().isEmpty() ? "(top)" : e.getKey(),
                                (double) c[0] / c[1], c[0], c[1]));
                    }
                    out.println(line);
                }
            }
            StringBuilder other = new StringBuilder("AUROC of the other scores:");
            r.otherAuroc().forEach((k, v) -> other.append(String.format(Locale.ROOT, "  %s %.4f", k, v)));
            out.println(other);
            if (r.pixels() != null) {
                out.printf(Locale.ROOT, "pixel AUROC %.4f  AUPRO %.4f (false-positive rates 0-%.1f; %d anomalous regions, %d of %d pixels)%n",
                        r.pixels().auroc(), r.pixels().aupro(), PixelMetrics.MAX_FPR, r.pixels().regions(),
                        r.pixels().positivePixels(), r.pixels().pixels());
            } else {
                out.println("pixel AUROC and AUPRO: not measured, " + r.pixelsMissing());
            }
            if (roc != null) {
                ImageGrids.writePng(RocChart.draw(String.format(Locale.ROOT, "%s: %s vs %s", r.score(), normal, anomalous), r.roc(), r.auroc(),
                        Evaluation.operatingPoint(r)), roc);
                out.println("wrote " + roc);
            }
            if (worst != null) {
                ImageGrids.writePng(Evaluation.worstPicture(r.worst(), loaded.metadata.config().inChannels(), loaded.metadata.config().imageSize()),
                        worst);
                long fromAnomalous = r.worst().stream().filter(w -> w.set().equals("anomalous")).count();
                out.printf(Locale.ROOT, "wrote %s: the %d highest-scored frames (%d anomalous, %d normal)%s%n", worst, r.worst().size(), fromAnomalous,
                        r.worst().size() - fromAnomalous, r.worst().get(0).map() == null ? ", without maps (the model has none)" : "");
            }
            if (json != null) {
                JsonObject o = r.toJson();
                o.addProperty("model", model.toString());
                o.addProperty("model_version", loaded.metadata.version());
                o.addProperty("normal", normal);
                o.addProperty("anomalous", anomalous);
                o.addProperty("normal_skipped", normalFrames.skipped().size());
                o.addProperty("anomalous_skipped", anomalousFrames.skipped().size());
                Files.writeString(json, new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n", StandardCharsets.UTF_8);
                out.println("wrote " + json);
            }
            out.flush();
        }
        return 0;
    }

    private static Evaluation.TestSet load(DatasetSpec s, ImageReading.PixelBudget budget, ModelDirectory.Loaded loaded, PrintWriter err)
            throws java.io.IOException {
        ImageDataset d = s.open(budget);
        Evaluation.TestSet set = Evaluation.loadSet(d, loaded);
        NormalisedFrames f = set.frames();
        if (!f.skipped().isEmpty()) {
            err.println("skipped " + f.skipped().size() + " unreadable image(s) of " + s + ", the first " + f.skipped().get(0));
            err.flush();
        }
        return set;
    }

    /** An MVTec AD test/ folder given whole as the anomalous set counts its good images as anomalies: say so. */
    private static void warnOfGoodImages(Evaluation.TestSet anomalous, PrintWriter err) {
        if (anomalous.masks() == null) {
            return;
        }
        long good = IntStream.range(0, anomalous.frames().count())
                .filter(i -> anomalous.frames().label(i).equals(GroundTruthMasks.GOOD) || anomalous.frames().label(i).endsWith("/" + GroundTruthMasks.GOOD))
                .count();
        if (good > 0) {
            err.println("warning: --anomalous holds " + good + " image(s) of good/, counted as anomalies; for MVTec AD use --normal mvtec:DIR@good"
                    + " --anomalous mvtec:DIR@defects");
            err.flush();
        }
    }

    private DatasetSpec parseSpec(String option, String value) {
        try {
            return DatasetSpec.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
    }
}
