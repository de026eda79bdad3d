package io.latentwatch.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.latentwatch.model.ModelFormatException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AnomalyScoreTest {

    /** μ vectors of a known Gaussian: mean (1, −2), covariance [[4, 1.2], [1.2, 1]]. */
    private static float[] sample(int n, long seed) {
        Random r = new Random(seed);
        float[] mus = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double a = r.nextGaussian();
            double b = r.nextGaussian();
            mus[2 * i] = (float) (1 + 2 * a);
            mus[2 * i + 1] = (float) (-2 + 0.6 * a + 0.8 * b);
        }
        return mus;
    }

    @Test
    void mahalanobisDistanceOfAFittedGaussian() throws ModelFormatException {
        LatentGaussian g = LatentGaussian.fit(sample(200_000, 3), 200_000, 2);
        // Σ⁻¹ = [[1, −1.2], [−1.2, 4]] / 2.56; (3, −1) is (2, 1) off the mean: d² = (4 − 4.8 + 4) / 2.56 = 1.25
        assertEquals(1.25, g.distanceSquared(new float[] {3, -1}), 0.02);
        assertEquals(0, g.distanceSquared(new float[] {1, -2}), 0.001);
        LatentGaussian back = LatentGaussian.fromJson(g.toJson(), 2);
        assertEquals(g.distanceSquared(new float[] {3, -1}), back.distanceSquared(new float[] {3, -1}), 1e-5);
        assertEquals(200_000, back.frames());
        assertThrows(ModelFormatException.class, () -> LatentGaussian.fromJson(g.toJson(), 3));
    }

    @Test
    void inverseOfASymmetricMatrix() {
        double[] a = {4, 2, 0.6, 2, 2, 0.5, 0.6, 0.5, 3};
        double[] inv = LatentGaussian.invertSymmetric(a, 3);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double s = 0;
                for (int k = 0; k < 3; k++) {
                    s += a[i * 3 + k] * inv[k * 3 + j];
                }
                assertEquals(i == j ? 1 : 0, s, 1e-12);
            }
        }
    }

    @Test
    void scoresRoundTripThroughTheCalibrationObject() throws ModelFormatException {
        LatentGaussian g = LatentGaussian.fit(sample(1000, 5), 1000, 2);
        float[] posteriorSample = new float[4 * 1000];
        float[] mus = sample(1000, 5);
        float[] logVars = sample(1000, 6);
        for (int i = 0; i < 1000; i++) {
            System.arraycopy(mus, 2 * i, posteriorSample, 4 * i, 2);
            System.arraycopy(logVars, 2 * i, posteriorSample, 4 * i + 2, 2);
        }
        LatentGaussian p = LatentGaussian.fit(posteriorSample, 1000, 4);
        FrameScore[] normal = {new FrameScore(0.01, 0, 0, new float[] {1, -2}, new float[] {1, -2}),
            new FrameScore(0.03, 0, 0, new float[] {3, -1}, new float[] {1, -1})};
        AnomalyScore mixed = AnomalyScore.fit(AnomalyScore.MSE_MAHALANOBIS, g, p, normal, 0.01);
        JsonObject calibration = new JsonObject();
        mixed.writeTo(calibration);
        AnomalyScore back = AnomalyScore.fromCalibration(calibration, 2);
        assertEquals(AnomalyScore.MSE_MAHALANOBIS, back.name());
        float[] mu = {0, 0};
        float[] logVar = {0.5f, 0};
        assertEquals(mixed.score(0.05, mu, logVar), back.score(0.05, mu, logVar), 1e-6);
        // each term divided by its mean over the normal frames: mse 0.02, d² the mean of the two distances
        double d2 = (g.distanceSquared(new float[] {1, -2}) + g.distanceSquared(new float[] {3, -1})) / 2;
        assertEquals(0.05 / 0.02 + g.distanceSquared(mu) / d2, back.score(0.05, mu, logVar), 1e-4);
        assertEquals(g.distanceSquared(mu), back.as(AnomalyScore.MAHALANOBIS).score(0.05, mu, logVar), 1e-4);
        assertEquals(p.distanceSquared(new float[] {0, 0, 0.5f, 0}), back.as(AnomalyScore.POSTERIOR).score(0.05, mu, logVar), 1e-4);
        double p2 = (p.distanceSquared(new float[] {1, -2, 1, -2}) + p.distanceSquared(new float[] {3, -1, 1, -1})) / 2;
        assertEquals(0.05 / 0.02 + p.distanceSquared(new float[] {0, 0, 0.5f, 0}) / p2,
                back.as(AnomalyScore.MSE_POSTERIOR).score(0.05, mu, logVar), 1e-4);
        assertEquals(0.05, back.as(AnomalyScore.MSE).score(0.05, mu, logVar));
        assertEquals(5, AnomalyScore.available(calibration, 2).size());
    }

    @Test
    void latentScoresNeedTheirState() throws ModelFormatException {
        assertEquals("score \"mahalanobis\" needs the latent statistics of a calibrated model directory (BatchScorer.forModel); "
                + "only \"mse\" and the map scores work without them", assertThrows(IllegalArgumentException.class, () -> AnomalyScore.of("mahalanobis")).getMessage());
        JsonObject c = new JsonObject();
        c.addProperty("score", "mahalanobis");
        assertEquals("model.json: calibration score \"mahalanobis\" needs calibration.latents (the training latents' statistics)",
                assertThrows(ModelFormatException.class, () -> AnomalyScore.fromCalibration(c, 2)).getMessage());
        c.addProperty("score", "psnr");
        assertEquals("model.json: unknown calibration score \"psnr\" (known: map-topk+posterior-mahalanobis, map-contrast, map-topk, map-max, mse+posterior-mahalanobis, "
                + "posterior-mahalanobis, mse+mahalanobis, mahalanobis, mse)",
                assertThrows(ModelFormatException.class, () -> AnomalyScore.fromCalibration(c, 2)).getMessage());
        assertEquals(AnomalyScore.MSE, AnomalyScore.fromCalibration(new JsonObject(), 2).name(), "uncalibrated models score mse");
    }

    @Test
    void mapScoresComeFromTheFramesMapAndNeedCalibrationMap() throws ModelFormatException {
        LatentGaussian g = LatentGaussian.fit(sample(1000, 5), 1000, 2);
        LatentGaussian p = LatentGaussian.fit(sample(1000, 7), 500, 4);
        AnomalyMap map = new AnomalyMap(2, new float[] {0, 1, 2, 6}, 3);
        FrameScore[] normal = {new FrameScore(0.01, 0, 0, new float[] {1, -2}, new float[] {1, -2}, map, 6, 4),
            new FrameScore(0.03, 0, 0, new float[] {3, -1}, new float[] {1, -1}, map, 6, 2)};
        AnomalyScore mixed = AnomalyScore.fit(AnomalyScore.MAP_POSTERIOR, g, p, normal, 0.01);
        FrameScore f = new FrameScore(0.05, 0, 0, new float[] {0, 0}, new float[] {0.5f, 0}, map, 9, 6);
        double p2 = (p.distanceSquared(new float[] {1, -2, 1, -2}) + p.distanceSquared(new float[] {3, -1, 1, -1})) / 2;
        assertEquals(6 / 3.0 + p.distanceSquared(new float[] {0, 0, 0.5f, 0}) / p2, mixed.score(f), 1e-4, "top-k over its normal mean 3");
        assertEquals(9, mixed.as(AnomalyScore.MAP_MAX).score(f));
        assertEquals(6, mixed.as(AnomalyScore.MAP_TOPK).score(f));

        JsonObject calibration = new JsonObject();
        mixed.writeTo(calibration);
        ModelFormatException noMap = assertThrows(ModelFormatException.class, () -> AnomalyScore.fromCalibration(calibration, 2));
        assertEquals("model.json: calibration score \"map-topk+posterior-mahalanobis\" needs calibration.map (the anomaly maps' settings and pixel "
                + "statistics)", noMap.getMessage());
        assertEquals(5, AnomalyScore.available(calibration, 2).size(), "no map scores without calibration.map");
        calibration.add("map", new JsonObject());
        assertEquals(mixed.score(f), AnomalyScore.fromCalibration(calibration, 2).score(f), 1e-6);
        assertEquals(9, AnomalyScore.available(calibration, 2).size());
        assertThrows(IllegalArgumentException.class, () -> AnomalyScore.fit(AnomalyScore.MAP_TOPK, g, p,
                new FrameScore[] {new FrameScore(0.01, 0, 0, new float[] {1, -2}, new float[] {1, -2})}, 0.01), "a map score needs maps");
    }

    /** A normal frame of this mse whose map's top-k grows with it, as a frame reconstructed worse all over does. */
    private static FrameScore frame(double mse, double topK) {
        return new FrameScore(mse, 0, 0, new float[] {1, -2}, new float[] {1, -2}, new AnomalyMap(1, new float[] {(float) topK}, 3), topK, topK);
    }

    @Test
    void mapContrastFlagsLocalDefectsAndWholeFrameFaultsButNotFramesWorseAllOver() throws ModelFormatException {
        LatentGaussian g = LatentGaussian.fit(sample(1000, 5), 1000, 2);
        LatentGaussian p = LatentGaussian.fit(sample(1000, 7), 500, 4);
        // 1,000 normal frames: mse 0.002 to 0.012, top-k 1,000 × mse (contrast 1,000) with ±5 % around it
        Random r = new Random(3);
        FrameScore[] normal = new FrameScore[1000];
        for (int i = 0; i < normal.length; i++) {
            double mse = 0.002 + 0.01 * i / normal.length;
            normal[i] = frame(mse, 1000 * mse * (0.95 + 0.1 * r.nextDouble()));
        }
        AnomalyScore contrast = AnomalyScore.fit(AnomalyScore.MAP_CONTRAST, g, p, normal, 0.01);
        // each test leaves 0.5 % of the frames above 1: the two together 0.5 to 1 %
        long above = java.util.Arrays.stream(normal).filter(f -> contrast.score(f) > 1).count();
        assertTrue(above >= 5 && above <= 10, above + " of 1,000 normal frames above 1");

        FrameScore worseAllOver = frame(0.0119, 12.3); // a top-k above 99 % of normal frames': map-topk's false alarm
        FrameScore scratch = frame(0.004, 8); // a top-k twice what its mse gives normal frames
        FrameScore blank = frame(0.1, 10); // no contrast, an mse far above normal
        double topKThreshold = java.util.Arrays.stream(normal).mapToDouble(f -> f.mapTopK).sorted().toArray()[989];
        assertTrue(worseAllOver.mapTopK > topKThreshold && scratch.mapTopK < topKThreshold, "map-topk flags the wrong one");
        assertTrue(contrast.score(worseAllOver) < 1, "worse all over: " + contrast.score(worseAllOver));
        assertTrue(contrast.score(scratch) > 1.5, "local defect: " + contrast.score(scratch));
        assertTrue(contrast.score(blank) > 5, "whole-frame fault: " + contrast.score(blank));
        assertTrue(Double.isNaN(contrast.score(frame(Double.NaN, Double.NaN))), "a non-finite frame stays NaN");

        JsonObject calibration = new JsonObject();
        contrast.writeTo(calibration);
        calibration.add("map", new JsonObject());
        AnomalyScore back = AnomalyScore.fromCalibration(calibration, 2);
        assertEquals(contrast.score(scratch), back.score(scratch), 1e-9);
        assertEquals(contrast.score(scratch), back.as(AnomalyScore.MAP_TOPK).as(AnomalyScore.MAP_CONTRAST).score(scratch), 1e-9);
        // a model calibrated before map-contrast: its other scores still load, map-contrast is not offered
        calibration.getAsJsonObject("score_scales").remove(AnomalyScore.MAP_CONTRAST);
        calibration.addProperty("score", AnomalyScore.MAP_TOPK);
        assertEquals(8, AnomalyScore.available(calibration, 2).size());
        assertTrue(!AnomalyScore.available(calibration, 2).containsKey(AnomalyScore.MAP_CONTRAST));
    }

    @Test
    void ledoitWolfShrinkageKeepsAGaussianOfFewFramesWellConditioned() {
        int dim = 64;
        Random r = new Random(3);
        float[] train = new float[100 * dim];
        for (int i = 0; i < train.length; i++) {
            train[i] = (float) r.nextGaussian();
        }
        float[][] fresh = new float[2000][dim];
        for (float[] v : fresh) {
            for (int j = 0; j < dim; j++) {
                v[j] = (float) r.nextGaussian();
            }
        }
        double shrinkage = LatentGaussian.ledoitWolfShrinkage(train, 100, dim);
        LatentGaussian raw = LatentGaussian.fit(train, 100, dim);
        LatentGaussian shrunk = LatentGaussian.fitLedoitWolf(train, 100, dim);
        double rawMean = 0;
        double shrunkMean = 0;
        for (float[] v : fresh) {
            rawMean += raw.distanceSquared(v) / fresh.length;
            shrunkMean += shrunk.distanceSquared(v) / fresh.length;
        }
        // a fresh standard normal vector is d² ≈ 64 away under the true Gaussian; the raw fit of 100 frames puts
        // it about three times as far, as its smallest eigenvalues are far too small
        assertTrue(shrinkage > 0.3, "few frames, strong shrinkage: " + shrinkage);
        assertTrue(rawMean > 2.5 * dim, "raw: " + rawMean);
        assertTrue(shrunkMean < 1.5 * dim, "shrunk: " + shrunkMean + ", raw " + rawMean + ", shrinkage " + shrinkage);

        float[] many = new float[20_000 * 2];
        float[] correlated = sample(20_000, 9);
        System.arraycopy(correlated, 0, many, 0, many.length);
        assertTrue(LatentGaussian.ledoitWolfShrinkage(many, 20_000, 2) < 0.01, "many frames keep their correlation");
    }
}
