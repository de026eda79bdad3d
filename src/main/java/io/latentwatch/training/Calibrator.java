package io.latentwatch.training;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.model.ModelFormatException;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.scoring.LatentGaussian;
import io.latentwatch.scoring.MapCalibration;
import io.latentwatch.scoring.PixelStatistics;

/**
 * Calibrates a trained model: fits the latent statistics on the training frames, then sets the threshold at the
 * quantile of the normal validation frames' scores that leaves the target false-alarm rate above it. A frame is an
 * anomaly when its score is strictly greater than the threshold.
 */
public final class Calibrator {

    /** Frames scored per model call while calibrating. */
    static final int BATCH = 256;
    /** Training frames the latent Gaussian is fitted to at most (evenly spaced over the set). */
    static final int MAX_LATENT_FRAMES = 50_000;

    private Calibrator() {}

    /** Training frames the pixel statistics of the anomaly maps are fitted to at most (evenly spaced). */
    static final int MAX_PIXEL_FRAMES = 4096;

    /**
     * A calibration: the fitted score, its threshold, the anomaly maps' settings and statistics (null without maps),
     * and model.json's calibration object.
     */
    public record Result(AnomalyScore score, double threshold, double[] validationScores, MapCalibration maps, JsonObject json) {}

    /** As {@link #calibrate(DipVae, Device, NormalisedFrames, NormalisedFrames, String, double, MapCalibration)} without maps. */
    public static Result calibrate(DipVae model, Device device, NormalisedFrames train, NormalisedFrames validation,
            String scoreName, double falseAlarmRate) {
        return calibrate(model, device, train, validation, scoreName, falseAlarmRate, null);
    }

    /**
     * Calibrates a model (in eval mode, float32, on the given device): the latent Gaussians (Ledoit-Wolf shrinkage)
     * and, with maps, the per-pixel statistics of the training frames' maps; then, on the validation frames, the
     * score's scales, the map's region threshold (the quantile of the frames' highest standardised pixel that leaves
     * the false-alarm rate above it) and the score's threshold.
     *
     * @param train the frames the model was trained on (their μ make the latent Gaussian)
     * @param validation normal frames the model has not seen (their scores set the threshold)
     * @param scoreName one of {@link AnomalyScore#NAMES}
     * @param falseAlarmRate the fraction of normal frames allowed above the threshold, in (0, 0.5]
     * @param maps the anomaly maps to calibrate ({@link MapCalibration#uncalibrated}), or null for none
     * @throws IllegalArgumentException for a map score without maps
     */
    public static Result calibrate(DipVae model, Device device, NormalisedFrames train, NormalisedFrames validation,
            String scoreName, double falseAlarmRate, MapCalibration maps) {
        AnomalyScore.checkName(scoreName);
        if (!(falseAlarmRate > 0 && falseAlarmRate <= 0.5)) {
            throw new IllegalArgumentException("false-alarm rate must be in (0, 0.5], got " + falseAlarmRate);
        }
        if (AnomalyScore.needsMap(scoreName) && maps == null) {
            throw new IllegalArgumentException("score \"" + scoreName + "\" needs anomaly maps");
        }
        NormalisedFrames fitFrames = spread(train, MAX_LATENT_FRAMES);
        FrameScore[] trainScores;
        try (BatchScorer scorer = new BatchScorer(model, device, DataType.FLOAT32, MemoryLayout.NHWC, AnomalyScore.mse())) {
            trainScores = scoreAll(scorer, fitFrames);
        }
        LatentGaussian[] gaussians = fitGaussians(trainScores, trainScores.length);
        MapCalibration fitted = maps == null ? null : withPixelStatistics(model, device, train, maps);
        FrameScore[] valScores;
        try (BatchScorer scorer = new BatchScorer(model, device, DataType.FLOAT32, MemoryLayout.NHWC, AnomalyScore.mse(), fitted)) {
            valScores = scoreAll(scorer, validation);
        }
        if (fitted != null) {
            // the region threshold from the same validation scores the score's threshold comes from
            fitted = fitted.withThreshold(threshold(mapPeaks(valScores), falseAlarmRate));
        }
        AnomalyScore score = AnomalyScore.fit(scoreName, gaussians[0], gaussians[1], valScores, falseAlarmRate);
        double[] values = new double[valScores.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = score.score(valScores[i]);
        }
        double threshold = threshold(values, falseAlarmRate);
        int above = 0;
        for (double v : values) {
            above += v > threshold ? 1 : 0;
        }
        JsonObject json = new JsonObject();
        score.writeTo(json);
        json.addProperty("threshold", threshold);
        json.addProperty(ThresholdRecalibrator.MEDIAN, ThresholdRecalibrator.median(values));
        json.addProperty("quantile", 1 - falseAlarmRate);
        json.addProperty("frames", values.length);
        json.addProperty("false_alarm_rate", falseAlarmRate);
        json.addProperty("validation_false_alarm_rate", (double) above / values.length);
        if (fitted != null) {
            json.add("map", fitted.toJson());
        }
        // the name first and the latents last, for a readable model.json
        JsonObject ordered = new JsonObject();
        for (String key : new String[] {"score", "threshold", ThresholdRecalibrator.MEDIAN, "quantile", "frames", "false_alarm_rate", "validation_false_alarm_rate", "map",
            "score_scales", "latents", "posterior"}) {
            if (json.has(key)) {
                ordered.add(key, json.get(key));
            }
        }
        return new Result(score, threshold, values, fitted, ordered);
    }

    /**
     * Calibrates anomaly maps alone: the per-pixel statistics of the training frames' raw maps, then the region
     * threshold, the quantile of the validation frames' highest standardised pixel that leaves the false-alarm
     * rate above it.
     *
     * @param maps the maps' settings ({@link MapCalibration#uncalibrated})
     */
    public static MapCalibration calibrateMaps(DipVae model, Device device, NormalisedFrames train, NormalisedFrames validation,
            MapCalibration maps, double falseAlarmRate) {
        MapCalibration fitted = withPixelStatistics(model, device, train, maps);
        FrameScore[] valScores;
        try (BatchScorer scorer = new BatchScorer(model, device, DataType.FLOAT32, MemoryLayout.NHWC, AnomalyScore.mse(), fitted)) {
            valScores = scoreAll(scorer, validation);
        }
        return fitted.withThreshold(threshold(mapPeaks(valScores), falseAlarmRate));
    }

    /** The maps' settings with the pixel statistics of (at most {@value #MAX_PIXEL_FRAMES} of) the training frames. */
    private static MapCalibration withPixelStatistics(DipVae model, Device device, NormalisedFrames train, MapCalibration maps) {
        return maps.withStats(pixelStatistics(model, device, spread(train, MAX_PIXEL_FRAMES), maps));
    }

    /** Each frame's highest map value, what the region threshold is a quantile of. */
    private static double[] mapPeaks(FrameScore[] frames) {
        double[] peaks = new double[frames.length];
        for (int i = 0; i < peaks.length; i++) {
            peaks[i] = frames[i].mapMax;
        }
        return peaks;
    }

    /** At most {@code max} frames of a set, evenly spaced over it. */
    private static NormalisedFrames spread(NormalisedFrames frames, int max) {
        if (frames.count() <= max) {
            return frames;
        }
        int[] idx = new int[max];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = (int) ((long) i * frames.count() / idx.length);
        }
        return frames.select(idx);
    }

    /** The per-pixel statistics of the frames' raw maps, accumulated batch by batch (no map is kept). */
    static PixelStatistics pixelStatistics(DipVae model, Device device, NormalisedFrames frames, MapCalibration maps) {
        PixelStatistics.Accumulator acc = new PixelStatistics.Accumulator(model.getConfig().imageSize());
        MapCalibration raw = MapCalibration.uncalibrated(maps.map(), maps.topK());
        try (BatchScorer scorer = new BatchScorer(model, device, DataType.FLOAT32, MemoryLayout.NHWC, AnomalyScore.mse(), raw)) {
            int fv = frames.frameValues();
            float[] batch = new float[Math.min(BATCH, Math.max(1, frames.count())) * fv];
            for (int from = 0; from < frames.count(); from += BATCH) {
                int n = Math.min(BATCH, frames.count() - from);
                System.arraycopy(frames.values(), from * fv, batch, 0, n * fv);
                for (FrameScore f : scorer.score(batch, n)) {
                    acc.add(f.map.values());
                }
            }
        }
        return acc.build();
    }

    /**
     * The Gaussians of μ and of (μ, log σ²) over the first {@code count} frames (every other one from 0 when
     * {@code stride} is 2).
     *
     * @param shrinkage pulls each covariance towards its diagonal, 0 for none
     */
    static LatentGaussian[] fitGaussians(FrameScore[] frames, int count, double shrinkage) {
        return fitGaussians(frames, count, 1, shrinkage);
    }

    /** The Gaussians of μ and of (μ, log σ²) over the first {@code count} frames, each with Ledoit-Wolf shrinkage. */
    static LatentGaussian[] fitGaussians(FrameScore[] frames, int count) {
        return fitGaussians(frames, count, 1, Double.NaN);
    }

    /** @param shrinkage towards the diagonal; NaN for Ledoit-Wolf's */
    private static LatentGaussian[] fitGaussians(FrameScore[] frames, int count, int stride, double shrinkage) {
        int latent = frames[0].mu.length;
        float[] mus = new float[count * latent];
        float[] posteriors = new float[count * 2 * latent];
        for (int i = 0; i < count; i++) {
            FrameScore f = frames[i * stride];
            System.arraycopy(f.mu, 0, mus, i * latent, latent);
            System.arraycopy(f.mu, 0, posteriors, i * 2 * latent, latent);
            System.arraycopy(f.logVar, 0, posteriors, i * 2 * latent + latent, latent);
        }
        if (Double.isNaN(shrinkage)) {
            return new LatentGaussian[] {LatentGaussian.fitLedoitWolf(mus, count, latent), LatentGaussian.fitLedoitWolf(posteriors, count, 2 * latent)};
        }
        return new LatentGaussian[] {LatentGaussian.fit(mus, count, latent, shrinkage), LatentGaussian.fit(posteriors, count, 2 * latent, shrinkage)};
    }

    /**
     * The threshold that leaves at most {@code falseAlarmRate} of the given normal scores strictly above it: the
     * ⌈(1 − rate)·n⌉-th smallest score ({@link ThresholdRecalibrator#threshold}).
     */
    public static double threshold(double[] normalScores, double falseAlarmRate) {
        return ThresholdRecalibrator.threshold(normalScores, falseAlarmRate);
    }

    /** Held-out frames the latent recalibrator needs at least. */
    public static final int MIN_RECALIBRATION_FRAMES = 16;

    /**
     * A recalibrator for the validation gate that handles every score of {@link AnomalyScore}: mse as
     * {@link ThresholdRecalibrator#heldOutQuantile()}; for the latent scores the candidate's latent statistics are
     * refitted, since fine-tuning moves the latents. The held-out frames are split alternately: the Gaussian is
     * fitted to the μ and log σ² of one half (its covariance shrunk towards its diagonal by d / (n + d), as n may
     * be small next to the 2·latent_dim dimensions d), the score scales and the threshold come from the other half, so the
     * threshold is not set on the frames the Gaussian was fitted to, and is the truncation-safe
     * {@link ThresholdRecalibrator#heldOutThreshold}.
     *
     * @throws IllegalArgumentException (from the returned recalibrator) with fewer than
     *     {@value #MIN_RECALIBRATION_FRAMES} held-out frames for a latent score, or an unknown score
     */
    public static ThresholdRecalibrator recalibrator() {
        return (serving, heldOut, rate) -> {
            JsonElement s = serving.get("score");
            String name = s == null || s.isJsonNull() ? AnomalyScore.MSE : s.getAsString();
            boolean maps = heldOut.length > 0 && heldOut[0].map != null;
            if (AnomalyScore.needsMap(name) && !maps) {
                throw new IllegalArgumentException("score \"" + name + "\" needs the candidate's anomaly maps of the held-out frames");
            }
            if (AnomalyScore.MSE.equals(name)) {
                return withMapThreshold(ThresholdRecalibrator.heldOutQuantile().recalibrate(serving, heldOut, rate), heldOut, rate);
            }
            if (!AnomalyScore.needsCalibration(name)) {
                return withMapThreshold(thresholded(serving.deepCopy(), AnomalyScore.of(name), heldOut, rate), heldOut, rate);
            }
            if (AnomalyScore.MAP_CONTRAST.equals(name)) {
                // its tails are 1 − rate/2 quantiles, which a few hundred held-out frames cannot measure: the
                // candidate keeps the serving tails, and its threshold follows the held-out frames as map-topk's does
                return withMapThreshold(thresholded(serving.deepCopy(), served(serving, heldOut), heldOut, rate), heldOut, rate);
            }
            if (heldOut.length < MIN_RECALIBRATION_FRAMES) {
                throw new IllegalArgumentException("score \"" + name + "\" needs at least " + MIN_RECALIBRATION_FRAMES
                        + " held-out frames to refit its latent statistics, got " + heldOut.length);
            }
            int dims = 2 * heldOut[0].mu.length;
            int fitCount = (heldOut.length + 1) / 2;
            FrameScore[] rest = new FrameScore[heldOut.length / 2];
            for (int i = 1; i < heldOut.length; i += 2) {
                rest[i / 2] = heldOut[i];
            }
            LatentGaussian[] gaussians = fitGaussians(heldOut, fitCount, 2, (double) dims / (fitCount + dims));
            AnomalyScore score = AnomalyScore.fit(name, gaussians[0], gaussians[1], rest, rate);
            JsonObject c = serving.deepCopy();
            score.writeTo(c);
            return withMapThreshold(thresholded(c, score, rest, rate), heldOut, rate);
        };
    }

    /** The serving calibration's own score, with its state. */
    private static AnomalyScore served(JsonObject serving, FrameScore[] heldOut) {
        try {
            return AnomalyScore.fromCalibration(serving, heldOut[0].mu.length);
        } catch (ModelFormatException e) {
            throw new IllegalArgumentException("the serving calibration: " + e.getMessage(), e);
        }
    }

    /** The calibration with the score's truncation-safe threshold over these frames. */
    private static JsonObject thresholded(JsonObject c, AnomalyScore score, FrameScore[] frames, double rate) {
        double[] values = new double[frames.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = score.score(frames[i]);
        }
        ThresholdRecalibrator.setHeldOutThreshold(c, values, rate);
        c.remove("validation_false_alarm_rate");
        return c;
    }

    /**
     * The calibration with its map's region threshold refitted on the held-out frames' maps (standardised by the
     * pixel statistics the candidate inherits), where it has a map and the frames carry maps.
     */
    private static JsonObject withMapThreshold(JsonObject calibration, FrameScore[] heldOut, double rate) {
        if (!calibration.has("map") || !calibration.get("map").isJsonObject() || heldOut.length == 0 || heldOut[0].map == null) {
            return calibration;
        }
        calibration.getAsJsonObject("map").addProperty("threshold", ThresholdRecalibrator.heldOutThreshold(mapPeaks(heldOut), rate));
        return calibration;
    }

    /** Scores every frame of a set, {@value #BATCH} at a time. */
    public static FrameScore[] scoreAll(BatchScorer scorer, NormalisedFrames frames) {
        int fv = frames.frameValues();
        FrameScore[] out = new FrameScore[frames.count()];
        float[] batch = new float[Math.min(BATCH, Math.max(1, frames.count())) * fv];
        for (int from = 0; from < frames.count(); from += BATCH) {
            int n = Math.min(BATCH, frames.count() - from);
            System.arraycopy(frames.values(), from * fv, batch, 0, n * fv);
            System.arraycopy(scorer.score(batch, n), 0, out, from, n);
        }
        return out;
    }
}
