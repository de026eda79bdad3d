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
        FrameScore[] normal = {new FrameScore(0.01, 0, 0, new float[] {1, -2}, new float[2]),
            new FrameScore(0.03, 0, 0, new float[] {3, -1}, new float[2])};
        AnomalyScore mixed = AnomalyScore.fit(AnomalyScore.MSE_MAHALANOBIS, g, normal);
        JsonObject calibration = new JsonObject();
        mixed.writeTo(calibration);
        AnomalyScore back = AnomalyScore.fromCalibration(calibration, 2);
        assertEquals(AnomalyScore.MSE_MAHALANOBIS, back.name());
        float[] mu = {0, 0};
        assertEquals(mixed.score(0.05, mu), back.score(0.05, mu), 1e-6);
        // each term divided by its mean over the normal frames: mse 0.02, d² the mean of the two distances
        double d2 = (g.distanceSquared(new float[] {1, -2}) + g.distanceSquared(new float[] {3, -1})) / 2;
        assertEquals(0.05 / 0.02 + g.distanceSquared(mu) / d2, back.score(0.05, mu), 1e-4);
        assertEquals(g.distanceSquared(mu), back.as(AnomalyScore.MAHALANOBIS).score(0.05, mu), 1e-4);
        assertEquals(0.05, back.as(AnomalyScore.MSE).score(0.05, mu));
        assertEquals(3, AnomalyScore.available(calibration, 2).size());
    }

    @Test
    void latentScoresNeedTheirState() throws ModelFormatException {
        assertEquals("score \"mahalanobis\" needs the latent statistics of a calibrated model directory (BatchScorer.forModel); "
                + "only \"mse\" works without them", assertThrows(IllegalArgumentException.class, () -> AnomalyScore.of("mahalanobis")).getMessage());
        JsonObject c = new JsonObject();
        c.addProperty("score", "mahalanobis");
        assertTrue(assertThrows(ModelFormatException.class, () -> AnomalyScore.fromCalibration(c, 2)).getMessage()
                .startsWith("model.json: calibration score \"mahalanobis\" needs calibration.latents"));
        c.addProperty("score", "psnr");
        assertEquals("model.json: unknown calibration score \"psnr\" (known: mse+mahalanobis, mse, mahalanobis)",
                assertThrows(ModelFormatException.class, () -> AnomalyScore.fromCalibration(c, 2)).getMessage());
        assertEquals(AnomalyScore.MSE, AnomalyScore.fromCalibration(new JsonObject(), 2).name(), "uncalibrated models score mse");
    }
}
