package io.latentwatch.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class AnomalyMapTest {

    /** An 8 × 8 map: a blob of 3 above the threshold at (5..6, 1..3), a lone 2.5 at (0, 7), background 0. */
    private static float[] twoBlobs() {
        float[] v = new float[64];
        for (int y = 1; y <= 3; y++) {
            for (int x = 5; x <= 6; x++) {
                v[y * 8 + x] = 3;
            }
        }
        v[2 * 8 + 6] = 4; // the peak, inside the blob
        v[7 * 8 + 0] = 2.5f;
        return v;
    }

    @Test
    void regionIsTheBoxOfTheConnectedAreaThatHoldsThePeak() {
        AnomalyMap m = new AnomalyMap(8, twoBlobs(), 2);
        assertArrayEquals(new int[] {6, 2}, m.peak());
        assertEquals(4, m.max());
        assertArrayEquals(new int[] {5, 1, 2, 3}, m.region(), "the lone pixel at (0, 7) is another area");
    }

    @Test
    void diagonalNeighboursBelongToTheArea() {
        float[] v = new float[16];
        v[0] = 5;
        v[5] = 3; // (1, 1), diagonal to (0, 0)
        assertArrayEquals(new int[] {0, 0, 2, 2}, new AnomalyMap(4, v, 1).region());
    }

    @Test
    void noRegionWhenNothingIsAboveTheThresholdOrThereIsNone() {
        assertNull(new AnomalyMap(8, twoBlobs(), 4).region(), "the peak equals the threshold: not above it");
        assertNull(new AnomalyMap(8, twoBlobs(), Double.NaN).region());
    }

    @Test
    void aFlaggedFrameBelowTheMapThresholdGetsTheAreaAboveHalfItsPeak() {
        AnomalyMap faint = new AnomalyMap(8, twoBlobs(), 5); // the peak 4 is below the map threshold 5
        assertNull(faint.region(false), "not flagged: no region");
        assertArrayEquals(new int[] {5, 1, 2, 3}, faint.region(true), "flagged: the blob above 2, not the lone 2.5 elsewhere");
        assertEquals(2, faint.regionLevel(true));
        assertEquals(5, faint.regionLevel(false));
        AnomalyMap clear = new AnomalyMap(8, twoBlobs(), 3.5);
        assertArrayEquals(new int[] {6, 2, 1, 1}, clear.region(true), "above the map threshold: its own region");
        assertEquals(3.5, clear.regionLevel(true));
        assertNull(new AnomalyMap(8, new float[64], 5).region(true), "a flat map points nowhere");
    }

    @Test
    void topKMeanIsTheMeanOfTheHighestValues() {
        AnomalyMap m = new AnomalyMap(8, twoBlobs(), 2);
        assertEquals(4, m.topKMean(1), 1e-9);
        assertEquals((4 + 3 * 5) / 6.0, m.topKMean(6), 1e-6);
        assertEquals((4 + 3 * 5 + 2.5) / 7.0, m.topKMean(7), 1e-6);
        assertEquals((4 + 3 * 5 + 2.5) / 64.0, m.topKMean(1000), 1e-6, "k beyond the pixels takes them all");
    }

    @Test
    void aNonFiniteFrameIsItsOwnPeakAndRegion() {
        float[] v = new float[16];
        v[6] = Float.NaN;
        AnomalyMap m = new AnomalyMap(4, v, 1);
        assertArrayEquals(new int[] {2, 1}, m.peak());
        assertArrayEquals(new int[] {2, 1, 1, 1}, m.region());
    }

    @Test
    void gridBoxesAndPointsScaleIntoTheFramesOwnPixels() {
        // a 32-pixel grid seen from a 128 × 64 frame: x scales by 4, y by 2
        assertArrayEquals(new int[] {20, 10, 12, 6}, AnomalyMap.toFrame(new int[] {5, 5, 3, 3}, 32, 128, 64));
        assertArrayEquals(new int[] {22, 11}, AnomalyMap.pointToFrame(new int[] {5, 5}, 32, 128, 64));
        assertArrayEquals(new int[] {124, 62, 4, 2}, AnomalyMap.toFrame(new int[] {31, 31, 1, 1}, 32, 128, 64), "clipped to the frame");
        // a frame smaller than the grid: boxes never shrink below a pixel
        assertArrayEquals(new int[] {2, 2, 1, 1}, AnomalyMap.toFrame(new int[] {5, 5, 1, 1}, 32, 16, 16));
        assertNull(AnomalyMap.toFrame(null, 32, 16, 16));
    }
}
