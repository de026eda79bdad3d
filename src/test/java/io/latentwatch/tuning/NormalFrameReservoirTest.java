package io.latentwatch.tuning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Algorithm R: bounded, uniform, split without overlap, deterministic per seed, and restored exactly. */
class NormalFrameReservoirTest {

    private static NormalFrameReservoir.Builder oneValueFrames(long seed) {
        return NormalFrameReservoir.builder().setFrameValues(1).optCapacity(200).optHeldOutCapacity(50).optHeldOutEvery(5).optSeed(seed);
    }

    /** Frame i holds the single value i, so the sample's values are the indices it kept. */
    private static void offerRange(NormalFrameReservoir r, int from, int to) {
        for (int i = from; i < to; i++) {
            r.offer(new float[] {i});
        }
    }

    private static Set<Integer> indices(List<float[]> frames) {
        Set<Integer> out = new HashSet<>();
        frames.forEach(f -> out.add((int) f[0]));
        return out;
    }

    @Test
    void boundedDisjointAndUniform() {
        int n = 20_000;
        int buckets = 10;
        long[] counts = new long[buckets];
        long[] heldOutCounts = new long[buckets];
        int seeds = 40;
        for (int seed = 0; seed < seeds; seed++) {
            NormalFrameReservoir r = oneValueFrames(seed).build();
            offerRange(r, 0, n);
            assertEquals(200, r.trainingSize());
            assertEquals(50, r.heldOutSize());
            assertEquals(n, r.offered());
            Set<Integer> training = indices(r.trainingFrames());
            Set<Integer> heldOut = indices(r.heldOutFrames());
            assertEquals(200, training.size(), "no frame is kept twice");
            assertEquals(50, heldOut.size());
            training.forEach(i -> assertTrue(i % 5 != 4, "frame " + i + " belongs to the held-out stream"));
            heldOut.forEach(i -> assertEquals(4, i % 5, "frame " + i + " belongs to the training stream"));
            training.forEach(i -> counts[i * buckets / n]++);
            heldOut.forEach(i -> heldOutCounts[i * buckets / n]++);
        }
        // chi-square over ten equal index ranges, 9 degrees of freedom: 27.9 is the 0.1 % critical value
        double chi2 = chiSquare(counts);
        double chi2HeldOut = chiSquare(heldOutCounts);
        assertTrue(chi2 < 27.9, "training part is not uniform over the stream: chi2 " + chi2 + " for " + Arrays.toString(counts));
        assertTrue(chi2HeldOut < 27.9, "held-out part is not uniform: chi2 " + chi2HeldOut + " for " + Arrays.toString(heldOutCounts));
    }

    private static double chiSquare(long[] counts) {
        double total = Arrays.stream(counts).sum();
        double expected = total / counts.length;
        double chi2 = 0;
        for (long c : counts) {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        return chi2;
    }

    @Test
    void fewerFramesThanCapacityAreAllKept() {
        NormalFrameReservoir r = oneValueFrames(1).build();
        offerRange(r, 0, 100);
        assertEquals(80, r.trainingSize());
        assertEquals(20, r.heldOutSize());
        assertEquals(100, indices(r.trainingFrames()).size() + indices(r.heldOutFrames()).size());
    }

    @Test
    void horizonWeightsTheSampleTowardsRecentFrames() {
        int n = 20_000;
        NormalFrameReservoir uniform = oneValueFrames(3).build();
        NormalFrameReservoir recent = oneValueFrames(3).optHorizon(800).build();
        offerRange(uniform, 0, n);
        offerRange(recent, 0, n);
        double uniformMean = indices(uniform.trainingFrames()).stream().mapToInt(i -> i).average().orElseThrow();
        double recentMean = indices(recent.trainingFrames()).stream().mapToInt(i -> i).average().orElseThrow();
        assertTrue(Math.abs(uniformMean / n - 0.5) < 0.06, "uniform sample's mean index " + uniformMean);
        // the horizon counts 800 training frames, i.e. the last ~1000 offered: the mean age is about that
        assertTrue(recentMean > n - 2_500, "horizon sample's mean index " + recentMean + " should be within the last few horizons");
        assertEquals(200, recent.trainingSize());
    }

    @Test
    void restoredReservoirContinuesExactlyAsTheOriginal() {
        NormalFrameReservoir original = oneValueFrames(7).optHorizon(1000).build();
        NormalFrameReservoir uninterrupted = oneValueFrames(7).optHorizon(1000).build();
        offerRange(original, 0, 3_000);
        offerRange(uninterrupted, 0, 3_000);
        byte[] snapshot = original.snapshot();
        NormalFrameReservoir restored = NormalFrameReservoir.restore(snapshot);
        assertEquals(original.toString(), restored.toString());
        assertArrayEquals(snapshot, restored.snapshot());
        offerRange(restored, 3_000, 6_000);
        offerRange(uninterrupted, 3_000, 6_000);
        assertArrayEquals(uninterrupted.snapshot(), restored.snapshot(), "same decisions after the restore");
        assertEquals(indices(uninterrupted.trainingFrames()), indices(restored.trainingFrames()));
        assertEquals(1000, restored.horizon());
    }

    @Test
    void restoreRefusesBytesThatAreNotASnapshot() {
        NormalFrameReservoir r = oneValueFrames(1).build();
        offerRange(r, 0, 500);
        byte[] snapshot = r.snapshot();
        IllegalArgumentException truncated = assertThrows(IllegalArgumentException.class,
                () -> NormalFrameReservoir.restore(Arrays.copyOf(snapshot, snapshot.length - 3)));
        assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
        byte[] bad = snapshot.clone();
        bad[0] ^= 1;
        IllegalArgumentException magic = assertThrows(IllegalArgumentException.class, () -> NormalFrameReservoir.restore(bad));
        assertEquals("not a reservoir snapshot (bad magic number)", magic.getMessage());
    }

    /**
     * Checkpoints hold the whole reservoir each time: frames of 8-bit pixels, as the decoder makes them, are stored
     * as their pixels (a quarter of the bytes); any other frame as floats; every frame comes back exactly.
     */
    @Test
    void snapshotKeepsEightBitFramesAsPixelsAndEveryFrameExactly() {
        int values = 3 * 8 * 8;
        NormalFrameReservoir r = NormalFrameReservoir.builder().setFrameValues(values).optCapacity(40).optHeldOutCapacity(10)
                .optHeldOutEvery(5).optSeed(2).build();
        java.util.Random random = new java.util.Random(4);
        for (int i = 0; i < 50; i++) {
            float[] f = new float[values];
            for (int k = 0; k < values; k++) {
                f[k] = random.nextInt(256) / 255f * 2f - 1f; // the decoder's arithmetic
            }
            r.offer(f);
        }
        byte[] eightBit = r.snapshot();
        int header = eightBit.length - 50 * (1 + values);
        assertTrue(header > 0 && header < 100, "one byte a value and a tag a frame, after a header of " + header + " bytes");

        float[] resized = new float[values];
        float[] broken = new float[values];
        for (int k = 0; k < values; k++) {
            resized[k] = (float) Math.tanh(random.nextGaussian()); // not an 8-bit pixel
            broken[k] = k == 7 ? Float.NaN : 0.5f;
        }
        NormalFrameReservoir mixed = NormalFrameReservoir.builder().setFrameValues(values).optCapacity(4).optHeldOutCapacity(1)
                .optHeldOutEvery(5).build();
        mixed.offer(resized);
        mixed.offer(broken);
        mixed.offer(r.trainingFrames().get(0));
        byte[] snapshot = mixed.snapshot();
        assertEquals(header + 2 * (1 + 4 * values) + (1 + values), snapshot.length, "floats for the two frames that are not 8-bit");
        NormalFrameReservoir restored = NormalFrameReservoir.restore(snapshot);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(mixed.trainingFrames().get(i), restored.trainingFrames().get(i), "frame " + i);
        }
        NormalFrameReservoir restoredEightBit = NormalFrameReservoir.restore(eightBit);
        for (int i = 0; i < r.trainingSize(); i++) {
            assertArrayEquals(r.trainingFrames().get(i), restoredEightBit.trainingFrames().get(i), "8-bit frame " + i);
        }
        assertArrayEquals(eightBit, restoredEightBit.snapshot());

        byte[] unknown = snapshot.clone();
        unknown[header] = 9; // the first frame's tag
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NormalFrameReservoir.restore(unknown));
        assertEquals("reservoir snapshot holds a frame of unknown encoding 9", e.getMessage());
    }

    /** Savepoints taken by the build before (format 1: every value a float, no tags) still restore. */
    @Test
    void formatOneSnapshotsStillRestore() {
        NormalFrameReservoir r = oneValueFrames(3).build();
        offerRange(r, 0, 400);
        byte[] current = r.snapshot();
        int frames = r.trainingSize() + r.heldOutSize();
        int header = 6 * 4 + 5 * 8 + 2 * 4;
        java.nio.ByteBuffer old = java.nio.ByteBuffer.allocate(header + 4 * frames);
        old.put(current, 0, header).putInt(4, 1); // format 1
        java.util.List<float[]> all = new java.util.ArrayList<>(r.trainingFrames());
        all.addAll(r.heldOutFrames());
        all.forEach(f -> old.putFloat(f[0]));
        NormalFrameReservoir restored = NormalFrameReservoir.restore(old.array());
        assertEquals(r.toString(), restored.toString());
        assertArrayEquals(current, restored.snapshot(), "the same state, written in the current format");
    }

    @Test
    void framesAreCopiedAndCheckedForSize() {
        NormalFrameReservoir r = NormalFrameReservoir.builder().setFrameValues(3).optCapacity(4).optHeldOutCapacity(1).build();
        float[] frame = {1, 2, 3};
        assertTrue(r.offer(frame));
        frame[0] = 99;
        assertEquals(1f, r.trainingFrames().get(0)[0], "the reservoir keeps its own copy");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.offer(new float[2]));
        assertEquals("a frame of this reservoir has 3 values, got 2", e.getMessage());
        assertFalse(r.trainingFrames().isEmpty());
    }

    @Test
    void builderNamesTheBadSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NormalFrameReservoir.builder().build());
        assertTrue(e.getMessage().startsWith("frame values must be set"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> oneValueFrames(0).optHeldOutEvery(1).build());
        assertTrue(e.getMessage().startsWith("held-out every must be at least 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> oneValueFrames(0).optHorizon(100).build());
        assertEquals("horizon 100 must be at least the larger capacity, 200", e.getMessage());
    }
}
