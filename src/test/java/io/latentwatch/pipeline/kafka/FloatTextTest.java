package io.latentwatch.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * FloatText writes {@link Float#toString(float)}'s text: for the edges of the float range and of its notations, and
 * for millions of random floats (FloatTextExhaustiveCheck compares all of them, in minutes).
 */
class FloatTextTest {

    private final char[] buf = new char[FloatText.MAX_CHARS + 2];

    private void same(float v) {
        buf[0] = '#';
        int end = FloatText.write(v, buf, 1);
        assertEquals(Float.toString(v), new String(buf, 1, end - 1), () -> "bits 0x" + Integer.toHexString(Float.floatToRawIntBits(v)));
    }

    /** v and the floats on either side. */
    private void around(float v) {
        for (float w : new float[] {v, Math.nextUp(v), Math.nextDown(v), -v}) {
            if (Float.isFinite(w)) {
                same(w);
            }
        }
    }

    @Test
    void edgesOfTheRangeAndOfTheNotations() {
        for (float v : new float[] {0f, -0f, 1f, -1f, 0.5f, 0.1f, 1e-45f, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, 3.4e38f, 1e-3f,
                1e7f, 9999999f, 1.0E-4f, 123456.7f, 1.17549435E-38f, 9.9E-44f, 1.0E-43f, 0.001f, 0.0009999f, (float) Math.PI, (float) Math.E}) {
            around(v);
        }
        for (int i = -149; i <= 127; i++) {
            around((float) Math.scalb(1.0, i));
            around((float) Math.scalb(1.5, i));
        }
        for (int i = -45; i <= 38; i++) {
            around(Float.parseFloat("1e" + i));
            around(Float.parseFloat("5e" + i));
            around(Float.parseFloat("9.999999e" + i));
        }
    }

    @Test
    void integersAndSubnormals() {
        for (int i = 0; i <= 20_000; i++) {
            same(i);
            same(16_777_216 - i);
            same(Float.intBitsToFloat(i)); // the smallest subnormals, where JDK 17 and 19 differ
            same(Float.intBitsToFloat(0x0080_0000 - i)); // the largest
        }
        for (int shift = 0; shift < 23; shift++) {
            around(Float.intBitsToFloat(1 << shift));
        }
    }

    @Test
    void millionsOfRandomFloats() {
        Random random = new Random(17);
        for (int i = 0; i < 2_000_000; i++) {
            float v = Float.intBitsToFloat(random.nextInt());
            if (Float.isFinite(v)) {
                same(v);
            }
        }
        // what latents look like: means about 0, log variances below it
        for (int i = 0; i < 1_000_000; i++) {
            same((float) random.nextGaussian());
            same((float) (random.nextGaussian() * 3 - 4));
            same((float) (random.nextGaussian() * 1e-3));
        }
    }

    @Test
    void notFiniteHasNoText() {
        assertThrows(IllegalArgumentException.class, () -> FloatText.write(Float.NaN, buf, 0));
        assertThrows(IllegalArgumentException.class, () -> FloatText.write(Float.NEGATIVE_INFINITY, buf, 0));
    }
}
