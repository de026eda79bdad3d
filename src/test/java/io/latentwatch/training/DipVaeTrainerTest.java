package io.latentwatch.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.tracker.Tracker;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.EngineArrays;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Training steps must not wait on the host, and must not depend on when the garbage collector runs. DJL's scalar ops
 * ({@code mul(Number)}) and arrays made with {@code create(...)} alias Java direct buffers that are freed once their
 * one wrapper is gone, while autograd still holds the tensor for backward; with a collector running all the time, two
 * runs from the same seed then drift apart or diverge (seen before the fix: loss 409 vs NaN after 30 steps).
 */
class DipVaeTrainerTest {

    private static final DipVaeConfig CONFIG =
            DipVaeConfig.builder().inChannels(1).imageSize(32).latentDim(8).hiddenDims(8, 16, 32).build();

    @Test
    void sameSeedSameLossesWhileTheGarbageCollectorRuns() throws Exception {
        float[] pixels = pixels(16);
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "gc-pressure");
        collector.setDaemon(true);
        collector.start();
        try {
            double[] first = losses(pixels);
            double[] second = losses(pixels);
            assertArrayEquals(first, second, "loss after each step, two runs from seed 1");
        } finally {
            collector.interrupt();
            collector.join();
        }
    }

    /**
     * Every array DJL makes from a Java value ({@code create(...)}, the scalar of {@code add(Number)}) is staged in a
     * fresh direct buffer, and on a GPU copied to the device from pageable memory, which waits for all queued work:
     * a step with one of them runs the GPU dry before the host can queue the next operation. A step on a batch
     * already on the device must stage none, counted here through the JVM's direct buffer pool.
     */
    @Test
    void stepOnABatchOnTheDeviceStagesNothingFromTheHost() throws InterruptedException {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(1);
            DipVae model = new DipVae(CONFIG).initialize(manager);
            DipVaeTrainer trainer = new DipVaeTrainer(model, manager, Tracker.fixed(1e-3f));
            NDArray batch = EngineArrays.copyOf(manager, pixels(16), new Shape(16, 1, 32, 32));
            trainer.run(batch); // first step: optimiser state, the transposed convolutions' constants
            long before = settledCount(direct);
            for (int s = 0; s < 5; s++) {
                trainer.run(batch);
            }
            long staged = direct.getCount() - before;
            DipVaeTrainer.StepLoss mean = trainer.meanLoss();
            assertEquals(0, staged, "direct buffers staged by 5 steps on a device batch");
            assertTrue(Double.isFinite(mean.total) && mean.total > 0, "mean loss of the 6 steps: " + mean.total);
            assertTrue(batch.getManager() == manager && !batch.isReleased(), "the batch stays the caller's");
        }
    }

    /** The pool's buffer count once collected buffers are freed (their cleaners run after the collection). */
    private static long settledCount(BufferPoolMXBean pool) throws InterruptedException {
        long previous = -1;
        for (int stable = 0, tries = 0; stable < 3 && tries < 200; tries++) {
            System.gc();
            Thread.sleep(20);
            long now = pool.getCount();
            stable = now == previous ? stable + 1 : 0;
            previous = now;
        }
        return previous;
    }

    private static float[] pixels(int frames) {
        float[] pixels = new float[frames * 1024];
        Random r = new Random(3);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) Math.tanh(r.nextGaussian());
        }
        return pixels;
    }

    private static double[] losses(float[] pixels) {
        double[] out = new double[30];
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(1);
            DipVae model = new DipVae(CONFIG).initialize(manager);
            DipVaeTrainer trainer = new DipVaeTrainer(model, manager, Tracker.fixed(3e-3f));
            for (int s = 0; s < out.length; s++) {
                out[s] = trainer.step(pixels, 16).total;
            }
        }
        return out;
    }
}
