package io.latentwatch.pipeline.operators;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.latentwatch.frames.Frame;
import io.latentwatch.scoring.FrameBatch;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The micro-batcher emits on size, on delay, before a checkpoint barrier and at the end of input, never losing a frame. */
class MicroBatchOperatorTest {

    private static Frame frame(int i) {
        return new Frame("cam-" + (i % 2), "f" + i, 1000L + i, new float[] {i, -i}, 640 + i, 480);
    }

    private static OneInputStreamOperatorTestHarness<Frame, FrameBatch> harness(int size, Duration delay) throws Exception {
        OneInputStreamOperatorTestHarness<Frame, FrameBatch> h = new OneInputStreamOperatorTestHarness<>(new MicroBatchOperator(size, delay));
        h.open();
        return h;
    }

    private static List<String> ids(FrameBatch b) {
        return Arrays.asList(b.frameIds);
    }

    @Test
    void aFullBatchGoesAtOnceWithItsFramesInOrder() throws Exception {
        try (var h = harness(3, Duration.ofSeconds(10))) {
            for (int i = 0; i < 7; i++) {
                h.processElement(frame(i), 0);
            }
            List<FrameBatch> out = h.extractOutputValues();
            assertEquals(2, out.size());
            assertEquals(List.of("f0", "f1", "f2"), ids(out.get(0)));
            assertEquals(List.of("f3", "f4", "f5"), ids(out.get(1)));
            assertArrayEquals(new float[] {3, -3, 4, -4, 5, -5}, out.get(1).pixels);
            assertArrayEquals(new String[] {"cam-1", "cam-0", "cam-1"}, out.get(1).sources);
            assertArrayEquals(new long[] {1003, 1004, 1005}, out.get(1).capturedAt);
            assertArrayEquals(new int[] {643, 644, 645}, out.get(1).widths, "each frame's own size, for its region");
            assertArrayEquals(new int[] {480, 480, 480}, out.get(1).heights);
        }
    }

    @Test
    void aPartialBatchGoesWhenItsFirstFrameHasWaitedTheDelay() throws Exception {
        try (var h = harness(10, Duration.ofMillis(50))) {
            h.setProcessingTime(100);
            h.processElement(frame(0), 0);
            h.setProcessingTime(120);
            h.processElement(frame(1), 0);
            h.setProcessingTime(149);
            assertEquals(0, h.extractOutputValues().size());
            h.setProcessingTime(150);
            assertEquals(List.of(List.of("f0", "f1")), h.extractOutputValues().stream().map(MicroBatchOperatorTest::ids).toList());
            h.processElement(frame(2), 0); // a new batch, a new deadline at 200
            h.setProcessingTime(199);
            assertEquals(1, h.extractOutputValues().size());
            h.setProcessingTime(200);
            assertEquals(2, h.extractOutputValues().size());
        }
    }

    @Test
    void theBufferIsEmptiedBeforeEveryCheckpointBarrierSoTheSnapshotHoldsNothing() throws Exception {
        try (var h = harness(10, Duration.ofSeconds(10))) {
            h.processElement(frame(0), 0);
            h.processElement(frame(1), 0);
            h.prepareSnapshotPreBarrier(1);
            assertEquals(List.of(List.of("f0", "f1")), h.extractOutputValues().stream().map(MicroBatchOperatorTest::ids).toList());
            assertEquals(0, ((MicroBatchOperator) h.getOperator()).buffered());
            h.snapshot(1, 0);
            h.prepareSnapshotPreBarrier(2); // nothing buffered: no empty batch
            assertEquals(1, h.extractOutputValues().size());
        }
    }

    @Test
    void theEndOfInputFlushes() throws Exception {
        try (var h = harness(10, Duration.ofSeconds(10))) {
            h.processElement(frame(0), 0);
            h.endInput();
            assertEquals(1, h.extractOutputValues().size());
        }
    }

    @Test
    void zeroDelayScoresEveryFrameAlone() throws Exception {
        try (var h = harness(10, Duration.ZERO)) {
            h.processElement(frame(0), 0);
            h.processElement(frame(1), 0);
            assertEquals(2, h.extractOutputValues().size());
        }
    }

    @Test
    void badSettingsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MicroBatchOperator(0, Duration.ZERO));
        assertEquals("max batch size must be at least 1, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MicroBatchOperator(4, Duration.ofMillis(-1)));
        assertEquals("max batch delay must be zero or positive, got PT-0.001S", e.getMessage());
    }
}
