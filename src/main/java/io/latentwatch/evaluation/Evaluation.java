package io.latentwatch.evaluation;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.latentwatch.data.GroundTruthMasks;
import io.latentwatch.data.ImageDataset;
import io.latentwatch.frames.MapPanels;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelFormatException;
import io.latentwatch.scoring.AnomalyMap;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.training.Calibrator;
import io.latentwatch.training.NormalisedFrames;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * Offline evaluation of a model directory on labelled sets ({@code latentwatch evaluate}): its calibrated score's
 * AUROC and AUPR, precision, recall, F1 and false-alarm rate at its calibrated threshold, recall per anomaly
 * label, and, for comparison, the AUROC of the other scores its calibration has state for (and of the KL term).
 * Where the model measures anomaly maps and the anomalous set has ground-truth masks, also the maps' pixel AUROC
 * and AUPRO ({@link PixelMetrics}) over both sets, normal frames without masks counting as all normal pixels; and,
 * on request, the highest-scored frames of both sets with their reconstructions and maps, for a picture.
 */
public final class Evaluation {

    /** Points kept of the ROC curve. */
    static final int ROC_POINTS = 512;

    /** Frames reconstructed per model call for the worst-scored picture. */
    private static final int RECONSTRUCT_BATCH = 64;

    /** Frames of the worst-scored picture when none are asked for. */
    public static final int DEFAULT_WORST = 16;

    /**
     * A labelled set as loaded for evaluation: its frames at the model's input size and, where the dataset has them,
     * each frame's ground-truth mask in the model's grid.
     *
     * @param masks one per frame (size × size, true = anomalous pixel), or null where the dataset has none
     */
    public record TestSet(ImageDataset dataset, NormalisedFrames frames, boolean[][] masks) {

        /** Frame {@code index}'s name in its dataset (a file relative to the folder, {@code synthetic#42}). */
        public String name(int index) {
            return dataset.name(frames.item(index));
        }
    }

    /**
     * One of the highest-scored frames.
     *
     * @param set "normal" or "anomalous"
     * @param frame its index in its set's frames
     * @param input the model's input, channels × size × size values in [−1, 1]
     * @param reconstruction the model's decode(μ), the same shape
     * @param map its anomaly map, null for a model without maps
     */
    public record WorstFrame(String set, int frame, String name, String label, double score, float[] input, float[] reconstruction,
            AnomalyMap map) {}

    /**
     * The outcome.
     *
     * @param atThreshold null when the model has no calibrated threshold
     * @param recallByLabel for each label of the anomalous set, {flagged, frames}; empty without a threshold
     * @param otherAuroc AUROC of each other score, and of "kl"
     * @param pixels the maps' pixel metrics, null where not measured ({@code pixelsMissing} says why)
     * @param worst the highest-scored frames, highest first; empty unless asked for
     */
    public record Report(String score, double threshold, int normalFrames, int anomalousFrames, double auroc, double aupr,
            DetectionMetrics.AtThreshold atThreshold, Map<String, long[]> recallByLabel, Map<String, Double> otherAuroc,
            DetectionMetrics.RocPoint[] roc, PixelMetrics.Result pixels, String pixelsMissing, List<WorstFrame> worst) {

        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("score", score);
            o.addProperty("threshold", finiteOrNull(threshold));
            o.addProperty("normal_frames", normalFrames);
            o.addProperty("anomalous_frames", anomalousFrames);
            o.addProperty("auroc", auroc);
            o.addProperty("aupr", aupr);
            if (atThreshold != null) {
                o.addProperty("precision", finiteOrNull(atThreshold.precision()));
                o.addProperty("recall", finiteOrNull(atThreshold.recall()));
                o.addProperty("f1", finiteOrNull(atThreshold.f1()));
                o.addProperty("false_alarm_rate", finiteOrNull(atThreshold.falseAlarmRate()));
                o.addProperty("true_positives", atThreshold.truePositives());
                o.addProperty("false_positives", atThreshold.falsePositives());
                o.addProperty("true_negatives", atThreshold.trueNegatives());
                o.addProperty("false_negatives", atThreshold.falseNegatives());
                JsonObject byLabel = new JsonObject();
                recallByLabel.forEach((label, c) -> {
                    JsonObject l = new JsonObject();
                    l.addProperty("flagged", c[0]);
                    l.addProperty("frames", c[1]);
                    l.addProperty("recall", (double) c[0] / c[1]);
                    byLabel.add(label, l);
                });
                o.add("recall_by_label", byLabel);
            }
            JsonObject other = new JsonObject();
            otherAuroc.forEach(other::addProperty);
            o.add("other_scores_auroc", other);
            if (pixels != null) {
                o.addProperty("pixel_auroc", finiteOrNull(pixels.auroc()));
                o.addProperty("aupro", finiteOrNull(pixels.aupro()));
                o.addProperty("aupro_max_fpr", PixelMetrics.MAX_FPR);
                o.addProperty("pixels", pixels.pixels());
                o.addProperty("anomalous_pixels", pixels.positivePixels());
                o.addProperty("anomalous_regions", pixels.regions());
            } else {
                o.add("pixel_auroc", null);
                o.add("aupro", null);
                o.addProperty("pixel_metrics_missing", pixelsMissing);
            }
            if (!worst.isEmpty()) {
                JsonArray w = new JsonArray();
                for (WorstFrame f : worst) {
                    JsonObject j = new JsonObject();
                    j.addProperty("set", f.set());
                    j.addProperty("name", f.name());
                    j.addProperty("label", f.label());
                    j.addProperty("score", finiteOrNull(f.score()));
                    w.add(j);
                }
                o.add("worst", w);
            }
            return o;
        }
    }

    /** JSON has no NaN: precision without a flagged frame, or a missing threshold, is written as null. */
    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private Evaluation() {}

    /**
     * Scores both sets with the model's calibrated score and measures it, without pixel metrics or pictures.
     *
     * @throws ModelFormatException if the model's calibration is unusable
     */
    public static Report run(ModelDirectory.Loaded model, Device device, DataType precision, NormalisedFrames normal,
            NormalisedFrames anomalous) throws ModelFormatException {
        return run(model, device, precision, normal, null, anomalous, null, 0);
    }

    /**
     * Scores both sets with the model's calibrated score and measures it, and its maps against the masks.
     *
     * @param worst how many of the highest-scored frames of both sets to keep for a picture (0: none)
     * @throws ModelFormatException if the model's calibration is unusable
     */
    public static Report run(ModelDirectory.Loaded model, Device device, DataType precision, TestSet normal, TestSet anomalous, int worst)
            throws ModelFormatException {
        return run(model, device, precision, normal.frames(), normal, anomalous.frames(), anomalous, worst);
    }

    private static Report run(ModelDirectory.Loaded model, Device device, DataType precision, NormalisedFrames normal, TestSet normalSet,
            NormalisedFrames anomalous, TestSet anomalousSet, int worst) throws ModelFormatException {
        if (worst < 0) {
            throw new IllegalArgumentException("worst must be >= 0, got " + worst);
        }
        FrameScore[] n;
        FrameScore[] a;
        boolean maps;
        List<WorstFrame> worstFrames;
        try (BatchScorer scorer = BatchScorer.forModel(model, device, precision)) {
            maps = scorer.getMaps() != null;
            n = Calibrator.scoreAll(scorer, normal);
            a = Calibrator.scoreAll(scorer, anomalous);
            worstFrames = worst == 0 ? List.of() : worst(scorer, normal, normalSet, n, anomalous, anomalousSet, a, worst);
        }
        PixelMetrics.Result pixels = null;
        String missing = null;
        if (!maps) {
            missing = "the model has no anomaly maps (calibration.map)";
        } else if (anomalousSet == null || anomalousSet.masks() == null) {
            missing = "the anomalous set has no ground-truth masks";
        } else {
            pixels = pixelMetrics(model.metadata.config().imageSize(), n, normalSet.masks(), a, anomalousSet.masks());
        }
        AnomalyScore primary = AnomalyScore.fromCalibration(model.metadata.calibration(), model.metadata.config().latentDim());
        double[] ns = values(n, f -> f.score);
        double[] as = values(a, f -> f.score);
        double threshold = model.metadata.threshold();
        DetectionMetrics.AtThreshold at = null;
        Map<String, long[]> byLabel = new TreeMap<>();
        if (!Double.isNaN(threshold)) {
            at = DetectionMetrics.atThreshold(ns, as, threshold);
            for (int i = 0; i < a.length; i++) {
                long[] c = byLabel.computeIfAbsent(anomalous.label(i), k -> new long[2]);
                c[0] += a[i].score > threshold ? 1 : 0;
                c[1]++;
            }
        }
        Map<String, Double> other = new LinkedHashMap<>();
        for (Map.Entry<String, AnomalyScore> e : AnomalyScore.available(model.metadata.calibration(), model.metadata.config().latentDim()).entrySet()) {
            if (!e.getKey().equals(primary.name())) {
                AnomalyScore s = e.getValue();
                other.put(e.getKey(), DetectionMetrics.auroc(values(n, f -> s.score(f)), values(a, f -> s.score(f))));
            }
        }
        other.put("kl", DetectionMetrics.auroc(values(n, f -> f.kl), values(a, f -> f.kl)));
        return new Report(primary.name(), threshold, n.length, a.length, DetectionMetrics.auroc(ns, as), DetectionMetrics.aupr(ns, as), at,
                byLabel, other, DetectionMetrics.rocCurve(ns, as, ROC_POINTS), pixels, missing, worstFrames);
    }

    /** Both sets' maps against their masks; a normal set without masks counts as all normal pixels. */
    private static PixelMetrics.Result pixelMetrics(int size, FrameScore[] n, boolean[][] normalMasks, FrameScore[] a, boolean[][] anomalousMasks) {
        float[][] maps = new float[n.length + a.length][];
        boolean[][] masks = new boolean[maps.length][];
        boolean[] empty = new boolean[size * size];
        for (int i = 0; i < n.length; i++) {
            maps[i] = n[i].map.values();
            masks[i] = normalMasks == null ? empty : normalMasks[i];
        }
        for (int i = 0; i < a.length; i++) {
            maps[n.length + i] = a[i].map.values();
            masks[n.length + i] = anomalousMasks[i];
        }
        return PixelMetrics.measure(size, maps, masks);
    }

    /** The {@code count} highest-scored frames of both sets (NaN first), with their reconstructions. */
    private static List<WorstFrame> worst(BatchScorer scorer, NormalisedFrames normal, TestSet normalSet, FrameScore[] n,
            NormalisedFrames anomalous, TestSet anomalousSet, FrameScore[] a, int count) {
        Integer[] order = IntStream.range(0, n.length + a.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> i < n.length ? n[i].score : a[i - n.length].score).reversed());
        int k = Math.min(count, order.length);
        int fv = normal.frameValues();
        float[] inputs = new float[k * fv];
        for (int j = 0; j < k; j++) {
            int i = order[j];
            (i < n.length ? normal : anomalous).copyFrame(i < n.length ? i : i - n.length, inputs, j * fv);
        }
        float[] recon = new float[k * fv];
        for (int from = 0; from < k; from += RECONSTRUCT_BATCH) { // bounded device memory however many are asked for
            int m = Math.min(RECONSTRUCT_BATCH, k - from);
            System.arraycopy(scorer.reconstruct(Arrays.copyOfRange(inputs, from * fv, (from + m) * fv), m), 0, recon, from * fv, m * fv);
        }
        List<WorstFrame> out = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            int i = order[j];
            boolean isNormal = i < n.length;
            int frame = isNormal ? i : i - n.length;
            NormalisedFrames set = isNormal ? normal : anomalous;
            TestSet named = isNormal ? normalSet : anomalousSet;
            FrameScore f = isNormal ? n[frame] : a[frame];
            out.add(new WorstFrame(isNormal ? "normal" : "anomalous", frame, named == null ? Integer.toString(set.item(frame)) : named.name(frame),
                    set.label(frame), f.score, Arrays.copyOfRange(inputs, j * fv, (j + 1) * fv), Arrays.copyOfRange(recon, j * fv, (j + 1) * fv), f.map));
        }
        return out;
    }

    /** The worst frames' picture: a row per frame, highest score first, input | reconstruction | map with its region. */
    public static BufferedImage worstPicture(List<WorstFrame> worst, int channels, int size) {
        int scale = MapPanels.scaleFor(size);
        List<BufferedImage> rows = new ArrayList<>(worst.size());
        for (WorstFrame f : worst) {
            AnomalyMap m = f.map();
            rows.add(MapPanels.row(f.input(), f.reconstruction(), channels, size, m == null ? null : m.values(), m == null ? Double.NaN : m.threshold(),
                    m == null ? null : m.region(), scale));
        }
        return MapPanels.stack(rows);
    }

    /**
     * Loads a set at the model's input size with the masks its dataset has (see {@link GroundTruthMasks}).
     *
     * @throws IllegalArgumentException if an MVTec-layout folder lacks a mask file
     * @throws java.io.UncheckedIOException if a mask file cannot be read
     */
    public static TestSet loadSet(ImageDataset dataset, ModelDirectory.Loaded model) {
        NormalisedFrames frames = load(dataset, model);
        GroundTruthMasks gt = GroundTruthMasks.of(dataset);
        boolean[][] masks = null;
        if (gt != null) {
            int size = model.metadata.config().imageSize();
            boolean[][] m = new boolean[frames.count()][];
            IntStream.range(0, m.length).parallel().forEach(i -> m[i] = gt.mask(frames.item(i), size));
            masks = m;
        }
        return new TestSet(dataset, frames, masks);
    }

    private static double[] values(FrameScore[] scores, ToDoubleFunction<FrameScore> f) {
        double[] out = new double[scores.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(scores[i]);
        }
        return out;
    }

    /** For the ROC chart's operating point: {false-alarm rate, recall}, or null without a threshold. */
    public static double[] operatingPoint(Report r) {
        return r.atThreshold() == null ? null : new double[] {r.atThreshold().falseAlarmRate(), r.atThreshold().recall()};
    }

    /** Loads a set at the model's input size; a helper for callers that have a dataset. */
    public static NormalisedFrames load(ImageDataset dataset, ModelDirectory.Loaded model) {
        return NormalisedFrames.load(dataset, model.metadata.config().inChannels(), model.metadata.config().imageSize());
    }
}
