package io.latentwatch.evaluation;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a precision costs in accuracy: the relative error (‖a − b‖ / ‖b‖) of per-frame mse and of μ against
 * float32 scoring on the same device, and against reference values (e.g. PyTorch's) when given.
 */
public final class PrecisionCheck {

    private PrecisionCheck() {}

    /** Scores with one precision; returns [mse per frame, μ flattened]. */
    static float[][] score(DipVae model, Device device, DataType precision, MemoryLayout layout, float[] frames, int count) {
        try (BatchScorer scorer = new BatchScorer(model, device, precision, layout, "mse")) {
            FrameScore[] s = scorer.score(frames, count);
            int latent = model.getConfig().latentDim();
            float[] mse = new float[count];
            float[] mu = new float[count * latent];
            for (int i = 0; i < count; i++) {
                mse[i] = (float) s[i].mse;
                System.arraycopy(s[i].mu, 0, mu, i * latent, latent);
            }
            return new float[][] {mse, mu};
        }
    }

    /**
     * @param reference [mse, μ] computed elsewhere (e.g. by PyTorch), or null
     * @return one row per precision
     */
    public static Map<String, Map<String, Object>> run(
            DipVae model, Device device, DataType[] precisions, MemoryLayout layout, float[] frames, int count, float[][] reference) {
        float[][] fp32 = score(model, device, DataType.FLOAT32, layout, frames, count);
        Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
        for (DataType p : precisions) {
            float[][] got = p == DataType.FLOAT32 ? fp32 : score(model, device, p, layout, frames, count);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("benchmark", "precision");
            row.put("device", device.toString());
            row.put("precision", p.toString().toLowerCase(java.util.Locale.ROOT));
            row.put("frames", count);
            row.put("mse_rel_err_vs_fp32", relativeError(got[0], fp32[0]));
            row.put("mu_rel_err_vs_fp32", relativeError(got[1], fp32[1]));
            if (reference != null) {
                row.put("mse_rel_err_vs_reference", relativeError(got[0], reference[0]));
                row.put("mu_rel_err_vs_reference", relativeError(got[1], reference[1]));
            }
            rows.put(p.toString(), row);
        }
        return rows;
    }

    /** ‖a − b‖ / ‖b‖ over all values. */
    public static double relativeError(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < b.length; i++) {
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }
}
