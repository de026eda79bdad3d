package io.latentwatch.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.tracker.Tracker;
import io.latentwatch.model.EngineArrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link FlatAdam} takes the steps DJL's Adam takes, parameter by parameter, and leaves the gradients at zero. */
class FlatAdamTest {

    private static final Shape[] SHAPES = {new Shape(4, 3, 3, 3), new Shape(4), new Shape(10, 7), new Shape(7)};

    @Test
    void takesTheStepsOfDjlsAdam() {
        Random r = new Random(5);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            List<NDArray> reference = new ArrayList<>();
            List<NDArray> flat = new ArrayList<>();
            List<NDArray> coefficients = new ArrayList<>();
            for (Shape s : SHAPES) {
                float[] w = random(r, s.size());
                reference.add(EngineArrays.copyOf(m, w, s));
                flat.add(EngineArrays.copyOf(m, w, s));
                coefficients.add(EngineArrays.copyOf(m, random(r, s.size()), s));
            }
            reference.forEach(a -> a.setRequiresGradient(true));
            flat.forEach(a -> a.setRequiresGradient(true));
            // a decaying rate: both must number their updates alike
            Tracker rate = Tracker.cosine().setBaseValue(0.05f).optFinalValue(0.005f).setMaxUpdates(6).build();
            Adam djl = Adam.builder().optLearningRateTracker(rate).build();
            FlatAdam tested = new FlatAdam(flat, rate, m);
            for (int step = 0; step < 6; step++) {
                try (NDManager scope = m.newSubManager()) {
                    backward(reference, coefficients, scope);
                    for (int i = 0; i < reference.size(); i++) {
                        NDArray g = reference.get(i).getGradient();
                        g.attach(scope);
                        djl.update("p" + i, reference.get(i), g);
                    }
                    backward(flat, coefficients, scope);
                    tested.update(scope);
                }
            }
            for (int i = 0; i < SHAPES.length; i++) {
                float[] expected = reference.get(i).toFloatArray();
                float[] actual = flat.get(i).toFloatArray();
                for (int k = 0; k < expected.length; k++) {
                    assertEquals(expected[k], actual[k], 1e-6 * Math.max(1, Math.abs(expected[k])), "parameter " + i + ", value " + k);
                }
                float[] gradient = flat.get(i).getGradient().toFloatArray();
                for (float v : gradient) {
                    assertEquals(0f, v, "gradient of parameter " + i + " reset after the update");
                }
            }
            assertTrue(Math.abs(flat.get(0).toFloatArray()[0] - first(SHAPES[0], 5)) > 1e-3, "the weights moved");
        }
    }

    /** loss = Σ_i Σ w_i³ · c_i: gradients 3 w_i² c_i, different in every value. */
    private static void backward(List<NDArray> weights, List<NDArray> coefficients, NDManager scope) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (int i = 0; i < weights.size(); i++) {
                NDArray w = weights.get(i);
                NDArray term = w.mul(w).mul(w).mul(coefficients.get(i)).sum();
                term.attach(scope);
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
    }

    private static float first(Shape s, long seed) {
        return random(new Random(seed), s.size())[0];
    }

    private static float[] random(Random r, long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
