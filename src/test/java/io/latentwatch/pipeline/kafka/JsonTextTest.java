package io.latentwatch.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.latentwatch.bench.BaselineJson;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import io.latentwatch.scoring.Severity;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The latents and alerts records are, byte for byte, what gson's JsonWriter wrote before (BaselineJson keeps that
 * writer): strings with every kind of char, floats and doubles of every kind, non-finite numbers, nulls, regions,
 * peaks and PNG bytes.
 */
class JsonTextTest {

    private static final float[] EDGE_FLOATS = {0f, -0f, 1f, -1f, 1e-45f, -1e-45f, Float.MIN_NORMAL, Float.MAX_VALUE, 3.4e38f, -3.4e38f,
        Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-3f, 1e7f, 9.9E-44f, 0.1f, 123456.7f, 2f, 100f};
    private static final double[] EDGE_DOUBLES = {0, -0.0, 1, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE,
        Double.MAX_VALUE, 1e-3, 1e7, 0.1, 2e-323, 1.0E23, 2.82879384806159E17};

    @Test
    void latentsAreWhatGsonWrote() {
        Random random = new Random(23);
        for (int i = 0; i < 3_000; i++) {
            ScoredFrame f = frame(random, i);
            same(BaselineJson.latents(f), JsonRecords.latents(f), "frame " + i);
        }
    }

    @Test
    void alertsAreWhatGsonWrote() {
        Random random = new Random(29);
        for (int i = 0; i < 3_000; i++) {
            Alert a = new Alert();
            a.source = string(random, i);
            a.frameId = string(random, i + 1);
            a.capturedAt = random.nextLong();
            a.detectedAt = i % 7 == 0 ? Long.MIN_VALUE : random.nextLong();
            a.modelVersion = random.nextInt(100);
            a.score = number(random, i);
            a.threshold = number(random, i + 3);
            a.mse = number(random, i + 5);
            a.severity = Severity.values()[i % Severity.values().length];
            if (i % 3 != 0) {
                a.region = box(random);
                a.peak = new int[] {a.region[0], a.region[1] + a.region[3] - 1};
            }
            if (i % 3 == 1) {
                a.anomalyMapPng = new byte[random.nextInt(300)];
                random.nextBytes(a.anomalyMapPng);
            }
            same(BaselineJson.alert(a), JsonRecords.alert(a), "alert " + i);
        }
    }

    @Test
    void everyCharOfAStringIsWrittenAsGsonWroteIt() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            all.append(c);
        }
        all.append(Character.MAX_VALUE);
        ScoredFrame f = frame(new Random(1), 1);
        f.source = all.toString();
        f.frameId = new StringBuilder(all).reverse().toString(); // surrogates the other way round
        same(BaselineJson.latents(f), JsonRecords.latents(f), "every char");
    }

    /** The texts are equal, or the message shows where they part (they are too long to show whole). */
    private static void same(String expected, String actual, String what) {
        if (!expected.equals(actual)) {
            int i = 0;
            while (i < Math.min(expected.length(), actual.length()) && expected.charAt(i) == actual.charAt(i)) {
                i++;
            }
            int from = Math.max(0, i - 40);
            assertEquals(expected.substring(from, Math.min(expected.length(), i + 40)), actual.substring(from, Math.min(actual.length(), i + 40)),
                    what + ": the texts part at char " + i);
        }
    }

    private static ScoredFrame frame(Random random, int i) {
        ScoredFrame f = new ScoredFrame();
        f.source = i % 50 == 0 ? null : string(random, i);
        f.frameId = i % 70 == 0 ? null : string(random, i + 1);
        f.capturedAt = random.nextLong();
        f.modelVersion = i % 3 == 0 ? 0 : random.nextLong();
        f.mse = number(random, i);
        f.kl = number(random, i + 1);
        f.score = number(random, i + 2);
        f.threshold = i % 4 == 0 ? Double.NaN : number(random, i + 3);
        f.anomaly = random.nextBoolean();
        if (i % 2 == 0) {
            f.region = box(random);
            f.peak = new int[] {f.region[0] + f.region[2] / 2, f.region[1]};
        }
        int dim = i % 10 == 0 ? random.nextInt(3) : 128;
        f.mu = new float[dim];
        f.logVar = new float[dim];
        for (int k = 0; k < dim; k++) {
            f.mu[k] = floatValue(random, k + i);
            f.logVar[k] = floatValue(random, k + 2 * i);
        }
        return f;
    }

    /** A region {x, y, w, h}, now and then with extreme values. */
    private static int[] box(Random random) {
        if (random.nextInt(10) == 0) {
            return new int[] {0, Integer.MAX_VALUE, Integer.MIN_VALUE, -1};
        }
        return new int[] {random.nextInt(4096), random.nextInt(4096), 1 + random.nextInt(4096), 1 + random.nextInt(4096)};
    }

    private static float floatValue(Random random, int k) {
        return switch (k % 5) {
            case 0 -> EDGE_FLOATS[random.nextInt(EDGE_FLOATS.length)];
            case 1 -> Float.intBitsToFloat(random.nextInt());
            case 2 -> (float) (random.nextGaussian() * 4 - 3);
            case 3 -> random.nextInt(2000) - 1000;
            default -> (float) random.nextGaussian();
        };
    }

    private static double number(Random random, int k) {
        return switch (k % 4) {
            case 0 -> EDGE_DOUBLES[random.nextInt(EDGE_DOUBLES.length)];
            case 1 -> Double.longBitsToDouble(random.nextLong());
            case 2 -> random.nextDouble() * 100;
            default -> random.nextGaussian();
        };
    }

    /** Ids as cameras name them, and now and then quotes, backslashes, control and other chars, surrogates. */
    private static String string(Random random, int k) {
        if (k % 3 != 0) {
            return "camera-" + random.nextInt(1000) + "/frame " + k;
        }
        StringBuilder s = new StringBuilder();
        int n = random.nextInt(40);
        for (int j = 0; j < n; j++) {
            s.append(switch (random.nextInt(6)) {
                case 0 -> (char) random.nextInt(0x20);
                case 1 -> "\"\\/\u2028\u2029\u007f".charAt(random.nextInt(6));
                case 2 -> (char) random.nextInt(0x10000);
                case 3 -> (char) (0xD800 + random.nextInt(0x800));
                default -> (char) (0x20 + random.nextInt(0x60));
            });
        }
        return s.toString();
    }
}
