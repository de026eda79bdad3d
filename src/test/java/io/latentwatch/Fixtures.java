package io.latentwatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The PyTorch reference cases in src/test/resources/fixtures/pytorch (made with PyTorch by the script beside them; see
 * the README there), and the tolerance checks of the project.
 */
public final class Fixtures {

    public static final double FORWARD_TOLERANCE = 1e-4;
    public static final double GRADIENT_TOLERANCE = 1e-3;

    private Fixtures() {}

    public static Path root() {
        String p = System.getProperty("latentwatch.fixtures", "src/test/resources/fixtures/pytorch");
        Path root = Paths.get(p).toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(root), "fixtures not found at " + root);
        return root;
    }

    public static Path dir(String name) {
        return root().resolve(name);
    }

    /** Reads a safetensors file of a fixture with DJL's own decoder. */
    public static NDList load(NDManager manager, String fixture, String file) {
        try {
            return NDList.decode(manager, Files.readAllBytes(dir(fixture).resolve(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Relative error ‖actual − expected‖ / ‖expected‖ (Frobenius norms), the measure the tolerances refer to.
     */
    public static double relativeError(float[] actual, float[] expected) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            num += d * d;
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    public static void assertClose(NDArray actual, NDArray expected, double tolerance, String what) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + ": shape");
        assertClose(actual.toFloatArray(), expected.toFloatArray(), tolerance, what);
    }

    public static void assertClose(float[] actual, float[] expected, double tolerance, String what) {
        double err = relativeError(actual, expected);
        assertTrue(err <= tolerance, what + ": relative error " + err + " > " + tolerance);
    }

    public static void assertClose(double actual, double expected, double tolerance, String what) {
        double err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-30);
        assertTrue(err <= tolerance, what + ": " + actual + " vs " + expected + ", relative error " + err);
    }
}
