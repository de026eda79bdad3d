package io.latentwatch.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.model.ModelFormatException;
import io.latentwatch.model.SafeTensors;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PixelStatisticsTest {

    /** 2 × 2 maps: pixel 0 alternates 1 and 3, pixel 1 is always 5 (no spread), pixels 2 and 3 alternate 0 and 2. */
    private static PixelStatistics fitted() {
        PixelStatistics.Accumulator acc = new PixelStatistics.Accumulator(2);
        for (int i = 0; i < 10; i++) {
            acc.add(i % 2 == 0 ? new float[] {1, 5, 0, 0} : new float[] {3, 5, 2, 2});
        }
        return acc.build();
    }

    @Test
    void subtractsEachPixelsOwnMeanAndDividesByTheMapsMeanSpread() {
        PixelStatistics s = fitted();
        assertArrayEquals(new float[] {2, 5, 1, 1}, s.mean(), 1e-6f);
        // standard deviations 1, 0, 1, 1: the shared spread is their mean, 0.75
        assertArrayEquals(new float[] {0.75f, 0.75f, 0.75f, 0.75f}, s.spread(), 1e-6f);
        float[] map = {4, 5.75f, 1, 3};
        s.standardise(map);
        assertEquals(2 / 0.75, map[0], 1e-5);
        assertEquals(1, map[1], 1e-5, "a pixel that never varied is not blown up: 0.75 above its mean is one spread");
        assertEquals(0, map[2], 1e-5);
        assertEquals(10, s.frames());
    }

    @Test
    void roundTripsThroughSafetensorsAndRefusesWhatDoesNotFit() throws Exception {
        PixelStatistics s = fitted();
        Map<String, SafeTensors.Tensor> t = SafeTensors.read(s.toSafeTensors(), "pixel-stats.safetensors");
        PixelStatistics back = PixelStatistics.fromTensors(t, 2);
        assertArrayEquals(s.mean(), back.mean());
        assertArrayEquals(s.spread(), back.spread());
        assertEquals(10, back.frames());

        ModelFormatException size = assertThrows(ModelFormatException.class, () -> PixelStatistics.fromTensors(t, 4));
        assertTrue(size.getMessage().contains("[4, 4]"), size.getMessage());
        Map<String, SafeTensors.Tensor> bad = new LinkedHashMap<>(t);
        bad.put("spread", SafeTensors.Tensor.f32(new long[] {2, 2}, new float[] {1, 0, 1, 1}));
        ModelFormatException zero = assertThrows(ModelFormatException.class, () -> PixelStatistics.fromTensors(bad, 2));
        assertTrue(zero.getMessage().contains("positive spread"), zero.getMessage());
        bad.remove("mean");
        assertThrows(ModelFormatException.class, () -> PixelStatistics.fromTensors(bad, 2));
    }

    @Test
    void needsTwoMaps() {
        PixelStatistics.Accumulator acc = new PixelStatistics.Accumulator(2);
        acc.add(new float[4]);
        assertThrows(IllegalStateException.class, acc::build);
        assertThrows(IllegalArgumentException.class, () -> acc.add(new float[3]));
    }
}
