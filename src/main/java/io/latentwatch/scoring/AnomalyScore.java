package io.latentwatch.scoring;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.latentwatch.model.ModelFormatException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a frame's anomaly score is made from what the model gives (the mse of decode(μ), and the posterior μ and
 * log σ²); higher is more anomalous. The name is model.json's {@code calibration.score}:
 *
 * <ul>
 *   <li>{@value #MSE}: the frame's mse; needs nothing else.
 *   <li>{@value #MAHALANOBIS}: the squared Mahalanobis distance of μ under a Gaussian fitted to the training
 *       frames' μ ({@link LatentGaussian}), stored as {@code calibration.latents}.
 *   <li>{@value #POSTERIOR}: the same for the whole posterior, the vector (μ, log σ²) of 2·latent_dim values,
 *       stored as {@code calibration.posterior}. How sure the encoder is of a frame tells normal from anomalous
 *       frames as much as where it puts it.
 *   <li>{@value #MSE_MAHALANOBIS} and {@value #MSE_POSTERIOR}: mse / s_mse + d² / s_d, each term divided by its
 *       mean over the normal validation frames ({@code calibration.score_scales}), so both weigh alike on normal
 *       frames.
 *   <li>{@value #MAP_MAX} and {@value #MAP_TOPK}: the highest value of the frame's standardised anomaly map, and the
 *       mean of its top-k values ({@link MapCalibration}): a small defect is not diluted by the rest of the frame.
 *       They need the model's {@code calibration.map} and pixel statistics.
 *   <li>{@value #MAP_POSTERIOR}: map-topk / s_map + d²(μ, log σ²) / s_d, scaled as above, for local defects and
 *       other kinds of object alike.
 *   <li>{@value #MAP_CONTRAST}: max(c / q_c, mse / q_mse) with the contrast c = map-topk / mse, the top of the map
 *       against the frame's own mean error: two tests, each given half the false-alarm rate (q is the normal
 *       validation frames' 1 − rate/2 quantile, {@code score_scales.map-contrast} and {@code score_scales.mse-tail}).
 *       A local defect stands out from the rest of its frame; a frame the model reconstructs worse all over (an
 *       unusual pose and light) does not, and it is such frames that make map-topk's tail. Whole-frame faults
 *       (blank, over-exposed, noise) have no contrast, but an mse far above normal.
 * </ul>
 *
 * Immutable and thread-safe.
 */
public final class AnomalyScore {

    public static final String MSE = "mse";
    public static final String MAHALANOBIS = "mahalanobis";
    public static final String POSTERIOR = "posterior-mahalanobis";
    public static final String MSE_MAHALANOBIS = "mse+mahalanobis";
    public static final String MSE_POSTERIOR = "mse+posterior-mahalanobis";
    public static final String MAP_MAX = "map-max";
    public static final String MAP_TOPK = "map-topk";
    public static final String MAP_POSTERIOR = "map-topk+posterior-mahalanobis";
    public static final String MAP_CONTRAST = "map-contrast";
    /** The score_scales key of map-contrast's mse test. */
    static final String MSE_TAIL = "mse-tail";

    /** Every score name, the default first. */
    public static final List<String> NAMES = List.of(MAP_POSTERIOR, MAP_CONTRAST, MAP_TOPK, MAP_MAX, MSE_POSTERIOR, POSTERIOR, MSE_MAHALANOBIS, MAHALANOBIS, MSE);

    /**
     * The score training calibrates unless told otherwise: the best over both benchmarks (docs/training.md): on the
     * synthetic camera image AUROC 0.986 against 0.942 for mse+posterior-mahalanobis (map-topk alone 0.989), on
     * Fashion-MNIST 92.9 against 93.3 (map-topk alone 90.9).
     */
    public static final String DEFAULT = MAP_POSTERIOR;

    private final String name;
    private final LatentGaussian latents;
    private final LatentGaussian posterior;
    private final double mseScale;
    private final double mahalanobisScale;
    private final double posteriorScale;
    private final double mapScale;
    private final double contrastTail;
    private final double mseTail;

    private AnomalyScore(String name, LatentGaussian latents, LatentGaussian posterior, double mseScale, double mahalanobisScale,
            double posteriorScale, double mapScale, double contrastTail, double mseTail) {
        this.name = name;
        this.latents = latents;
        this.posterior = posterior;
        this.mseScale = mseScale;
        this.mahalanobisScale = mahalanobisScale;
        this.posteriorScale = posteriorScale;
        this.mapScale = mapScale;
        this.contrastTail = contrastTail;
        this.mseTail = mseTail;
    }

    /** @throws IllegalArgumentException naming the known scores */
    public static void checkName(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown score \"" + name + "\" (known: " + String.join(", ", NAMES) + ")");
        }
    }

    /**
     * Whether the score needs state fitted at calibration, latent statistics or scales (every score but mse,
     * map-topk and map-max).
     */
    public static boolean needsCalibration(String name) {
        checkName(name);
        return !MSE.equals(name) && !MAP_MAX.equals(name) && !MAP_TOPK.equals(name);
    }

    /** Whether the score is made from the frame's anomaly map (it needs the model's calibration.map). */
    public static boolean needsMap(String name) {
        checkName(name);
        return name.startsWith("map-");
    }

    /** Whether this score is made from the frame's anomaly map. */
    public boolean usesMap() {
        return needsMap(name);
    }

    /** The plain mse score. */
    public static AnomalyScore mse() {
        return new AnomalyScore(MSE, null, null, 1, 1, 1, 1, 1, 1);
    }

    /**
     * A score that needs no fitted state.
     *
     * @throws IllegalArgumentException for an unknown name, or one that needs a calibrated model directory
     */
    public static AnomalyScore of(String name) {
        if (needsCalibration(name)) {
            throw new IllegalArgumentException("score \"" + name + "\" needs the latent statistics of a calibrated model "
                    + "directory (BatchScorer.forModel); only \"" + MSE + "\" and the map scores work without them");
        }
        return new AnomalyScore(name, null, null, 1, 1, 1, 1, 1, 1);
    }

    /**
     * Fits a score: the Gaussians come from the training frames; the scales are the means of mse, d²(μ) and
     * d²(μ, log σ²) over the given normal (validation) frames, and map-contrast's tails their 1 − rate/2 quantiles
     * of contrast and mse.
     *
     * @param latents Gaussian of μ (latent_dim values)
     * @param posterior Gaussian of (μ, log σ²) (2·latent_dim values)
     * @param falseAlarmRate the rate the score's threshold will be calibrated at, in (0, 1)
     */
    public static AnomalyScore fit(String name, LatentGaussian latents, LatentGaussian posterior, FrameScore[] normal, double falseAlarmRate) {
        checkName(name);
        if (posterior.dim() != 2 * latents.dim()) {
            throw new IllegalArgumentException("the posterior Gaussian needs " + 2 * latents.dim() + " dimensions, got " + posterior.dim());
        }
        double mse = 0;
        double d2 = 0;
        double p2 = 0;
        double map = 0;
        for (FrameScore s : normal) {
            mse += s.mse;
            d2 += latents.distanceSquared(s.mu);
            p2 += posterior.distanceSquared(concat(s.mu, s.logVar));
            map += s.mapTopK;
        }
        int n = Math.max(1, normal.length);
        if (needsMap(name) && !(normal.length > 0 && Double.isFinite(map))) {
            throw new IllegalArgumentException("score \"" + name + "\" needs the normal frames' anomaly maps");
        }
        double[] contrasts = new double[normal.length];
        double[] mses = new double[normal.length];
        for (int i = 0; i < normal.length; i++) {
            contrasts[i] = contrast(normal[i].mapTopK, normal[i].mse);
            mses[i] = normal[i].mse;
        }
        return new AnomalyScore(name, latents, posterior, positive(mse / n), positive(d2 / n), positive(p2 / n), positive(map / n),
                positive(tail(contrasts, falseAlarmRate / 2)), positive(tail(mses, falseAlarmRate / 2)));
    }

    /** The map's top-k against the frame's mean error (a frame reconstructed exactly has no contrast to measure). */
    private static double contrast(double mapTopK, double mse) {
        return mapTopK / Math.max(mse, 1e-12);
    }

    /** {@link #upperQuantile}, NaN for no values or a rate outside (0, 1): a tail that cannot be measured. */
    private static double tail(double[] values, double rate) {
        return values.length == 0 || !(rate > 0 && rate < 1) ? Double.NaN : upperQuantile(values, rate);
    }

    /**
     * The value that leaves at most {@code rate} of the values strictly above it: the ⌈(1 − rate)·n⌉-th smallest,
     * what every threshold of a false-alarm rate is.
     *
     * @throws IllegalArgumentException if there are no values
     */
    public static double upperQuantile(double[] values, double rate) {
        if (values.length == 0) {
            throw new IllegalArgumentException("a threshold needs at least one normal frame's score");
        }
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int k = (int) Math.ceil((1 - rate) * sorted.length - 1e-9) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, k))];
    }

    private static double positive(double v) {
        return v > 0 && Double.isFinite(v) ? v : 1;
    }

    /** (μ, log σ²) as one vector, what the posterior Gaussian takes. */
    public static float[] concat(float[] mu, float[] logVar) {
        float[] out = new float[mu.length + logVar.length];
        System.arraycopy(mu, 0, out, 0, mu.length);
        System.arraycopy(logVar, 0, out, mu.length, logVar.length);
        return out;
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
        if (needsMap(name) && !(calibration.has("map") && calibration.get("map").isJsonObject())) {
            throw new ModelFormatException("model.json: calibration score \"" + name + "\" needs calibration.map (the anomaly maps' settings "
                    + "and pixel statistics)");
        }
        return named(calibration, name, latentDim);
    }

    /** Every score the calibration object has state for, by name (mse always). */
    public static Map<String, AnomalyScore> available(JsonObject calibration, int latentDim) throws ModelFormatException {
        Map<String, AnomalyScore> out = new LinkedHashMap<>();
        boolean state = calibration.has("latents") && calibration.has("posterior") && calibration.has("score_scales");
        boolean map = calibration.has("map") && calibration.get("map").isJsonObject();
        boolean mapScale = state && calibration.getAsJsonObject("score_scales").has(MAP_TOPK);
        // models calibrated before map-contrast existed have no tails
        boolean tails = state && calibration.getAsJsonObject("score_scales").has(MAP_CONTRAST);
        for (String name : NAMES) {
            boolean latent = !needsCalibration(name) || state;
            boolean maps = !needsMap(name) || (map && (!needsCalibration(name) || (MAP_CONTRAST.equals(name) ? tails : mapScale)));
            if (latent && maps) {
                out.put(name, named(calibration, name, latentDim));
            }
        }
        return out;
    }

    private static AnomalyScore named(JsonObject calibration, String name, int latentDim) throws ModelFormatException {
        if (!needsCalibration(name)) {
            return of(name);
        }
        for (String key : new String[] {"latents", "posterior", "score_scales"}) {
            if (!calibration.has(key) || !calibration.get(key).isJsonObject()) {
                throw new ModelFormatException("model.json: calibration score \"" + name + "\" needs calibration." + key
                        + " (the training latents' statistics)");
            }
        }
        LatentGaussian latents = LatentGaussian.fromJson(calibration.getAsJsonObject("latents"), latentDim, "calibration.latents");
        LatentGaussian posterior = LatentGaussian.fromJson(calibration.getAsJsonObject("posterior"), 2 * latentDim, "calibration.posterior");
        JsonObject scales = calibration.getAsJsonObject("score_scales");
        double map = needsMap(name) ? scale(scales, MAP_TOPK) : scales.has(MAP_TOPK) ? scale(scales, MAP_TOPK) : 1;
        boolean tails = MAP_CONTRAST.equals(name) || scales.has(MAP_CONTRAST);
        return new AnomalyScore(name, latents, posterior, scale(scales, MSE), scale(scales, MAHALANOBIS), scale(scales, POSTERIOR), map,
                tails ? scale(scales, MAP_CONTRAST) : 1, tails ? scale(scales, MSE_TAIL) : 1);
    }

    private static double scale(JsonObject scales, String key) throws ModelFormatException {
        double v;
        try {
            v = scales.get(key).getAsDouble();
        } catch (RuntimeException e) {
            v = Double.NaN;
        }
        if (!(v > 0 && Double.isFinite(v))) {
            throw new ModelFormatException("model.json: calibration.score_scales needs a positive \"" + key + "\"");
        }
        return v;
    }

    /** The same fitted state under another score name (one of {@link #NAMES}). */
    public AnomalyScore as(String other) {
        checkName(other);
        if (needsCalibration(other) && latents == null) {
            throw new IllegalArgumentException("score \"" + other + "\" needs latent statistics that this score lacks");
        }
        return new AnomalyScore(other, latents, posterior, mseScale, mahalanobisScale, posteriorScale, mapScale, contrastTail, mseTail);
    }

    /** Adds this score's name and state (latents, posterior, score_scales) to a calibration object. */
    public void writeTo(JsonObject calibration) {
        calibration.addProperty("score", name);
        if (latents != null) {
            JsonObject scales = new JsonObject();
            scales.addProperty(MSE, mseScale);
            scales.addProperty(MAHALANOBIS, mahalanobisScale);
            scales.addProperty(POSTERIOR, posteriorScale);
            scales.addProperty(MAP_TOPK, mapScale);
            scales.addProperty(MAP_CONTRAST, contrastTail);
            scales.addProperty(MSE_TAIL, mseTail);
            calibration.add("score_scales", scales);
            calibration.add("latents", latents.toJson());
            calibration.add("posterior", posterior.toJson());
        }
    }

    public String name() {
        return name;
    }

    /** The Gaussian of the training frames' μ, null for {@value #MSE}. */
    public LatentGaussian latents() {
        return latents;
    }

    /** The Gaussian of the training frames' (μ, log σ²), null for {@value #MSE}. */
    public LatentGaussian posterior() {
        return posterior;
    }

    /** The score of a frame with this mse and posterior (a map score: NaN, as the map is missing). */
    public double score(double mse, float[] mu, float[] logVar) {
        return score(mse, mu, logVar, Double.NaN, Double.NaN);
    }

    private double score(double mse, float[] mu, float[] logVar, double mapMax, double mapTopK) {
        switch (name) {
            case MSE:
                return mse;
            case MAP_MAX:
                return mapMax;
            case MAP_TOPK:
                return mapTopK;
            case MAP_POSTERIOR:
                return mapTopK / mapScale + posterior.distanceSquared(concat(mu, logVar)) / posteriorScale;
            case MAP_CONTRAST:
                return Math.max(contrast(mapTopK, mse) / contrastTail, mse / mseTail); // NaN if either is
            case MAHALANOBIS:
                return latents.distanceSquared(mu);
            case POSTERIOR:
                return posterior.distanceSquared(concat(mu, logVar));
            case MSE_MAHALANOBIS:
                return mse / mseScale + latents.distanceSquared(mu) / mahalanobisScale;
            default:
                return mse / mseScale + posterior.distanceSquared(concat(mu, logVar)) / posteriorScale;
        }
    }

    /** The score of a scored frame (its mse, μ and log σ²). */
    public double score(FrameScore frame) {
        return score(frame.mse, frame.mu, frame.logVar, frame.mapMax, frame.mapTopK);
    }

    @Override
    public String toString() {
        return name;
    }
}
