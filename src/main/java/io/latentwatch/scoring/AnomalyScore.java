package io.latentwatch.scoring;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.latentwatch.model.ModelFormatException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a frame's anomaly score is made from what the model gives (mse of decode(μ), and μ itself); higher is more
 * anomalous. The name is model.json's {@code calibration.score}:
 *
 * <ul>
 *   <li>{@value #MSE}: the frame's mse; needs nothing else.
 *   <li>{@value #MAHALANOBIS}: the squared Mahalanobis distance of μ under a Gaussian fitted to the training
 *       frames' μ ({@link LatentGaussian}), stored as {@code calibration.latents}.
 *   <li>{@value #MSE_MAHALANOBIS}: mse / s_mse + d² / s_d, each term divided by its mean over the normal
 *       validation frames ({@code calibration.score_scales}), so that both weigh alike on normal frames.
 * </ul>
 *
 * Immutable and thread-safe.
 */
public final class AnomalyScore {

    public static final String MSE = "mse";
    public static final String MAHALANOBIS = "mahalanobis";
    public static final String MSE_MAHALANOBIS = "mse+mahalanobis";

    /** Every score name, the default first. */
    public static final List<String> NAMES = List.of(MSE_MAHALANOBIS, MSE, MAHALANOBIS);

    /** The score training calibrates unless told otherwise (measured best, see docs/training.md). */
    public static final String DEFAULT = MSE_MAHALANOBIS;

    private final String name;
    private final LatentGaussian latents;
    private final double mseScale;
    private final double mahalanobisScale;

    private AnomalyScore(String name, LatentGaussian latents, double mseScale, double mahalanobisScale) {
        this.name = name;
        this.latents = latents;
        this.mseScale = mseScale;
        this.mahalanobisScale = mahalanobisScale;
    }

    /** @throws IllegalArgumentException naming the known scores */
    public static void checkName(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown score \"" + name + "\" (known: " + String.join(", ", NAMES) + ")");
        }
    }

    /** Whether the score needs state fitted at calibration (everything but mse). */
    public static boolean needsCalibration(String name) {
        checkName(name);
        return !MSE.equals(name);
    }

    /** The plain mse score. */
    public static AnomalyScore mse() {
        return new AnomalyScore(MSE, null, 1, 1);
    }

    /**
     * A score that needs no fitted state.
     *
     * @throws IllegalArgumentException for an unknown name, or one that needs a calibrated model directory
     */
    public static AnomalyScore of(String name) {
        if (needsCalibration(name)) {
            throw new IllegalArgumentException("score \"" + name + "\" needs the latent statistics of a calibrated model "
                    + "directory (BatchScorer.forModel); only \"" + MSE + "\" works without them");
        }
        return mse();
    }

    /**
     * Fits a score: the latent Gaussian comes from the training frames; the scales are the mean mse and mean d² of
     * the given normal (validation) frames.
     */
    public static AnomalyScore fit(String name, LatentGaussian latents, FrameScore[] normal) {
        checkName(name);
        double mse = 0;
        double d2 = 0;
        for (FrameScore s : normal) {
            mse += s.mse;
            d2 += latents.distanceSquared(s.mu);
        }
        int n = Math.max(1, normal.length);
        return new AnomalyScore(name, latents, positive(mse / n), positive(d2 / n));
    }

    private static double positive(double v) {
        return v > 0 && Double.isFinite(v) ? v : 1;
    }

    /**
     * The score a calibration object names, with its state.
     *
     * @param calibration model.json's calibration
     * @param latentDim the model's latent dimensions
     * @throws ModelFormatException if the score is unknown or its state is missing or malformed
     */
    public static AnomalyScore fromCalibration(JsonObject calibration, int latentDim) throws ModelFormatException {
        JsonElement s = calibration.get("score");
        String name = s == null || s.isJsonNull() ? MSE : s.getAsString();
        if (!NAMES.contains(name)) {
            throw new ModelFormatException("model.json: unknown calibration score \"" + name + "\" (known: " + String.join(", ", NAMES) + ")");
        }
        return named(calibration, name, latentDim);
    }

    /** Every score the calibration object has state for, by name (mse always). */
    public static Map<String, AnomalyScore> available(JsonObject calibration, int latentDim) throws ModelFormatException {
        Map<String, AnomalyScore> out = new LinkedHashMap<>();
        for (String name : NAMES) {
            if (!needsCalibration(name) || calibration.has("latents")) {
                out.put(name, named(calibration, name, latentDim));
            }
        }
        return out;
    }

    private static AnomalyScore named(JsonObject calibration, String name, int latentDim) throws ModelFormatException {
        if (MSE.equals(name)) {
            return mse();
        }
        if (!calibration.has("latents") || !calibration.get("latents").isJsonObject()) {
            throw new ModelFormatException("model.json: calibration score \"" + name + "\" needs calibration.latents (the training latents' mean and precision)");
        }
        LatentGaussian latents = LatentGaussian.fromJson(calibration.getAsJsonObject("latents"), latentDim);
        double mseScale = 1;
        double mahalanobisScale = 1;
        if (MSE_MAHALANOBIS.equals(name)) {
            JsonElement scales = calibration.get("score_scales");
            if (scales == null || !scales.isJsonObject()) {
                throw new ModelFormatException("model.json: calibration score \"" + name + "\" needs calibration.score_scales");
            }
            try {
                mseScale = scales.getAsJsonObject().get(MSE).getAsDouble();
                mahalanobisScale = scales.getAsJsonObject().get(MAHALANOBIS).getAsDouble();
            } catch (RuntimeException e) {
                throw new ModelFormatException("model.json: calibration.score_scales needs positive \"mse\" and \"mahalanobis\"", e);
            }
            if (!(mseScale > 0 && mahalanobisScale > 0 && Double.isFinite(mseScale) && Double.isFinite(mahalanobisScale))) {
                throw new ModelFormatException("model.json: calibration.score_scales needs positive \"mse\" and \"mahalanobis\"");
            }
        }
        return new AnomalyScore(name, latents, mseScale, mahalanobisScale);
    }

    /** The same fitted state under another score name (one of {@link #NAMES}). */
    public AnomalyScore as(String other) {
        checkName(other);
        if (needsCalibration(other) && latents == null) {
            throw new IllegalArgumentException("score \"" + other + "\" needs latent statistics that this score lacks");
        }
        return new AnomalyScore(other, latents, mseScale, mahalanobisScale);
    }

    /** Adds this score's name and state (latents, score_scales) to a calibration object. */
    public void writeTo(JsonObject calibration) {
        calibration.addProperty("score", name);
        if (latents != null) {
            calibration.add("latents", latents.toJson());
            JsonObject scales = new JsonObject();
            scales.addProperty(MSE, mseScale);
            scales.addProperty(MAHALANOBIS, mahalanobisScale);
            calibration.add("score_scales", scales);
        }
    }

    public String name() {
        return name;
    }

    /** The latent Gaussian, null for {@value #MSE}. */
    public LatentGaussian latents() {
        return latents;
    }

    /** The score of a frame with this mse and posterior mean. */
    public double score(double mse, float[] mu) {
        switch (name) {
            case MSE:
                return mse;
            case MAHALANOBIS:
                return latents.distanceSquared(mu);
            default:
                return mse / mseScale + latents.distanceSquared(mu) / mahalanobisScale;
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
