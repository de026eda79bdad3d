package io.latentwatch.evaluation;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelFormatException;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.training.Calibrator;
import io.latentwatch.training.NormalisedFrames;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Offline evaluation of a model directory on labelled sets ({@code latentwatch evaluate}): its calibrated score's
 * AUROC and AUPR, precision, recall, F1 and false-alarm rate at its calibrated threshold, recall per anomaly
 * label, and, for comparison, the AUROC of the other scores its calibration has state for (and of the KL term).
 */
public final class Evaluation {

    /** Points kept of the ROC curve. */
    static final int ROC_POINTS = 512;

    /**
     * The outcome.
     *
     * @param atThreshold null when the model has no calibrated threshold
     * @param recallByLabel for each label of the anomalous set, {flagged, frames}; empty without a threshold
     * @param otherAuroc AUROC of each other score, and of "kl"
     */
    public record Report(String score, double threshold, int normalFrames, int anomalousFrames, double auroc, double aupr,
            DetectionMetrics.AtThreshold atThreshold, Map<String, long[]> recallByLabel, Map<String, Double> otherAuroc,
            DetectionMetrics.RocPoint[] roc) {

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
            return o;
        }
    }

    /** JSON has no NaN: precision without a flagged frame, or a missing threshold, is written as null. */
    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private Evaluation() {}

    /**
     * Scores both sets with the model's calibrated score and measures it.
     *
     * @throws ModelFormatException if the model's calibration is unusable
     */
    public static Report run(ModelDirectory.Loaded model, Device device, DataType precision, NormalisedFrames normal,
            NormalisedFrames anomalous) throws ModelFormatException {
        FrameScore[] n;
        FrameScore[] a;
        try (BatchScorer scorer = BatchScorer.forModel(model, device, precision)) {
            n = Calibrator.scoreAll(scorer, normal);
            a = Calibrator.scoreAll(scorer, anomalous);
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
                byLabel, other, DetectionMetrics.rocCurve(ns, as, ROC_POINTS));
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
    public static NormalisedFrames load(io.latentwatch.data.ImageDataset dataset, ModelDirectory.Loaded model) {
        return NormalisedFrames.load(dataset, model.metadata.config().inChannels(), model.metadata.config().imageSize());
    }
}
